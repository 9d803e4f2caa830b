import { ATTR_TAGS } from './constants.ts';
import type { LogValue } from './log-codec.ts';
import type { BroType, BroVal, Int64, ListVal, RecordType } from './model.ts';

// Views of typed values for code that does not care about the wire: a plain JS view for
// translators, a self-describing typed JSON form for decoded-capture output, and Bro-style type
// names.

/** Bro-style name of a type: its declared name if it has one, else a description. */
export function typeName(t: BroType): string {
  if (t.kind === 'byname') return t.name;
  if (t.name !== '' && t.kind !== 'basic') return t.name;
  switch (t.kind) {
    case 'basic':
    case 'subnet':
      return t.tag;
    case 'typelist':
      return t.types.map(typeName).join(', ');
    case 'table':
      return `table[${typeName(t.indices)}] of ${t.yield === null ? 'void' : typeName(t.yield)}`;
    case 'set':
      return `set[${typeName(t.indices)}]`;
    case 'vector':
      return `vector of ${typeName(t.yield)}`;
    case 'file':
      return `file of ${typeName(t.yield)}`;
    case 'opaque':
      return `opaque of ${t.opaqueName}`;
    case 'enum':
      return 'enum';
    case 'func':
      return ['function', 'event', 'hook'][t.flavor] ?? 'func';
    case 'record':
      return t.fields === null ? 'record' : `record { ${t.fields.map((f) => `${f.name}: ${typeName(f.type)};`).join(' ')} }`;
  }
}

export function recordFieldNames(t: BroType): string[] | null {
  return t.kind === 'record' && t.fields !== null ? t.fields.map((f) => f.name) : null;
}

export function attrNames(attrs: { attrs: { tag: number }[] } | null): string[] {
  return attrs === null ? [] : attrs.attrs.map((a) => `&${ATTR_TAGS[a.tag] ?? a.tag}`);
}

export type PlainValue = boolean | Int64 | string | null | PlainValue[] | { [field: string]: PlainValue };

function plainIndex(index: ListVal): PlainValue {
  return index.elements.length === 1 ? toPlain(index.elements[0]!) : index.elements.map(toPlain);
}

/**
 * A plain JS view: numbers/bigints, strings (addr, subnet, port "80/tcp", enum name, pattern
 * text), records as objects keyed by field name (arrays when the type came by name), sets as
 * arrays of indexes, tables as arrays of [index, value], vectors as arrays (holes null).
 */
export function toPlain(v: BroVal): PlainValue {
  switch (v.kind) {
    case 'bool':
    case 'int':
    case 'count':
    case 'counter':
    case 'double':
    case 'time':
    case 'interval':
    case 'string':
    case 'addr':
    case 'subnet':
      return v.value;
    case 'port':
      return `${v.port}/${v.proto}`;
    case 'enum':
      return v.name ?? v.value;
    case 'pattern':
      return v.matcher.exact;
    case 'record': {
      const names = recordFieldNames(v.type);
      if (names === null) return v.fields.map((f) => (f === null ? null : toPlain(f)));
      const out: { [field: string]: PlainValue } = {};
      v.fields.forEach((f, i) => {
        out[names[i] ?? `$${i}`] = f === null ? null : toPlain(f);
      });
      return out;
    }
    case 'set':
      return v.entries.map((e) => plainIndex(e.index));
    case 'table':
      return v.entries.map((e) => [plainIndex(e.index), e.value === null ? null : toPlain(e.value)]);
    case 'vector':
      return v.elements.map((e) => (e === null ? null : toPlain(e)));
    case 'list':
      return v.elements.map(toPlain);
  }
}

/** Self-describing JSON form: {"type": <Bro type>, "value": ...} (see capture-decoder.ts). */
export type TypedJson = { type: string; value: unknown; [extra: string]: unknown };

function typedIndex(index: ListVal): unknown {
  return index.elements.length === 1 ? typedJson(index.elements[0]!) : index.elements.map(typedJson);
}

/** Mutable values bound to a (synchronized) global carry its unique id: state ops name it. */
function bound(out: TypedJson, id: string): TypedJson {
  if (id !== '') out['id'] = id;
  return out;
}

export function typedJson(v: BroVal): TypedJson {
  switch (v.kind) {
    case 'string':
      return v.raw === undefined ? { type: 'string', value: v.value } : { type: 'string', value: v.value, escaped: true };
    case 'port':
      return { type: 'port', value: `${v.port}/${v.proto}` };
    case 'enum': {
      const out: TypedJson = { type: 'enum', value: v.name, number: v.value };
      const t = v.type.kind === 'byname' || v.type.name !== '' ? v.type.name : undefined;
      if (t !== undefined) out['enum_type'] = t;
      return out;
    }
    case 'pattern':
      return { type: 'pattern', value: v.matcher.exact, anywhere: v.matcher.anywhere };
    case 'record': {
      const out: TypedJson = { type: 'record', value: v.fields.map((f) => (f === null ? null : typedJson(f))) };
      const t = v.type as BroType;
      const name = t.kind === 'byname' ? t.name : (t as RecordType).name;
      if (name !== '') out['name'] = name;
      const names = recordFieldNames(t);
      if (names !== null) out['fields'] = names;
      return bound(out, v.id);
    }
    case 'set':
      return bound({ type: 'set', value: v.entries.map((e) => typedIndex(e.index)) }, v.id);
    case 'table':
      return bound({ type: 'table', value: v.entries.map((e) => ({ key: typedIndex(e.index), value: e.value === null ? null : typedJson(e.value) })) }, v.id);
    case 'vector':
      return bound({ type: 'vector', value: v.elements.map((e) => (e === null ? null : typedJson(e))) }, v.id);
    case 'list':
      return { type: 'list', value: v.elements.map(typedJson) };
    default:
      return { type: v.kind, value: v.value };
  }
}

/** Typed JSON of a log column value (same conventions; ports as "22/tcp"). */
export function typedLogJson(v: LogValue): TypedJson {
  if (v.value === null) return { type: v.type, value: null };
  if (v.type === 'port') {
    const p = v.value as { port: number; proto: string };
    return { type: 'port', value: `${p.port}/${p.proto}` };
  }
  if (Array.isArray(v.value)) return { type: v.type === 'table' ? 'set' : v.type, value: v.value.map(typedLogJson) };
  return v.raw === undefined ? { type: v.type, value: v.value } : { type: v.type, value: v.value, escaped: true };
}
