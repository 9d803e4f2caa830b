// The `broker` protocol for capture decoding (`comm-bridge decode`): one DecodedMessage per native
// frame, per direction, tracking where each direction leaves the handshake (after it sends
// originator_ack or responder_syn_ack). Values are shown in Broker's JSON encoding; Zeek events
// additionally as `event`/`args`/`metadata`. A bad frame becomes an `error` line whose `action`
// says what Broker does with it: `drop_conn` (answers drop_conn and closes), `dropped` (drops the
// message, connection stays up) or `close` (closes without a word); decoding then goes on.
import type { DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from '../../src/core/capture/types.ts';
import { toHex } from '../../src/core/json.ts';
import { errorCodeName } from '../constants.ts';
import { BrokerError, isBrokerError } from '../errors.ts';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../data/binary-decode.ts';
import { dataToJsonObject } from '../data/json-object.ts';
import type { Data } from '../data/types.ts';
import { asZeekMessage, type ZeekMessage } from '../data/zeek-messages.ts';
import { formatEntityId } from './endpoint-id.ts';
import { decodeEnvelopeBody, peekEnvelope, type Envelope, type RawEnvelope } from './envelope.ts';
import { FrameReader, frame, type FrameReaderOptions } from './framing.ts';
import { decodeHandshake, validateHandshake, type HandshakeMessage } from './handshake.ts';
import { COMMAND_TYPES, type CommandMessage } from './store-commands.ts';
import { MAGIC } from './wire-constants.ts';

export interface BrokerDecoderOptions {
  frame?: Omit<FrameReaderOptions, 'phase'>;
  limits?: DataLimits;
}

/** True when the bytes begin with a handshake frame carrying the ZEEK magic (hello, probe, …). */
export function startsLikeBroker(b: Uint8Array): boolean {
  if (b.length < 9) return false;
  const tag = b[4]!;
  const magic = ((b[5]! << 24) | (b[6]! << 16) | (b[7]! << 8) | b[8]!) >>> 0;
  return tag >= 0x06 && tag <= 0x09 && magic === MAGIC;
}

export function brokerDecoder(options: BrokerDecoderOptions = {}): ProtocolDecoder {
  return {
    protocol: 'broker',
    detect: (c2s, s2c) => startsLikeBroker(c2s) || startsLikeBroker(s2c),
    session: (o) => new BrokerSession(options, o?.strict ?? false),
  };
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

function handshakeFields(m: HandshakeMessage): Record<string, unknown> {
  switch (m.type) {
    case 'hello':
      return { magic: hex8(m.magic), sender: m.sender, min_version: m.minVersion, max_version: m.maxVersion };
    case 'probe':
      return { magic: hex8(m.magic) };
    case 'version_select':
      return { magic: hex8(m.magic), sender: m.sender, selected_version: m.version };
    case 'drop_conn':
      return { magic: hex8(m.magic), sender: m.sender, code: m.rawCode, code_name: errorCodeName(m.code), description: m.description };
    case 'originator_syn':
    case 'responder_syn_ack':
      return { filter: m.filter };
    case 'originator_ack':
      return {};
  }
}

function envelopeFields(e: RawEnvelope | Envelope): Record<string, unknown> {
  return { sender: e.sender, receiver: e.receiver, ttl: e.ttl, topic: e.topic };
}

function zeekFields(v: Data): Record<string, unknown> {
  const z = asZeekMessage(v);
  return z ? zeekMessageFields(z) : {};
}

/** The Zeek message's own fields; a batch lists each message it carries (`batch`). */
export function zeekMessageFields(z: ZeekMessage): Record<string, unknown> {
  switch (z.kind) {
    case 'event':
      return {
        zeek: 'event',
        event: z.name,
        args: z.args.map(dataToJsonObject),
        ...(z.metadata ? { metadata: z.metadata.map((m) => ({ key: m.key, value: dataToJsonObject(m.value) })) } : {}),
      };
    case 'log_create':
      return { zeek: 'log_create', stream_id: z.streamId, writer_id: z.writerId };
    case 'log_write':
      return { zeek: 'log_write', stream_id: z.streamId, writer_id: z.writerId, path: z.path };
    case 'identifier_update':
      return { zeek: 'identifier_update', id_name: z.name, value_of_id: dataToJsonObject(z.value) };
    case 'batch':
      return { zeek: 'batch', messages: z.messages.length, batch: z.messages.map(zeekMessageFields) };
  }
}

/** A store command field by field, in wire order, with the fixtures' field names. */
export function commandFields(m: CommandMessage): Record<string, unknown> {
  const c = m.command;
  const out: Record<string, unknown> = {
    seq: m.seq,
    sender: formatEntityId(m.sender),
    receiver: formatEntityId(m.receiver),
    type: c.type,
    index: COMMAND_TYPES.indexOf(c.type),
  };
  if ('key' in c) out['key'] = dataToJsonObject(c.key);
  if ('value' in c) out['value'] = dataToJsonObject(c.value);
  if (c.type === 'add') out['init_type'] = c.initType;
  if (c.type === 'put' || c.type === 'put_unique' || c.type === 'add' || c.type === 'subtract') out['expiry_ns'] = c.expiry ?? null;
  if (c.type === 'put_unique_result') out['inserted'] = c.inserted;
  if ('who' in c) {
    out['who'] = formatEntityId(c.who);
    out['req_id'] = c.reqId;
  }
  if ('publisher' in c) out['publisher'] = formatEntityId(c.publisher);
  switch (c.type) {
    case 'attach_writer':
      return { ...out, offset: c.offset, heartbeat_interval: c.heartbeatInterval };
    case 'keepalive':
      return { ...out, last_seq: c.seq };
    case 'cumulative_ack':
      return { ...out, ack_seq: c.seq };
    case 'retransmit_failed':
      return { ...out, failed_seq: c.seq };
    case 'nack':
      return { ...out, seqs: c.seqs };
    case 'ack_clone':
      return {
        ...out,
        offset: c.offset,
        heartbeat_interval: c.heartbeatInterval,
        state: c.snapshot.map(([key, value]) => ({ key: dataToJsonObject(key), value: dataToJsonObject(value) })),
      };
    default:
      return out;
  }
}

/** The decoded view of one envelope. */
export function envelopeView(e: Envelope): DecodedMessage {
  const head = { type: e.type, ...envelopeFields(e) };
  switch (e.type) {
    case 'data':
      return { ...head, value: dataToJsonObject(e.value), ...zeekFields(e.value) };
    case 'command':
      return { ...head, command: commandFields(e.command) };
    case 'routing_update':
      return { ...head, filter: e.filter };
    case 'ping':
    case 'pong': {
      const bye = e.payload[0] === 0x42 && e.payload[1] === 0x59 && e.payload[2] === 0x45;
      return { ...head, payload_hex: toHex(e.payload), ...(bye ? { bye_token: true } : {}) };
    }
  }
}

type Action = 'drop_conn' | 'dropped' | 'close';

function errorLine(err: unknown, action: Action, context: Record<string, unknown> = {}): DecodedMessage {
  if (!isBrokerError(err)) throw err;
  return { type: 'error', code: err.code, ec: errorCodeName(err.ec), message: err.message, action, ...context };
}

interface Side {
  readonly reader: FrameReader;
  dead: boolean;
}

class BrokerSession implements StreamDecoder {
  private readonly sides: Record<Direction, Side>;
  private readonly limits: DataLimits;

  constructor(
    options: BrokerDecoderOptions,
    private readonly strict: boolean,
  ) {
    const side = (): Side => ({ reader: new FrameReader({ ...options.frame, phase: 'handshake' }), dead: false });
    this.sides = { c2s: side(), s2c: side() };
    this.limits = options.limits ?? DEFAULT_DATA_LIMITS;
  }

  push(dir: Direction, bytes: Uint8Array): DecodedMessage[] {
    const side = this.sides[dir];
    const out: DecodedMessage[] = [];
    if (side.dead) return out;
    side.reader.push(bytes);
    for (;;) {
      let payload: Uint8Array | undefined;
      try {
        payload = side.reader.next();
      } catch (err) {
        side.dead = true;
        out.push(errorLine(err, 'close'));
        return out;
      }
      if (payload === undefined) return out;
      out.push(this.frame(side, payload));
    }
  }

  end(dir: Direction): DecodedMessage[] {
    const side = this.sides[dir];
    if (side.dead) return [];
    side.dead = true;
    try {
      side.reader.end();
      return [];
    } catch (err) {
      return [errorLine(err, 'close')];
    }
  }

  private frame(side: Side, payload: Uint8Array): DecodedMessage {
    const tail = { len: payload.length, frame_hex: toHex(frame(payload)) };
    if (side.reader.phase === 'handshake') {
      let msg: HandshakeMessage;
      try {
        msg = decodeHandshake(payload, { validate: false, rejectTrailing: this.strict });
      } catch (err) {
        return { ...errorLine(err, 'drop_conn'), ...tail };
      }
      try {
        validateHandshake(msg);
      } catch (err) {
        return { ...errorLine(err, 'drop_conn', { msg: msg.type, ...handshakeFields(msg) }), ...tail };
      }
      if (msg.type === 'originator_ack' || msg.type === 'responder_syn_ack') side.reader.phase = 'established';
      return { type: msg.type, ...handshakeFields(msg), ...tail };
    }
    let raw: RawEnvelope;
    try {
      raw = peekEnvelope(payload);
    } catch (err) {
      return { ...errorLine(err, 'dropped'), ...tail };
    }
    try {
      return { ...envelopeView(decodeEnvelopeBody(raw, { limits: this.limits })), ...tail };
    } catch (err) {
      if (!(err instanceof BrokerError)) throw err;
      return { ...errorLine(err, 'dropped', { msg: raw.type, ...envelopeFields(raw), payload_hex: toHex(raw.body) }), ...tail };
    }
  }
}
