// Native peering framing (spec §1.1): every message is a u32 big-endian length N followed by N
// payload bytes. The reader is incremental and pull-based: `push()` bytes as they arrive, then call
// `next()` until it returns undefined. Pulling one frame at a time lets the caller switch `phase`
// between two frames of the same chunk (the handshake ends mid-chunk), which matters because a
// zero length is fatal during the handshake but silently skipped afterwards.
//
// A frame that lies entirely inside one pushed chunk is returned as a view of that chunk (no copy);
// a frame split across chunks is assembled once into its own buffer. No concatenation of chunks.
import type { ByteWriter } from '../../src/core/bytes.ts';
import { BrokerError } from '../errors.ts';
import { DEFAULT_MAX_FRAME_SIZE } from './wire-constants.ts';

const EMPTY = new Uint8Array(0);

export type FramePhase = 'handshake' | 'established';

export interface FrameReaderOptions {
  /** Largest payload accepted (Broker itself accepts up to 2^31-5). */
  maxFrameSize?: number;
  phase?: FramePhase;
}

export class FrameReader {
  phase: FramePhase;
  readonly maxFrameSize: number;
  private chunks: Uint8Array[] = [];
  /** Read position in chunks[0]. */
  private pos = 0;
  private header = new Uint8Array(4);
  private headerFill = 0;
  /** The frame being assembled across chunks, and how much of it is filled. */
  private partial: Uint8Array | undefined;
  private partialLength = 0;
  private partialFill = 0;
  /** Bytes consumed since the start, for error offsets. */
  private consumed = 0;

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.phase = options.phase ?? 'handshake';
  }

  /** Queues bytes; the reader keeps a reference until they are consumed, so do not reuse them. */
  push(chunk: Uint8Array): void {
    if (chunk.length > 0) this.chunks.push(chunk);
  }

  /** Bytes received but not yet returned as frames (a partial header or frame). */
  get buffered(): number {
    let n = this.headerFill + (this.partial !== undefined ? 4 + this.partialFill : 0) - this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** True when no partial frame is pending (a clean place for the stream to end). */
  get idle(): boolean {
    return this.buffered === 0;
  }

  /**
   * The payload found by the last successful `nextFrame()`: `frameBytes[frameStart, frameEnd)`. It
   * is a pushed chunk (or the buffer a split frame was assembled in): valid until the next call.
   */
  frameBytes: Uint8Array = EMPTY;
  frameStart = 0;
  frameEnd = 0;

  /** The next complete payload, or undefined until more bytes arrive. Throws on a bad length. */
  next(): Uint8Array | undefined {
    if (!this.nextFrame()) return undefined;
    const b = this.frameBytes;
    return this.frameStart === 0 && this.frameEnd === b.length ? b : b.subarray(this.frameStart, this.frameEnd);
  }

  /**
   * Like `next()` without a view per frame (a measurable share of a small message's cost): true
   * when the next payload is at `frameBytes[frameStart, frameEnd)`, false until more bytes arrive.
   */
  nextFrame(): boolean {
    for (;;) {
      if (this.partial !== undefined) {
        if (!this.fillPartial()) return this.none();
        const frame = this.partial;
        this.partial = undefined;
        this.partialFill = 0;
        return this.found(frame, 0, frame.length);
      }
      const chunk = this.chunks[0];
      if (chunk === undefined) return this.none();
      let length: number;
      if (this.headerFill === 0 && chunk.length - this.pos >= 4) {
        const p = this.pos;
        length = ((chunk[p]! << 24) | (chunk[p + 1]! << 16) | (chunk[p + 2]! << 8) | chunk[p + 3]!) >>> 0;
        this.advance(4);
      } else {
        if (!this.fillHeader()) return this.none();
        const h = this.header;
        length = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
        this.headerFill = 0;
      }
      const at = this.consumed - 4;
      if (length === 0) {
        if (this.phase === 'handshake') throw new BrokerError('empty_frame', 'zero-length frame during the handshake', { field: 'frame.length', offset: at });
        continue;
      }
      if (length > this.maxFrameSize) {
        throw new BrokerError('frame_too_large', `frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`, { field: 'frame.length', offset: at });
      }
      const current = this.chunks[0];
      if (current !== undefined && current.length - this.pos >= length) {
        const start = this.pos;
        this.advance(length);
        return this.found(current, start, start + length);
      }
      this.partialLength = length;
      this.partial = new Uint8Array(Math.min(length, Math.max(this.available() * 2, 64 << 10)));
      this.partialFill = 0;
    }
  }

  /** No complete frame: drop the reference to the last one (an idle connection keeps no chunk alive). */
  private none(): false {
    this.frameBytes = EMPTY;
    this.frameStart = this.frameEnd = 0;
    return false;
  }

  private found(bytes: Uint8Array, start: number, end: number): true {
    this.frameBytes = bytes;
    this.frameStart = start;
    this.frameEnd = end;
    return true;
  }

  /** Throws `truncated` if the stream ended inside a frame. */
  end(): void {
    const left = this.buffered;
    if (left > 0) {
      throw new BrokerError('truncated', `stream ended inside a frame (${left} byte(s) pending)`, { field: 'frame', offset: this.consumed - left + this.available() });
    }
  }

  private available(): number {
    let n = -this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  private advance(n: number): void {
    this.pos += n;
    this.consumed += n;
    const chunk = this.chunks[0];
    if (chunk !== undefined && this.pos >= chunk.length) {
      this.chunks.shift();
      this.pos = 0;
    }
  }

  private fillHeader(): boolean {
    while (this.headerFill < 4) {
      const chunk = this.chunks[0];
      if (chunk === undefined) return false;
      this.header[this.headerFill++] = chunk[this.pos]!;
      this.advance(1);
    }
    return true;
  }

  private fillPartial(): boolean {
    while (this.partialFill < this.partialLength) {
      const chunk = this.chunks[0];
      if (chunk === undefined) return false;
      const n = Math.min(chunk.length - this.pos, this.partialLength - this.partialFill);
      let target = this.partial!;
      if (this.partialFill + n > target.length) {
        // Grow geometrically so a huge announced length costs memory only as bytes arrive.
        const grown = new Uint8Array(Math.min(this.partialLength, Math.max(target.length * 2, this.partialFill + n)));
        grown.set(target.subarray(0, this.partialFill));
        target = this.partial = grown;
      }
      target.set(chunk.subarray(this.pos, this.pos + n), this.partialFill);
      this.partialFill += n;
      this.advance(n);
    }
    return true;
  }
}

/** Reserves the 4-byte length prefix of a frame; pass the result to `endFrame`. */
export function beginFrame(w: ByteWriter): number {
  const at = w.length;
  w.u32(0);
  return at;
}

/** Patches the length prefix written by `beginFrame`. */
export function endFrame(w: ByteWriter, at: number): void {
  w.patchU32(at, w.length - at - 4);
}

/** A complete frame (length prefix + payload) around an existing payload. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}
