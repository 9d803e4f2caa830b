import { BridgeError, type ReaderErrorCode } from './errors.ts';

// Big-endian reader/writer shared by both protocols' codecs. The reader works on a view of the
// caller's bytes (no copying); the writer grows one buffer geometrically and can be reset and reused
// so encoding a message in steady state allocates only its result.

const EMPTY = new Uint8Array(0);

/** Scratch for the reads that need a DataView (floats, bigints): one for every reader. */
const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

export class ByteReader {
  readonly bytes: Uint8Array;
  /** Offset of `bytes[0]` within the larger unit being decoded, for error messages. */
  readonly base: number;
  offset: number;
  readonly end: number;

  // No DataView per reader: integers are assembled from bytes (as fast once optimized), floats
  // and 64-bit integers go through one shared scratch view. Decoders create a reader per
  // message, and a DataView each was a measurable share of the receive path.
  constructor(bytes: Uint8Array, base = 0, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.base = base;
    this.offset = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Absolute position for error reporting. */
  get position(): number {
    return this.base + this.offset;
  }

  need(n: number, field: string): void {
    if (this.end - this.offset < n) {
      throw new BridgeError<ReaderErrorCode>('truncated', `truncated input: ${field} needs ${n} byte(s), ${this.end - this.offset} left`, {
        field,
        offset: this.base + this.offset,
      });
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  u32le(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }

  i32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  }

  /** The next 8 bytes in the shared scratch view. */
  private scratch8(field: string): DataView {
    this.need(8, field);
    const b = this.bytes;
    const o = this.offset;
    const s = SCRATCH;
    s[0] = b[o]!;
    s[1] = b[o + 1]!;
    s[2] = b[o + 2]!;
    s[3] = b[o + 3]!;
    s[4] = b[o + 4]!;
    s[5] = b[o + 5]!;
    s[6] = b[o + 6]!;
    s[7] = b[o + 7]!;
    this.offset = o + 8;
    return SCRATCH_VIEW;
  }

  u64(field: string): bigint {
    return this.scratch8(field).getBigUint64(0);
  }

  i64(field: string): bigint {
    return this.scratch8(field).getBigInt64(0);
  }

  /** A u64 that must fit a JS number exactly (lengths, counts); larger values are a limit error. */
  u64small(field: string): number {
    this.need(8, field);
    const b = this.bytes;
    const o = this.offset;
    const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
    const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
    if (hi > 0x1fffff) {
      throw new BridgeError<ReaderErrorCode>('limit_exceeded', `${field} does not fit in 53 bits`, { field, offset: this.base + this.offset });
    }
    this.offset = o + 8;
    return hi * 0x1_0000_0000 + lo;
  }

  f64(field: string): number {
    return this.scratch8(field).getFloat64(0);
  }

  /** A view (not a copy) of the next n bytes. */
  take(n: number, field: string): Uint8Array {
    if (n === 0) return EMPTY;
    this.need(n, field);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.offset += n;
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  ensure(n: number): void {
    if (this.length + n > this.buf.length) this.grow(n);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
    return this;
  }

  u32le(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }

  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
    return this;
  }

  u64(v: bigint | number): this {
    this.ensure(8);
    if (typeof v === 'number') {
      this.view.setUint32(this.length, Math.floor(v / 0x1_0000_0000));
      this.view.setUint32(this.length + 4, v >>> 0);
    } else {
      this.view.setBigUint64(this.length, BigInt.asUintN(64, v));
    }
    this.length += 8;
    return this;
  }

  i64(v: bigint | number): this {
    this.ensure(8);
    this.view.setBigInt64(this.length, BigInt.asIntN(64, typeof v === 'number' ? BigInt(v) : v));
    this.length += 8;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /**
   * Writes the code units of `s` as one byte each if they are all ASCII, in one pass; otherwise
   * writes nothing and returns false (the caller encodes it as UTF-8 instead).
   */
  ascii(s: string): boolean {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    const at = this.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[at + i] = c;
    }
    this.length = at + n;
    return true;
  }

  /** Overwrite a u32 written earlier (length prefixes known only after the body). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0);
  }

  /** A copy of what was written; the writer can be reset and reused afterwards. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** A view of what was written; valid only until the next write or reset. */
  peek(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
