// Decoder for Broker's binary data format "bin v1" (spec §2.1–2.2): one tagged value, big-endian
// fixed-width numbers, LEB128 ("varbyte") lengths. Bad input ends in a BrokerError; limits bound
// nesting depth, container sizes and string lengths before anything is allocated.
import type { Buffer } from 'node:buffer';
import { ByteReader } from '../../src/core/bytes.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import { hasDuplicateKeys, hasDuplicates } from './compare.ts';
import type { ByteString, Data, Int64 } from './types.ts';
import { PORT_PROTOCOLS } from './types.ts';
import { NONE } from './values.ts';
import { bufferView, decodeByteString } from './utf8.ts';

export interface DataLimits {
  /** Deepest container nesting accepted (a vector inside a vector is depth 2). */
  maxDepth: number;
  /** Most elements (or table entries) in one container. */
  maxContainerSize: number;
  /** Longest string or enum name in bytes. */
  maxStringLength: number;
}

export const DEFAULT_DATA_LIMITS: Readonly<DataLimits> = Object.freeze({
  maxDepth: 128,
  maxContainerSize: 1 << 20,
  maxStringLength: 64 << 20,
});

export function dataLimits(overrides: Partial<DataLimits> = {}): DataLimits {
  return { ...DEFAULT_DATA_LIMITS, ...overrides };
}

const TWO32 = 4294967296;

/** A varbyte (LEB128) length; like Broker only the low 32 bits count, and at most 5 bytes are read. */
export function readVarbyte(r: ByteReader, field: string): number {
  let b = r.u8(field);
  if (b < 0x80) return b;
  let x = b & 0x7f;
  for (let shift = 7; ; shift += 7) {
    if (shift > 28) throw new BrokerError('invalid_value', 'varbyte longer than 5 bytes', { field, offset: r.position - 1 });
    b = r.u8(field);
    x |= (b & 0x7f) << shift;
    if (b < 0x80) return x >>> 0;
  }
}

/** u64 big-endian as a number when it is a safe integer, else a bigint. */
export function readU64(r: ByteReader, field: string): Int64 {
  r.need(8, field);
  const b = r.bytes;
  const o = r.offset;
  const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  r.offset = o + 8;
  return hi <= 0x1fffff ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

/** i64 big-endian (two's complement) as a number when it is a safe integer, else a bigint. */
export function readI64(r: ByteReader, field: string): Int64 {
  r.need(8, field);
  const b = r.bytes;
  const o = r.offset;
  const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  r.offset = o + 8;
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * TWO32 + lo;
    if (v !== -9007199254740992) return v;
  }
  return (BigInt(hi) << 32n) + BigInt(lo);
}

// The decode in progress. Decoding never calls out (no callbacks, no nested decode), so one set of
// module variables serves every call: the hot reads work on locals-like state instead of a reader
// object and a context per value. A reader is the source of truth for the rare paths and for errors
// (the caller's, or one made on demand, synced before use), so every error is exactly the one the
// reader itself throws.
let R: ByteReader | undefined;
let B: Uint8Array = new Uint8Array(0);
/** `B` as a Buffer (same memory, same indices) for string slicing. */
let BUF: Buffer = bufferView(B);
/** Offset of `B[0]` in the unit being decoded, for error offsets. */
let BASE = 0;
let P = 0;
let END = 0;
let LIMITS: DataLimits = DEFAULT_DATA_LIMITS;

/** The reader at the current position, for slow paths; take `P` back from it afterwards. */
function synced(): ByteReader {
  const r = (R ??= new ByteReader(B, BASE, P, END));
  r.offset = P;
  return r;
}

/** Absolute position of `P`, for error offsets. */
function position(): number {
  return BASE + P;
}

function truncated(n: number, field: string): never {
  synced().need(n, field);
  throw new Error('unreachable');
}

/** A varbyte length, with the one-byte case (below 128) inline. */
function length(field: string): number {
  if (P < END) {
    const b = B[P]!;
    if (b < 0x80) {
      P++;
      return b;
    }
  }
  const r = synced();
  const n = readVarbyte(r, field);
  P = r.offset;
  return n;
}

function u64(field: string): Int64 {
  if (END - P < 8) truncated(8, field);
  const b = B;
  const o = P;
  const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  P = o + 8;
  return hi <= 0x1fffff ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

function i64(field: string): Int64 {
  if (END - P < 8) truncated(8, field);
  const b = B;
  const o = P;
  const hi = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  P = o + 8;
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * TWO32 + lo;
    if (v !== -9007199254740992) return v;
  }
  return (BigInt(hi) << 32n) + BigInt(lo);
}

function byteString(field: string): ByteString {
  const at = P;
  const n = length(field);
  if (n > LIMITS.maxStringLength) {
    throw new BrokerError('limit_exceeded', `${field} of ${n} bytes exceeds the limit of ${LIMITS.maxStringLength}`, { field, offset: BASE + at });
  }
  if (END - P < n) truncated(n, field);
  const start = P;
  P = start + n;
  return decodeByteString(BUF, start, start + n);
}

function containerSize(field: string): number {
  const at = P;
  const n = length(field);
  if (n > LIMITS.maxContainerSize) {
    throw new BrokerError('limit_exceeded', `${field} of ${n} elements exceeds the limit of ${LIMITS.maxContainerSize}`, { field, offset: BASE + at });
  }
  // Every element takes at least one byte, so a larger count can only be a lie.
  if (n > END - P) {
    throw new BrokerError('truncated', `truncated input: ${field} announces ${n} elements, ${END - P} byte(s) left`, { field, offset: BASE + at });
  }
  return n;
}

/** One value. The common tags are handled in this small function (so its helpers get inlined), the rest in readOther. */
function readValue(depth: number): Data {
  if (P >= END) truncated(1, 'data.tag');
  const tag = B[P++]!;
  switch (tag) {
    case 2:
      return { type: 'count', value: u64('count') };
    case 3:
      return { type: 'integer', value: i64('integer') };
    case 5:
      return { type: 'string', value: byteString('string') };
    case 14: {
      if (depth >= LIMITS.maxDepth) throw depthError(position() - 1);
      const n = containerSize('vector.size');
      return { type: 'vector', elements: readElements(n, depth + 1) };
    }
    default:
      return readOther(tag, depth);
  }
}

function readOther(tag: number, depth: number): Data {
  switch (tag) {
    case 0:
      return NONE;
    case 1: {
      if (P >= END) truncated(1, 'boolean');
      return { type: 'boolean', value: B[P++] !== 0 };
    }
    case 2:
      return { type: 'count', value: u64('count') };
    case 3:
      return { type: 'integer', value: i64('integer') };
    case 4: {
      const r = synced();
      const value = r.f64('real');
      P = r.offset;
      return { type: 'real', value };
    }
    case 5:
      return { type: 'string', value: byteString('string') };
    case 6: {
      if (END - P < 16) truncated(16, 'address');
      const o = P;
      P = o + 16;
      return { type: 'address', value: B.slice(o, o + 16) };
    }
    case 7: {
      if (END - P < 17) truncated(17, 'subnet');
      const o = P;
      const length = B[o + 16]!;
      if (length > 128) throw new BrokerError('invalid_value', `subnet prefix length ${length} > 128`, { field: 'subnet.length', offset: BASE + o + 16 });
      P = o + 17;
      return { type: 'subnet', address: B.slice(o, o + 16), length };
    }
    case 8: {
      const r = synced();
      const num = r.u16('port.number');
      const proto = r.u8('port.protocol');
      P = r.offset;
      const protocol = PORT_PROTOCOLS[proto];
      if (protocol === undefined) throw new BrokerError('invalid_value', `port protocol ${proto} > 3`, { field: 'port.protocol', offset: position() - 1 });
      return { type: 'port', number: num, protocol };
    }
    case 9:
      return { type: 'timestamp', value: i64('timestamp') };
    case 10:
      return { type: 'timespan', value: i64('timespan') };
    case 11:
      return { type: 'enum_value', value: byteString('enum_value') };
    case 12:
    case 14: {
      const at = position() - 1;
      if (depth >= LIMITS.maxDepth) throw depthError(at);
      const n = containerSize(tag === 12 ? 'set.size' : 'vector.size');
      const elements = readElements(n, depth + 1);
      if (tag === 14) return { type: 'vector', elements };
      if (hasDuplicates(elements)) throw new BrokerError('duplicate_element', 'set contains a duplicate element', { field: 'set', offset: at });
      return { type: 'set', elements };
    }
    case 13: {
      const at = position() - 1;
      if (depth >= LIMITS.maxDepth) throw depthError(at);
      const n = containerSize('table.size');
      const entries: (readonly [Data, Data])[] = [];
      for (let i = 0; i < n; i++) {
        const key = readValue(depth + 1);
        entries.push([key, readValue(depth + 1)]);
      }
      if (hasDuplicateKeys(entries)) throw new BrokerError('duplicate_element', 'table contains a duplicate key', { field: 'table', offset: at });
      return { type: 'table', entries };
    }
    default:
      throw new BrokerError('invalid_tag', `unknown data type tag ${tag}`, { field: 'data.tag', offset: position() - 1 });
  }
}

/**
 * `n` values as a packed array. Small containers (event argument lists, records) are built as
 * literals of their exact size: pushing into `[]` first allocates room for 16 elements.
 */
function readElements(n: number, depth: number): Data[] {
  switch (n) {
    case 0:
      return [];
    case 1:
      return [readValue(depth)];
    case 2: {
      const a = readValue(depth);
      return [a, readValue(depth)];
    }
    case 3: {
      const a = readValue(depth);
      const b = readValue(depth);
      return [a, b, readValue(depth)];
    }
    case 4: {
      const a = readValue(depth);
      const b = readValue(depth);
      const d = readValue(depth);
      return [a, b, d, readValue(depth)];
    }
    default: {
      const out: Data[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(depth));
      return out;
    }
  }
}

function depthError(at: number): BrokerError {
  return new BrokerError('limit_exceeded', `containers nested deeper than ${LIMITS.maxDepth}`, { field: 'data', offset: at });
}

const EMPTY = new Uint8Array(0);

/** Reads one tagged value at the reader's position (more bytes may follow). */
export function readData(r: ByteReader, limits: DataLimits = DEFAULT_DATA_LIMITS, buf: Buffer = bufferView(r.bytes)): Data {
  R = r;
  B = r.bytes;
  BUF = buf;
  BASE = r.base;
  P = r.offset;
  END = r.end;
  LIMITS = limits;
  let value: Data;
  try {
    value = readValue(0);
  } catch (err) {
    r.offset = P;
    release();
    throw asBrokerError(err);
  }
  r.offset = P;
  release();
  return value;
}

/**
 * Decodes exactly one tagged value filling `bytes[start, end)` without a reader (a received frame
 * in place); the errors are decodeData's, with offsets counted from `base` at `bytes[0]`.
 */
export function decodeDataAt(bytes: Uint8Array, start: number, end: number, base: number, limits: DataLimits = DEFAULT_DATA_LIMITS): Data {
  R = undefined;
  B = bytes;
  BUF = bufferView(bytes);
  BASE = base;
  P = start;
  END = end;
  LIMITS = limits;
  let value: Data;
  try {
    value = readValue(0);
  } catch (err) {
    release();
    throw asBrokerError(err);
  }
  const left = END - P;
  const at = BASE + P;
  release();
  if (left !== 0) throw new BrokerError('trailing_bytes', `${left} byte(s) after the value`, { field: 'data', offset: at });
  return value;
}

/** Drops the references to the caller's bytes. */
function release(): void {
  R = undefined;
  B = EMPTY;
  BUF = EMPTY_BUF;
}

const EMPTY_BUF = bufferView(EMPTY);

/** Decodes exactly one tagged value filling `bytes`; empty input or trailing bytes are errors. */
export function decodeData(bytes: Uint8Array, limits: Partial<DataLimits> = DEFAULT_DATA_LIMITS, base = 0): Data {
  const r = new ByteReader(bytes, base);
  const value = readData(r, limits === DEFAULT_DATA_LIMITS ? DEFAULT_DATA_LIMITS : dataLimits(limits), bufferView(bytes));
  if (r.remaining !== 0) {
    throw new BrokerError('trailing_bytes', `${r.remaining} byte(s) after the value`, { field: 'data', offset: r.position });
  }
  return value;
}
