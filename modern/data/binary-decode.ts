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

/** Decoding state for one top-level value; `buf` is a Buffer view of `r.bytes` for string slicing. */
interface Ctx {
  readonly r: ByteReader;
  readonly buf: Buffer;
  readonly limits: DataLimits;
}

/** A varbyte length, with the one-byte case (lengths below 128) read inline. */
function readLength(r: ByteReader, field: string): number {
  const o = r.offset;
  if (o < r.end) {
    const b = r.bytes[o]!;
    if (b < 0x80) {
      r.offset = o + 1;
      return b;
    }
  }
  return readVarbyte(r, field);
}

function readByteString(c: Ctx, field: string): ByteString {
  const r = c.r;
  const o = r.offset;
  const n = readLength(r, field);
  if (n > c.limits.maxStringLength) {
    const at = r.base + o;
    throw new BrokerError('limit_exceeded', `${field} of ${n} bytes exceeds the limit of ${c.limits.maxStringLength}`, { field, offset: at });
  }
  r.need(n, field);
  const start = r.offset;
  r.offset = start + n;
  return decodeByteString(c.buf, start, start + n);
}

function readCount(c: Ctx, field: string): number {
  const r = c.r;
  const o = r.offset;
  const n = readLength(r, field);
  if (n > c.limits.maxContainerSize) {
    throw new BrokerError('limit_exceeded', `${field} of ${n} elements exceeds the limit of ${c.limits.maxContainerSize}`, { field, offset: r.base + o });
  }
  // Every element takes at least one byte, so a larger count can only be a lie.
  if (n > r.remaining) {
    throw new BrokerError('truncated', `truncated input: ${field} announces ${n} elements, ${r.remaining} byte(s) left`, { field, offset: r.base + o });
  }
  return n;
}

function readValue(c: Ctx, depth: number): Data {
  const r = c.r;
  const tag = r.u8('data.tag');
  switch (tag) {
    case 0:
      return NONE;
    case 1:
      return { type: 'boolean', value: r.u8('boolean') !== 0 };
    case 2:
      return { type: 'count', value: readU64(r, 'count') };
    case 3:
      return { type: 'integer', value: readI64(r, 'integer') };
    case 4:
      return { type: 'real', value: r.f64('real') };
    case 5:
      return { type: 'string', value: readByteString(c, 'string') };
    case 6: {
      r.need(16, 'address');
      const o = r.offset;
      r.offset = o + 16;
      return { type: 'address', value: r.bytes.slice(o, o + 16) };
    }
    case 7: {
      r.need(17, 'subnet');
      const o = r.offset;
      const length = r.bytes[o + 16]!;
      if (length > 128) throw new BrokerError('invalid_value', `subnet prefix length ${length} > 128`, { field: 'subnet.length', offset: r.base + o + 16 });
      r.offset = o + 17;
      return { type: 'subnet', address: r.bytes.slice(o, o + 16), length };
    }
    case 8: {
      const num = r.u16('port.number');
      const proto = r.u8('port.protocol');
      const protocol = PORT_PROTOCOLS[proto];
      if (protocol === undefined) throw new BrokerError('invalid_value', `port protocol ${proto} > 3`, { field: 'port.protocol', offset: r.position - 1 });
      return { type: 'port', number: num, protocol };
    }
    case 9:
      return { type: 'timestamp', value: readI64(r, 'timestamp') };
    case 10:
      return { type: 'timespan', value: readI64(r, 'timespan') };
    case 11:
      return { type: 'enum_value', value: readByteString(c, 'enum_value') };
    case 12:
    case 14: {
      const at = r.position - 1;
      if (depth >= c.limits.maxDepth) throw depthError(c, at);
      const n = readCount(c, tag === 12 ? 'set.size' : 'vector.size');
      const elements = readElements(c, n, depth + 1);
      if (tag === 14) return { type: 'vector', elements };
      if (hasDuplicates(elements)) throw new BrokerError('duplicate_element', 'set contains a duplicate element', { field: 'set', offset: at });
      return { type: 'set', elements };
    }
    case 13: {
      const at = r.position - 1;
      if (depth >= c.limits.maxDepth) throw depthError(c, at);
      const n = readCount(c, 'table.size');
      const entries: (readonly [Data, Data])[] = [];
      for (let i = 0; i < n; i++) {
        const key = readValue(c, depth + 1);
        entries.push([key, readValue(c, depth + 1)]);
      }
      if (hasDuplicateKeys(entries)) throw new BrokerError('duplicate_element', 'table contains a duplicate key', { field: 'table', offset: at });
      return { type: 'table', entries };
    }
    default:
      throw new BrokerError('invalid_tag', `unknown data type tag ${tag}`, { field: 'data.tag', offset: r.position - 1 });
  }
}

/**
 * `n` values as a packed array. Small containers (event argument lists, records) are built as
 * literals of their exact size: pushing into `[]` first allocates room for 16 elements.
 */
function readElements(c: Ctx, n: number, depth: number): Data[] {
  switch (n) {
    case 0:
      return [];
    case 1:
      return [readValue(c, depth)];
    case 2: {
      const a = readValue(c, depth);
      return [a, readValue(c, depth)];
    }
    case 3: {
      const a = readValue(c, depth);
      const b = readValue(c, depth);
      return [a, b, readValue(c, depth)];
    }
    case 4: {
      const a = readValue(c, depth);
      const b = readValue(c, depth);
      const d = readValue(c, depth);
      return [a, b, d, readValue(c, depth)];
    }
    default: {
      const out: Data[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(c, depth));
      return out;
    }
  }
}

function depthError(c: Ctx, at: number): BrokerError {
  return new BrokerError('limit_exceeded', `containers nested deeper than ${c.limits.maxDepth}`, { field: 'data', offset: at });
}

/** Reads one tagged value at the reader's position (more bytes may follow). */
export function readData(r: ByteReader, limits: DataLimits = DEFAULT_DATA_LIMITS, buf: Buffer = bufferView(r.bytes)): Data {
  try {
    return readValue({ r, buf, limits }, 0);
  } catch (err) {
    throw asBrokerError(err);
  }
}

/** Decodes exactly one tagged value filling `bytes`; empty input or trailing bytes are errors. */
export function decodeData(bytes: Uint8Array, limits: Partial<DataLimits> = DEFAULT_DATA_LIMITS, base = 0): Data {
  const r = new ByteReader(bytes, base);
  const value = readData(r, limits === DEFAULT_DATA_LIMITS ? DEFAULT_DATA_LIMITS : dataLimits(limits), bufferView(bytes));
  if (r.remaining !== 0) {
    throw new BrokerError('trailing_bytes', `${r.remaining} byte(s) after the value`, { field: 'data', offset: r.position });
  }
  return value;
}
