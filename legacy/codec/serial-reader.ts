import { ByteReader } from '../../src/core/bytes.ts';
import { BRO_CACHE_SIZE, STABLE_BIT } from './constants.ts';
import { legacyError } from './errors.ts';
import type { Attributes, BroType, BroVal, FullType, SerialBody, SourceLocation } from './model.ts';
import { EventNames, readEvent } from './event-reader.ts';
import { readAttributes, readId, readLocation, readStateAccess } from './object-reader.ts';
import { resolveLimits, type LegacyLimits } from './options.ts';
import { FAMILY, ReceiverCache, type CacheEntry, type CachedFamily } from './receiver-cache.ts';
import { decodeName } from './strings.ts';
import { readValBody, type KindInfo } from './value-reader.ts';
import { typeRef } from './type-lookup.ts';
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
const valBody = readValBody;
const locationBody = readLocation;
const attributesBody = readAttributes;
const eventBody = readEvent;
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
  // Decoding state shared with the type and value readers (type-lookup.ts, value-reader.ts).
  depth = 0;
  /** Deepest nesting reached (for the depth of interned type subtrees). */
  deepest = 0;
  /** Counts cache registrations and back-references: a subtree that did neither is context-free. */
  marks = 0;
  readonly uncached = new UncachedTypes();
  private readonly eventNames = new EventNames();
  // Last object header read (kept in fields to avoid allocating per object).
  full = false;
  pid = 0;
  stype = 0;
  headerAt = 0;
  // What valueType() knew about the value kind of the type it returned, and where to keep the
  // kind once the value reader derived it (so a repeated type is classified once).
  kindInfo: KindInfo | undefined = undefined;
  kindEntry: { memo: unknown } | undefined = undefined;
  /** The type type() returned last is a shared object (a back-reference or an interned type). */
  sharedType = false;

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
      if (kind === 0x65) body = eventBody(this, this.eventNames);
      else if (kind === 0x69) {
        this.beginSequence('\0id');
        body = { kind: 'id', id: readId(this) };
      } else if (kind === 0x73) {
        this.beginSequence('\0state');
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

  /** A serialization of this kind starts (event name, or id / state): see UncachedTypes.begin. */
  beginSequence(key: string): void {
    this.uncached.begin(key);
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

  backrefEntry(family: number, field: string): CacheEntry {
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
    return typeRef(this, field);
  }

  optionalType(field: string): BroType | null {
    return this.bool(field) ? typeRef(this, field) : null;
  }

  attributes(field: string): Attributes {
    return attributesBody(this, field);
  }

  optionalAttributes(field: string): Attributes | null {
    return this.bool(field) ? attributesBody(this, field) : null;
  }

  val(field: string): BroVal {
    // The common case read in one go: a value sent in full, its header and location flag at
    // hand, no location (what Bro and Broccoli send). Anything else takes valGeneral().
    const r = this.r;
    const b = r.bytes;
    const o = r.offset;
    const wide = this.format.pid64;
    const n = wide ? 12 : 8;
    if (r.end - o < n || b[o] !== 1 || b[o + n - 3] !== 0x88 || b[o + n - 1] !== 0) return this.valGeneral(field);
    let pid = ((b[o + n - 7]! << 24) | (b[o + n - 6]! << 16) | (b[o + n - 5]! << 8) | b[o + n - 4]!) >>> 0;
    if (wide) {
      const hi = ((b[o + 1]! << 24) | (b[o + 2]! << 16) | (b[o + 3]! << 8) | b[o + 4]!) >>> 0;
      if (hi >= 0x200000) return this.valGeneral(field);
      pid += hi * 4294967296;
    }
    const stype = 0x8800 | b[o + n - 2]!;
    const at = r.base + o;
    r.offset = o + n - 1;
    this.enter(field);
    r.offset = o + n;
    let pos = -1;
    if (pid !== 0) {
      this.marks++;
      pos = this.cache.addValue(pid, PENDING, at);
    }
    const v = valBody(this, stype, at, field);
    if (pid !== 0) this.cache.settleValue(pos, pid, PENDING, v);
    this.depth--;
    return v;
  }

  private valGeneral(field: string): BroVal {
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
}
