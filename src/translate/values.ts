// Value translation between the legacy codec's model (BroVal / BroType) and Broker's data model, as
// one table: each row pairs a legacy type with the Broker type Zeek uses for it (spec broker-wire
// §2.5) and says how to go each way. Legacy -> Broker needs nothing but the value (legacy values
// carry their types). Broker -> legacy needs a target type, from an event signature in the type
// registry; without one, `inferLegacyType` picks a sensible legacy type per Broker type. Anything that
// cannot be expressed throws a TranslationError: the caller drops the message and counts the reason.
import {
  BASE,
  parseAddr,
  parseSubnet,
  stringVal,
  typeName,
  type BroType,
  type BroVal,
  type EnumType,
  type FullType,
  type ListVal,
  type PortProto,
  type RecordType,
  type TableEntry,
  type TableType,
  type SetType,
  type VectorType,
} from '../../legacy/codec/index.ts';
import { addrBytes, addrText } from './addresses.ts';
import { NONE, isV4Mapped, set as brokerSet, table as brokerTable, type Data, type DataType } from '../../modern/data/index.ts';
import { translationError } from './errors.ts';
import { nsToSeconds, secondsToNs } from './time.ts';
import type { TypeRegistry } from './type-registry.ts';
import { inferLegacyType } from './infer.ts';

export interface ValueContext {
  readonly types: TypeRegistry;
  /** Nesting limit for containers (default 64). */
  readonly maxDepth?: number;
}

/** The legacy side of a row: a basic type tag, or the kind of a composite type. */
export type LegacyTypeKey =
  | 'bool' | 'int' | 'count' | 'counter' | 'double' | 'time' | 'interval' | 'string' | 'addr' | 'subnet' | 'port'
  | 'enum' | 'record' | 'table' | 'set' | 'vector' | 'pattern';

export interface ValueRow {
  /** Legacy type keys this row serves (count and counter share Broker's count). */
  readonly legacy: readonly LegacyTypeKey[];
  readonly broker: DataType;
  toBroker(v: BroVal, cx: ValueContext, path: string, depth: number): Data;
  /** `d.type === broker` is checked before; `target` is the resolved legacy type for this row. */
  toLegacy(d: Data, target: FullType, cx: ValueContext, path: string, depth: number): BroVal;
}

function mismatch(path: string, expected: string, d: Data): never {
  throw translationError('type_mismatch', `${path}: expected ${expected}, got Broker ${d.type}`, { field: path });
}

function range(path: string, message: string): never {
  throw translationError('value_out_of_range', `${path}: ${message}`, { field: path });
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function basic(target: FullType, fallback: BroType): BroType {
  return target.kind === 'basic' || target.kind === 'subnet' ? target : fallback;
}

function depthCheck(cx: ValueContext, depth: number, path: string): void {
  if (depth > (cx.maxDepth ?? 64)) throw translationError('depth_exceeded', `${path}: nested deeper than ${cx.maxDepth ?? 64}`, { field: path });
}

function indexToBroker(index: ListVal, cx: ValueContext, path: string, depth: number): Data {
  const els = index.elements;
  if (els.length === 1) return toBroker(els[0]!, cx, path, depth);
  return { type: 'vector', elements: els.map((e, i) => toBroker(e, cx, `${path}[${i}]`, depth)) };
}

function indexToLegacy(key: Data, indices: readonly BroType[], cx: ValueContext, path: string, depth: number): BroVal[] {
  if (indices.length === 1) return [toLegacy(key, indices[0]!, cx, path, depth)];
  if (key.type !== 'vector') mismatch(path, `a ${indices.length}-element index vector`, key);
  if (key.elements.length !== indices.length) {
    throw translationError('arity_mismatch', `${path}: index of ${key.elements.length} values for ${indices.length} index types`, { field: path });
  }
  return key.elements.map((k, i) => toLegacy(k, indices[i]!, cx, `${path}[${i}]`, depth));
}

/** Index list value as the legacy codec's builders make it (list tag `any`, per-entry type list). */
function listOf(elements: BroVal[]): ListVal {
  return {
    kind: 'list',
    type: { kind: 'typelist', tag: 'list', internal: 7, networkOrder: false, baseType: false, name: '', pure: null, types: elements.map((e) => e.type) },
    listTag: 15,
    elements,
  };
}

function indicesOf(t: TableType | SetType): readonly BroType[] {
  const idx = t.indices;
  return idx.kind === 'typelist' ? idx.types : [idx];
}

function tableEntries(
  d: Data & { type: 'table' | 'set' },
  target: TableType | SetType,
  cx: ValueContext,
  path: string,
  depth: number,
): TableEntry[] {
  const indices = indicesOf(target);
  if (d.type === 'set') {
    return d.elements.map((k, i) => ({ index: listOf(indexToLegacy(k, indices, cx, `${path}{${i}}`, depth)), value: null, lastAccess: 0, expireAccess: 0 }));
  }
  const yieldType = target.yield;
  if (yieldType === null) throw translationError('type_mismatch', `${path}: a table arrived where a set is declared`, { field: path });
  return d.entries.map(([k, v], i) => ({
    index: listOf(indexToLegacy(k, indices, cx, `${path}{${i}}`, depth)),
    value: toLegacy(v, yieldType, cx, `${path}{${i}}`, depth),
    lastAccess: 0,
    expireAccess: 0,
  }));
}

/** The rows. Order is documentation order; lookups go through the indexes below. */
export const VALUE_ROWS: readonly ValueRow[] = [
  {
    legacy: ['bool'],
    broker: 'boolean',
    toBroker: (v) => ({ type: 'boolean', value: (v as BroVal & { kind: 'bool' }).value }),
    toLegacy: (d, t) => ({ kind: 'bool', type: basic(t, BASE.bool), value: (d as Data & { type: 'boolean' }).value }),
  },
  {
    legacy: ['int'],
    broker: 'integer',
    toBroker: (v, _cx, path) => {
      const n = (v as BroVal & { kind: 'int' }).value;
      if (typeof n === 'bigint' && (n < I64_MIN || n > I64_MAX)) range(path, `int ${n} beyond int64`);
      return { type: 'integer', value: n };
    },
    toLegacy: (d, t) => ({ kind: 'int', type: basic(t, BASE.int), value: (d as Data & { type: 'integer' }).value }),
  },
  {
    legacy: ['count', 'counter'],
    broker: 'count',
    toBroker: (v, _cx, path) => {
      const n = (v as BroVal & { kind: 'count' | 'counter' }).value;
      if (n < 0 || (typeof n === 'bigint' && n > U64_MAX)) range(path, `count ${n} beyond uint64`);
      return { type: 'count', value: n };
    },
    toLegacy: (d, t) => {
      const kind = t.kind === 'basic' && t.tag === 'counter' ? 'counter' : 'count';
      return { kind, type: basic(t, BASE[kind]), value: (d as Data & { type: 'count' }).value };
    },
  },
  {
    legacy: ['double'],
    broker: 'real',
    toBroker: (v) => ({ type: 'real', value: (v as BroVal & { kind: 'double' }).value }),
    toLegacy: (d, t) => ({ kind: 'double', type: basic(t, BASE.double), value: (d as Data & { type: 'real' }).value }),
  },
  {
    legacy: ['time'],
    broker: 'timestamp',
    toBroker: (v, _cx, path) => ({ type: 'timestamp', value: secondsToNs((v as BroVal & { kind: 'time' }).value, path) }),
    toLegacy: (d, t) => ({ kind: 'time', type: basic(t, BASE.time), value: nsToSeconds((d as Data & { type: 'timestamp' }).value) }),
  },
  {
    legacy: ['interval'],
    broker: 'timespan',
    toBroker: (v, _cx, path) => ({ type: 'timespan', value: secondsToNs((v as BroVal & { kind: 'interval' }).value, path) }),
    toLegacy: (d, t) => ({ kind: 'interval', type: basic(t, BASE.interval), value: nsToSeconds((d as Data & { type: 'timespan' }).value) }),
  },
  {
    // Bytes are preserved: text when valid UTF-8, the exact raw bytes otherwise, on both sides.
    legacy: ['string'],
    broker: 'string',
    toBroker: (v) => {
      const s = v as BroVal & { kind: 'string' };
      return { type: 'string', value: s.raw ?? s.value };
    },
    toLegacy: (d, t) => {
      const out = stringVal((d as Data & { type: 'string' }).value);
      return t.kind === 'basic' && t !== BASE.string ? { ...out, type: t } : out;
    },
  },
  {
    legacy: ['addr'],
    broker: 'address',
    toBroker: (v, _cx, path) => {
      const words = parseAddr((v as BroVal & { kind: 'addr' }).value);
      if (words === undefined) range(path, `not an address: ${(v as BroVal & { kind: 'addr' }).value}`);
      return { type: 'address', value: addrBytes(words) };
    },
    toLegacy: (d, t) => ({ kind: 'addr', type: basic(t, BASE.addr), value: addrText((d as Data & { type: 'address' }).value) }),
  },
  {
    // Widths: legacy text is family-relative (10.0.0.0/8), Broker's raw length 128-based (104).
    legacy: ['subnet'],
    broker: 'subnet',
    toBroker: (v, _cx, path) => {
      const text = (v as BroVal & { kind: 'subnet' }).value;
      const s = parseSubnet(text);
      const max = s?.words.length === 1 ? 32 : 128;
      if (s === undefined || s.width < 0 || s.width > max) range(path, `not a subnet: ${text}`);
      return { type: 'subnet', address: addrBytes(s.words), length: s.words.length === 1 ? s.width + 96 : s.width };
    },
    toLegacy: (d, t, _cx, path) => {
      const s = d as Data & { type: 'subnet' };
      const v4 = isV4Mapped(s.address) && s.length >= 96;
      if (s.length > 128) range(path, `prefix length ${s.length}`);
      return { kind: 'subnet', type: basic(t, BASE.subnet), value: `${addrText(s.address)}/${v4 ? s.length - 96 : s.length}` };
    },
  },
  {
    legacy: ['port'],
    broker: 'port',
    toBroker: (v) => {
      const p = v as BroVal & { kind: 'port' };
      return { type: 'port', number: p.port, protocol: p.proto };
    },
    toLegacy: (d, t) => {
      const p = d as Data & { type: 'port' };
      return { kind: 'port', type: basic(t, BASE.port), port: p.number, proto: p.protocol as PortProto };
    },
  },
  {
    // Fully qualified names. A Broccoli enum comes with its type by name and no name table: the
    // declared enum of that name resolves the number.
    legacy: ['enum'],
    broker: 'enum_value',
    toBroker: (v, cx, path) => {
      const e = v as BroVal & { kind: 'enum' };
      if (e.name !== null) return { type: 'enum_value', value: e.name };
      const declared = e.type.kind === 'byname' || e.type.kind === 'enum' ? cx.types.enum(e.type.name) : undefined;
      // eslint-disable-next-line eqeqeq
      const name = declared?.names.find((n) => n.value == e.value)?.name;
      if (name === undefined) {
        throw translationError('unresolved_enum', `${path}: enum value ${e.value} of ${typeName(e.type)} has no known name`, { field: path });
      }
      return { type: 'enum_value', value: name };
    },
    toLegacy: (d, t, _cx, path) => {
      const name = (d as Data & { type: 'enum_value' }).value;
      const et = t as EnumType;
      const entry = typeof name === 'string' ? et.names.find((n) => n.name === name) : undefined;
      if (entry === undefined) {
        throw translationError('unknown_enum_name', `${path}: ${String(name)} is not a name of enum ${et.name || '(anonymous)'}`, { field: path });
      }
      return { kind: 'enum', type: et, value: entry.value, name: entry.name };
    },
  },
  {
    // Fields in declaration order; unset fields are none.
    legacy: ['record'],
    broker: 'vector',
    toBroker: (v, cx, path, depth) => {
      const r = v as BroVal & { kind: 'record' };
      return { type: 'vector', elements: r.fields.map((f, i) => (f === null ? NONE : toBroker(f, cx, `${path}.${i}`, depth))) };
    },
    toLegacy: (d, t, cx, path, depth) => {
      const rt = t as RecordType;
      const fields = rt.fields ?? [];
      const els = (d as Data & { type: 'vector' }).elements;
      if (els.length !== fields.length) {
        throw translationError('arity_mismatch', `${path}: ${els.length} values for the ${fields.length} fields of ${rt.name || 'a record'}`, { field: path });
      }
      const values = els.map((e, i) => (e.type === 'none' ? null : toLegacy(e, fields[i]!.type, cx, `${path}.${fields[i]!.name}`, depth)));
      return { kind: 'record', type: rt, props: 0, id: '', fields: values };
    },
  },
  {
    // Single-index keys are the bare value, multi-index keys a vector of the index values.
    legacy: ['table'],
    broker: 'table',
    toBroker: (v, cx, path, depth) => {
      const tv = v as BroVal & { kind: 'table' };
      return brokerTable(
        tv.entries.map((e, i) => {
          if (e.value === null) throw translationError('type_mismatch', `${path}: table entry without a value`, { field: path });
          return [indexToBroker(e.index, cx, `${path}{${i}}`, depth), toBroker(e.value, cx, `${path}{${i}}`, depth)] as const;
        }),
      );
    },
    toLegacy: (d, t, cx, path, depth) => ({
      kind: 'table',
      type: t,
      props: 0,
      id: '',
      attrs: null,
      entries: tableEntries(d as Data & { type: 'table' }, t as TableType, cx, path, depth),
    }),
  },
  {
    legacy: ['set'],
    broker: 'set',
    toBroker: (v, cx, path, depth) =>
      brokerSet((v as BroVal & { kind: 'set' }).entries.map((e, i) => indexToBroker(e.index, cx, `${path}{${i}}`, depth))),
    toLegacy: (d, t, cx, path, depth) => ({
      kind: 'set',
      type: t,
      props: 0,
      id: '',
      attrs: null,
      entries: tableEntries(d as Data & { type: 'set' }, t as SetType, cx, path, depth),
    }),
  },
  {
    // Holes are none (Zeek itself skips them; none keeps positions, and comes back as a hole).
    legacy: ['vector'],
    broker: 'vector',
    toBroker: (v, cx, path, depth) => ({
      type: 'vector',
      elements: (v as BroVal & { kind: 'vector' }).elements.map((e, i) => (e === null ? NONE : toBroker(e, cx, `${path}[${i}]`, depth))),
    }),
    toLegacy: (d, t, cx, path, depth) => {
      const yieldType = (t as VectorType).yield;
      const elements = (d as Data & { type: 'vector' }).elements.map((e, i) => (e.type === 'none' ? null : toLegacy(e, yieldType, cx, `${path}[${i}]`, depth)));
      return { kind: 'vector', type: t, props: 0, id: '', elements };
    },
  },
  {
    // Zeek's order: [exact pattern text, anywhere pattern text].
    legacy: ['pattern'],
    broker: 'vector',
    toBroker: (v) => {
      const m = (v as BroVal & { kind: 'pattern' }).matcher;
      return { type: 'vector', elements: [{ type: 'string', value: m.exact }, { type: 'string', value: m.anywhere }] };
    },
    toLegacy: (d, t, _cx, path) => {
      const [exact, anywhere, extra] = (d as Data & { type: 'vector' }).elements;
      if (exact?.type !== 'string' || anywhere?.type !== 'string' || extra !== undefined || typeof exact.value !== 'string' || typeof anywhere.value !== 'string') {
        throw translationError('type_mismatch', `${path}: a pattern is a vector of its exact and anywhere texts`, { field: path });
      }
      return { kind: 'pattern', type: basic(t, BASE.pattern), matcher: { exact: exact.value, anywhere: anywhere.value } };
    },
  },
];

const BY_LEGACY = new Map<string, ValueRow>();
for (const row of VALUE_ROWS) for (const k of row.legacy) BY_LEGACY.set(k, row);

/** The row for a legacy type (a basic tag or a composite kind). */
export function rowForLegacy(key: string): ValueRow | undefined {
  return BY_LEGACY.get(key);
}

/** The legacy row key of a resolved type; undefined for types no row serves (file, func, opaque ...). */
export function legacyKey(t: FullType): LegacyTypeKey | 'any' | undefined {
  switch (t.kind) {
    case 'basic':
      return t.tag === 'any' ? 'any' : BY_LEGACY.has(t.tag) ? (t.tag as LegacyTypeKey) : undefined;
    case 'subnet':
      return 'subnet';
    case 'enum':
    case 'record':
    case 'table':
    case 'set':
    case 'vector':
      return t.kind;
    default:
      return undefined;
  }
}

/** Legacy value -> Broker data. */
export function toBroker(v: BroVal, cx: ValueContext, path = 'value', depth = 0): Data {
  depthCheck(cx, depth, path);
  if (v.kind === 'list') return { type: 'vector', elements: v.elements.map((e, i) => toBroker(e, cx, `${path}[${i}]`, depth + 1)) };
  const row = BY_LEGACY.get(v.kind);
  if (row === undefined) throw translationError('unsupported_type', `${path}: legacy ${v.kind} values have no Broker form`, { field: path });
  return row.toBroker(v, cx, path, depth + 1);
}

/** Broker data -> legacy value of type `target` (inferred when undefined or `any`). */
export function toLegacy(d: Data, target: BroType | undefined, cx: ValueContext, path = 'value', depth = 0): BroVal {
  depthCheck(cx, depth, path);
  let t = target === undefined ? undefined : cx.types.full(target);
  if (target !== undefined && t === undefined) throw translationError('unknown_type', `${path}: type ${typeName(target)} is not declared`, { field: path });
  if (t === undefined || legacyKey(t) === 'any') t = cx.types.full(inferLegacyType(d, cx, path, depth))!;
  const key = legacyKey(t);
  const row = key === undefined || key === 'any' ? undefined : BY_LEGACY.get(key);
  if (row === undefined) throw translationError('unsupported_type', `${path}: cannot build a legacy ${typeName(t)}`, { field: path });
  if (d.type === 'none') throw translationError('no_legacy_type', `${path}: none where a ${typeName(t)} is required`, { field: path });
  if (d.type !== row.broker) mismatch(path, `Broker ${row.broker} for ${typeName(t)}`, d);
  return row.toLegacy(d, t, cx, path, depth + 1);
}
