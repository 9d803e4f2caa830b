import type { ByteWriter } from '../../src/core/bytes.ts';
import { MAX_PHYSICAL_CHUNK, PARTIAL_FLAG } from './constants.ts';
import { legacyError } from './errors.ts';

// ChunkedIO framing (section 2): u32 BE length with the PARTIAL flag in bit 31, then the payload.
// The reader is incremental: bytes may arrive split at any boundary. While nothing is pending it
// reads straight from the pushed bytes (no copy: a socket read usually holds whole chunks); only
// an incomplete tail is copied into a buffer of its own, sized to it, and that buffer is dropped
// once drained, so an idle connection holds no buffer at all. Chunks are handed out as views of
// whole logical chunks (PARTIAL pieces reassembled).

const PARTIAL = PARTIAL_FLAG;
const NOT_PARTIAL = ~PARTIAL_FLAG;
const EMPTY = new Uint8Array(0);

export interface ChunkReaderLimits {
  maxChunkSize: number;
  maxMessageSize: number;
}

export class ChunkReader {
  /** The pushed bytes being read (borrowed), or our own copy of an incomplete tail (owned). */
  private buf: Uint8Array = EMPTY;
  private owned = false;
  private start = 0;
  private end = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  private assembly: Uint8Array | undefined;
  private assembled = 0;
  private assemblyOffset = 0;
  private assemblyWire = 0;
  /** Stream offset of the payload of the chunk last returned by next(). */
  offset = 0;
  /** Bytes on the wire (prefixes included) of the chunk last returned. */
  wireLength = 0;
  /** The chunk nextSpan() found: span[spanStart, spanEnd). */
  span: Uint8Array = EMPTY;
  spanStart = 0;
  spanEnd = 0;

  constructor(private readonly limits: ChunkReaderLimits) {}

  /** Bytes received but not yet returned as (part of) a chunk. */
  get pending(): number {
    return this.end - this.start + this.assembled;
  }

  /**
   * Queue bytes. They are read in place until next() runs out of complete chunks (then any
   * incomplete rest is copied), so do not modify them before draining next().
   */
  push(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    if (this.start === this.end) {
      this.base += this.end;
      this.buf = bytes;
      this.owned = false;
      this.start = 0;
      this.end = n;
      return;
    }
    const live = this.end - this.start;
    if (!this.owned || live + n > this.buf.length) {
      let size = Math.max(256, this.buf.length);
      while (size < live + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.owned = true;
    } else if (this.end + n > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      this.buf.set(bytes, this.end);
      this.end += n;
      return;
    }
    this.base += this.start;
    this.start = 0;
    this.end = live;
    this.buf.set(bytes, this.end);
    this.end += n;
  }

  /** Out of complete chunks: keep no reference to the caller's bytes and no empty buffer. */
  private settle(): false {
    const live = this.end - this.start;
    if (live === 0) {
      this.base += this.end;
      this.buf = EMPTY;
      this.owned = false;
      this.start = this.end = 0;
    } else if (!this.owned) {
      const copy = new Uint8Array(Math.max(256, live * 2));
      copy.set(this.buf.subarray(this.start, this.end));
      this.base += this.start;
      this.buf = copy;
      this.owned = true;
      this.start = 0;
      this.end = live;
    }
    return false;
  }

  /** The next complete logical chunk as a view (valid until the next push), or undefined. */
  next(): Uint8Array | undefined {
    return this.nextSpan() ? this.span.subarray(this.spanStart, this.spanEnd) : undefined;
  }

  /**
   * Like next(), without creating a view: true if a chunk is complete, which is then
   * span[spanStart, spanEnd) (valid until the next push).
   */
  nextSpan(): boolean {
    for (;;) {
      const avail = this.end - this.start;
      if (avail < 4) return this.settle();
      const b = this.buf;
      const s = this.start;
      const word = ((b[s]! << 24) | (b[s + 1]! << 16) | (b[s + 2]! << 8) | b[s + 3]!) >>> 0;
      const partial = (word & PARTIAL) !== 0;
      const len = word & NOT_PARTIAL;
      const at = this.base + s;
      if (len === 0) throw legacyError('zero_length_chunk', 'chunk of length 0', { field: 'chunk.length', offset: at });
      if (len > this.limits.maxChunkSize) {
        throw legacyError('oversize_chunk', `chunk of ${len} bytes exceeds the limit of ${this.limits.maxChunkSize}`, {
          field: 'chunk.length',
          offset: at,
        });
      }
      if (avail < 4 + len) return this.settle();
      this.start = s + 4 + len;
      if (!partial && this.assembly === undefined) {
        this.offset = at + 4;
        this.wireLength = 4 + len;
        this.span = b;
        this.spanStart = s + 4;
        this.spanEnd = s + 4 + len;
        return true;
      }
      this.append(b.subarray(s + 4, s + 4 + len), at);
      if (partial) continue;
      this.span = this.assembly!;
      this.spanStart = 0;
      this.spanEnd = this.assembled;
      this.offset = this.assemblyOffset;
      this.wireLength = this.assemblyWire;
      this.assembly = undefined;
      this.assembled = 0;
      return true;
    }
  }

  private append(piece: Uint8Array, at: number): void {
    if (this.assembly === undefined) {
      this.assembly = new Uint8Array(Math.max(piece.length * 2, 4096));
      this.assembled = 0;
      this.assemblyOffset = at + 4;
      this.assemblyWire = 0;
    }
    this.assemblyWire += 4 + piece.length;
    const total = this.assembled + piece.length;
    if (total > this.limits.maxMessageSize) {
      throw legacyError('oversize_message', `PARTIAL chunks reassemble to more than ${this.limits.maxMessageSize} bytes`, {
        field: 'chunk.partial',
        offset: at,
      });
    }
    if (total > this.assembly.length) {
      let size = this.assembly.length * 2;
      while (size < total) size *= 2;
      const next = new Uint8Array(Math.min(size, Math.max(total, this.limits.maxMessageSize)));
      next.set(this.assembly.subarray(0, this.assembled));
      this.assembly = next;
    }
    this.assembly.set(piece, this.assembled);
    this.assembled = total;
  }

  /** Stream offset of the next unread byte (for errors about incomplete input). */
  get position(): number {
    return this.base + this.start;
  }
}

export interface ChunkWriteOptions {
  /** Largest physical payload (default 1 MiB - 4, Bro's). */
  maxPiece?: number;
  /** Refuse to split (Broccoli peers cannot reassemble; Bro's TLS writer never splits). */
  noPartial?: boolean;
}

/** Append one logical chunk, split into PARTIAL pieces if it is larger than a physical chunk. */
export function writeChunk(w: ByteWriter, payload: Uint8Array, options: ChunkWriteOptions = {}): void {
  const maxPiece = options.maxPiece ?? MAX_PHYSICAL_CHUNK;
  const n = payload.length;
  if (n === 0) throw legacyError('invalid_value', 'a chunk cannot be empty', { field: 'chunk.length' });
  if (n <= maxPiece) {
    w.u32(n);
    w.bytes(payload);
    return;
  }
  if (options.noPartial === true) {
    throw legacyError('oversize_chunk', `chunk of ${n} bytes exceeds ${maxPiece} and this peer cannot take PARTIAL chunks`, {
      field: 'chunk.length',
    });
  }
  for (let at = 0; at < n; at += maxPiece) {
    const end = Math.min(n, at + maxPiece);
    w.u32(end < n ? (end - at) | PARTIAL_FLAG : end - at);
    w.bytes(payload.subarray(at, end));
  }
}
