import { formatV4, formatV6 } from './addr.ts';
import { CANONICAL_INTERNAL, PORT_PROTOS, SerType } from './constants.ts';
import { legacyError } from './errors.ts';
import { readI64, readU64 } from './int64.ts';
import type { BroType, BroVal, EnumType, FullType, Int64, ListVal, ReMatcher, TableEntry, ValKind } from './model.ts';
import type { SerialDecoder } from './serial-reader.ts';
import { decodeText } from './strings.ts';

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
const v4Text = formatV4;
const v6Text = formatV6;
const PROTOS = PORT_PROTOS;
const CANONICAL = CANONICAL_INTERNAL;

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

const KIND_BY_STYPE: ReadonlyMap<number, ValKind> = new Map<number, ValKind>([
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
]);

/** Kinds whose whole value is the generic payload: a plain SER_VAL reads them just as well. */
const PAYLOAD_ONLY: ReadonlySet<ValKind> = new Set<ValKind>(['interval', 'string', 'port', 'addr', 'subnet', 'enum']);

interface KindInfo {
  kind: ValKind;
  stype: number;
  internal: number;
}

/** Per type tag (with "set" for set types): the value kind, its serial type and internal tag. */
const KIND_INFO = new Map<string, KindInfo>(
  (Object.keys(VAL_STYPE) as ValKind[]).map((kind) => [kind, { kind, stype: VAL_STYPE[kind], internal: CANONICAL_INTERNAL[kind === 'set' ? 'table' : kind] }]),
);

function kindOf(d: SerialDecoder, type: BroType, stype: number, at: number, field: string): ValKind {
  const full: FullType | undefined = type.kind === 'byname' ? d.typeByName?.(type.name) : type;
  if (full === undefined) {
    const kind = KIND_BY_STYPE.get(stype);
    if (kind !== undefined) return kind;
    if (stype === VAL || stype === TABLE_VAL) {
      throw legacyError('unknown_type_name', `value of type "${(type as { name: string }).name}" sent by name needs the type to be known`, {
        field,
        offset: at,
      });
    }
    throw legacyError('unknown_serial_type', `serial type 0x${stype.toString(16)} is not a value class`, { field, offset: at });
  }
  const info = KIND_INFO.get(full.kind === 'set' ? 'set' : full.tag);
  if (info === undefined || (info.kind === 'table' && full.kind !== 'table')) {
    throw legacyError('unsupported_object', `values of type ${full.tag} are not supported`, { field, offset: at });
  }
  if (info.stype !== stype && !(stype === VAL && PAYLOAD_ONLY.has(info.kind))) {
    throw legacyError('bad_value', `serial type 0x${stype.toString(16)} does not fit a ${info.kind} value`, { field, offset: at });
  }
  if (type.kind !== 'byname' && type.internal !== info.internal) {
    throw legacyError('bad_value', `type ${type.tag} with internal tag ${type.internal}`, { field, offset: at });
  }
  return info.kind;
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

function readAddrText(d: SerialDecoder, field: string): string {
  const r = d.r;
  const at = r.position;
  const n = r.i32(field);
  if (n === 1) return v4Text(r.u32(field));
  if (n === 4) return v6Text(r.u32(field), r.u32(field), r.u32(field), r.u32(field));
  throw legacyError('bad_value', `address with ${n} words`, { field, offset: at });
}

function readMatcher(d: SerialDecoder, field: string): ReMatcher {
  d.header(field);
  if (!d.full) return d.backref('matcher', field) as ReMatcher;
  d.expectStype(RE_MATCHER, field);
  const m: ReMatcher = { anywhere: '', exact: '' };
  d.register(m, 'matcher');
  m.anywhere = d.string(field);
  m.exact = d.string(field);
  return m;
}

export function readValBody(d: SerialDecoder, stype: number, at: number, field: string): BroVal {
  const r = d.r;
  const type = d.type(field);
  const kind = kindOf(d, type, stype, at, field);
  switch (kind) {
    case 'bool':
      return { kind, type, value: readInt(r, field) !== 0 };
    case 'int':
      return { kind, type, value: readInt(r, field) };
    case 'count':
    case 'counter':
      return { kind, type, value: readUint(r, field) };
    case 'double':
    case 'time':
    case 'interval':
      return { kind, type, value: r.f64(field) };
    case 'string': {
      const n = r.u32(field);
      r.need(n, field);
      const start = r.offset;
      r.offset += n;
      const { text, raw } = toText(r.bytes, start, start + n);
      return raw === undefined ? { kind, type, value: text } : { kind, type, value: text, raw };
    }
    case 'port': {
      const hi = r.u32(field);
      const lo = r.u32(field);
      if (hi !== 0 || lo >>> 18 !== 0) throw legacyError('bad_value', 'port value beyond 18 bits', { field, offset: r.position - 8 });
      return { kind, type, port: lo & 0xffff, proto: PROTOS[lo >>> 16]! };
    }
    case 'addr':
      return { kind, type, value: readAddrText(d, field) };
    case 'subnet': {
      const prefix = readAddrText(d, field);
      return { kind, type, value: `${prefix}/${r.i32(field)}` };
    }
    case 'enum': {
      const value = readInt(r, field);
      return { kind, type, value, name: enumName(type, value) };
    }
    case 'pattern':
      return { kind, type, matcher: readMatcher(d, field) };
    case 'list':
      return readList(d, type, field);
    case 'record': {
      const props = r.u8(field);
      const id = d.string(field);
      const n = r.i32(field);
      const fields: (BroVal | null)[] = [];
      for (let i = 0; i < n; i++) fields.push(d.optionalVal(field));
      return { kind, type, props, id, fields };
    }
    case 'vector': {
      const props = r.u8(field);
      const id = d.string(field);
      const n = r.u32(field);
      const elements: (BroVal | null)[] = [];
      for (let i = 0; i < n; i++) elements.push(d.optionalVal(field));
      return { kind, type, props, id, elements };
    }
    case 'table':
    case 'set': {
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
  const elements: BroVal[] = [];
  for (let i = 0; i < n; i++) elements.push(d.val(field));
  return { kind: 'list', type, listTag, elements };
}
