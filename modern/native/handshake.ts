// Handshake messages of the native protocol (spec §1.3): payloads that start with their type tag.
// Decoding is split in two so a decoder can show what it received even when Broker would refuse
// it: `decodeHandshake` checks structure (tag, length), `validateHandshake` Broker's rules (magic,
// versions), each failure carrying the drop_conn code and text Broker answers with.
import { Buffer } from 'node:buffer';
import { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { ErrorCode, toErrorCode } from '../constants.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import { readVarbyte } from '../data/binary-decode.ts';
import { writeVarbyte } from '../data/binary-encode.ts';
import { utf8Length, writeUtf8 } from '../data/utf8.ts';
import { readEndpointId, writeEndpointId, type EndpointId } from './endpoint-id.ts';
import { beginFrame, endFrame } from './framing.ts';
import { readFilter, writeFilter } from './filter.ts';
import { MAGIC, MessageType, PROTOCOL_VERSION } from './wire-constants.ts';

export interface Hello {
  readonly type: 'hello';
  readonly magic: number;
  readonly sender: EndpointId;
  readonly minVersion: number;
  readonly maxVersion: number;
}
export interface Probe {
  readonly type: 'probe';
  readonly magic: number;
}
export interface VersionSelect {
  readonly type: 'version_select';
  readonly magic: number;
  readonly sender: EndpointId;
  readonly version: number;
}
export interface DropConn {
  readonly type: 'drop_conn';
  readonly magic: number;
  readonly sender: EndpointId;
  /** The code as sent; `code` maps values outside Broker's table to `unspecified` (1). */
  readonly rawCode: number;
  readonly code: ErrorCode;
  readonly description: string;
}
export interface OriginatorSyn {
  readonly type: 'originator_syn';
  readonly filter: readonly string[];
}
export interface ResponderSynAck {
  readonly type: 'responder_syn_ack';
  readonly filter: readonly string[];
}
export interface OriginatorAck {
  readonly type: 'originator_ack';
}

export type HandshakeMessage = Hello | Probe | VersionSelect | DropConn | OriginatorSyn | ResponderSynAck | OriginatorAck;
export type HandshakeType = HandshakeMessage['type'];

export interface HandshakeDecodeOptions {
  /** Also apply Broker's checks (magic, versions); default true. */
  validate?: boolean;
  /** Reject bytes after a complete message (Broker ignores them; UNCONFIRMED). Default false. */
  rejectTrailing?: boolean;
}

const invalidMessage = { ec: ErrorCode.INVALID_MESSAGE } as const;

/** Decodes one handshake payload (without its length prefix). */
export function decodeHandshake(payload: Uint8Array, options: HandshakeDecodeOptions = {}): HandshakeMessage {
  let msg: HandshakeMessage;
  const r = new ByteReader(payload);
  try {
    msg = readHandshake(r);
  } catch (err) {
    throw asBrokerError(err, ErrorCode.INVALID_MESSAGE);
  }
  if (options.rejectTrailing && r.remaining > 0) {
    throw new BrokerError('trailing_bytes', `${r.remaining} byte(s) after the ${msg.type} message`, { field: msg.type, offset: r.position, ...invalidMessage });
  }
  if (options.validate ?? true) validateHandshake(msg);
  return msg;
}

function readHandshake(r: ByteReader): HandshakeMessage {
  const tag = r.u8('message.type');
  switch (tag) {
    case MessageType.HELLO: {
      const magic = r.u32('hello.magic');
      const sender = readEndpointId(r, 'hello.sender');
      const minVersion = r.u8('hello.min_version');
      return { type: 'hello', magic, sender, minVersion, maxVersion: r.u8('hello.max_version') };
    }
    case MessageType.PROBE:
      return { type: 'probe', magic: r.u32('probe.magic') };
    case MessageType.VERSION_SELECT: {
      const magic = r.u32('version_select.magic');
      const sender = readEndpointId(r, 'version_select.sender');
      return { type: 'version_select', magic, sender, version: r.u8('version_select.version') };
    }
    case MessageType.DROP_CONN: {
      const magic = r.u32('drop_conn.magic');
      const sender = readEndpointId(r, 'drop_conn.sender');
      const rawCode = r.u8('drop_conn.code');
      const n = readVarbyte(r, 'drop_conn.description');
      const description = Buffer.from(r.take(n, 'drop_conn.description')).toString('utf8');
      return { type: 'drop_conn', magic, sender, rawCode, code: toErrorCode(rawCode), description };
    }
    case MessageType.ORIGINATOR_SYN:
      return { type: 'originator_syn', filter: readFilter(r, 'originator_syn.filter') };
    case MessageType.RESPONDER_SYN_ACK:
      return { type: 'responder_syn_ack', filter: readFilter(r, 'responder_syn_ack.filter') };
    case MessageType.ORIGINATOR_ACK:
      return { type: 'originator_ack' };
    default:
      throw new BrokerError('invalid_message_type', 'invalid message type tag', { field: 'message.type', offset: r.position - 1 });
  }
}

/** Broker's checks on receipt; throws with the drop_conn code/text Broker would answer. */
export function validateHandshake(msg: HandshakeMessage): void {
  if ('magic' in msg && msg.magic !== MAGIC) {
    throw new BrokerError('wrong_magic_number', 'wrong magic number', { field: `${msg.type}.magic`, offset: 1 });
  }
  if (msg.type === 'hello' && !(msg.minVersion <= PROTOCOL_VERSION && PROTOCOL_VERSION <= msg.maxVersion)) {
    throw new BrokerError('unsupported_version', 'unsupported versions offered', { field: 'hello.versions', offset: 21 });
  }
  if (msg.type === 'version_select' && msg.version !== PROTOCOL_VERSION) {
    throw new BrokerError('unsupported_version', 'unsupported version selected', { field: 'version_select.version', offset: 21 });
  }
}

/** Writes one complete frame (length prefix included) for a handshake message. */
export function writeHandshake(w: ByteWriter, msg: HandshakeMessage): void {
  const at = beginFrame(w);
  switch (msg.type) {
    case 'hello':
      w.u8(MessageType.HELLO).u32(msg.magic);
      writeEndpointId(w, msg.sender);
      w.u8(msg.minVersion).u8(msg.maxVersion);
      break;
    case 'probe':
      w.u8(MessageType.PROBE).u32(msg.magic);
      break;
    case 'version_select':
      w.u8(MessageType.VERSION_SELECT).u32(msg.magic);
      writeEndpointId(w, msg.sender);
      w.u8(msg.version);
      break;
    case 'drop_conn': {
      w.u8(MessageType.DROP_CONN).u32(msg.magic);
      writeEndpointId(w, msg.sender);
      w.u8(msg.rawCode);
      const len = utf8Length(msg.description);
      writeVarbyte(w, len);
      writeUtf8(w, msg.description, len);
      break;
    }
    case 'originator_syn':
      w.u8(MessageType.ORIGINATOR_SYN);
      writeFilter(w, msg.filter);
      break;
    case 'responder_syn_ack':
      w.u8(MessageType.RESPONDER_SYN_ACK);
      writeFilter(w, msg.filter);
      break;
    case 'originator_ack':
      w.u8(MessageType.ORIGINATOR_ACK);
      break;
  }
  endFrame(w, at);
}

const shared = new ByteWriter(256);

/** One complete frame for a handshake message as a fresh array. */
export function encodeHandshake(msg: HandshakeMessage): Uint8Array {
  shared.reset();
  writeHandshake(shared, msg);
  return shared.toBytes();
}

// Builders for the messages a TypeScript endpoint sends, with Broker's defaults.

export function hello(sender: EndpointId): Hello {
  return { type: 'hello', magic: MAGIC, sender, minVersion: PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION };
}

export function probe(): Probe {
  return { type: 'probe', magic: MAGIC };
}

export function versionSelect(sender: EndpointId): VersionSelect {
  return { type: 'version_select', magic: MAGIC, sender, version: PROTOCOL_VERSION };
}

/** drop_conn with Broker's code and text, e.g. `dropConn(id, ErrorCode.WRONG_MAGIC_NUMBER, 'wrong magic number')`. */
export function dropConn(sender: EndpointId, code: ErrorCode, description: string): DropConn {
  return { type: 'drop_conn', magic: MAGIC, sender, rawCode: code, code, description };
}

/** The drop_conn Broker answers a handshake failure with. */
export function dropConnFor(sender: EndpointId, err: BrokerError): DropConn {
  return dropConn(sender, err.ec, err.reason);
}

export function originatorSyn(filter: readonly string[]): OriginatorSyn {
  return { type: 'originator_syn', filter };
}

export function responderSynAck(filter: readonly string[]): ResponderSynAck {
  return { type: 'responder_syn_ack', filter };
}

export function originatorAck(): OriginatorAck {
  return { type: 'originator_ack' };
}
