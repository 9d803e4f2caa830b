// Small constructors for Broker values. They validate ranges, keep 64-bit integers canonical
// (number when safe, bigint otherwise) and build sets/tables in Broker's canonical order.
import { BrokerError } from '../errors.ts';
import { makeSubnet, parseAddress, v4MappedBytes } from './address.ts';
import { compareData } from './compare.ts';
import type {
  AddressData,
  BooleanData,
  ByteString,
  CountData,
  Data,
  EnumData,
  Int64,
  IntegerData,
  NoneData,
  PortData,
  PortProtocol,
  RealData,
  SetData,
  StringData,
  SubnetData,
  TableData,
  TimespanData,
  TimestampData,
  VectorData,
} from './types.ts';
import { toByteString } from './utf8.ts';

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const I64_MIN = -0x8000_0000_0000_0000n;
const I64_MAX = 0x7fff_ffff_ffff_ffffn;

function bad(message: string): BrokerError {
  return new BrokerError('invalid_argument', message);
}

/** The canonical Int64 form of an integer: a number when |v| <= 2^53-1, otherwise a bigint. */
export function int64(v: number | bigint): Int64 {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v === 0 ? 0 : v; // folds -0
    if (!Number.isInteger(v)) throw bad(`not an integer: ${v}`);
    return BigInt(v);
  }
  return v >= -0x1f_ffff_ffff_ffffn && v <= 0x1f_ffff_ffff_ffffn ? Number(v) : v;
}

export function toBigInt(v: Int64): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

function checked(v: number | bigint, min: bigint, max: bigint, what: string): Int64 {
  const c = int64(v);
  if (typeof c === 'bigint' && (c < min || c > max)) throw bad(`${what} out of range: ${c}`);
  if (typeof c === 'number' && c < 0 && min === 0n) throw bad(`${what} out of range: ${c}`);
  return c;
}

export const NONE: NoneData = Object.freeze({ type: 'none' });

export function none(): NoneData {
  return NONE;
}

export function bool(value: boolean): BooleanData {
  return { type: 'boolean', value };
}

export function count(value: number | bigint): CountData {
  return { type: 'count', value: checked(value, 0n, U64_MAX, 'count') };
}

export function integer(value: number | bigint): IntegerData {
  return { type: 'integer', value: checked(value, I64_MIN, I64_MAX, 'integer') };
}

export function real(value: number): RealData {
  return { type: 'real', value };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A byte string from text (must be well-formed UTF-16) or raw bytes (kept as text when valid UTF-8). */
export function byteString(value: string | Uint8Array): ByteString {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw bad('string contains a lone surrogate; pass the bytes instead');
    return value;
  }
  return toByteString(value);
}

export function str(value: string | Uint8Array): StringData {
  return { type: 'string', value: byteString(value) };
}

export function enumValue(name: string | Uint8Array): EnumData {
  return { type: 'enum_value', value: byteString(name) };
}

/** `addr('192.168.1.1')`, `addr('2001:db8::1')`, or 4 (IPv4) / 16 (IPv6) raw bytes. */
export function addr(value: string | Uint8Array): AddressData {
  if (typeof value === 'string') {
    const bytes = parseAddress(value);
    if (!bytes) throw bad(`not an IP address: ${JSON.stringify(value)}`);
    return { type: 'address', value: bytes };
  }
  if (value.length === 4) return { type: 'address', value: v4MappedBytes(value[0]!, value[1]!, value[2]!, value[3]!) };
  if (value.length === 16) return { type: 'address', value: new Uint8Array(value) };
  throw bad(`an address needs 4 or 16 bytes, got ${value.length}`);
}

/** `subnet('10.0.0.0/8')` or `subnet(addr, prefix)` with the prefix in the address family's bits. */
export function subnet(value: string | AddressData | Uint8Array, prefix?: number): SubnetData {
  let address: Uint8Array;
  let bits: number;
  if (typeof value === 'string' && prefix === undefined) {
    const slash = value.lastIndexOf('/');
    if (slash < 0 || !/^[0-9]{1,3}$/.test(value.slice(slash + 1))) throw bad(`not a subnet: ${JSON.stringify(value)}`);
    address = addr(value.slice(0, slash)).value;
    bits = Number(value.slice(slash + 1));
  } else {
    if (prefix === undefined) throw bad('subnet prefix length missing');
    address = typeof value === 'string' ? addr(value).value : value instanceof Uint8Array ? addr(value).value : value.value;
    bits = prefix;
  }
  const sn = makeSubnet(address, bits);
  if (!sn) throw bad(`prefix length ${bits} out of range for the address family`);
  return { type: 'subnet', address: sn.address, length: sn.length };
}

const PROTOCOL_BY_NAME: Record<string, PortProtocol> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', '?': 'unknown', unknown: 'unknown' };

/** `port(80, 'tcp')` or `port('53/udp')`. */
export function port(value: number | string, protocol: PortProtocol = 'tcp'): PortData {
  let num: number;
  let proto = protocol;
  if (typeof value === 'string') {
    const m = /^([0-9]{1,5})(?:\/(tcp|udp|icmp|\?|unknown))?$/.exec(value);
    if (!m) throw bad(`not a port: ${JSON.stringify(value)}`);
    num = Number(m[1]);
    if (m[2] !== undefined) proto = PROTOCOL_BY_NAME[m[2]]!;
  } else {
    num = value;
  }
  if (!Number.isInteger(num) || num < 0 || num > 0xffff) throw bad(`port number out of range: ${num}`);
  return { type: 'port', number: num, protocol: proto };
}

export function timestamp(nanoseconds: number | bigint): TimestampData {
  return { type: 'timestamp', value: checked(nanoseconds, I64_MIN, I64_MAX, 'timestamp') };
}

/** A timestamp from a JS Date (millisecond precision). */
export function timestampFromDate(date: Date): TimestampData {
  return timestamp(BigInt(date.getTime()) * 1_000_000n);
}

export function timespan(nanoseconds: number | bigint): TimespanData {
  return { type: 'timespan', value: checked(nanoseconds, I64_MIN, I64_MAX, 'timespan') };
}

export function vector(elements: Iterable<Data>): VectorData {
  return { type: 'vector', elements: [...elements] };
}

/** A set in Broker's canonical order; duplicates are dropped like inserting into Broker's set. */
export function set(elements: Iterable<Data>): SetData {
  const sorted = [...elements].sort(compareData);
  const out: Data[] = [];
  for (const e of sorted) if (out.length === 0 || compareData(out[out.length - 1]!, e) !== 0) out.push(e);
  return { type: 'set', elements: out };
}

/** A table in Broker's canonical key order; for a repeated key the later value wins. */
export function table(entries: Iterable<readonly [Data, Data]>): TableData {
  const sorted = [...entries].map((e, i) => ({ e, i })).sort((a, b) => compareData(a.e[0], b.e[0]) || a.i - b.i);
  const out: (readonly [Data, Data])[] = [];
  for (const { e } of sorted) {
    const last = out[out.length - 1];
    if (last && compareData(last[0], e[0]) === 0) out[out.length - 1] = [e[0], e[1]];
    else out.push([e[0], e[1]]);
  }
  return { type: 'table', entries: out };
}
