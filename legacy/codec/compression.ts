import {
  ZStream,
  Z_BUF_ERROR,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  zlibDeflate,
  zlibDeflateInit2,
  zlibInflate,
  zlibInflateInit2,
} from 'pako';
import { MIN_COMPRESS_SIZE } from './constants.ts';
import { legacyError } from './errors.ts';

// Bro's CompressedChunkedIO (section 9): after COMPRESS, every chunk a side sends is
//   [deflate output, sync-flushed | or the raw chunk if < 30 bytes] [u32 LITTLE-endian original length | 0]
// within one zlib stream per direction that is never finished. pako's low-level API is used so
// the output buffers are ours (reused, and sized from the announced length: a decompression bomb
// cannot make us allocate more than the limit).

const MAX_LEVEL = 9;

export class ChunkInflater {
  private readonly strm = new ZStream();
  private out = new Uint8Array(4096);
  private ended = false;

  constructor(private readonly maxDecompressedSize: number) {
    zlibInflateInit2(this.strm, 15);
  }

  /**
   * The original chunk of one compressed-format chunk payload. Returns a view valid until the
   * next call. `at` is the payload's stream offset, for errors.
   */
  decode(payload: Uint8Array, at: number): Uint8Array {
    const n = payload.length - 4;
    if (n < 0) throw legacyError('zlib_garbage', `compressed chunk of ${payload.length} bytes has no length trailer`, { field: 'zlib.trailer', offset: at });
    const size = (payload[n]! | (payload[n + 1]! << 8) | (payload[n + 2]! << 16) | (payload[n + 3]! << 24)) >>> 0;
    if (size === 0) return payload.subarray(0, n);
    if (size > this.maxDecompressedSize) {
      throw legacyError('decompression_bomb', `compressed chunk announces ${size} bytes, limit ${this.maxDecompressedSize}`, {
        field: 'zlib.trailer',
        offset: at + n,
      });
    }
    if (this.ended) throw legacyError('zlib_garbage', 'compressed data after the end of the zlib stream', { field: 'zlib', offset: at });
    if (this.out.length < size + 1) {
      let len = this.out.length * 2;
      while (len < size + 1) len *= 2;
      this.out = new Uint8Array(len);
    }
    const s = this.strm;
    s.input = payload.subarray(0, n);
    s.next_in = 0;
    s.avail_in = n;
    s.output = this.out as Uint8Array<ArrayBuffer>;
    s.next_out = 0;
    // One spare byte so the trailing sync-flush marker(s) are consumed once `size` bytes are out,
    // and so an over-long stream shows up as size + 1 bytes.
    s.avail_out = size + 1;
    const status = n === 0 ? Z_BUF_ERROR : zlibInflate(s, Z_SYNC_FLUSH);
    if (status !== Z_OK && status !== Z_STREAM_END) {
      throw legacyError('zlib_garbage', `inflate failed: ${s.msg || `status ${status}`}`, { field: 'zlib.data', offset: at + s.next_in });
    }
    if (status === Z_STREAM_END) this.ended = true;
    if (s.next_out !== size) {
      throw legacyError('zlib_garbage', `chunk inflates to ${s.next_out > size ? 'more than' : s.next_out} byte(s), trailer says ${size}`, {
        field: 'zlib.trailer',
        offset: at + n,
      });
    }
    if (s.avail_in !== 0) {
      throw legacyError('zlib_garbage', `${s.avail_in} byte(s) of compressed data left over`, { field: 'zlib.data', offset: at + s.next_in });
    }
    return this.out.subarray(0, size);
  }
}

export class ChunkDeflater {
  private readonly strm = new ZStream();
  private out = new Uint8Array(4096);
  readonly level: number;

  constructor(level: number) {
    if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) {
      throw legacyError('invalid_value', `zlib level ${level} (0-9)`, { field: 'COMPRESS.level' });
    }
    this.level = level;
    // Classic zlib hashing so the output matches the system zlib a Bro peer links (byte for byte).
    zlibDeflateInit2(this.strm, level, 8, 15, 8, 0, true);
  }

  /** The compressed-format payload of one chunk; a view valid until the next call. */
  encode(chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    if (n < MIN_COMPRESS_SIZE) {
      this.ensure(n + 4);
      this.out.set(chunk, 0);
      this.out.fill(0, n, n + 4);
      return this.out.subarray(0, n + 4);
    }
    // Room for the worst case (stored blocks plus flush markers) so one call always finishes: a
    // buffer that fills up exactly is what makes Bro emit a second sync marker.
    const bound = n + (n >> 3) + (n >> 10) + 64;
    this.ensure(bound + 4);
    const s = this.strm;
    s.input = chunk;
    s.next_in = 0;
    s.avail_in = n;
    s.output = this.out as Uint8Array<ArrayBuffer>;
    s.next_out = 0;
    s.avail_out = bound;
    const status = zlibDeflate(s, Z_SYNC_FLUSH);
    if (status !== Z_OK || s.avail_in !== 0 || s.avail_out === 0) {
      throw legacyError('zlib_garbage', `deflate failed: ${s.msg || `status ${status}`}`, { field: 'zlib' });
    }
    const len = s.next_out;
    const o = this.out;
    o[len] = n & 0xff;
    o[len + 1] = (n >>> 8) & 0xff;
    o[len + 2] = (n >>> 16) & 0xff;
    o[len + 3] = (n >>> 24) & 0xff;
    return o.subarray(0, len + 4);
  }

  private ensure(size: number): void {
    if (this.out.length >= size) return;
    let len = this.out.length * 2;
    while (len < size) len *= 2;
    this.out = new Uint8Array(len);
  }
}
