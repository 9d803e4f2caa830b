import { ID_SCOPES, SerType } from './constants.ts';
import { legacyError } from './errors.ts';
import type { Attributes, BroType, BroVal, IdObj, SourceLocation, StateAccess, TypeByName } from './model.ts';
import { FAMILY } from './receiver-cache.ts';
import type { SerialDecoder } from './serial-reader.ts';

// The objects of a SERIAL that are neither types nor values (sections 8.6, 8.9, 8.10): source
// locations, attribute lists, identifiers ('i') and state accesses ('s'). Each is registered in
// the cache before its body is read, like Bro does.

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const { LOCATION, ATTRIBUTES, ID: ID_OBJ, STATE_ACCESS } = SerType;
const F_LOCATION = FAMILY.location;
const F_ATTRS = FAMILY.attrs;
const F_ID = FAMILY.id;
const F_STATE = FAMILY.state;

export const PLACEHOLDER_TYPE: BroType = Object.freeze({ kind: 'byname', name: '' }) as TypeByName;
const PLACEHOLDER_VAL = Object.freeze({ kind: 'list', type: PLACEHOLDER_TYPE, listTag: 0, elements: [] }) as unknown as BroVal;

/** The Location object after BroObj's has_location flag was found set. */
export function readLocation(d: SerialDecoder, field: string): SourceLocation {
  d.header(field);
  if (!d.full) return d.backref(F_LOCATION, field) as SourceLocation;
  d.expectStype(LOCATION, field);
  const loc: SourceLocation = { filename: '', firstLine: 0, lastLine: 0, firstColumn: 0, lastColumn: 0 };
  d.register(loc, F_LOCATION);
  const r = d.r;
  loc.filename = d.string(field);
  loc.firstLine = r.i32(field);
  loc.lastLine = r.i32(field);
  loc.firstColumn = r.i32(field);
  loc.lastColumn = r.i32(field);
  return loc;
}

export function readAttributes(d: SerialDecoder, field: string): Attributes {
  d.header(field);
  if (!d.full) return d.backref(F_ATTRS, field) as Attributes;
  d.expectStype(ATTRIBUTES, field);
  d.enter(field);
  const attrs: Attributes = { type: PLACEHOLDER_TYPE, attrs: [] };
  d.register(attrs, F_ATTRS);
  const loc = d.location(field);
  if (loc !== undefined) attrs.location = loc;
  attrs.type = d.type(field);
  const r = d.r;
  const n = r.i32(field);
  for (let i = 0; i < n; i++) {
    if (d.bool(field)) {
      throw legacyError('unsupported_object', 'attribute expression (e.g. &default=...) cannot be decoded; announce BROCCOLI_PEER', {
        field,
        offset: r.position,
      });
    }
    attrs.attrs.push({ tag: r.u8(field) });
  }
  d.leave();
  return attrs;
}

export function readId(d: SerialDecoder): IdObj {
  const field = 'id';
  d.header(field);
  if (!d.full) return d.backref(F_ID, field) as IdObj;
  d.expectStype(ID_OBJ, field);
  d.enter(field);
  const r = d.r;
  const id: IdObj = {
    name: '',
    scope: 0,
    isExport: false,
    isConst: 0,
    isEnumConst: 0,
    isType: 0,
    offset: 0,
    inferReturnType: false,
    weakRef: false,
    type: PLACEHOLDER_TYPE,
    attrs: null,
    value: null,
  };
  d.register(id, F_ID);
  const loc = d.location(field);
  if (loc !== undefined) id.location = loc;
  id.name = d.string('id.name');
  id.scope = r.u8('id.scope');
  if (id.scope >= ID_SCOPES.length) throw legacyError('bad_value', `ID scope ${id.scope}`, { field: 'id.scope', offset: r.position - 1 });
  id.isExport = d.bool('id.is_export');
  id.isConst = r.i32('id.is_const');
  id.isEnumConst = r.i32('id.is_enum_const');
  id.isType = r.i32('id.is_type');
  id.offset = r.i32('id.offset');
  id.inferReturnType = d.bool('id.infer_return_type');
  id.weakRef = d.bool('id.weak_ref');
  id.type = d.type('id.type');
  id.attrs = d.optionalAttributes('id.attrs');
  id.value = d.optionalVal('id.value');
  d.leave();
  return id;
}

export function readStateAccess(d: SerialDecoder): StateAccess {
  const field = 'state';
  d.header(field);
  if (!d.full) return d.backref(F_STATE, field) as StateAccess;
  d.expectStype(STATE_ACCESS, field);
  const r = d.r;
  const access: StateAccess = { op: 0, target: '', op1: PLACEHOLDER_VAL, op2: null, op3: null };
  d.register(access, F_STATE);
  const at = r.position;
  access.op = r.u8('state.opcode');
  if (access.op > 9) throw legacyError('bad_value', `state access opcode ${access.op}`, { field: 'state.opcode', offset: at });
  access.target = d.string('state.target');
  access.op1 = d.val('state.op1');
  access.op2 = d.optionalVal('state.op2');
  access.op3 = d.optionalVal('state.op3');
  return access;
}
