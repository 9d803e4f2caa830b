// The routing view of a received phase-3 payload: type, receiver class and topic, read in place
// without decoding the value (what `peekEnvelope` returns, minus the per-message objects and id
// strings). One view per connection is reused for every frame; the topic string is cached because a
// peer usually sends long runs on the same topic.
import { BrokerError } from '../errors.ts';
import { bufferView, decodeByteString } from '../data/utf8.ts';
import { ENVELOPE_HEADER_SIZE } from './wire-constants.ts';

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW: DataView = new DataView(new ArrayBuffer(0));

/** Who an envelope is addressed to: nil (anyone subscribed), our own id, or another endpoint. */
export const Receiver = { ANY: 0, SELF: 1, OTHER: 2 } as const;
export type Receiver = (typeof Receiver)[keyof typeof Receiver];

export class EnvelopeView {
  /** 1 data, 2 command, 3 routing_update, 4 ping, 5 pong. */
  type = 0;
  ttl = 0;
  receiver: Receiver = Receiver.ANY;
  topic = '';
  /** Offset of the type-specific payload within the frame payload. */
  bodyOffset = 0;
  /** The parsed payload is `bytes[start, end)` (often a whole socket chunk: valid during the call only). */
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  private cache = new Uint8Array(256);
  private cacheWords = new DataView(this.cache.buffer);
  private dv: DataView = EMPTY_VIEW;
  private wordsOf: Uint8Array | undefined;
  private cacheLength = -1;

  constructor(private readonly self: Uint8Array) {}

  /**
   * Reads the header of the payload `p[start, end)`; throws `message_too_short`,
   * `invalid_message_type`, `truncated` or `invalid_topic` (offsets relative to the payload).
   */
  parse(p: Uint8Array, start = 0, end = p.length): void {
    const n = end - start;
    if (n < ENVELOPE_HEADER_SIZE) {
      throw new BrokerError('message_too_short', `message too short: ${n} bytes, an envelope needs ${ENVELOPE_HEADER_SIZE}`, { field: 'envelope', offset: 0 });
    }
    const type = p[start + 32]!;
    if (type < 1 || type > 5) throw new BrokerError('invalid_message_type', `invalid envelope type ${type}`, { field: 'envelope.type', offset: 32 });
    this.type = type;
    this.ttl = (p[start + 33]! << 8) | p[start + 34]!;
    const len = (p[start + 35]! << 8) | p[start + 36]!;
    const body = ENVELOPE_HEADER_SIZE + len;
    if (body > n) throw new BrokerError('truncated', `truncated input: topic of ${len} bytes, ${n - ENVELOPE_HEADER_SIZE} left`, { field: 'envelope.topic', offset: 35 });
    this.bodyOffset = body;
    this.readTopic(p, start + ENVELOPE_HEADER_SIZE, len);
    this.receiver = this.classify(p, start + 16);
    this.bytes = p;
    this.start = start;
    this.end = end;
  }

  /** Drops the reference to the last payload's bytes (an idle connection keeps no chunk alive). */
  release(): void {
    this.wordsOf = undefined;
    this.dv = EMPTY_VIEW;
    this.bytes = EMPTY;
    this.start = this.end = 0;
  }

  /** The payload as its own view (for the rare paths that keep or copy it). */
  payload(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  /** The type-specific part of the payload as its own view. */
  body(): Uint8Array {
    return this.bytes.subarray(this.start + this.bodyOffset, this.end);
  }

  /** A DataView over the current chunk, so headers are compared four bytes at a time. */
  private words(p: Uint8Array): DataView {
    if (p !== this.wordsOf) {
      this.dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
      this.wordsOf = p;
    }
    return this.dv;
  }

  private readTopic(p: Uint8Array, at: number, len: number): void {
    if (len === this.cacheLength) {
      const dv = this.words(p);
      const cw = this.cacheWords;
      let i = 0;
      while (i + 4 <= len && dv.getUint32(at + i) === cw.getUint32(i)) i += 4;
      const c = this.cache;
      if (i + 4 > len) while (i < len && c[i] === p[at + i]) i++;
      if (i === len) return;
    }
    const c = this.cache;
    const topic = decodeByteString(bufferView(p), at, at + len);
    if (typeof topic !== 'string') throw new BrokerError('invalid_topic', 'topic is not valid UTF-8', { field: 'envelope.topic', offset: ENVELOPE_HEADER_SIZE });
    this.topic = topic;
    if (len <= c.length) {
      c.set(p.subarray(at, at + len));
      this.cacheLength = len;
    } else {
      this.cacheLength = -1;
    }
  }

  private classify(p: Uint8Array, at: number): Receiver {
    // Nearly every message is addressed to nil (anyone subscribed): test that first.
    const dv = this.words(p);
    if ((dv.getUint32(at) | dv.getUint32(at + 4) | dv.getUint32(at + 8) | dv.getUint32(at + 12)) === 0) return Receiver.ANY;
    const s = this.self;
    for (let j = 0; j < 16; j++) if (p[at + j] !== s[j]) return Receiver.OTHER;
    return Receiver.SELF;
  }
}

/** True when bytes `at..at+15` of `p` equal the 16-byte id `id`. */
export function idAt(p: Uint8Array, at: number, id: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (p[at + i] !== id[i]) return false;
  return true;
}
