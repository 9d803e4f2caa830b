// The `serial_data` of a Zeek LogWrite message: Zeek's BinarySerializationFormat of one log record,
// `int32 num_fields` then one threading::Value per field (zeek/zeek src/threading/SerialTypes.cc
// Value::Write, src/SerializationFormat.cc; Zeek 5 to 8):
//
//   int32 type tag (Zeek's TypeTag numbering, below), int32 subtype (TYPE_VOID = 0 for everything
//   Zeek's logging manager produces), bool present (1 byte); if present:
//     bool, int: int64 | count: uint64 | port: uint64 number + int32 proto (0 unknown, 1 tcp, 2 udp,
//     3 icmp) | addr: char family (4/6) + 4/16 address bytes | subnet: char length (128-based: an
//     IPv4 /16 is 112) + char family + address bytes | double, time, interval: binary64 |
//     enum, string, file, func: uint32 length + bytes | table (a set), vector: int64 count + values
//   all big-endian.
//
// Bro 2.5's LOG_WRITE uses the same primitives with Bro's older tag numbers and no subtype word,
// so a legacy log value converts field by field. The layout is confirmed by the byte-level
// doctests in Zeek's SerializationFormat.cc (addr = 11, subnet = 12, table = 14, vector = 19).
import { ByteReader, ByteWriter } from '../core/bytes.ts';
import { escapeBytes, formatV4, formatV6, parseAddr, parseSubnet, type LogPort, type LogValue, type TypeTagName } from '../../legacy/codec/index.ts';
import { toByteString, type ByteString } from '../../modern/data/index.ts';
import { translationError } from './errors.ts';

/** Zeek's TypeTag numbering since TYPE_COUNTER, TYPE_TIMER and TYPE_UNION were removed (Zeek 4.x on). */
export const ZEEK_TYPE_TAGS = [
  'void', 'bool', 'int', 'count', 'double', 'time', 'interval', 'string', 'pattern', 'enum', 'port',
  'addr', 'subnet', 'any', 'table', 'record', 'list', 'func', 'file', 'vector', 'opaque', 'type', 'error',
] as const;
export type ZeekTypeTagName = (typeof ZEEK_TYPE_TAGS)[number];

const ZEEK_TAG = new Map<string, number>(ZEEK_TYPE_TAGS.map((n, i) => [n, i]));
const PROTOS = ['unknown', 'tcp', 'udp', 'icmp'] as const;

/** Zeek's tag number for a legacy (Bro 2.5) type name; counter is count now. */
export function zeekTypeTag(legacy: TypeTagName): number {
  const tag = ZEEK_TAG.get(legacy === 'counter' ? 'count' : legacy);
  if (tag === undefined) throw translationError('unsupported_type', `Zeek has no ${legacy} type any more`, { field: legacy });
  return tag;
}

/** Types a log value can have (threading::Value::IsCompatibleType). */
const LOGGABLE = new Set<string>(['bool', 'int', 'count', 'counter', 'double', 'time', 'interval', 'string', 'enum', 'port', 'addr', 'subnet', 'file', 'func', 'table', 'vector']);

function writeAddr(w: ByteWriter, words: readonly number[]): void {
  w.u8(words.length === 1 ? 4 : 6);
  for (const x of words) w.u32(x);
}

function writeValue(w: ByteWriter, v: LogValue, field: string, depth: number): void {
  if (depth > 32) throw translationError('depth_exceeded', `${field}: log values nested too deeply`, { field });
  if (!LOGGABLE.has(v.type)) throw translationError('unsupported_type', `${field}: ${v.type} cannot be a log value`, { field });
  w.i32(zeekTypeTag(v.type)).i32(0);
  if (v.value === null) {
    w.u8(0);
    return;
  }
  w.u8(1);
  const d = v.value;
  switch (v.type) {
    case 'bool':
      w.i64(d === true ? 1 : 0);
      return;
    case 'int':
    case 'count':
    case 'counter':
      w.i64(d as number | bigint);
      return;
    case 'port': {
      const p = d as LogPort;
      w.i64(p.port).i32(PROTOS.indexOf(p.proto));
      return;
    }
    case 'addr': {
      const words = parseAddr(d as string);
      if (words === undefined) throw translationError('value_out_of_range', `${field}: not an address: ${String(d)}`, { field });
      writeAddr(w, words);
      return;
    }
    case 'subnet': {
      const s = parseSubnet(d as string);
      if (s === undefined || s.width < 0 || s.width > (s.words.length === 1 ? 32 : 128)) {
        throw translationError('value_out_of_range', `${field}: not a subnet: ${String(d)}`, { field });
      }
      w.u8(s.words.length === 1 ? s.width + 96 : s.width);
      writeAddr(w, s.words);
      return;
    }
    case 'double':
    case 'time':
    case 'interval':
      w.f64(d as number);
      return;
    case 'table':
    case 'vector': {
      const items = d as LogValue[];
      w.i64(items.length);
      items.forEach((item, i) => writeValue(w, item, `${field}[${i}]`, depth + 1));
      return;
    }
    default: {
      const bytes = v.raw ?? Buffer.from(d as string, 'utf8');
      w.u32(bytes.length).bytes(bytes);
    }
  }
}

/** One log record (the values of a LOG_WRITE entry) as Zeek's serial_data bytes. */
export function encodeLogRecord(values: readonly LogValue[], w = new ByteWriter(256)): Uint8Array {
  w.reset();
  w.i32(values.length);
  values.forEach((v, i) => writeValue(w, v, `field ${i}`, 0));
  return w.toBytes();
}

/** serial_data as the Broker string it travels in (text when the bytes happen to be UTF-8). */
export function logRecordString(values: readonly LogValue[]): ByteString {
  return toByteString(encodeLogRecord(values));
}

export interface DecodeLogOptions {
  maxDepth?: number;
  maxFields?: number;
}

function readValue(r: ByteReader, depth: number, maxDepth: number): LogValue {
  const field = 'serial_data.value';
  if (depth > maxDepth) throw translationError('depth_exceeded', 'log values nested too deeply', { field, offset: r.position });
  const at = r.position;
  const type = ZEEK_TYPE_TAGS[r.i32(field)];
  r.i32(field); // subtype: Zeek itself ignores it when reading
  if (type === undefined) throw translationError('type_mismatch', 'unknown Zeek type tag', { field, offset: at });
  const present = r.u8(field) === 1;
  if (!present) return { type, value: null };
  switch (type) {
    case 'bool':
      return { type, value: r.i64(field) !== 0n };
    case 'int':
      return { type, value: canonical(r.i64(field)) };
    case 'count':
      return { type, value: canonical(r.u64(field)) };
    case 'port': {
      const port = r.u64(field);
      const proto = PROTOS[r.i32(field)];
      if (proto === undefined || port > 0xffffn) throw translationError('value_out_of_range', 'bad port', { field, offset: at });
      return { type, value: { port: Number(port), proto } };
    }
    case 'addr':
      return { type, value: readAddr(r, field) };
    case 'subnet': {
      const len = r.u8(field);
      const prefix = readAddr(r, field);
      return { type, value: `${prefix}/${prefix.includes(':') ? len : len - 96}` };
    }
    case 'double':
    case 'time':
    case 'interval':
      return { type, value: r.f64(field) };
    case 'enum':
    case 'string':
    case 'file':
    case 'func': {
      // Legacy's convention: text when valid UTF-8, else the escaped rendering plus the raw bytes.
      const s = toByteString(r.take(r.u32(field), field).slice());
      return typeof s === 'string' ? { type, value: s } : { type, value: escapeBytes(s), raw: s };
    }
    case 'table':
    case 'vector': {
      const n = r.i64(field);
      if (n < 0n || n > BigInt(r.remaining)) throw translationError('value_out_of_range', `container of ${n} values`, { field, offset: at });
      const items: LogValue[] = [];
      for (let i = 0; i < Number(n); i++) items.push(readValue(r, depth + 1, maxDepth));
      return { type, value: items };
    }
    default:
      throw translationError('unsupported_type', `${type} is not a log value type`, { field, offset: at });
  }
}

function canonical(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function readAddr(r: ByteReader, field: string): string {
  const at = r.position;
  const family = r.u8(field);
  if (family === 4) return formatV4(r.u32(field));
  if (family === 6) return formatV6(r.u32(field), r.u32(field), r.u32(field), r.u32(field));
  throw translationError('value_out_of_range', `address family ${family}`, { field, offset: at });
}

/** Reads serial_data back (Zeek type names; counter arrives as count). Throws TranslationError on bad bytes. */
export function decodeLogRecord(bytes: Uint8Array, options: DecodeLogOptions = {}): LogValue[] {
  const r = new ByteReader(bytes);
  try {
    const n = r.i32('serial_data.num_fields');
    if (n < 0 || n > (options.maxFields ?? 4096)) throw translationError('value_out_of_range', `${n} log fields`, { field: 'serial_data.num_fields', offset: 0 });
    const out: LogValue[] = [];
    for (let i = 0; i < n; i++) out.push(readValue(r, 0, options.maxDepth ?? 32));
    if (r.remaining !== 0) throw translationError('value_out_of_range', `${r.remaining} bytes after the record`, { field: 'serial_data', offset: r.position });
    return out;
  } catch (err) {
    if (err instanceof Error && 'code' in err && (err as { code: string }).code === 'truncated') {
      throw translationError('value_out_of_range', 'serial_data ends inside a value', { field: 'serial_data', cause: err });
    }
    throw err;
  }
}
