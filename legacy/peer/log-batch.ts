import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { LogEntry } from '../codec/log-codec.ts';

// Bro buffers LOG_WRITE entries per peer and sends them in batches (section 4.12): here up to about
// 50 KiB of entries, and at the latest 1 s after the first one was buffered.

export const LOG_BATCH_BYTES = 50 * 1024;
export const LOG_BATCH_MS = 1000;

export class LogBatch {
  private entries: LogEntry[] = [];
  private bytes = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly send: (entries: LogEntry[]) => void,
  ) {}

  add(entry: LogEntry): void {
    this.entries.push(entry);
    // An estimate of the encoded size; exactness does not matter for a flush threshold.
    this.bytes += 24 + entry.path.length + entry.values.length * 16;
    if (this.bytes >= LOG_BATCH_BYTES) this.flush();
    else this.timer ??= this.clock.setTimeout(() => this.flush(), LOG_BATCH_MS);
  }

  flush(): void {
    this.cancel();
    if (this.entries.length === 0) return;
    const entries = this.entries;
    this.entries = [];
    this.bytes = 0;
    this.send(entries);
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
