// Phase-3 messages ("envelopes", spec §1.5): sender(16) receiver(16) type(1) ttl(2) topic length(2)
// topic, then the type's payload up to the end of the frame. Unlike handshake messages they do not
// start with their tag. `peekEnvelope` reads only the header so an endpoint can route and forward a
// message without decoding its value.
import { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import { DEFAULT_DATA_LIMITS, decodeData, type DataLimits } from '../data/binary-decode.ts';
import { writeData } from '../data/binary-encode.ts';
import type { Data } from '../data/types.ts';
import { utf8Length, writeUtf8 } from '../data/utf8.ts';
import { endpointIdAt, endpointIdBytes, writeEndpointId, type EndpointId } from './endpoint-id.ts';
import { readFilter, readTopicBytes, writeFilter } from './filter.ts';
import { beginFrame, endFrame } from './framing.ts';
import { decodeCommand, writeCommand, type CommandMessage } from './store-commands.ts';
import { BYE_PAYLOAD_SIZE, BYE_PREFIX, DEFAULT_TTL, ENVELOPE_HEADER_SIZE, MessageType, RESERVED_TOPIC } from './wire-constants.ts';

export type EnvelopeType = 'data' | 'command' | 'routing_update' | 'ping' | 'pong';

const ENVELOPE_TYPES: readonly (EnvelopeType | undefined)[] = [undefined, 'data', 'command', 'routing_update', 'ping', 'pong'];
const TYPE_TAGS: Record<EnvelopeType, number> = {
  data: MessageType.DATA,
  command: MessageType.COMMAND,
  routing_update: MessageType.ROUTING_UPDATE,
  ping: MessageType.PING,
  pong: MessageType.PONG,
};

export interface EnvelopeHeader {
  /** Previous hop (Broker rewrites it on every hop). */
  readonly sender: EndpointId;
  /** Target endpoint, or NIL_ENDPOINT for "anyone subscribed to the topic". */
  readonly receiver: EndpointId;
  readonly ttl: number;
  readonly topic: string;
}

export interface DataEnvelope extends EnvelopeHeader {
  readonly type: 'data';
  readonly value: Data;
}
export interface CommandEnvelope extends EnvelopeHeader {
  readonly type: 'command';
  readonly command: CommandMessage;
}
export interface RoutingUpdateEnvelope extends EnvelopeHeader {
  readonly type: 'routing_update';
  /** The sender's complete current filter (not a delta). */
  readonly filter: readonly string[];
}
export interface PingEnvelope extends EnvelopeHeader {
  readonly type: 'ping' | 'pong';
  /** Opaque; a pong echoes the ping's payload. */
  readonly payload: Uint8Array;
}

export type Envelope = DataEnvelope | CommandEnvelope | RoutingUpdateEnvelope | PingEnvelope;

/** An envelope whose payload is not decoded yet. `body` is a view into the frame. */
export interface RawEnvelope extends EnvelopeHeader {
  readonly type: EnvelopeType;
  readonly body: Uint8Array;
  /** Offset of `body` within the frame payload. */
  readonly bodyOffset: number;
}

/** Reads the header of a phase-3 payload (frame without its length prefix). */
export function peekEnvelope(payload: Uint8Array): RawEnvelope {
  if (payload.length < ENVELOPE_HEADER_SIZE) {
    throw new BrokerError('message_too_short', `message too short: ${payload.length} bytes, an envelope needs ${ENVELOPE_HEADER_SIZE}`, { field: 'envelope', offset: 0 });
  }
  const tag = payload[32]!;
  const type = ENVELOPE_TYPES[tag];
  if (type === undefined) throw new BrokerError('invalid_message_type', `invalid envelope type ${tag}`, { field: 'envelope.type', offset: 32 });
  const r = new ByteReader(payload, 0, 33);
  const ttl = r.u16('envelope.ttl');
  const topicLength = r.u16('envelope.topic_length');
  let topic: string;
  try {
    topic = readTopicBytes(r, topicLength, 'envelope.topic');
  } catch (err) {
    throw asBrokerError(err);
  }
  return {
    sender: endpointIdAt(payload, 0),
    receiver: endpointIdAt(payload, 16),
    ttl,
    topic,
    type,
    body: payload.subarray(r.offset),
    bodyOffset: r.offset,
  };
}

export interface EnvelopeDecodeOptions {
  limits?: DataLimits;
}

/** Decodes the payload of a raw envelope. */
export function decodeEnvelopeBody(raw: RawEnvelope, options: EnvelopeDecodeOptions = {}): Envelope {
  const { sender, receiver, ttl, topic } = raw;
  const limits = options.limits ?? DEFAULT_DATA_LIMITS;
  switch (raw.type) {
    case 'data':
      return { type: 'data', sender, receiver, ttl, topic, value: decodeData(raw.body, limits, raw.bodyOffset) };
    case 'command':
      return { type: 'command', sender, receiver, ttl, topic, command: decodeCommand(raw.body, limits, raw.bodyOffset) };
    case 'routing_update': {
      const r = new ByteReader(raw.body, raw.bodyOffset);
      let filter: string[];
      try {
        filter = readFilter(r, 'routing_update.filter');
      } catch (err) {
        throw asBrokerError(err);
      }
      if (r.remaining !== 0) throw new BrokerError('trailing_bytes', `${r.remaining} byte(s) after the filter`, { field: 'routing_update', offset: r.position });
      return { type: 'routing_update', sender, receiver, ttl, topic, filter };
    }
    case 'ping':
    case 'pong':
      return { type: raw.type, sender, receiver, ttl, topic, payload: raw.body.slice() };
  }
}

/** Decodes a complete phase-3 payload (frame without its length prefix). */
export function decodeEnvelope(payload: Uint8Array, options: EnvelopeDecodeOptions = {}): Envelope {
  return decodeEnvelopeBody(peekEnvelope(payload), options);
}

function writeHeader(w: ByteWriter, type: EnvelopeType, h: EnvelopeHeader): void {
  writeEndpointId(w, h.sender);
  writeEndpointId(w, h.receiver);
  w.u8(TYPE_TAGS[type]).u16(h.ttl);
  const len = utf8Length(h.topic);
  if (len > 0xffff) throw new BrokerError('invalid_argument', `topic of ${len} bytes exceeds 65535`, { field: 'envelope.topic' });
  w.u16(len);
  writeUtf8(w, h.topic, len);
}

/** Writes one complete frame (length prefix included) for an envelope. */
export function writeEnvelope(w: ByteWriter, env: Envelope): void {
  const at = beginFrame(w);
  writeHeader(w, env.type, env);
  switch (env.type) {
    case 'data':
      writeData(w, env.value);
      break;
    case 'command':
      writeCommand(w, env.command);
      break;
    case 'routing_update':
      writeFilter(w, env.filter);
      break;
    case 'ping':
    case 'pong':
      w.bytes(env.payload);
      break;
  }
  endFrame(w, at);
}

const shared = new ByteWriter(1024);

/** One complete frame for an envelope as a fresh array (use `writeEnvelope` to batch into your own writer). */
export function encodeEnvelope(env: Envelope): Uint8Array {
  shared.reset();
  writeEnvelope(shared, env);
  return shared.toBytes();
}

/** Writes a frame for a raw envelope (e.g. one being forwarded), keeping its body bytes. */
export function writeRawEnvelope(w: ByteWriter, env: RawEnvelope): void {
  const at = beginFrame(w);
  writeHeader(w, env.type, env);
  w.bytes(env.body);
  endFrame(w, at);
}

/** A copy of a phase-3 payload with the sender replaced (Broker rewrites it on every hop). */
export function withSender(payload: Uint8Array, sender: EndpointId): Uint8Array {
  const out = payload.slice();
  out.set(endpointIdBytes(sender), 0);
  return out;
}

/** Header fields with Broker's defaults (TTL 16). */
export function header(sender: EndpointId, receiver: EndpointId, topic: string, ttl: number = DEFAULT_TTL): EnvelopeHeader {
  return { sender, receiver, ttl, topic };
}

export function dataEnvelope(sender: EndpointId, receiver: EndpointId, topic: string, value: Data): DataEnvelope {
  return { type: 'data', ...header(sender, receiver, topic), value };
}

export function routingUpdate(sender: EndpointId, receiver: EndpointId, filter: readonly string[]): RoutingUpdateEnvelope {
  return { type: 'routing_update', ...header(sender, receiver, RESERVED_TOPIC), filter };
}

export function ping(sender: EndpointId, receiver: EndpointId, payload: Uint8Array): PingEnvelope {
  return { type: 'ping', ...header(sender, receiver, RESERVED_TOPIC), payload };
}

/** The answer to a ping: sender and receiver swapped, identical payload. */
export function pongFor(p: PingEnvelope): PingEnvelope {
  return { type: 'pong', ...header(p.receiver, p.sender, RESERVED_TOPIC), payload: p.payload };
}

/** True for the payload of Broker's graceful-unpeer ping ("BYE" + 8 opaque bytes). */
export function isByePayload(payload: Uint8Array): boolean {
  return payload.length === BYE_PAYLOAD_SIZE && payload[0] === 0x42 && payload[1] === 0x59 && payload[2] === 0x45;
}

/** A BYE payload: "BYE" + the 64-bit token in host (little-endian) byte order, as Broker writes it. */
export function byePayload(token: bigint): Uint8Array {
  const out = new Uint8Array(BYE_PAYLOAD_SIZE);
  for (let i = 0; i < 3; i++) out[i] = BYE_PREFIX.charCodeAt(i);
  new DataView(out.buffer).setBigUint64(3, BigInt.asUintN(64, token), true);
  return out;
}
