// Zeek's message convention inside Broker data (spec §2.4): every publication is the vector
// `[format_version: count 1, message_type: count, content: vector]`.
import { BrokerError } from '../errors.ts';
import type { ByteString, Data, Int64, VectorData } from './types.ts';

export const ZEEK_FORMAT_VERSION = 1;

export const ZeekMessageType = {
  EVENT: 1,
  LOG_CREATE: 2,
  LOG_WRITE: 3,
  IDENTIFIER_UPDATE: 4,
  BATCH: 5,
} as const;
export type ZeekMessageType = (typeof ZeekMessageType)[keyof typeof ZeekMessageType];

/** Event metadata keys: 1 is the network timestamp; 200 and above are free for users. */
export const EventMetadata = {
  NETWORK_TIMESTAMP: 1,
  FIRST_USER_KEY: 200,
} as const;

export interface MetadataEntry {
  readonly key: Int64;
  readonly value: Data;
}

export interface ZeekEvent {
  readonly kind: 'event';
  readonly name: string;
  readonly args: readonly Data[];
  /** Absent for a 2-element content; an empty array when an empty metadata vector was sent (Zeek 8). */
  readonly metadata?: readonly MetadataEntry[];
}

export interface LogCreate {
  readonly kind: 'log_create';
  /** Enum names, e.g. `Conn::LOG` and `Log::WRITER_ASCII`. */
  readonly streamId: ByteString;
  readonly writerId: ByteString;
  readonly writerInfo: Data;
  readonly fields: Data;
}

export interface LogWrite {
  readonly kind: 'log_write';
  readonly streamId: ByteString;
  readonly writerId: ByteString;
  readonly path: ByteString;
  /** Zeek's own serialization of the log records (opaque to Broker). */
  readonly serialData: ByteString;
}

export interface IdentifierUpdate {
  readonly kind: 'identifier_update';
  readonly name: string;
  readonly value: Data;
}

export interface Batch {
  readonly kind: 'batch';
  readonly messages: readonly ZeekMessage[];
}

export type ZeekMessage = ZeekEvent | LogCreate | LogWrite | IdentifierUpdate | Batch;

const count = (value: number): Data => ({ type: 'count', value });
const vec = (elements: readonly Data[]): VectorData => ({ type: 'vector', elements });

function envelope(type: ZeekMessageType, content: readonly Data[]): VectorData {
  return vec([count(ZEEK_FORMAT_VERSION), count(type), vec(content)]);
}

export interface EventOptions {
  /** Explicit metadata entries (sent as the third content element, even when empty). */
  metadata?: readonly MetadataEntry[];
  /** Shorthand for a NetworkTimestamp entry (nanoseconds since the epoch). */
  networkTimestamp?: Int64;
}

/** `[1, 1, [name, [args...], (metadata)]]`; metadata is omitted unless given. */
export function makeEvent(name: string, args: readonly Data[], options: EventOptions = {}): VectorData {
  const content: Data[] = [{ type: 'string', value: name }, vec(args)];
  let metadata = options.metadata ? [...options.metadata] : undefined;
  if (options.networkTimestamp !== undefined) {
    metadata = [{ key: EventMetadata.NETWORK_TIMESTAMP, value: { type: 'timestamp', value: options.networkTimestamp } }, ...(metadata ?? [])];
  }
  if (metadata) content.push(vec(metadata.map((m) => vec([{ type: 'count', value: m.key }, m.value]))));
  return envelope(ZeekMessageType.EVENT, content);
}

export function toZeekData(msg: ZeekMessage): VectorData {
  switch (msg.kind) {
    case 'event':
      return makeEvent(msg.name, msg.args, msg.metadata ? { metadata: msg.metadata } : {});
    case 'log_create':
      return envelope(ZeekMessageType.LOG_CREATE, [
        { type: 'enum_value', value: msg.streamId },
        { type: 'enum_value', value: msg.writerId },
        msg.writerInfo,
        msg.fields,
      ]);
    case 'log_write':
      return envelope(ZeekMessageType.LOG_WRITE, [
        { type: 'enum_value', value: msg.streamId },
        { type: 'enum_value', value: msg.writerId },
        { type: 'string', value: msg.path },
        { type: 'string', value: msg.serialData },
      ]);
    case 'identifier_update':
      return envelope(ZeekMessageType.IDENTIFIER_UPDATE, [{ type: 'string', value: msg.name }, msg.value]);
    case 'batch':
      return envelope(ZeekMessageType.BATCH, msg.messages.map(toZeekData));
  }
}

function fail(reason: string): never {
  throw new BrokerError('invalid_zeek_message', reason, { field: 'zeek' });
}

function asCount(d: Data | undefined): Int64 | undefined {
  return d?.type === 'count' ? d.value : undefined;
}

function elementsOf(d: Data | undefined, what: string): readonly Data[] {
  if (d?.type !== 'vector') fail(`${what} is not a vector`);
  return d.elements;
}

function textOf(d: Data | undefined, type: 'string' | 'enum_value', what: string): ByteString {
  if (d?.type !== type) fail(`${what} is not a ${type}`);
  return d.value;
}

function nameOf(d: Data | undefined, what: string): string {
  const v = textOf(d, 'string', what);
  if (typeof v !== 'string') fail(`${what} is not valid UTF-8`);
  return v;
}

function parseMetadata(d: Data): MetadataEntry[] {
  return elementsOf(d, 'event metadata').map((entry) => {
    const pair = elementsOf(entry, 'event metadata entry');
    const key = asCount(pair[0]);
    if (pair.length !== 2 || key === undefined) fail('event metadata entry is not [count, value]');
    const value = pair[1]!;
    // eslint-disable-next-line eqeqeq
    if (key == EventMetadata.NETWORK_TIMESTAMP && value.type !== 'timestamp') fail('NetworkTimestamp metadata is not a timestamp');
    return { key, value };
  });
}

/** Interprets a value as a Zeek message; throws `invalid_zeek_message` if it does not follow §2.4. */
export function parseZeekMessage(v: Data): ZeekMessage {
  const outer = elementsOf(v, 'Zeek message');
  if (outer.length !== 3) fail('a Zeek message has 3 elements');
  // eslint-disable-next-line eqeqeq
  if (asCount(outer[0]) != ZEEK_FORMAT_VERSION) fail('format version is not count 1');
  const type = asCount(outer[1]);
  const content = elementsOf(outer[2], 'message content');
  switch (type === undefined ? -1 : Number(type)) {
    case ZeekMessageType.EVENT: {
      if (content.length !== 2 && content.length !== 3) fail('event content has 2 or 3 elements');
      const name = nameOf(content[0], 'event name');
      const args = elementsOf(content[1], 'event arguments');
      return content.length === 3 ? { kind: 'event', name, args, metadata: parseMetadata(content[2]!) } : { kind: 'event', name, args };
    }
    case ZeekMessageType.LOG_CREATE:
      if (content.length !== 4) fail('LogCreate content has 4 elements');
      return {
        kind: 'log_create',
        streamId: textOf(content[0], 'enum_value', 'stream id'),
        writerId: textOf(content[1], 'enum_value', 'writer id'),
        writerInfo: content[2]!,
        fields: content[3]!,
      };
    case ZeekMessageType.LOG_WRITE:
      if (content.length !== 4) fail('LogWrite content has 4 elements');
      return {
        kind: 'log_write',
        streamId: textOf(content[0], 'enum_value', 'stream id'),
        writerId: textOf(content[1], 'enum_value', 'writer id'),
        path: textOf(content[2], 'string', 'path'),
        serialData: textOf(content[3], 'string', 'serial data'),
      };
    case ZeekMessageType.IDENTIFIER_UPDATE:
      if (content.length !== 2) fail('IdentifierUpdate content has 2 elements');
      return { kind: 'identifier_update', name: nameOf(content[0], 'identifier name'), value: content[1]! };
    case ZeekMessageType.BATCH:
      return { kind: 'batch', messages: content.map((m) => parseZeekMessage(m)) };
    default:
      return fail(`unknown Zeek message type ${String(type)}`);
  }
}

/** The Zeek message in `v`, or undefined for any other value. */
export function asZeekMessage(v: Data): ZeekMessage | undefined {
  if (v.type !== 'vector' || v.elements.length !== 3) return undefined;
  try {
    return parseZeekMessage(v);
  } catch {
    return undefined;
  }
}

/** The event's NetworkTimestamp metadata (ns since the epoch), if present. */
export function networkTimestamp(e: ZeekEvent): Int64 | undefined {
  // eslint-disable-next-line eqeqeq
  const m = e.metadata?.find((x) => x.key == EventMetadata.NETWORK_TIMESTAMP);
  return m?.value.type === 'timestamp' ? m.value.value : undefined;
}
