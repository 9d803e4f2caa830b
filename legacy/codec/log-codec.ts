import type { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { formatV4, formatV6, parseAddr, parseSubnet } from './addr.ts';
import { PORT_PROTOS, TYPE_TAG_CODE, TYPE_TAGS, type PortProto, type TypeTagName } from './constants.ts';
import { legacyError } from './errors.ts';
import { isInt64, readI64, readU64, writeI64 } from './int64.ts';
import type { Int64 } from './model.ts';
import { decodeName, decodeText, writeString } from './strings.ts';

// LOG_CREATE_WRITER and LOG_WRITE (section 4.12): Bro's binary serialization primitives used
// directly, no object headers, no caches. Log values differ from SERIAL values in small ways that
// matter: addresses carry a family byte, subnet widths are relative to 128 bits, and containers
// have 64-bit counts.

export interface LogField {
  name: string;
  /** Only some writers' fields have one (input framework); absent = has_secondary_name false. */
  secondaryName?: string;
  type: TypeTagName;
  /** Element type of sets and vectors, else void. */
  subtype: TypeTagName;
  optional: boolean;
}

export interface LogCreateWriter {
  /** Enum value of Log::ID on the sender. */
  stream: number;
  /** Enum value of Log::Writer (1 = ASCII). */
  writer: number;
  path: string;
  rotationBase: number;
  rotationInterval: number;
  networkTime: number;
  config: [string, string][];
  fields: LogField[];
}

export interface LogPort {
  port: number;
  proto: PortProto;
}

export type LogData = boolean | Int64 | string | LogPort | LogValue[];

/**
 * One column value. `value` null = field not set. Numbers: bool -> boolean, int/count/counter ->
 * Int64, double/time/interval -> number, addr/subnet -> text (subnet width family-relative, like
 * SERIAL), enum/string/file/func -> text (escaped, with `raw`, when not UTF-8), sets and vectors ->
 * arrays of LogValue.
 */
export interface LogValue {
  type: TypeTagName;
  value: LogData | null;
  raw?: Uint8Array;
}

export interface LogEntry {
  stream: number;
  writer: number;
  path: string;
  values: LogValue[];
}

function tag(r: ByteReader, field: string): TypeTagName {
  const at = r.position;
  const code = r.i32(field);
  const name = TYPE_TAGS[code];
  if (name === undefined) throw legacyError('unknown_type_tag', `log type tag ${code}`, { field, offset: at });
  return name;
}

function str(r: ByteReader, field: string): string {
  const n = r.u32(field);
  r.need(n, field);
  const start = r.offset;
  r.offset += n;
  return decodeName(r.bytes, start, start + n);
}

export function readLogCreateWriter(r: ByteReader): LogCreateWriter {
  const stream = r.i32('LOG_CREATE_WRITER.stream');
  const writer = r.i32('LOG_CREATE_WRITER.writer');
  const numFields = r.i32('LOG_CREATE_WRITER.num_fields');
  const path = str(r, 'LOG_CREATE_WRITER.path');
  const rotationBase = r.f64('LOG_CREATE_WRITER.rotation_base');
  const rotationInterval = r.f64('LOG_CREATE_WRITER.rotation_interval');
  const networkTime = r.f64('LOG_CREATE_WRITER.network_time');
  const config: [string, string][] = [];
  const nConfig = r.i32('LOG_CREATE_WRITER.config');
  for (let i = 0; i < nConfig; i++) config.push([str(r, 'LOG_CREATE_WRITER.config'), str(r, 'LOG_CREATE_WRITER.config')]);
  const fields: LogField[] = [];
  for (let i = 0; i < numFields; i++) {
    const f = 'LOG_CREATE_WRITER.fields';
    const secondary = r.u8(f) === 1 ? str(r, f) : undefined;
    const name = str(r, f);
    const field: LogField = { name, type: tag(r, f), subtype: tag(r, f), optional: r.u8(f) === 1 };
    if (secondary !== undefined) field.secondaryName = secondary;
    fields.push(field);
  }
  return { stream, writer, path, rotationBase, rotationInterval, networkTime, config, fields };
}

export function writeLogCreateWriter(w: ByteWriter, m: LogCreateWriter): void {
  w.i32(m.stream).i32(m.writer).i32(m.fields.length);
  writeString(w, m.path);
  w.f64(m.rotationBase).f64(m.rotationInterval).f64(m.networkTime);
  w.i32(m.config.length);
  for (const [k, v] of m.config) {
    writeString(w, k);
    writeString(w, v);
  }
  for (const f of m.fields) {
    if (f.secondaryName !== undefined) {
      w.u8(1);
      writeString(w, f.secondaryName);
    } else w.u8(0);
    writeString(w, f.name);
    w.i32(TYPE_TAG_CODE[f.type]).i32(TYPE_TAG_CODE[f.subtype]).u8(f.optional ? 1 : 0);
  }
}

function readLogAddr(r: ByteReader, field: string): string {
  const at = r.position;
  const family = r.u8(field);
  if (family === 4) return formatV4(r.u32(field));
  if (family === 6) return formatV6(r.u32(field), r.u32(field), r.u32(field), r.u32(field));
  throw legacyError('bad_value', `log address family ${family}`, { field, offset: at });
}

function count(r: ByteReader, field: string): number {
  const at = r.position;
  const n = readI64(r, field);
  if (typeof n !== 'number' || n < 0 || n > r.remaining) throw legacyError('bad_value', `log container count ${n}`, { field, offset: at });
  return n;
}

export function readLogValue(r: ByteReader, depth = 0): LogValue {
  const field = 'LOG_WRITE.value';
  if (depth > 32) throw legacyError('nesting_too_deep', 'log values nested too deep', { field, offset: r.position });
  const type = tag(r, field);
  if (r.u8(field) !== 1) return { type, value: null };
  switch (type) {
    case 'bool':
      return { type, value: readI64(r, field) !== 0 };
    case 'int':
      return { type, value: readI64(r, field) };
    case 'count':
    case 'counter':
      return { type, value: readU64(r, field) };
    case 'port': {
      const at = r.position;
      const port = readU64(r, field);
      const proto = PORT_PROTOS[r.i32(field)];
      if (typeof port !== 'number' || port > 0xffff || proto === undefined) throw legacyError('bad_value', 'log port', { field, offset: at });
      return { type, value: { port, proto } };
    }
    case 'addr':
      return { type, value: readLogAddr(r, field) };
    case 'subnet': {
      const width = r.u8(field);
      const prefix = readLogAddr(r, field);
      return { type, value: `${prefix}/${prefix.includes(':') ? width : width - 96}` };
    }
    case 'double':
    case 'time':
    case 'interval':
      return { type, value: r.f64(field) };
    case 'enum':
    case 'string':
    case 'file':
    case 'func': {
      const n = r.u32(field);
      r.need(n, field);
      const start = r.offset;
      r.offset += n;
      const { text, raw } = decodeText(r.bytes, start, start + n);
      return raw === undefined ? { type, value: text } : { type, value: text, raw };
    }
    case 'table':
    case 'vector': {
      const n = count(r, field);
      const items: LogValue[] = [];
      for (let i = 0; i < n; i++) items.push(readLogValue(r, depth + 1));
      return { type, value: items };
    }
    default:
      throw legacyError('bad_value', `log values of type ${type} are not defined`, { field, offset: r.position });
  }
}

export function readLogWrite(r: ByteReader): LogEntry[] {
  const entries: LogEntry[] = [];
  do {
    const stream = r.i32('LOG_WRITE.stream');
    const writer = r.i32('LOG_WRITE.writer');
    const path = str(r, 'LOG_WRITE.path');
    const at = r.position;
    const n = r.i32('LOG_WRITE.num_fields');
    if (n < 0) throw legacyError('malformed_message', `negative field count ${n}`, { field: 'LOG_WRITE.num_fields', offset: at });
    const values: LogValue[] = [];
    for (let i = 0; i < n; i++) values.push(readLogValue(r));
    entries.push({ stream, writer, path, values });
  } while (r.remaining > 0);
  return entries;
}

function bad(message: string): never {
  throw legacyError('invalid_value', message, { field: 'LOG_WRITE.value' });
}

function writeLogAddr(w: ByteWriter, words: number[]): void {
  w.u8(words.length === 1 ? 4 : 6);
  for (const word of words) w.u32(word);
}

export function writeLogValue(w: ByteWriter, v: LogValue): void {
  w.i32(TYPE_TAG_CODE[v.type]);
  if (v.value === null) {
    w.u8(0);
    return;
  }
  w.u8(1);
  const d = v.value;
  switch (v.type) {
    case 'bool':
      writeI64(w, d === true ? 1 : 0);
      return;
    case 'int':
    case 'count':
    case 'counter':
      if (!isInt64(d)) bad(`${v.type} log value is not an integer`);
      writeI64(w, d);
      return;
    case 'port': {
      const p = d as LogPort;
      writeI64(w, p.port);
      w.i32(PORT_PROTOS.indexOf(p.proto));
      return;
    }
    case 'addr': {
      const words = parseAddr(d as string);
      if (words === undefined) bad(`not an address: ${String(d)}`);
      writeLogAddr(w, words);
      return;
    }
    case 'subnet': {
      const s = parseSubnet(d as string);
      if (s === undefined) bad(`not a subnet: ${String(d)}`);
      w.u8(s.words.length === 1 ? s.width + 96 : s.width);
      writeLogAddr(w, s.words);
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
      writeI64(w, items.length);
      for (const item of items) writeLogValue(w, item);
      return;
    }
    default:
      writeString(w, d as string, v.raw);
  }
}

export function writeLogWrite(w: ByteWriter, entries: LogEntry[]): void {
  for (const e of entries) {
    w.i32(e.stream).i32(e.writer);
    writeString(w, e.path);
    w.i32(e.values.length);
    for (const v of e.values) writeLogValue(w, v);
  }
}
