import { ByteWriter } from '../../src/core/bytes.ts';
import type { Transport } from '../../src/core/transport.ts';
import type { LegacyMessage } from '../codec/messages.ts';
import type { LegacyStreamEncoder, SharedSerial } from '../codec/stream-encoder.ts';

// Outgoing messages of one connection, encoded in order into one buffer and handed to the
// transport once per turn of the event loop: a burst of events becomes one write, not one
// syscall per message.

export class OutputQueue {
  // Small to start (an idle connection keeps it); it doubles as a burst needs.
  private readonly w = new ByteWriter(256);
  private scheduled = false;
  private overflowing = false;

  constructor(
    private readonly transport: Transport,
    private readonly encoder: LegacyStreamEncoder,
    private readonly counters: { bytesOut: number; messagesOut: number },
  ) {}

  /** Bytes encoded but not yet written, plus what the transport still holds. */
  get queued(): number {
    return this.w.length + this.transport.pendingBytes;
  }

  /**
   * Where the queue stands against `limit`: 'overflow-start' on the first call of an overflow
   * episode (for one log line), 'overflow' after that; an episode ends below half the limit.
   */
  bound(limit: number): 'ok' | 'overflow-start' | 'overflow' {
    const queued = this.queued;
    if (queued <= limit) {
      if (this.overflowing && queued <= limit / 2) this.overflowing = false;
      return 'ok';
    }
    if (this.overflowing) return 'overflow';
    this.overflowing = true;
    return 'overflow-start';
  }

  /** Encode now (so a bad value throws here, before anything is written), write soon. */
  push(msg: LegacyMessage): void {
    this.encoder.encodeInto(msg, this.w);
    this.queued1();
  }

  /** A SERIAL whose argument bytes other connections may already have encoded. */
  pushShared(shared: SharedSerial): void {
    this.encoder.encodeSharedInto(shared, this.w);
    this.queued1();
  }

  private queued1(): void {
    this.counters.messagesOut++;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  private readonly flushTask = (): void => this.flush();

  flush(): void {
    this.scheduled = false;
    if (this.w.length === 0) return;
    const bytes = this.w.toBytes();
    this.w.reset();
    this.counters.bytesOut += bytes.length;
    this.transport.write(bytes);
  }
}
