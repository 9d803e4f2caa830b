import { ByteWriter } from '../../src/core/bytes.ts';
import { ChunkDeflater } from './compression.ts';
import { MAX_PHYSICAL_CHUNK, MESSAGE_CODE } from './constants.ts';
import { legacyError } from './errors.ts';
import { writeChunk } from './framing.ts';
import { encodeArgs, type LegacyMessage } from './messages.ts';
import type { SerialBody } from './model.ts';
import { SerialEncoder, type SerialEncoderOptions } from './serial-writer.ts';

// One direction of a legacy connection: typed messages in, wire bytes out. Encoding COMPRESS
// switches every later chunk (headers included) to the compressed format; the COMPRESS header
// itself goes out plain.

const SERIAL_CODE = MESSAGE_CODE.SERIAL;
const SCRATCH_ARGS = new ByteWriter(1024);
const SCRATCH_OUT = new ByteWriter(1024);

export interface StreamEncoderOptions {
  serial?: SerialEncoderOptions;
  /** Never split chunks with PARTIAL: required towards Broccoli, and what Bro does over TLS. */
  noPartial?: boolean;
  /** Largest physical chunk payload (default 1 MiB - 4). */
  maxPiece?: number;
  /** zlib level for a COMPRESS message that does not carry its own `level` (default 6). */
  compressionLevel?: number;
}

export class LegacyStreamEncoder {
  readonly serial: SerialEncoder;
  noPartial: boolean;
  compressionLevel: number;
  private readonly maxPiece: number;
  private deflater: ChunkDeflater | undefined;
  private readonly header = new Uint8Array(8);
  // Scratch writers shared by every encoder (encoding is synchronous and never re-entered), so
  // thousands of connections do not each keep their own.
  private readonly args = SCRATCH_ARGS;
  private readonly out = SCRATCH_OUT;

  constructor(options: StreamEncoderOptions = {}) {
    this.serial = new SerialEncoder(options.serial);
    this.noPartial = options.noPartial ?? false;
    this.maxPiece = options.maxPiece ?? MAX_PHYSICAL_CHUNK;
    this.compressionLevel = options.compressionLevel ?? 6;
  }

  /** True once a COMPRESS has been encoded. */
  get compressing(): boolean {
    return this.deflater !== undefined;
  }

  /** Reuse for a new connection to the same peer: plain chunks again, caches emptied. */
  reset(): void {
    this.deflater = undefined;
    this.serial.reset();
  }

  /** The wire bytes of one message (a fresh array). */
  encode(msg: LegacyMessage): Uint8Array {
    this.out.reset();
    this.encodeInto(msg, this.out);
    return this.out.toBytes();
  }

  /** Append the wire bytes of one message to `w` (batch several messages into one write). */
  encodeInto(msg: LegacyMessage, w: ByteWriter): void {
    const code = MESSAGE_CODE[msg.type];
    if (code === undefined) throw legacyError('invalid_value', `not a peer message: ${String((msg as { type: unknown }).type)}`, { field: 'type' });
    // The args are encoded first so a failure leaves `w` and the compression stream untouched.
    const a = this.args.reset();
    const hasArgs = encodeArgs(msg, a, this.serial);
    if (hasArgs && a.length === 0) throw legacyError('invalid_value', `${msg.type} with an empty argument`, { field: `${msg.type}.args` });
    this.frame(w, msg.type, code, msg.headerPad ?? 0, hasArgs ? a.peek() : undefined);
    if (msg.type === 'COMPRESS') this.deflater = new ChunkDeflater(msg.level ?? this.compressionLevel);
  }

  /**
   * What the SERIAL argument bytes of this connection depend on, when they depend on nothing but
   * the format: without caching there are no pids or back-references, so every connection with
   * the same pid width writes the same bytes. undefined when caching (the bytes are per peer).
   */
  get serialShareKey(): number | undefined {
    const f = this.serial.format;
    // The stable bit of NEW_CACHE_STRATEGY is written even without caching.
    return f.caching ? undefined : (f.pid64 ? 1 : 0) | (f.newCacheStrategy ? 2 : 0);
  }

  /**
   * Append a SERIAL whose argument bytes are shared between connections (see SharedSerial): they
   * are encoded by the first connection of each pid width and only framed (and compressed, where
   * the connection compresses) by the others.
   */
  encodeSharedInto(shared: SharedSerial, w: ByteWriter): void {
    const key = this.serialShareKey;
    if (key === undefined) return this.encodeInto({ type: 'SERIAL', body: shared.body }, w);
    let args = shared.argsFor(key);
    if (args === undefined) {
      const a = this.args.reset();
      this.serial.encode(shared.body, a);
      args = a.toBytes();
      shared.remember(key, args);
    }
    this.frame(w, 'SERIAL', SERIAL_CODE, 0, args);
  }

  /** Header chunk, then the argument chunk if any (compressed when this stream compresses). */
  private frame(w: ByteWriter, type: string, code: number, pad: number, args: Uint8Array | undefined): void {
    // Refuse before the header chunk is written: a header without its argument would desync the peer.
    if (args !== undefined && this.noPartial && args.length > this.maxPiece) {
      throw legacyError('oversize_chunk', `${type} argument of ${args.length} bytes exceeds ${this.maxPiece} and this peer cannot take PARTIAL chunks`, {
        field: `${type}.args`,
      });
    }
    const h = this.header;
    h[0] = code;
    h[1] = (pad >>> 16) & 0xff;
    h[2] = (pad >>> 8) & 0xff;
    h[3] = pad & 0xff;
    this.chunk(w, h);
    if (args !== undefined) this.chunk(w, args);
  }

  private chunk(w: ByteWriter, payload: Uint8Array): void {
    const data = this.deflater !== undefined ? this.deflater.encode(payload) : payload;
    writeChunk(w, data, { maxPiece: this.maxPiece, noPartial: this.noPartial });
  }
}

/**
 * One SERIAL body sent to many connections (send_event to every peer that requested it): the
 * argument bytes are encoded once per serial format and reused. Do not change the body afterwards.
 */
export class SharedSerial {
  // Four formats at most (pid width x stable bit); nearly always just one is used.
  private readonly bytes: (Uint8Array | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(readonly body: SerialBody) {}

  argsFor(key: number): Uint8Array | undefined {
    return this.bytes[key];
  }

  remember(key: number, bytes: Uint8Array): void {
    this.bytes[key] = bytes;
  }
}
