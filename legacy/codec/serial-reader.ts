import { ByteReader } from '../../src/core/bytes.ts';
import { BRO_CACHE_SIZE, STABLE_BIT, TYPE_TAGS } from './constants.ts';
import { legacyError } from './errors.ts';
import type { Attributes, BroType, BroVal, FullType, SerialBody, SourceLocation } from './model.ts';
import { readAttributes, readId, readLocation, readStateAccess } from './object-reader.ts';
import { resolveLimits, type LegacyLimits } from './options.ts';
import { FAMILY, ReceiverCache, type CacheEntry, type CachedFamily } from './receiver-cache.ts';
import { decodeName } from './strings.ts';
import { readValBody, type KindInfo } from './value-reader.ts';
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
const NOT_STABLE = ~STABLE_BIT;
const nameText = decodeName;
const shellOf = typeShell;
const typeBody = readTypeBody;
const valBody = readValBody;
const locationBody = readLocation;
const attributesBody = readAttributes;
const TAGS = TYPE_TAGS;
const F_TYPE = FAMILY.type;
const F_VAL = FAMILY.val;
const FAMILY_NAMES = Object.keys(FAMILY) as CachedFamily[];

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
  /** The last event name decoded, with its bytes: events of one kind repeat their name. */
  private eventName = '';
  private eventNameBytes = new Uint8Array(0);
  // Last object header read (kept in fields to avoid allocating per object).
  full = false;
  pid = 0;
  stype = 0;
  headerAt = 0;
  // What valueType() knew about the value kind of the type it returned, and where to keep the
  // kind once the value reader derived it (so a repeated type is classified once).
  kindInfo: KindInfo | undefined = undefined;
  private kindEntry: { memo: unknown } | undefined = undefined;
  /** The type type() returned last is a shared object (a back-reference or an interned type). */
  sharedType = false;
  /** Frozen one-member type lists, per shared member type (see singleList). */
  private readonly singles = new WeakMap<BroType, BroType[]>();

  constructor(options: SerialDecoderOptions = {}) {
    this.format = { pid64: false, newCacheStrategy: false, ...options.format };
    this.limits = resolveLimits(options.limits);
    this.cache = new ReceiverCache(options.cacheSize ?? BRO_CACHE_SIZE, this.limits.maxCacheEntries);
    this.typeByName = options.typeByName;
  }

  /**
   * Decode one complete SERIAL argument, payload[start, end). `base` is the stream offset of
   * payload[start], for errors.
   */
  decode(payload: Uint8Array, base = 0, start = 0, end = payload.length): SerialBody {
    const r = new ByteReader(payload, base - start, start, end);
    this.r = r;
    this.depth = 0;
    try {
      const kind = r.u8('serial.kind');
      let body: SerialBody;
      if (kind === 0x65) body = this.readEvent();
      else if (kind === 0x69) {
        this.uncached.begin('\0id');
        body = { kind: 'id', id: readId(this) };
      } else if (kind === 0x73) {
        this.uncached.begin('\0state');
        body = { kind: 'state', access: readStateAccess(this) };
      } else {
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
      this.r = NO_INPUT;
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
  backref(family: number, field: string): object {
    return this.backrefEntry(family, field).obj;
  }

  private backrefEntry(family: number, field: string): CacheEntry {
    this.marks++;
    const e = this.cache.find(this.pid);
    if (e === undefined) throw legacyError('cache_miss', `unknown object ${this.pid} referenced`, { field, offset: this.headerAt });
    if (e.family !== family || e.obj === PENDING) {
      const what = e.obj === PENDING ? 'value still being read' : FAMILY_NAMES[e.family]!;
      throw legacyError('bad_value', `object ${this.pid} is a ${what}, expected ${FAMILY_NAMES[family]!}`, { field, offset: this.headerAt });
    }
    return e;
  }

  expectStype(expected: number, field: string): void {
    if (this.stype !== expected) {
      throw legacyError('unknown_serial_type', `serial type 0x${this.stype.toString(16)} where 0x${expected.toString(16)} was expected`, {
        field,
        offset: this.headerAt,
      });
    }
  }

  /** Enter the object whose header was just read in the cache (unless its pid is 0): a handle for settle(). */
  register(obj: object, family: number): number {
    if (this.pid === 0) return -1;
    this.marks++;
    return this.cache.add(this.pid, obj, family, this.stype, this.format.newCacheStrategy, this.headerAt);
  }

  /** BroObj's has_location flag and optional Location object. */
  location(field: string): SourceLocation | undefined {
    return this.bool(field) ? locationBody(this, field) : undefined;
  }

  // ---- types, attributes, values ---------------------------------------------------------

  /** A type with its leading full-type flag (0 = type by name). */
  type(field: string): BroType {
    const r = this.r;
    this.sharedType = false;
    if (r.offset >= r.end) r.need(1, field);
    if (r.bytes[r.offset++] !== 1) return { kind: 'byname', name: this.string(field) };
    this.header(field);
    if (!this.full) {
      const t = this.backref(F_TYPE, field) as FullType;
      this.sharedType = true;
      return t;
    }
    if (this.pid === 0) return this.uncachedType(field, undefined);
    const t = this.parseType(field);
    this.sharedType = false;
    return t;
  }

  /**
   * The member list of a type list whose one member is the shared type `t`: one frozen array per
   * member type. A cached stream keeps every type list it receives (a set sends a new one with
   * each element) for thousands of events, long enough to be promoted out of the young
   * generation, so one object less per list is measurable.
   */
  singleList(t: BroType): BroType[] {
    let list = this.singles.get(t);
    if (list === undefined) {
      list = Object.freeze([t]) as BroType[];
      this.singles.set(t, list);
    }
    return list;
  }

  /** type(), for a value's own type: also sets kindInfo (see the fields). */
  valueType(field: string): BroType {
    this.kindInfo = undefined;
    this.kindEntry = undefined;
    const r = this.r;
    if (r.offset >= r.end) r.need(1, field);
    if (r.bytes[r.offset++] !== 1) return { kind: 'byname', name: this.string(field) };
    this.header(field);
    if (!this.full) {
      const e = this.backrefEntry(F_TYPE, field);
      this.kindInfo = e.memo as KindInfo | undefined;
      this.kindEntry = e;
      return e.obj as FullType;
    }
    if (this.pid === 0) return this.uncachedType(field, this);
    return this.parseType(field);
  }

  /** The value reader derived `info` from the type valueType() returned: keep it with the type. */
  keepKind(info: KindInfo): void {
    if (this.kindEntry !== undefined) this.kindEntry.memo = info;
  }

  /** A pid-0 type: shared if an identical one was decoded before (see type-intern.ts). */
  private uncachedType(field: string, forValue: SerialDecoder | undefined): FullType {
    const r = this.r;
    const stype = this.stype;
    const start = r.offset;
    const basic = this.uncached.basicAt(stype, r.bytes, start, r.end);
    if (basic !== undefined) {
      r.offset = start + 9;
      this.sharedType = true;
      if (forValue !== undefined) {
        this.kindInfo = basic.memo as KindInfo | undefined;
        this.kindEntry = basic;
      }
      return basic.type;
    }
    const seen = this.uncached.find(stype, r.bytes, start, r.end, this.limits.maxNestingDepth - this.depth - 1);
    if (seen !== undefined) {
      r.offset = start + seen.bytes.length;
      this.sharedType = true;
      if (forValue !== undefined) {
        this.kindInfo = seen.memo as KindInfo | undefined;
        this.kindEntry = seen;
      }
      return seen.type;
    }
    const marks = this.marks;
    const depth = this.depth;
    this.deepest = depth;
    const t = this.parseType(field);
    if (this.marks === marks) this.uncached.remember(stype, r.bytes, start, r.offset, t, this.deepest - depth);
    this.sharedType = false;
    return t;
  }

  private parseType(field: string): FullType {
    this.enter(field);
    const t = shellOf(this.stype);
    if (t === undefined) {
      throw legacyError('unknown_serial_type', `serial type 0x${this.stype.toString(16)} is not a type`, { field, offset: this.headerAt });
    }
    this.register(t, F_TYPE);
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
    return attributesBody(this, field);
  }

  optionalAttributes(field: string): Attributes | null {
    return this.bool(field) ? attributesBody(this, field) : null;
  }

  val(field: string): BroVal {
    this.header(field);
    if (!this.full) return this.backref(F_VAL, field) as BroVal;
    const stype = this.stype;
    if (stype >> 8 !== 0x88) {
      throw legacyError('unknown_serial_type', `serial type 0x${stype.toString(16)} is not a value`, { field, offset: this.headerAt });
    }
    this.enter(field);
    const pid = this.pid;
    const handle = this.register(PENDING, F_VAL);
    const at = this.headerAt;
    const loc = this.location(field);
    const v = valBody(this, stype, at, field);
    if (loc !== undefined) v.location = loc;
    if (pid !== 0) this.cache.settle(handle, pid, PENDING, v);
    this.depth--;
    return v;
  }

  optionalVal(field: string): BroVal | null {
    const r = this.r;
    if (r.offset >= r.end) r.need(1, field);
    return r.bytes[r.offset++] === 1 ? this.val(field) : null;
  }

  // ---- events -----------------------------------------------------------------------------

  private readEvent(): SerialBody {
    const r = this.r;
    const name = this.readEventName();
    this.uncached.begin(name);
    const time = r.f64('event.time');
    const at = r.position;
    const n = r.i32('event.nargs');
    if (n < 0) throw legacyError('malformed_message', `negative argument count ${n}`, { field: 'event.nargs', offset: at });
    // Exactly sized when the count is plausible (each argument takes at least a byte).
    const args: BroVal[] = n <= r.end - r.offset ? new Array<BroVal>(n) : [];
    for (let i = 0; i < n; i++) args[i] = this.val('event.args');
    return { kind: 'event', name, time, args };
  }

  /** The event name; the previous event's string again when the bytes are the same. */
  private readEventName(): string {
    const r = this.r;
    const field = 'event.name';
    const n = r.u32(field);
    r.need(n, field);
    const b = r.bytes;
    const start = r.offset;
    r.offset += n;
    const last = this.eventNameBytes;
    if (last.length === n) {
      let i = 0;
      while (i < n && last[i] === b[start + i]) i++;
      if (i === n) return this.eventName;
    }
    const name = nameText(b, start, start + n);
    if (n <= 256) {
      this.eventNameBytes = b.slice(start, start + n);
      this.eventName = name;
    }
    return name;
  }

  /** Type tag name of a tag char, or a typed error. */
  tagName(code: number, field: string): (typeof TYPE_TAGS)[number] {
    const name = TAGS[code];
    if (name === undefined) throw legacyError('unknown_type_tag', `type tag ${code}`, { field, offset: this.r.position - 1 });
    return name;
  }
}
