import { ByteReader } from '../../src/core/bytes.ts';
import { BRO_CACHE_SIZE, SerType, STABLE_BIT, TYPE_TAGS, ID_SCOPES } from './constants.ts';
import { legacyError } from './errors.ts';
import type { Attributes, BroType, BroVal, FullType, IdObj, SerialBody, SourceLocation, StateAccess, TypeByName } from './model.ts';
import { resolveLimits, type LegacyLimits } from './options.ts';
import { ReceiverCache, type CachedFamily, type ReceiverEntry } from './serial-cache.ts';
import { decodeName } from './strings.ts';
import { readValBody } from './value-reader.ts';
import { readTypeBody, typeShell } from './type-reader.ts';
import { UncachedTypes } from './type-intern.ts';

/** How the peer's serializer writes cache ids; switched by the connection's state machine. */
export interface SerialFormat {
  /** 64-bit cache ids (RUNNING, and the sender's peer announced PID_64BIT). */
  pid64: boolean;
  /** NEW_CACHE_STRATEGY in effect for this direction (RUNNING, and announced). */
  newCacheStrategy: boolean;
}

export interface SerialDecoderOptions {
  format?: Partial<SerialFormat>;
  /** Capacity of the mirror cache: the cache size in the *sender's* VERSION. */
  cacheSize?: number;
  limits?: Partial<LegacyLimits>;
  /**
   * Resolves a type that arrived by name only (Broccoli). Needed just for values whose layout
   * depends on the type (plain VAL, tables vs sets); records, enums, vectors ... decode without it.
   */
  typeByName?: (name: string) => FullType | undefined;
}

// Module-local copies of imported bindings used per object: tsx runs this code as CommonJS, where
// every access to an import is a getter call (measurably slow on the decode path).
const { LOCATION, ATTRIBUTES, ID: ID_OBJ, STATE_ACCESS } = SerType;
const NOT_STABLE = ~STABLE_BIT;
const nameText = decodeName;
const shellOf = typeShell;
const typeBody = readTypeBody;
const valBody = readValBody;
const TAGS = TYPE_TAGS;

const NO_INPUT = new ByteReader(new Uint8Array(0));

/** Marks a value whose body is still being read (a reference to it would be a cycle). */
const PENDING: object = Object.freeze({ pending: true });

/**
 * Reads SERIAL payloads from one peer, keeping that peer's mirror cache across messages.
 * Not re-entrant; one instance per connection and direction.
 */
export class SerialDecoder {
  format: SerialFormat;
  readonly cache: ReceiverCache;
  typeByName: ((name: string) => FullType | undefined) | undefined;
  readonly limits: LegacyLimits;
  /** The reader of the payload being decoded (valid during decode()). */
  r: ByteReader = NO_INPUT;
  private depth = 0;
  /** Deepest nesting reached (for the depth of interned type subtrees). */
  private deepest = 0;
  /** Counts cache registrations and back-references: a subtree that did neither is context-free. */
  private marks = 0;
  private readonly uncached = new UncachedTypes();
  // Last object header read (kept in fields to avoid allocating per object).
  full = false;
  pid = 0;
  stype = 0;
  headerAt = 0;

  constructor(options: SerialDecoderOptions = {}) {
    this.format = { pid64: false, newCacheStrategy: false, ...options.format };
    this.limits = resolveLimits(options.limits);
    this.cache = new ReceiverCache(options.cacheSize ?? BRO_CACHE_SIZE, this.limits.maxCacheEntries);
    this.typeByName = options.typeByName;
  }

  /** Decode one complete SERIAL argument. `base` is its offset in the stream, for errors. */
  decode(payload: Uint8Array, base = 0): SerialBody {
    const r = new ByteReader(payload, base);
    this.r = r;
    this.depth = 0;
    try {
      const kind = r.u8('serial.kind');
      let body: SerialBody;
      if (kind === 0x65) body = this.readEvent();
      else if (kind === 0x69) body = { kind: 'id', id: this.readId() };
      else if (kind === 0x73) body = { kind: 'state', access: this.readStateAccess() };
      else {
        const shown = kind >= 0x20 && kind < 0x7f ? `'${String.fromCharCode(kind)}'` : `0x${kind.toString(16)}`;
        throw legacyError('unknown_serial_kind', `unsupported SERIAL kind ${shown} (only 'e', 'i', 's' are handled)`, {
          field: 'serial.kind',
          offset: base,
        });
      }
      if (r.remaining !== 0) {
        throw legacyError('malformed_message', `${r.remaining} trailing byte(s) after the serialization`, {
          field: 'serial',
          offset: r.position,
        });
      }
      return body;
    } finally {
      this.cache.endSerialization();
    }
  }

  /** New connection: forget everything the peer sent. */
  reset(): void {
    this.cache.clear();
  }

  // ---- primitives -------------------------------------------------------------------------

  bool(field: string): boolean {
    const r = this.r;
    if (r.offset >= r.end) r.need(1, field);
    return r.bytes[r.offset++] === 1;
  }

  string(field: string): string {
    const r = this.r;
    const n = r.u32(field);
    r.need(n, field);
    const start = r.offset;
    r.offset += n;
    return nameText(r.bytes, start, start + n);
  }

  enter(field: string): void {
    if (++this.depth > this.deepest) this.deepest = this.depth;
    if (this.depth > this.limits.maxNestingDepth) {
      throw legacyError('nesting_too_deep', `objects nested deeper than ${this.limits.maxNestingDepth}`, {
        field,
        offset: this.r.position,
      });
    }
  }

  leave(): void {
    this.depth--;
  }

  /** Read an object header into full/pid/stype (stype with the stable bit masked off). */
  header(field: string): void {
    // Inlined reads (this runs for every object): full flag, pid (4 or 8 bytes), stype if full.
    const r = this.r;
    const b = r.bytes;
    let o = r.offset;
    this.headerAt = r.base + o;
    const wide = this.format.pid64;
    const need = wide ? 9 : 5;
    if (r.end - o < need) r.need(need, field);
    const full = b[o++] === 1;
    if (wide) {
      const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      if (hi >= 0x200000) throw legacyError('limit_exceeded', 'cache id beyond 2^53', { field, offset: this.headerAt });
      this.pid = hi * 4294967296 + (((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0);
      o += 8;
    } else {
      this.pid = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      o += 4;
    }
    this.full = full;
    if (full) {
      if (r.end - o < 2) {
        r.offset = o;
        r.need(2, field);
      }
      this.stype = ((b[o]! << 8) | b[o + 1]!) & NOT_STABLE;
      o += 2;
    } else this.stype = 0;
    r.offset = o;
  }

  /** The cached object a back-reference (full = 0) names, checked to be of the expected family. */
  backref(family: CachedFamily, field: string): object {
    this.marks++;
    const entry = this.cache.lookup(this.pid);
    if (entry === undefined) {
      throw legacyError('cache_miss', `unknown object ${this.pid} referenced`, { field, offset: this.headerAt });
    }
    if (entry.family !== family || entry.obj === PENDING) {
      throw legacyError('bad_value', `object ${this.pid} is a ${entry.obj === PENDING ? 'value still being read' : entry.family}, expected ${family}`, {
        field,
        offset: this.headerAt,
      });
    }
    return entry.obj;
  }

  expectStype(expected: number, field: string): void {
    if (this.stype !== expected) {
      throw legacyError('unknown_serial_type', `serial type 0x${this.stype.toString(16)} where 0x${expected.toString(16)} was expected`, {
        field,
        offset: this.headerAt,
      });
    }
  }

  register(obj: object, family: CachedFamily): ReceiverEntry | undefined {
    if (this.pid !== 0) this.marks++;
    return this.cache.register(this.pid, obj, family, this.stype, this.format.newCacheStrategy, this.headerAt);
  }

  /** BroObj's has_location flag and optional Location object. */
  location(field: string): SourceLocation | undefined {
    if (!this.bool(field)) return undefined;
    this.header(field);
    if (!this.full) return this.backref('location', field) as SourceLocation;
    this.expectStype(LOCATION, field);
    const loc: SourceLocation = { filename: '', firstLine: 0, lastLine: 0, firstColumn: 0, lastColumn: 0 };
    this.register(loc, 'location');
    const r = this.r;
    loc.filename = this.string(field);
    loc.firstLine = r.i32(field);
    loc.lastLine = r.i32(field);
    loc.firstColumn = r.i32(field);
    loc.lastColumn = r.i32(field);
    return loc;
  }

  // ---- types, attributes, values ---------------------------------------------------------

  /** A type with its leading full-type flag (0 = type by name). */
  type(field: string): BroType {
    if (this.r.u8(field) !== 1) return { kind: 'byname', name: this.string(field) } satisfies TypeByName;
    return this.typeObject(field);
  }

  typeObject(field: string): FullType {
    this.header(field);
    if (!this.full) return this.backref('type', field) as FullType;
    if (this.pid === 0) return this.uncachedType(field);
    return this.parseType(field);
  }

  /** A pid-0 type: shared if an identical one was decoded before (see type-intern.ts). */
  private uncachedType(field: string): FullType {
    const r = this.r;
    const stype = this.stype;
    const start = r.offset;
    const basic = this.uncached.basicAt(stype, r.bytes, start, r.end);
    if (basic !== undefined) {
      r.offset = start + 9;
      return basic;
    }
    const seen = this.uncached.find(stype, r.bytes, start, r.end, this.limits.maxNestingDepth - this.depth - 1);
    if (seen !== undefined) {
      r.offset = start + seen.bytes.length;
      return seen.type;
    }
    const marks = this.marks;
    const depth = this.depth;
    this.deepest = depth;
    const t = this.parseType(field);
    if (this.marks === marks) this.uncached.remember(stype, r.bytes, start, r.offset, t, this.deepest - depth);
    return t;
  }

  private parseType(field: string): FullType {
    this.enter(field);
    const t = shellOf(this.stype);
    if (t === undefined) {
      throw legacyError('unknown_serial_type', `serial type 0x${this.stype.toString(16)} is not a type`, { field, offset: this.headerAt });
    }
    this.register(t, 'type');
    const loc = this.location(field);
    if (loc !== undefined) t.location = loc;
    typeBody(this, t, field);
    this.leave();
    return t;
  }

  optionalType(field: string): BroType | null {
    return this.bool(field) ? this.type(field) : null;
  }

  attributes(field: string): Attributes {
    this.header(field);
    if (!this.full) return this.backref('attrs', field) as Attributes;
    this.expectStype(ATTRIBUTES, field);
    this.enter(field);
    const attrs: Attributes = { type: PLACEHOLDER_TYPE, attrs: [] };
    this.register(attrs, 'attrs');
    const loc = this.location(field);
    if (loc !== undefined) attrs.location = loc;
    attrs.type = this.type(field);
    const n = this.r.i32(field);
    for (let i = 0; i < n; i++) {
      if (this.bool(field)) {
        throw legacyError('unsupported_object', 'attribute expression (e.g. &default=...) cannot be decoded; announce BROCCOLI_PEER', {
          field,
          offset: this.r.position,
        });
      }
      attrs.attrs.push({ tag: this.r.u8(field) });
    }
    this.leave();
    return attrs;
  }

  optionalAttributes(field: string): Attributes | null {
    return this.bool(field) ? this.attributes(field) : null;
  }

  val(field: string): BroVal {
    this.header(field);
    if (!this.full) return this.backref('val', field) as BroVal;
    const stype = this.stype;
    if (stype >> 8 !== 0x88) {
      throw legacyError('unknown_serial_type', `serial type 0x${stype.toString(16)} is not a value`, { field, offset: this.headerAt });
    }
    this.enter(field);
    const entry = this.register(PENDING, 'val');
    const at = this.headerAt;
    const loc = this.location(field);
    const v = valBody(this, stype, at, field);
    if (loc !== undefined) v.location = loc;
    if (entry !== undefined) entry.obj = v;
    this.leave();
    return v;
  }

  optionalVal(field: string): BroVal | null {
    return this.bool(field) ? this.val(field) : null;
  }

  // ---- top-level kinds --------------------------------------------------------------------

  private readEvent(): SerialBody {
    const r = this.r;
    const name = this.string('event.name');
    const time = r.f64('event.time');
    const at = r.position;
    const n = r.i32('event.nargs');
    if (n < 0) throw legacyError('malformed_message', `negative argument count ${n}`, { field: 'event.nargs', offset: at });
    const args: BroVal[] = [];
    for (let i = 0; i < n; i++) args.push(this.val('event.args'));
    return { kind: 'event', name, time, args };
  }

  private readId(): IdObj {
    const field = 'id';
    this.header(field);
    if (!this.full) return this.backref('id', field) as IdObj;
    this.expectStype(ID_OBJ, field);
    this.enter(field);
    const r = this.r;
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
    this.register(id, 'id');
    const loc = this.location(field);
    if (loc !== undefined) id.location = loc;
    id.name = this.string('id.name');
    id.scope = r.u8('id.scope');
    if (id.scope >= ID_SCOPES.length) throw legacyError('bad_value', `ID scope ${id.scope}`, { field: 'id.scope', offset: r.position - 1 });
    id.isExport = this.bool('id.is_export');
    id.isConst = r.i32('id.is_const');
    id.isEnumConst = r.i32('id.is_enum_const');
    id.isType = r.i32('id.is_type');
    id.offset = r.i32('id.offset');
    id.inferReturnType = this.bool('id.infer_return_type');
    id.weakRef = this.bool('id.weak_ref');
    id.type = this.type('id.type');
    id.attrs = this.optionalAttributes('id.attrs');
    id.value = this.optionalVal('id.value');
    this.leave();
    return id;
  }

  private readStateAccess(): StateAccess {
    const field = 'state';
    this.header(field);
    if (!this.full) return this.backref('state', field) as StateAccess;
    this.expectStype(STATE_ACCESS, field);
    const r = this.r;
    const access: StateAccess = { op: 0, target: '', op1: PLACEHOLDER_VAL, op2: null, op3: null };
    this.register(access, 'state');
    const at = r.position;
    access.op = r.u8('state.opcode');
    if (access.op > 9) throw legacyError('bad_value', `state access opcode ${access.op}`, { field: 'state.opcode', offset: at });
    access.target = this.string('state.target');
    access.op1 = this.val('state.op1');
    access.op2 = this.optionalVal('state.op2');
    access.op3 = this.optionalVal('state.op3');
    return access;
  }

  /** Type tag name of a tag char, or a typed error. */
  tagName(code: number, field: string): (typeof TYPE_TAGS)[number] {
    const name = TAGS[code];
    if (name === undefined) throw legacyError('unknown_type_tag', `type tag ${code}`, { field, offset: this.r.position - 1 });
    return name;
  }
}

const PLACEHOLDER_TYPE: BroType = Object.freeze({ kind: 'byname', name: '' }) as TypeByName;
const PLACEHOLDER_VAL = Object.freeze({ kind: 'list', type: PLACEHOLDER_TYPE, listTag: 0, elements: [] }) as unknown as BroVal;
