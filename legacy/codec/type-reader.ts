import { SerType, TYPE_TAGS } from './constants.ts';
import { legacyError } from './errors.ts';
import { readI64 } from './int64.ts';
import type { BroType, EnumName, FullType, RecordField, TypeList } from './model.ts';
import { sized } from './value-reader.ts';
import type { SerialDecoder } from './serial-reader.ts';

// Type bodies (section 8.7). A type object is created as a complete "shell" from its serial type
// before its body is read, because Bro registers it in the cache first: a recursive record type
// refers back to itself while its fields are being read.

const VOID: BroType = Object.freeze({ kind: 'byname', name: '' }) as BroType;
/** Placeholder list of a shell until its body is read (replaced, never filled). */
const NONE: readonly never[] = Object.freeze([]);

// Module-local copies of imported bindings used per object: tsx runs this code as CommonJS, where
// every access to an import is a getter call (measurably slow on the decode path).
const { BRO_TYPE, SUBNET_TYPE, TYPE_LIST, TABLE_TYPE, SET_TYPE, RECORD_TYPE, ENUM_TYPE, VECTOR_TYPE, FILE_TYPE, OPAQUE_TYPE, FUNC_TYPE } = SerType;
const readInt64 = readI64;
const TAGS = TYPE_TAGS;

/** Frozen one-member type lists, per shared member type (see singleList). */
const singles = new WeakMap<BroType, BroType[]>();

/**
 * The member list of a type list whose one member is the shared type `t` (a back-reference or
 * an interned type): one frozen array per member type. A cached stream keeps every type list it
 * receives (a set sends a new one with each element) for thousands of events, long enough to be
 * promoted out of the young generation, so one object less per list is measurable.
 */
function singleList(t: BroType): BroType[] {
  let list = singles.get(t);
  if (list === undefined) {
    list = Object.freeze([t]) as BroType[];
    singles.set(t, list);
  }
  return list;
}

/**
 * The shell of a type list. A caching Bro sends a new type list with every element of a set, and
 * the receiver cache keeps each one for thousands of events; from an object literal, V8 then sees
 * nearly all of that allocation site's objects survive and pretenures it (allocates them in old
 * space), which slowed the whole cached decode by a fifth. A spread copy tracks no allocation site.
 */
const TYPE_LIST_SHELL: TypeList = {
  kind: 'typelist',
  tag: 'void',
  internal: 0,
  networkOrder: false,
  baseType: false,
  name: '',
  pure: null,
  types: NONE as unknown as BroType[],
};

export function typeShell(stype: number): FullType | undefined {
  // Explicit literals (no spread): this runs for every type object received in full.
  switch (stype) {
    case BRO_TYPE:
      return { kind: 'basic', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '' };
    case SUBNET_TYPE:
      return { kind: 'subnet', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '' };
    case TYPE_LIST:
      // A copy of a template, not a literal (see TYPE_LIST_SHELL).
      return { ...TYPE_LIST_SHELL };
    case TABLE_TYPE:
      return { kind: 'table', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', yield: null, indices: VOID };
    case SET_TYPE:
      return { kind: 'set', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', yield: null, indices: VOID };
    case RECORD_TYPE:
      return { kind: 'record', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', numFields: 0, fields: null };
    case ENUM_TYPE:
      return { kind: 'enum', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', counter: 0, names: NONE as unknown as EnumName[] };
    case VECTOR_TYPE:
      return { kind: 'vector', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', yield: VOID };
    case FILE_TYPE:
      return { kind: 'file', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', yield: VOID };
    case OPAQUE_TYPE:
      return { kind: 'opaque', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', opaqueName: '' };
    case FUNC_TYPE:
      return { kind: 'func', tag: 'void', internal: 0, networkOrder: false, baseType: false, name: '', yield: null, args: VOID, argTypes: VOID, flavor: 0 };
    default:
      return undefined;
  }
}

export function readTypeBody(d: SerialDecoder, t: FullType, field: string): void {
  const r = d.r;
  const tag = TAGS[r.u8(field)];
  if (tag === undefined) throw legacyError('unknown_type_tag', `type tag ${r.bytes[r.offset - 1]!}`, { field, offset: r.position - 1 });
  t.tag = tag;
  t.internal = r.u8(field);
  t.networkOrder = d.bool(field);
  t.baseType = d.bool(field);
  t.name = d.string(field);
  switch (t.kind) {
    case 'basic':
    case 'subnet':
      return;
    case 'typelist': {
      t.pure = d.optionalType(field);
      const n = r.i32(field);
      if (n === 1) {
        // A set's index type: Bro sends a new one with every element (all kept in the cache).
        const only = d.type(field);
        t.types = d.sharedType ? singleList(only) : [only];
        return;
      }
      const types = sized<BroType>(n, r);
      t.types = types;
      for (let i = 0; i < n; i++) types[i] = d.type(field);
      return;
    }
    case 'table':
    case 'set':
      t.yield = d.optionalType(field);
      t.indices = d.type(field);
      if (t.kind === 'set' && d.bool(field)) {
        throw legacyError('unsupported_object', 'set type with an element expression', { field, offset: r.position - 1 });
      }
      return;
    case 'record': {
      t.numFields = r.i32(field);
      if (!d.bool(field)) return;
      const n = r.i32(field);
      const fields = sized<RecordField>(n, r);
      for (let i = 0; i < n; i++) {
        const attrs = d.optionalAttributes(field);
        const type = d.type(field);
        fields[i] = { name: d.string(field), type, attrs };
      }
      t.fields = fields;
      return;
    }
    case 'enum': {
      t.counter = readInt64(r, field);
      const n = r.u32(field);
      // A legacy flag Bro always writes as false.
      r.u8(field);
      const names = sized<EnumName>(n, r);
      t.names = names;
      for (let i = 0; i < n; i++) {
        const name = d.string(field);
        names[i] = { name, value: readInt64(r, field) };
      }
      return;
    }
    case 'vector':
    case 'file':
      t.yield = d.type(field);
      return;
    case 'opaque':
      t.opaqueName = d.string(field);
      return;
    case 'func':
      t.yield = d.optionalType(field);
      t.args = d.type(field);
      t.argTypes = d.type(field);
      t.flavor = r.i32(field);
      return;
  }
}
