// Splitting one direction of a TCP stream into TLS records, and a record stream's handshake
// content into handshake messages. Both keep at most one partial unit and hand out views that
// stay valid until the next push.
import { tlsError, type TlsError, type TlsLimits } from './errors.ts';

export interface TlsRecord {
  type: number;
  version: number;
  /** The 5 header bytes as sent (TLS 1.3 authenticates them). */
  header: Uint8Array;
  fragment: Uint8Array;
  /** Capture time of the chunk the record's first byte arrived in. */
  t: number;
  /** Stream offset of the record's first byte. */
  offset: number;
}

const HEADER = 5;

/** A growable byte queue: append at the end, consume from the front, compact when it pays. */
class ByteQueue {
  buf = new Uint8Array(0);
  start = 0;
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + bytes.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(2 * this.buf.length, live + bytes.length, 1024));
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }
}

export class RecordFramer {
  private readonly queue = new ByteQueue();
  /** Arrival time of the queue's first byte. */
  private headT = 0;
  /** Stream offset of the queue's first byte. */
  private offset = 0;

  constructor(private readonly limits: Pick<TlsLimits, 'maxRecordBytes'>) {}

  /** Bytes of a record started but not finished. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * An impossible record header seen by the last push. The records before it are still returned
   * (and should be used first); the stream cannot be framed past it.
   */
  failure: TlsError | undefined;

  /** Feeds one chunk; returns every record it completes, up to a bad header (see `failure`). */
  push(bytes: Uint8Array, t: number): TlsRecord[] {
    if (this.failure) return [];
    if (this.queue.length === 0) this.headT = t;
    const out: TlsRecord[] = [];
    // Records wholly inside the chunk are viewed in place; only a tail is copied.
    let src: Uint8Array;
    let at: number;
    let end: number;
    if (this.queue.length === 0) {
      src = bytes;
      at = 0;
      end = bytes.length;
    } else {
      this.queue.append(bytes);
      src = this.queue.buf;
      at = this.queue.start;
      end = this.queue.end;
    }
    const fromQueue = src !== bytes;
    while (end - at >= HEADER) {
      const type = src[at]!;
      const version = (src[at + 1]! << 8) | src[at + 2]!;
      const length = (src[at + 3]! << 8) | src[at + 4]!;
      this.failure = this.checkHeader(type, version, length);
      if (this.failure) return out;
      if (end - at < HEADER + length) break;
      out.push({ type, version, header: src.subarray(at, at + HEADER), fragment: src.subarray(at + HEADER, at + HEADER + length), t: this.headT, offset: this.offset });
      at += HEADER + length;
      this.offset += HEADER + length;
      // Whatever follows arrived in this chunk: earlier chunks held at most one partial record.
      this.headT = t;
    }
    if (fromQueue) this.queue.consume(at - this.queue.start);
    else if (at < end) this.queue.append(bytes.subarray(at));
    return out;
  }

  private checkHeader(type: number, version: number, length: number): TlsError | undefined {
    if (type < 20 || type > 24) return tlsError('record_malformed', `content type ${type} is not a TLS record`, { field: 'TLSPlaintext.type', offset: this.offset });
    if (version >> 8 !== 3 || (version & 0xff) > 4) {
      return tlsError('record_malformed', `record version 0x${version.toString(16).padStart(4, '0')} is not TLS`, { field: 'TLSPlaintext.legacy_record_version', offset: this.offset });
    }
    if (length > this.limits.maxRecordBytes) {
      return tlsError('record_overflow', `record of ${length} bytes exceeds ${this.limits.maxRecordBytes}`, { field: 'TLSPlaintext.length', offset: this.offset });
    }
    return undefined;
  }
}

export interface HandshakeMessage {
  type: number;
  body: Uint8Array;
}

/** Handshake messages from the handshake-type content of one direction (plaintext or decrypted). */
export class HandshakeAssembler {
  private readonly queue = new ByteQueue();

  constructor(private readonly limits: Pick<TlsLimits, 'maxHandshakeMessageBytes'>) {}

  /** True between messages: TLS 1.3 requires a key change to fall on a message boundary. */
  get idle(): boolean {
    return this.queue.length === 0;
  }

  push(content: Uint8Array): HandshakeMessage[] {
    this.queue.append(content);
    const out: HandshakeMessage[] = [];
    const b = this.queue.buf;
    let at = this.queue.start;
    while (this.queue.end - at >= 4) {
      const length = (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
      if (length > this.limits.maxHandshakeMessageBytes) {
        throw tlsError('limit_exceeded', `handshake message of ${length} bytes exceeds ${this.limits.maxHandshakeMessageBytes}`, { field: 'Handshake.length' });
      }
      if (this.queue.end - at < 4 + length) break;
      out.push({ type: b[at]!, body: b.subarray(at + 4, at + 4 + length) });
      at += 4 + length;
    }
    this.queue.consume(at - this.queue.start);
    return out;
  }
}
