import type { PortProto, TypeTagName } from './constants.ts';

// The typed model of what a SERIAL carries. Plain objects; everything needed to re-encode the
// exact bytes is kept (base_type flag, type names, enum tables in wire order, attributes, MutableVal
// props and bound names). Object identity matters: the serialization caches key on it, so a
// back-reference decodes to the very object it refers to, and encoding the same object twice sends
// a back-reference (when caching is on). Do not mutate an object after it has been sent; build a
// new one instead (Bro likewise sends a changed value as a new object).
//
// 64-bit integers (int, count, counter, enum values, enum counters) are `Int64`: a plain number
// whenever the value is a safe integer (|v| <= 2^53 - 1, the common case, cheap), a bigint only
// beyond that. Encoders accept either form.

export type Int64 = number | bigint;

/** A source location; Bro never sends one to a peer, but the format allows it. */
export interface SourceLocation {
  filename: string;
  firstLine: number;
  lastLine: number;
  firstColumn: number;
  lastColumn: number;
}

interface TypeCommon {
  tag: TypeTagName;
  /** Bro's InternalTypeTag (see `Internal`): decides the value payload encoding. */
  internal: number;
  networkOrder: boolean;
  /** Bro sets it on its shared built-in atomic types; Broccoli always sends false. */
  baseType: boolean;
  /** Type name ("conn_id", "FX::Color"), "" for anonymous types. */
  name: string;
  location?: SourceLocation;
}

/** SER_BRO_TYPE: every atomic type (bool, count, string, addr, port, pattern, any, ...). */
export interface BasicType extends TypeCommon {
  kind: 'basic';
}
export interface SubnetType extends TypeCommon {
  kind: 'subnet';
}
export interface TypeList extends TypeCommon {
  kind: 'typelist';
  /** Set when all members share one type (Bro then sends that type object here too). */
  pure: BroType | null;
  types: BroType[];
}
export interface TableType extends TypeCommon {
  kind: 'table';
  yield: BroType | null;
  indices: BroType;
}
export interface SetType extends TypeCommon {
  kind: 'set';
  yield: BroType | null;
  indices: BroType;
}
export interface RecordField {
  name: string;
  type: BroType;
  attrs: Attributes | null;
}
export interface RecordType extends TypeCommon {
  kind: 'record';
  numFields: number;
  /** null when the sender wrote has_fields = false. */
  fields: RecordField[] | null;
}
export interface EnumName {
  /** Fully qualified ("FX::GREEN"). */
  name: string;
  value: Int64;
}
export interface EnumType extends TypeCommon {
  kind: 'enum';
  /** Next automatic value. */
  counter: Int64;
  /** In wire order (Bro writes them sorted by name). */
  names: EnumName[];
}
export interface VectorType extends TypeCommon {
  kind: 'vector';
  yield: BroType;
}
export interface FileType extends TypeCommon {
  kind: 'file';
  yield: BroType;
}
export interface OpaqueType extends TypeCommon {
  kind: 'opaque';
  opaqueName: string;
}
export interface FuncType extends TypeCommon {
  kind: 'func';
  yield: BroType | null;
  args: BroType;
  argTypes: BroType;
  /** 0 function, 1 event, 2 hook. */
  flavor: number;
}
/** A type sent by name only (leading type flag 0, Broccoli): not an object, never cached. */
export interface TypeByName {
  kind: 'byname';
  name: string;
}

export type FullType =
  | BasicType
  | SubnetType
  | TypeList
  | TableType
  | SetType
  | RecordType
  | EnumType
  | VectorType
  | FileType
  | OpaqueType
  | FuncType;

export type BroType = FullType | TypeByName;

export interface Attr {
  /** Attribute tag number (see ATTR_TAGS); attribute expressions are not supported. */
  tag: number;
}
export interface Attributes {
  type: BroType;
  attrs: Attr[];
  location?: SourceLocation;
}

interface ValCommon {
  type: BroType;
  location?: SourceLocation;
  /**
   * Serial type, only when the sender did not use the usual one for this kind: Broccoli writes
   * strings, addresses etc. as plain SER_VAL (0x8801). Kept so the value re-encodes exactly.
   */
  stype?: number;
}

export interface BoolVal extends ValCommon {
  kind: 'bool';
  value: boolean;
}
export interface IntVal extends ValCommon {
  kind: 'int';
  value: Int64;
}
export interface CountVal extends ValCommon {
  kind: 'count' | 'counter';
  /** Unsigned 64-bit. */
  value: Int64;
}
export interface DoubleVal extends ValCommon {
  /** time = epoch seconds, interval = seconds. */
  kind: 'double' | 'time' | 'interval';
  value: number;
}
export interface StringVal extends ValCommon {
  kind: 'string';
  /**
   * The text when the bytes are valid UTF-8 (NULs included). Otherwise the lossless escaped
   * rendering (see strings.ts: invalid bytes and backslashes as \xNN) and `raw` holds the bytes.
   */
  value: string;
  raw?: Uint8Array;
}
export interface PortVal extends ValCommon {
  kind: 'port';
  port: number;
  proto: PortProto;
}
export interface AddrVal extends ValCommon {
  kind: 'addr';
  /** "192.168.1.2" (sent as one word) or RFC 5952 IPv6 text (sent as four words). */
  value: string;
}
export interface SubnetVal extends ValCommon {
  kind: 'subnet';
  /** "10.0.0.0/8", "2001:db8::/32": width relative to the address family. */
  value: string;
}
export interface EnumVal extends ValCommon {
  kind: 'enum';
  value: Int64;
  /** Resolved through the sender's name table; null if the type came by name or lacks the value. */
  name: string | null;
}
/** RE_Matcher: a separate (non-BroObj) object. */
export interface ReMatcher {
  anywhere: string;
  exact: string;
}
export interface PatternVal extends ValCommon {
  kind: 'pattern';
  matcher: ReMatcher;
}
interface MutableCommon extends ValCommon {
  /** MutableVal property bits (MutableProps). 0 for ordinary event arguments. */
  props: number;
  /** Bound global's unique name ("" for temporaries, "#vm#<pid>#<n>" for synchronized values). */
  id: string;
}
export interface RecordVal extends MutableCommon {
  kind: 'record';
  /** In declaration order; null = field not set. */
  fields: (BroVal | null)[];
}
export interface TableEntry {
  index: ListVal;
  /** null for sets. */
  value: BroVal | null;
  lastAccess: number;
  expireAccess: number;
}
export interface TableVal extends MutableCommon {
  kind: 'table' | 'set';
  attrs: Attributes | null;
  /** In the sender's (hash) order. */
  entries: TableEntry[];
}
export interface VectorVal extends MutableCommon {
  kind: 'vector';
  /** null = hole. */
  elements: (BroVal | null)[];
}
export interface ListVal extends ValCommon {
  kind: 'list';
  /** Type tag char of the list (15 = any). */
  listTag: number;
  elements: BroVal[];
}

export type BroVal =
  | BoolVal
  | IntVal
  | CountVal
  | DoubleVal
  | StringVal
  | PortVal
  | AddrVal
  | SubnetVal
  | EnumVal
  | PatternVal
  | RecordVal
  | TableVal
  | VectorVal
  | ListVal;

export type ValKind = BroVal['kind'];

/** An identifier ('i' serialization), e.g. Bro's `peer_description`. */
export interface IdObj {
  name: string;
  /** 0 function, 1 module, 2 global. */
  scope: number;
  isExport: boolean;
  isConst: number;
  isEnumConst: number;
  isType: number;
  offset: number;
  inferReturnType: boolean;
  weakRef: boolean;
  type: BroType;
  attrs: Attributes | null;
  value: BroVal | null;
  location?: SourceLocation;
}

/** A state operation ('s' serialization). */
export interface StateAccess {
  /** Opcode (STATE_OPS index: 1 ASSIGN, 2 ASSIGN_IDX, 3 ADD, 4 INCR, ...). */
  op: number;
  /** Global name, or a value's unique id ("#vm#..."). */
  target: string;
  op1: BroVal;
  op2: BroVal | null;
  op3: BroVal | null;
}

export interface SerialEvent {
  kind: 'event';
  name: string;
  /** Sender's network time (Bro) or wall clock (Broccoli). */
  time: number;
  args: BroVal[];
}
export interface SerialId {
  kind: 'id';
  id: IdObj;
}
export interface SerialState {
  kind: 'state';
  access: StateAccess;
}

export type SerialBody = SerialEvent | SerialId | SerialState;
