import { CANONICAL_INTERNAL, TYPE_TAGS, type PortProto, type TypeTagName } from './constants.ts';
import type {
  Attributes,
  BasicType,
  BroType,
  BroVal,
  EnumType,
  EnumVal,
  Int64,
  ListVal,
  RecordField,
  RecordType,
  RecordVal,
  SerialEvent,
  SetType,
  StringVal,
  SubnetType,
  TableType,
  TableVal,
  TypeList,
  VectorType,
  VectorVal,
} from './model.ts';
import { escapeBytes } from './strings.ts';

// Constructors for the typed model, for code that builds messages rather than decoding them (the
// translator, tests). Types are shared objects, as in Bro: reusing `BASE.count` for every count
// lets the sender cache send it once and back-reference it afterwards.

type BasicTag = Exclude<TypeTagName, 'subnet' | 'table' | 'record' | 'list' | 'func' | 'file' | 'vector' | 'opaque' | 'enum'>;

export function basicType(tag: BasicTag, options: { baseType?: boolean; name?: string } = {}): BasicType {
  return { kind: 'basic', tag, internal: CANONICAL_INTERNAL[tag], networkOrder: false, baseType: options.baseType ?? true, name: options.name ?? '' };
}

export function subnetType(baseType = true): SubnetType {
  return { kind: 'subnet', tag: 'subnet', internal: CANONICAL_INTERNAL.subnet, networkOrder: false, baseType, name: '' };
}

/** Bro's shared built-in atomic types (base_type = true). */
export const BASE = Object.freeze({
  bool: basicType('bool'),
  int: basicType('int'),
  count: basicType('count'),
  counter: basicType('counter'),
  double: basicType('double'),
  time: basicType('time'),
  interval: basicType('interval'),
  string: basicType('string'),
  pattern: basicType('pattern'),
  port: basicType('port'),
  addr: basicType('addr'),
  any: basicType('any'),
  subnet: subnetType(),
});

function composite<K extends string>(kind: K, tag: TypeTagName, name = '') {
  return { kind, tag, internal: CANONICAL_INTERNAL[tag], networkOrder: false, baseType: false, name };
}

export function typeList(types: BroType[]): TypeList {
  const first = types[0];
  const pure = first !== undefined && types.every((t) => t === first) ? first : null;
  return { ...composite('typelist', 'list'), pure, types };
}

export function tableType(indices: BroType[], yieldType: BroType, name = ''): TableType {
  return { ...composite('table', 'table', name), yield: yieldType, indices: typeList(indices) };
}

export function setType(indices: BroType[], name = ''): SetType {
  return { ...composite('set', 'table', name), yield: null, indices: typeList(indices) };
}

export function vectorType(yieldType: BroType, name = ''): VectorType {
  return { ...composite('vector', 'vector', name), yield: yieldType };
}

export function recordType(name: string, fields: { name: string; type: BroType; optional?: boolean }[]): RecordType {
  const out: RecordType = { ...composite('record', 'record', name), numFields: fields.length, fields: [] };
  out.fields = fields.map((f): RecordField => {
    const attrs: Attributes | null = f.optional === true ? { type: f.type, attrs: [{ tag: 0 }] } : null;
    return { name: f.name, type: f.type, attrs };
  });
  return out;
}

/** An enum type; names get values 0, 1, 2 ... unless given, and are stored sorted as Bro sends them. */
export function enumType(name: string, names: (string | [string, Int64])[]): EnumType {
  let next = 0;
  const entries = names.map((n) => {
    if (typeof n === 'string') return { name: n, value: next++ };
    next = Number(n[1]) + 1;
    return { name: n[0], value: n[1] };
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...composite('enum', 'enum', name), counter: next, names: entries };
}

export const boolVal = (value: boolean): BroVal => ({ kind: 'bool', type: BASE.bool, value });
export const intVal = (value: Int64): BroVal => ({ kind: 'int', type: BASE.int, value });
export const countVal = (value: Int64): BroVal => ({ kind: 'count', type: BASE.count, value });
export const counterVal = (value: Int64): BroVal => ({ kind: 'counter', type: BASE.counter, value });
export const doubleVal = (value: number): BroVal => ({ kind: 'double', type: BASE.double, value });
export const timeVal = (seconds: number): BroVal => ({ kind: 'time', type: BASE.time, value: seconds });
export const intervalVal = (seconds: number): BroVal => ({ kind: 'interval', type: BASE.interval, value: seconds });
export const portVal = (port: number, proto: PortProto): BroVal => ({ kind: 'port', type: BASE.port, port, proto });
export const addrVal = (text: string): BroVal => ({ kind: 'addr', type: BASE.addr, value: text });
export const subnetVal = (text: string): BroVal => ({ kind: 'subnet', type: BASE.subnet, value: text });

/** A string value from text, or from raw bytes (kept exactly; the text is their escaped form). */
export function stringVal(value: string | Uint8Array): StringVal {
  if (typeof value === 'string') return { kind: 'string', type: BASE.string, value };
  return { kind: 'string', type: BASE.string, value: escapeBytes(value), raw: value };
}

export function enumVal(type: EnumType, name: string): EnumVal {
  const entry = type.names.find((n) => n.name === name);
  if (entry === undefined) throw new RangeError(`${name} is not a name of enum ${type.name}`);
  return { kind: 'enum', type, value: entry.value, name };
}

/** A pattern from its source text, with Bro's exact and anywhere renderings. */
export function patternVal(source: string): BroVal {
  return { kind: 'pattern', type: BASE.pattern, matcher: { exact: `^?(${source})$?`, anywhere: `^?(.|\\n)*(${source})` } };
}

export function recordVal(type: RecordType, fields: (BroVal | null)[]): RecordVal {
  return { kind: 'record', type, props: 0, id: '', fields };
}

export function listVal(elements: BroVal[]): ListVal {
  return { kind: 'list', type: typeList(elements.map((e) => e.type)), listTag: TYPE_TAGS.indexOf('any'), elements };
}

export function setVal(type: SetType, keys: (BroVal | BroVal[])[]): TableVal {
  const entries = keys.map((k) => ({ index: listVal(Array.isArray(k) ? k : [k]), value: null, lastAccess: 0, expireAccess: 0 }));
  return { kind: 'set', type, props: 0, id: '', attrs: null, entries };
}

export function tableVal(type: TableType, entries: [BroVal | BroVal[], BroVal][]): TableVal {
  return {
    kind: 'table',
    type,
    props: 0,
    id: '',
    attrs: null,
    entries: entries.map(([k, v]) => ({ index: listVal(Array.isArray(k) ? k : [k]), value: v, lastAccess: 0, expireAccess: 0 })),
  };
}

export function vectorVal(type: VectorType, elements: (BroVal | null)[]): VectorVal {
  return { kind: 'vector', type, props: 0, id: '', elements };
}

export function eventBody(name: string, args: BroVal[], time = Date.now() / 1000): SerialEvent {
  return { kind: 'event', name, time, args };
}
