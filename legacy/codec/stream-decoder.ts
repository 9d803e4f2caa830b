import { ChunkInflater } from './compression.ts';
import { HEADER_CHUNK_SIZE, PEER_MESSAGES, type PeerMessageName } from './constants.ts';
import { legacyError, toLegacyError, type LegacyError } from './errors.ts';
import { ChunkReader } from './framing.ts';
import { decodeArgs, headerOnly, type LegacyMessage } from './messages.ts';
import { resolveLimits, type LegacyLimits } from './options.ts';
import { SerialDecoder, type SerialDecoderOptions } from './serial-reader.ts';

// One direction of a legacy connection: bytes in, typed messages out. Messages are decoded lazily,
// one per next() call, so the state machine above can switch the SERIAL format (pid width, cache
// strategy) between two messages that arrived in the same TCP segment. The switch to the
// compressed chunk format happens here, right after the COMPRESS header.

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const MESSAGES = PEER_MESSAGES;
const HEADER_SIZE = HEADER_CHUNK_SIZE;
const argsOf = decodeArgs;

export interface StreamDecoderOptions {
  limits?: Partial<LegacyLimits>;
  serial?: Omit<SerialDecoderOptions, 'limits'>;
  /**
   * For passive decoding (captures): a message whose argument chunk cannot be decoded, or a stray
   * chunk where a header was due (which Broccoli skips), is thrown from next() and skipped; the
   * stream stays usable because chunk boundaries are intact. Framing and zlib errors still stop
   * it. A live peer leaves this off: Bro closes the connection on any of them.
   */
  skipBadMessages?: boolean;
}

/** Wire facts about the message last returned by next() (for capture output and statistics). */
export interface MessageWireInfo {
  /** Stream offset of the header chunk's length prefix. */
  offset: number;
  /** Stream offset just past the message. */
  end: number;
  /** Argument chunk payload as received (compressed form, PARTIAL pieces joined), 0 if none. */
  argChunkLength: number;
  /** Argument length after decompression / reassembly. */
  argLength: number;
  /** The argument chunk was zlib-compressed (not just in the compressed format with trailer 0). */
  argInflated: boolean;
}

export class LegacyStreamDecoder {
  readonly serial: SerialDecoder;
  readonly limits: LegacyLimits;
  readonly info: MessageWireInfo = { offset: 0, end: 0, argChunkLength: 0, argLength: 0, argInflated: false };
  private readonly chunks: ChunkReader;
  private inflater: ChunkInflater | undefined;
  private pending: PeerMessageName | undefined;
  private pendingPad = 0;
  private failure: LegacyError | undefined;
  private readonly skipBad: boolean;
  /** Set while decoding something whose failure leaves the chunk stream in sync. */
  private skippable = false;
  /** Messages (or stray chunks) skipped after an error (skipBadMessages). */
  skipped = 0;
  /** Type of the message last skipped, undefined for a stray chunk. */
  skippedType: PeerMessageName | undefined;
  /**
   * Called with each SERIAL argument (decompressed) just before it is decoded, so the connection
   * can set `serial.format` from the bytes themselves (see pid-width.ts). The view is only valid
   * during the call.
   */
  beforeSerial: ((payload: Uint8Array) => void) | undefined;

  constructor(options: StreamDecoderOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.chunks = new ChunkReader(this.limits);
    this.serial = new SerialDecoder({ ...options.serial, limits: this.limits });
    this.skipBad = options.skipBadMessages ?? false;
  }

  /** True once the peer's COMPRESS header has been read. */
  get compressed(): boolean {
    return this.inflater !== undefined;
  }

  /** The error that stopped this decoder, if any. */
  get error(): LegacyError | undefined {
    return this.failure;
  }

  /** Bytes received that do not yet form a complete message. */
  get buffered(): number {
    return this.chunks.pending + (this.pending !== undefined ? 1 : 0);
  }

  push(bytes: Uint8Array): void {
    if (this.failure !== undefined) throw this.failed();
    this.chunks.push(bytes);
  }

  /** The next complete message, or undefined until more bytes arrive. Throws LegacyError. */
  next(): LegacyMessage | undefined {
    if (this.failure !== undefined) throw this.failed();
    try {
      return this.step();
    } catch (err) {
      const e = toLegacyError(err, 'stream');
      if (this.skippable) {
        this.skippable = false;
        this.skipped++;
        throw e;
      }
      this.failure = e;
      throw e;
    }
  }

  /** Everything that is complete now. */
  drain(): LegacyMessage[] {
    const out: LegacyMessage[] = [];
    for (let m = this.next(); m !== undefined; m = this.next()) out.push(m);
    return out;
  }

  /** The peer closed its side: anything left over is a truncated message. */
  end(): void {
    if (this.failure !== undefined) return;
    if (this.chunks.pending > 0 || this.pending !== undefined) {
      this.failure = legacyError(
        'truncated',
        this.pending !== undefined
          ? `connection closed before the argument chunk of ${this.pending} was complete (${this.chunks.pending} byte(s) of it received)`
          : `connection closed inside a chunk (${this.chunks.pending} byte(s) pending)`,
        { field: this.pending !== undefined ? `${this.pending}.args` : 'chunk', offset: this.chunks.position },
      );
      throw this.failure;
    }
  }

  private failed(): LegacyError {
    return this.failure!;
  }

  private step(): LegacyMessage | undefined {
    const chunks = this.chunks;
    for (;;) {
      if (!chunks.nextSpan()) return undefined;
      // The chunk is chunks.span[start, end); a view of it is made only where one is needed
      // (inflating, the beforeSerial hook, messages other than SERIAL).
      let bytes = chunks.span;
      let start = chunks.spanStart;
      let end = chunks.spanEnd;
      const at = chunks.offset;
      const raw = end - start;
      let inflated = false;
      if (this.inflater !== undefined) {
        // Trailer 0 means "sent raw": the payload is then exactly 4 bytes longer than the chunk.
        inflated = bytes[end - 4] !== 0 || bytes[end - 3] !== 0 || bytes[end - 2] !== 0 || bytes[end - 1] !== 0;
        bytes = this.inflater.decode(bytes.subarray(start, end), at);
        start = 0;
        end = bytes.length;
      }
      if (this.pending === undefined) {
        if (end - start !== HEADER_SIZE) {
          this.skippable = this.skipBad;
          this.skippedType = undefined;
          throw legacyError('unexpected_argument_chunk', `a ${end - start}-byte chunk where an 8-byte message header was due`, {
            field: 'header',
            offset: at - 4,
          });
        }
        const code = bytes[start]!;
        const entry = MESSAGES.get(code);
        if (entry === undefined) {
          throw legacyError('unknown_message_type', `message type 0x${code.toString(16).padStart(2, '0')} is not exchanged between peers`, {
            field: 'header.type',
            offset: at,
          });
        }
        const pad = (bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!;
        this.info.offset = at - 4;
        this.info.argChunkLength = 0;
        this.info.argLength = 0;
        this.info.argInflated = false;
        const [name, hasArgs] = entry;
        if (hasArgs) {
          this.pending = name;
          this.pendingPad = pad;
          continue;
        }
        const msg = headerOnly(name);
        if (pad !== 0) msg.headerPad = pad;
        this.info.end = chunks.position;
        if (name === 'COMPRESS') this.inflater = new ChunkInflater(this.limits.maxDecompressedSize);
        return msg;
      }
      const name = this.pending;
      this.info.argChunkLength = raw;
      this.info.argLength = end - start;
      this.info.argInflated = inflated;
      const serial = name === 'SERIAL';
      if (serial && this.beforeSerial !== undefined) this.beforeSerial(bytes.subarray(start, end));
      this.info.end = chunks.position;
      this.pending = undefined;
      this.skippable = this.skipBad;
      this.skippedType = name;
      const msg: LegacyMessage = serial
        ? { type: 'SERIAL', body: this.serial.decode(bytes, at, start, end) }
        : argsOf(name, bytes.subarray(start, end), at, this.serial);
      this.skippable = false;
      if (this.pendingPad !== 0) msg.headerPad = this.pendingPad;
      return msg;
    }
  }
}
