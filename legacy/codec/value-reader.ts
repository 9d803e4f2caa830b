import { formatV4, formatV6 } from './addr.ts';
import { CANONICAL_INTERNAL, PORT_PROTOS, SerType } from './constants.ts';
import { legacyError } from './errors.ts';
import { readI64, readU64 } from './int64.ts';
import type { BroType, BroVal, EnumType, FullType, Int64, ListVal, ReMatcher, TableEntry, ValKind } from './model.ts';
import type { ByteReader } from '../../src/core/bytes.ts';
import type { SerialDecoder } from './serial-reader.ts';
import { FAMILY } from './receiver-cache.ts';
import { keepKind, valueTypeRef } from './type-lookup.ts';
import { decodeText, decodeUtf8 } from './strings.ts';

// Value bodies (section 8.8): the value's type, a payload chosen by the type's internal tag, then
// the class-specific part. The value kind comes from the type; for a type sent by name it comes
// from the serial type (or the caller's typeByName resolver where the layout needs the type).

// Module-local copies of imported bindings used per value: tsx runs this code as CommonJS, where
// every access to an import is a getter call (measurably slow on the decode path).
const { VAL, INTERVAL_VAL, PORT_VAL, ADDR_VAL, SUBNET_VAL, STRING_VAL, PATTERN_VAL, LIST_VAL, TABLE_VAL, RECORD_VAL, ENUM_VAL, VECTOR_VAL, RE_MATCHER } =
  SerType;
const readInt = readI64;
const readUint = readU64;
const toText = decodeText;
const utf8 = decodeUtf8;
const v4Text = formatV4;
const v6Text = formatV6;
const PROTOS = PORT_PROTOS;
const F_MATCHER = FAMILY.matcher;
const valueType = valueTypeRef;
const keepType = keepKind;

/** The serial type each value kind is written with. */
export const VAL_STYPE: Readonly<Record<ValKind, number>> = {
  bool: VAL,
  int: VAL,
  count: VAL,
  counter: VAL,
  double: VAL,
  time: VAL,
  interval: INTERVAL_VAL,
  string: STRING_VAL,
  port: PORT_VAL,
  addr: ADDR_VAL,
  subnet: SUBNET_VAL,
  enum: ENUM_VAL,
  pattern: PATTERN_VAL,
  record: RECORD_VAL,
  table: TABLE_VAL,
  set: TABLE_VAL,
  vector: VECTOR_VAL,
  list: LIST_VAL,
};

/** What decoding needs to know about a value kind; `code` drives the body switch. */
export interface KindInfo {
  readonly kind: ValKind;
  readonly code: number;
  /** The serial type values of this kind are written with. */
  readonly stype: number;
  readonly internal: number;
  /** The whole value is the generic payload: a plain SER_VAL reads it just as well. */
  readonly payloadOnly: boolean;
}

// Numeric codes: a switch over small integers is a jump table, over strings a chain of compares.
const K_BOOL = 0;
const K_INT = 1;
const K_COUNT = 2;
const K_DOUBLE = 3;
const K_STRING = 4;
const K_PORT = 5;
const K_ADDR = 6;
const K_SUBNET = 7;
const K_ENUM = 8;
const K_PATTERN = 9;
const K_LIST = 10;
const K_RECORD = 11;
const K_VECTOR = 12;
const K_TABLE = 13;

const CODE: Readonly<Record<ValKind, number>> = {
  bool: K_BOOL,
  int: K_INT,
  count: K_COUNT,
  counter: K_COUNT,
  double: K_DOUBLE,
  time: K_DOUBLE,
  interval: K_DOUBLE,
  string: K_STRING,
  port: K_PORT,
  addr: K_ADDR,
  subnet: K_SUBNET,
  enum: K_ENUM,
  pattern: K_PATTERN,
  list: K_LIST,
  record: K_RECORD,
  vector: K_VECTOR,
  table: K_TABLE,
  set: K_TABLE,
};

const PAYLOAD_ONLY: ReadonlySet<ValKind> = new Set<ValKind>(['interval', 'string', 'port', 'addr', 'subnet', 'enum']);

/** Per type tag (with "set" for set types). */
const KIND_INFO = new Map<string, KindInfo>(
  (Object.keys(VAL_STYPE) as ValKind[]).map((kind) => [
    kind,
    { kind, code: CODE[kind], stype: VAL_STYPE[kind], internal: CANONICAL_INTERNAL[kind === 'set' ? 'table' : kind], payloadOnly: PAYLOAD_ONLY.has(kind) },
  ]),
);

// A plain object with a fixed set of keys: a keyed load beats Map.get on this path.
const TAG_INFO: Readonly<Partial<Record<string, KindInfo>>> = Object.fromEntries([...KIND_INFO].filter(([k]) => k !== 'set'));
const SET_INFO = KIND_INFO.get('set')!;

/** For a type sent by name that no resolver knows: the kind its serial type implies. */
const KIND_BY_STYPE: ReadonlyMap<number, KindInfo> = new Map<number, KindInfo>(
  (
    [
      [INTERVAL_VAL, 'interval'],
      [STRING_VAL, 'string'],
      [PORT_VAL, 'port'],
      [ADDR_VAL, 'addr'],
      [SUBNET_VAL, 'subnet'],
      [ENUM_VAL, 'enum'],
      [PATTERN_VAL, 'pattern'],
      [RECORD_VAL, 'record'],
      [VECTOR_VAL, 'vector'],
      [LIST_VAL, 'list'],
    ] as [number, ValKind][]
  ).map(([stype, kind]) => [stype, KIND_INFO.get(kind)!]),
);

/** The kind a value of a full type has: what depends on the type alone (kept with the type). */
function typeKind(full: FullType, at: number, field: string): KindInfo {
  // Like Bro's BroType::IsSet(): a table type without a yield type holds a set, whatever its class.
  const info = full.kind === 'set' || (full.kind === 'table' && full.yield === null) ? SET_INFO : TAG_INFO[full.tag];
  if (info === undefined || (info.code === K_TABLE && full.kind !== 'table' && full.kind !== 'set')) {
    throw legacyError('unsupported_object', `values of type ${full.tag} are not supported`, { field, offset: at });
  }
  return info;
}

function checkStype(info: KindInfo, stype: number, at: number, field: string): void {
  if (info.stype !== stype && !(stype === VAL && info.payloadOnly)) {
    throw legacyError('bad_value', `serial type 0x${stype.toString(16)} does not fit a ${info.kind} value`, { field, offset: at });
  }
}

/** First sight of a value's type (nothing kept with it yet): classify, check, keep the result. */
function kindOf(d: SerialDecoder, type: BroType, stype: number, at: number, field: string): KindInfo {
  if (type.kind === 'byname') {
    const full = d.typeByName?.(type.name);
    if (full === undefined) {
      const info = KIND_BY_STYPE.get(stype);
      if (info !== undefined) return info;
      if (stype === VAL || stype === TABLE_VAL) {
        throw legacyError('unknown_type_name', `value of type "${type.name}" sent by name needs the type to be known`, {
          field,
          offset: at,
        });
      }
      throw legacyError('unknown_serial_type', `serial type 0x${stype.toString(16)} is not a value class`, { field, offset: at });
    }
    const info = typeKind(full, at, field);
    checkStype(info, stype, at, field);
    return info;
  }
  const info = typeKind(type, at, field);
  checkStype(info, stype, at, field);
  if (type.internal !== info.internal) {
    throw legacyError('bad_value', `type ${type.tag} with internal tag ${type.internal}`, { field, offset: at });
  }
  keepType(d, info);
  return info;
}

const enumNames = new WeakMap<EnumType, Map<Int64, string>>();

function enumName(type: BroType, value: Int64): string | null {
  if (type.kind !== 'enum') return null;
  let names = enumNames.get(type);
  if (names === undefined) {
    names = new Map(type.names.map((n) => [n.value, n.name]));
    enumNames.set(type, names);
  }
  return names.get(value) ?? null;
}

// The texts of recently seen IPv4 addresses (a direct-mapped table): the same hosts recur from
// event to event, and a hit costs no formatting and no allocation.
const V4_WORDS = new Int32Array(1024);
const V4_TEXTS: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);

function v4(word: number): string {
  const i = (word ^ (word >>> 10) ^ (word >>> 20)) & 1023;
  const known = V4_TEXTS[i];
  if (known !== undefined && V4_WORDS[i] === (word | 0)) return known;
  const text = v4Text(word);
  V4_WORDS[i] = word;
  V4_TEXTS[i] = text;
  return text;
}

function readAddrText(d: SerialDecoder, field: string): string {
  const r = d.r;
  const at = r.position;
  const n = r.i32(field);
  if (n === 1) return v4(r.u32(field));
  if (n === 4) return v6Text(r.u32(field), r.u32(field), r.u32(field), r.u32(field));
  throw legacyError('bad_value', `address with ${n} words`, { field, offset: at });
}

function readMatcher(d: SerialDecoder, field: string): ReMatcher {
  d.header(field);
  if (!d.full) return d.backref(F_MATCHER, field) as ReMatcher;
  d.expectStype(RE_MATCHER, field);
  const m: ReMatcher = { anywhere: '', exact: '' };
  d.register(m, F_MATCHER);
  m.anywhere = d.string(field);
  m.exact = d.string(field);
  return m;
}

/** The value body after its header; sets `stype` on the value when it is not its kind's usual one. */
export function readValBody(d: SerialDecoder, stype: number, at: number, field: string): BroVal {
  const type = valueType(d, field);
  let info = d.kindInfo;
  if (info === undefined) info = kindOf(d, type, stype, at, field);
  else if (info.stype !== stype) checkStype(info, stype, at, field);
  const v = readPayload(d, d.r, info, type, field);
  if (stype !== info.stype) v.stype = stype;
  return v;
}

function readPayload(d: SerialDecoder, r: ByteReader, info: KindInfo, type: BroType, field: string): BroVal {
  switch (info.code) {
    case K_BOOL:
      return { kind: 'bool', type, value: readInt(r, field) !== 0 };
    case K_INT:
      return { kind: 'int', type, value: readInt(r, field) };
    case K_COUNT:
      return { kind: info.kind as 'count' | 'counter', type, value: readUint(r, field) };
    case K_DOUBLE:
      return { kind: info.kind as 'double' | 'time' | 'interval', type, value: r.f64(field) };
    case K_STRING: {
      const n = r.u32(field);
      r.need(n, field);
      const start = r.offset;
      r.offset += n;
      const text = utf8(r.bytes, start, start + n);
      if (text !== undefined) return { kind: 'string', type, value: text };
      const { text: escaped, raw } = toText(r.bytes, start, start + n);
      return { kind: 'string', type, value: escaped, raw: raw! };
    }
    case K_PORT: {
      const hi = r.u32(field);
      const lo = r.u32(field);
      if (hi !== 0 || lo >>> 18 !== 0) throw legacyError('bad_value', 'port value beyond 18 bits', { field, offset: r.position - 8 });
      return { kind: 'port', type, port: lo & 0xffff, proto: PROTOS[lo >>> 16]! };
    }
    case K_ADDR:
      return { kind: 'addr', type, value: readAddrText(d, field) };
    case K_SUBNET: {
      const prefix = readAddrText(d, field);
      return { kind: 'subnet', type, value: `${prefix}/${r.i32(field)}` };
    }
    case K_ENUM: {
      const value = readInt(r, field);
      return { kind: 'enum', type, value, name: enumName(type, value) };
    }
    case K_PATTERN:
      return { kind: 'pattern', type, matcher: readMatcher(d, field) };
    case K_LIST:
      return readList(d, type, field);
    case K_RECORD: {
      const props = r.u8(field);
      const id = d.string(field);
      const n = r.i32(field);
      const fields = sized<BroVal | null>(n, r);
      for (let i = 0; i < n; i++) fields[i] = d.optionalVal(field);
      return { kind: 'record', type, props, id, fields };
    }
    case K_VECTOR: {
      const props = r.u8(field);
      const id = d.string(field);
      const n = r.u32(field);
      const elements = sized<BroVal | null>(n, r);
      for (let i = 0; i < n; i++) elements[i] = d.optionalVal(field);
      return { kind: 'vector', type, props, id, elements };
    }
    default: {
      const kind = info.kind as 'table' | 'set';
      const props = r.u8(field);
      const id = d.string(field);
      const attrs = d.optionalAttributes(field);
      if (d.bool(field) || d.bool(field)) {
        throw legacyError('unsupported_object', 'table with an &expire expression', { field, offset: r.position - 1 });
      }
      const entries: TableEntry[] = [];
      while (d.bool(field)) {
        const index = d.val(field);
        if (index.kind !== 'list') throw legacyError('bad_value', `table index is a ${index.kind}, not a list`, { field, offset: r.position });
        const value = kind === 'table' ? d.val(field) : null;
        entries.push({ index, value, lastAccess: r.f64(field), expireAccess: r.f64(field) });
      }
      return { kind, type, props, id, attrs, entries };
    }
  }
}

function readList(d: SerialDecoder, type: BroType, field: string): ListVal {
  const r = d.r;
  const listTag = r.u8(field);
  const n = r.i32(field);
  const elements = sized<BroVal>(n, r);
  for (let i = 0; i < n; i++) elements[i] = d.val(field);
  return { kind: 'list', type, listTag, elements };
}

/**
 * An array for n elements, each at least a byte long: exactly sized when the count is plausible
 * (a push-grown array reserves 16 slots for the first element); otherwise an empty one, so a
 * bogus count fails on the truncated input, not on allocation.
 */
export function sized<T>(n: number, r: ByteReader): T[] {
  return n > 0 && n <= r.end - r.offset ? new Array<T>(n) : [];
}
