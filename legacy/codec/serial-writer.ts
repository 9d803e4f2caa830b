import { ByteWriter } from '../../src/core/bytes.ts';
import { parseAddr, parseSubnet } from './addr.ts';
import { BRO_CACHE_SIZE, isCacheStableType, PORT_PROTOS, SerType, STABLE_BIT, TYPE_TAG_CODE } from './constants.ts';
import { legacyError } from './errors.ts';
import { isInt64, writeI64 } from './int64.ts';
import type { Attributes, BroType, BroVal, FullType, IdObj, SerialBody, SourceLocation, StateAccess } from './model.ts';
import { SenderCache } from './serial-cache.ts';
import type { SerialFormat } from './serial-reader.ts';
import { writeString } from './strings.ts';
import { VAL_STYPE } from './value-reader.ts';

export interface SerialWriteFormat extends SerialFormat {
  /**
   * Cache objects and send back-references. Off towards a peer that announced NO_CACHING: then
   * every object goes out in full with pid 0 (what Bro does for Broccoli, and what Broccoli does).
   */
  caching: boolean;
}

export interface SerialEncoderOptions {
  format?: Partial<SerialWriteFormat>;
  /** Our announced cache size (the number in our VERSION); the LRU capacity of our sender cache. */
  cacheSize?: number;
}

const TYPE_STYPE: Readonly<Record<FullType['kind'], number>> = {
  basic: SerType.BRO_TYPE,
  subnet: SerType.SUBNET_TYPE,
  typelist: SerType.TYPE_LIST,
  table: SerType.TABLE_TYPE,
  set: SerType.SET_TYPE,
  record: SerType.RECORD_TYPE,
  enum: SerType.ENUM_TYPE,
  vector: SerType.VECTOR_TYPE,
  file: SerType.FILE_TYPE,
  opaque: SerType.OPAQUE_TYPE,
  func: SerType.FUNC_TYPE,
};

// Module-local copies of imported bindings used per object: tsx runs this code as CommonJS, where
// every access to an import is a getter call (measurably slow on the encode path).
const { LOCATION, ATTRIBUTES, RE_MATCHER, ID: ID_OBJ, STATE_ACCESS } = SerType;
const stableType = isCacheStableType;
const STABLE = STABLE_BIT;
// Maps, not objects: lookups keyed by a variable string are megamorphic on plain objects.
const TAG_CODE = new Map(Object.entries(TYPE_TAG_CODE));
const putString = writeString;
const putI64 = writeI64;
const isI64 = isInt64;
const PROTOS = PORT_PROTOS;
const addrWords = parseAddr;
const subnetWords = parseSubnet;
const STYPE_OF = new Map(Object.entries(VAL_STYPE));
const TYPE_STYPE_OF = new Map(Object.entries(TYPE_STYPE));

/** See typeMemo(). */
const TYPE_MEMOS: WeakMap<FullType, Uint8Array>[] = [new WeakMap(), new WeakMap(), new WeakMap(), new WeakMap()];

/** Placeholder until encode() is given the caller's writer. */
const NO_OUTPUT = new ByteWriter(16);

function invalid(message: string, field: string): never {
  throw legacyError('invalid_value', message, { field });
}

/**
 * Writes SERIAL payloads to one peer, numbering cached objects across messages the way Bro does
 * (so re-encoding a decoded Bro stream in order reproduces Bro's pids and back-references).
 */
export class SerialEncoder {
  format: SerialWriteFormat;
  readonly cache: SenderCache;
  private w = NO_OUTPUT;

  constructor(options: SerialEncoderOptions = {}) {
    this.format = { pid64: false, newCacheStrategy: false, caching: true, ...options.format };
    this.cache = new SenderCache(options.cacheSize ?? BRO_CACHE_SIZE);
  }

  /** Append one complete serialization (the SERIAL argument) to `w`. */
  encode(body: SerialBody, w: ByteWriter): void {
    this.w = w;
    try {
      switch (body.kind) {
        case 'event': {
          w.u8(0x65);
          putString(w, body.name);
          w.f64(body.time);
          w.i32(body.args.length);
          for (const v of body.args) this.val(v);
          break;
        }
        case 'id':
          w.u8(0x69);
          this.id(body.id);
          break;
        case 'state':
          w.u8(0x73);
          this.state(body.access);
          break;
        default:
          invalid(`unknown serial body kind ${(body as { kind: string }).kind}`, 'serial.kind');
      }
    } finally {
      this.cache.endSerialization();
    }
  }

  /** Convenience: one serialization as a fresh byte array. */
  encodeToBytes(body: SerialBody): Uint8Array {
    const w = new ByteWriter(256);
    this.encode(body, w);
    return w.toBytes();
  }

  /** New session with the same peer: forget the cache (pids keep counting, as in Bro). */
  reset(): void {
    this.cache.clear();
  }

  /** Object header; returns false when a back-reference was written (no body follows). */
  private header(obj: object, stype: number): boolean {
    const w = this.w;
    let pid = 0;
    if (this.format.caching) {
      const cached = this.cache.lookup(obj);
      if (cached !== 0) {
        w.u8(0);
        this.pid(cached);
        return false;
      }
      pid = this.cache.register(obj, stype, this.format.newCacheStrategy);
    }
    w.u8(1);
    this.pid(pid);
    w.u16(this.format.newCacheStrategy && stableType(stype) ? stype | STABLE : stype);
    return true;
  }

  private pid(pid: number): void {
    if (this.format.pid64) this.w.u64(pid);
    else {
      if (pid > 0xffffffff) invalid('cache id exceeds 32 bits; the peer needs PID_64BIT', 'object.pid');
      this.w.u32(pid);
    }
  }

  private bool(v: boolean): void {
    this.w.u8(v ? 1 : 0);
  }

  private location(loc: SourceLocation | undefined): void {
    if (loc === undefined) {
      this.w.u8(0);
      return;
    }
    this.w.u8(1);
    if (!this.header(loc, LOCATION)) return;
    putString(this.w, loc.filename);
    this.w.i32(loc.firstLine).i32(loc.lastLine).i32(loc.firstColumn).i32(loc.lastColumn);
  }

  type(t: BroType): void {
    const w = this.w;
    if (t.kind === 'byname') {
      w.u8(0);
      putString(w, t.name);
      return;
    }
    // Without caching a type always goes out the same way: reuse its bytes (see typeMemo).
    const memo = this.format.caching ? undefined : this.typeMemo();
    if (memo !== undefined) {
      const bytes = memo.get(t);
      if (bytes !== undefined) {
        w.bytes(bytes);
        return;
      }
    }
    const start = w.length;
    w.u8(1);
    const stype = TYPE_STYPE_OF.get(t.kind);
    if (stype === undefined) invalid(`unknown type kind ${(t as { kind: string }).kind}`, 'type');
    if (!this.header(t, stype)) return;
    this.typeBody(t, w);
    if (memo !== undefined) memo.set(t, w.peek().slice(start));
  }

  /**
   * Serialized bytes of types already written without caching, per format (pid width and stable
   * bit change them). Valid because sent objects must not be mutated (model.ts); shared by every
   * encoder, since the bytes depend on nothing else.
   */
  private typeMemo(): WeakMap<FullType, Uint8Array> {
    return TYPE_MEMOS[(this.format.pid64 ? 1 : 0) | (this.format.newCacheStrategy ? 2 : 0)]!;
  }

  private typeBody(t: FullType, w: ByteWriter): void {
    this.location(t.location);
    const tag = TAG_CODE.get(t.tag);
    if (tag === undefined) invalid(`unknown type tag ${t.tag}`, 'type.tag');
    w.u8(tag).u8(t.internal);
    this.bool(t.networkOrder);
    this.bool(t.baseType);
    putString(w, t.name);
    switch (t.kind) {
      case 'basic':
      case 'subnet':
        return;
      case 'typelist':
        this.optionalType(t.pure);
        w.i32(t.types.length);
        for (const m of t.types) this.type(m);
        return;
      case 'table':
      case 'set':
        this.optionalType(t.yield);
        this.type(t.indices);
        if (t.kind === 'set') w.u8(0);
        return;
      case 'record':
        w.i32(t.numFields);
        this.bool(t.fields !== null);
        if (t.fields === null) return;
        w.i32(t.fields.length);
        for (const f of t.fields) {
          this.optionalAttributes(f.attrs);
          this.type(f.type);
          putString(w, f.name);
        }
        return;
      case 'enum':
        putI64(w, t.counter);
        w.u32(t.names.length);
        w.u8(0);
        for (const n of t.names) {
          putString(w, n.name);
          putI64(w, n.value);
        }
        return;
      case 'vector':
      case 'file':
        this.type(t.yield);
        return;
      case 'opaque':
        putString(w, t.opaqueName);
        return;
      case 'func':
        this.optionalType(t.yield);
        this.type(t.args);
        this.type(t.argTypes);
        w.i32(t.flavor);
        return;
    }
  }

  private optionalType(t: BroType | null): void {
    if (t === null) this.w.u8(0);
    else {
      this.w.u8(1);
      this.type(t);
    }
  }

  attributes(a: Attributes): void {
    if (!this.header(a, ATTRIBUTES)) return;
    this.location(a.location);
    this.type(a.type);
    this.w.i32(a.attrs.length);
    for (const attr of a.attrs) this.w.u8(0).u8(attr.tag);
  }

  private optionalAttributes(a: Attributes | null): void {
    if (a === null) this.w.u8(0);
    else {
      this.w.u8(1);
      this.attributes(a);
    }
  }

  private optionalVal(v: BroVal | null | undefined): void {
    if (v === null || v === undefined) this.w.u8(0);
    else {
      this.w.u8(1);
      this.val(v);
    }
  }

  val(v: BroVal): void {
    const stype = v.stype ?? STYPE_OF.get(v.kind);
    if (stype === undefined) invalid(`unknown value kind ${(v as { kind: string }).kind}`, 'value');
    if (!this.header(v, stype)) return;
    const w = this.w;
    this.location(v.location);
    this.type(v.type);
    switch (v.kind) {
      case 'bool':
        w.u32(0).u32(v.value ? 1 : 0);
        return;
      case 'int':
      case 'count':
      case 'counter':
      case 'enum':
        if (!isI64(v.value)) invalid(`${v.kind} value ${String(v.value)} is not a 64-bit integer`, 'value');
        putI64(w, v.value);
        return;
      case 'double':
      case 'time':
      case 'interval':
        w.f64(v.value);
        return;
      case 'string':
        putString(w, v.value, v.raw);
        return;
      case 'port': {
        const proto = PROTOS.indexOf(v.proto);
        if (!(v.port >= 0 && v.port <= 0xffff && Number.isInteger(v.port)) || proto < 0) invalid(`bad port ${v.port}/${v.proto}`, 'port');
        w.u32(0).u32((proto << 16) | v.port);
        return;
      }
      case 'addr': {
        const words = addrWords(v.value);
        if (words === undefined) invalid(`not an address: ${v.value}`, 'addr');
        this.words(words);
        return;
      }
      case 'subnet': {
        const s = subnetWords(v.value);
        if (s === undefined) invalid(`not a subnet: ${v.value}`, 'subnet');
        this.words(s.words);
        w.i32(s.width);
        return;
      }
      case 'pattern':
        if (this.header(v.matcher, RE_MATCHER)) {
          putString(w, v.matcher.anywhere);
          putString(w, v.matcher.exact);
        }
        return;
      case 'list':
        w.u8(v.listTag).i32(v.elements.length);
        for (const e of v.elements) this.val(e);
        return;
      case 'record':
        w.u8(v.props);
        putString(w, v.id);
        w.i32(v.fields.length);
        for (const f of v.fields) this.optionalVal(f);
        return;
      case 'vector':
        w.u8(v.props);
        putString(w, v.id);
        w.u32(v.elements.length);
        for (const e of v.elements) this.optionalVal(e);
        return;
      case 'table':
      case 'set':
        w.u8(v.props);
        putString(w, v.id);
        this.optionalAttributes(v.attrs);
        w.u8(0).u8(0);
        for (const e of v.entries) {
          w.u8(1);
          this.val(e.index);
          if (v.kind === 'table') {
            if (e.value === null) invalid('table entry without a value', 'table');
            this.val(e.value);
          }
          w.f64(e.lastAccess).f64(e.expireAccess);
        }
        w.u8(0);
        return;
    }
  }

  private words(words: number[]): void {
    this.w.i32(words.length);
    for (const word of words) this.w.u32(word);
  }

  private id(id: IdObj): void {
    if (!this.header(id, ID_OBJ)) return;
    const w = this.w;
    this.location(id.location);
    putString(w, id.name);
    w.u8(id.scope);
    this.bool(id.isExport);
    w.i32(id.isConst).i32(id.isEnumConst).i32(id.isType).i32(id.offset);
    this.bool(id.inferReturnType);
    this.bool(id.weakRef);
    this.type(id.type);
    this.optionalAttributes(id.attrs);
    this.optionalVal(id.value);
  }

  private state(a: StateAccess): void {
    if (!this.header(a, STATE_ACCESS)) return;
    this.w.u8(a.op);
    putString(this.w, a.target);
    this.val(a.op1);
    this.optionalVal(a.op2);
    this.optionalVal(a.op3);
  }
}
