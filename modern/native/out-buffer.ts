// A peering's outgoing side: frames are appended to one growing buffer and handed to the transport
// as a single write per tick (or earlier once a batch is large), so a burst of small messages costs
// one syscall instead of one per message. While the transport is congested (a write returned false
// and `drain` has not come yet) frames wait here, bounded by Broker's peer buffer size and overflow
// policy (spec §4.5). Dropping the oldest only ever removes the head, so the queue is just an index
// into the frame start offsets.
import { ByteWriter } from '../../src/core/bytes.ts';
import type { Transport } from '../../src/core/transport.ts';

export const OVERFLOW_POLICIES = ['disconnect', 'drop_newest', 'drop_oldest'] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

export interface OutBufferOptions {
  /** Most messages held while congested (`broker.peer-buffer-size`). */
  capacity: number;
  policy: OverflowPolicy;
  /** Write as soon as this many bytes are batched, without waiting for the end of the tick. */
  flushBytes?: number;
}

export interface OutBufferStats {
  /** Messages waiting in the buffer now. */
  queued: number;
  /** Highest `queued` since the last `resetRecent()`. */
  maxQueuedRecently: number;
  overflows: number;
  messages: number;
  bytes: number;
}

const DEFAULT_FLUSH_BYTES = 64 << 10;

export class OutBuffer {
  private readonly w = new ByteWriter(16 << 10);
  /** Start offset of each frame in `w`; frames before `head` were dropped (drop_oldest). */
  private starts: number[] = [];
  private head = 0;
  private congested = false;
  private scheduled = false;
  private closed = false;
  private readonly capacity: number;
  private readonly policy: OverflowPolicy;
  private readonly flushBytes: number;
  private readonly flushTask = () => this.flush();
  maxQueuedRecently = 0;
  overflows = 0;
  messages = 0;
  bytes = 0;

  constructor(
    private readonly transport: Transport,
    options: OutBufferOptions,
    /** Called once when the `disconnect` policy gives up on the peer. */
    private readonly onOverflow: () => void,
  ) {
    this.capacity = options.capacity;
    this.policy = options.policy;
    this.flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
  }

  get queued(): number {
    return this.starts.length - this.head;
  }

  get isCongested(): boolean {
    return this.congested;
  }

  stats(): OutBufferStats {
    return { queued: this.queued, maxQueuedRecently: this.maxQueuedRecently, overflows: this.overflows, messages: this.messages, bytes: this.bytes };
  }

  resetRecent(): void {
    this.maxQueuedRecently = this.queued;
  }

  /** Appends a complete frame (length prefix included). False when the message was not taken. */
  push(frame: Uint8Array): boolean {
    if (!this.admit()) return false;
    this.starts.push(this.w.length);
    this.w.bytes(frame);
    this.pushed();
    return true;
  }

  /** Appends the frame of a phase-3 payload (`bytes[start, end)`) with its sender (first 16 bytes) replaced. */
  pushWithSender(bytes: Uint8Array, sender: Uint8Array, start = 0, end = bytes.length): boolean {
    if (!this.admit()) return false;
    const w = this.w;
    this.starts.push(w.length);
    w.u32(end - start);
    w.bytes(sender);
    w.bytes(bytes.subarray(start + 16, end));
    this.pushed();
    return true;
  }

  /** Appends a frame written by `write` (which must write the length prefix, e.g. writeEnvelope). */
  pushWith(write: (w: ByteWriter) => void): boolean {
    if (!this.admit()) return false;
    const at = this.w.length;
    this.starts.push(at);
    try {
      write(this.w);
    } catch (err) {
      this.w.length = at;
      this.starts.pop();
      throw err;
    }
    this.pushed();
    return true;
  }

  /** The transport drained: send what waited. */
  onDrain(): void {
    if (!this.congested) return;
    this.congested = false;
    this.flush();
  }

  /** Hands everything buffered to the transport now. */
  flush(): void {
    this.scheduled = false;
    if (this.congested || this.closed) return;
    const n = this.queued;
    if (n === 0) return this.clear();
    const from = this.starts[this.head]!;
    const bytes = this.w.peek().slice(from);
    this.messages += n;
    this.bytes += bytes.length;
    this.clear();
    if (!this.transport.write(bytes)) this.congested = true;
  }

  /** Stops accepting and forgets what is queued (the connection is going away). */
  close(): void {
    this.closed = true;
    this.clear();
  }

  private clear(): void {
    this.w.reset();
    this.starts.length = 0;
    this.head = 0;
  }

  private admit(): boolean {
    if (this.closed) return false;
    if (this.queued < this.capacity) return true;
    // A burst larger than the buffer within one tick is not congestion: write it out first.
    if (!this.congested) {
      this.flush();
      if (this.queued < this.capacity) return true;
    }
    this.overflows++;
    switch (this.policy) {
      case 'drop_newest':
        return false;
      case 'drop_oldest':
        this.head++;
        if (this.head > 1024 && this.head * 2 > this.starts.length) this.compact();
        return true;
      case 'disconnect':
        this.close();
        this.onOverflow();
        return false;
    }
  }

  private pushed(): void {
    const q = this.queued;
    if (q > this.maxQueuedRecently) this.maxQueuedRecently = q;
    if (this.congested) return;
    if (this.w.length - (this.starts[this.head] ?? 0) >= this.flushBytes) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Drops the bytes of frames discarded by drop_oldest so the buffer does not keep growing. */
  private compact(): void {
    const from = this.starts[this.head]!;
    const live = this.w.peek().slice(from);
    const starts = this.starts.slice(this.head).map((s) => s - from);
    this.w.reset();
    this.w.bytes(live);
    this.starts = starts;
    this.head = 0;
  }
}
