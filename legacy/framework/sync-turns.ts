// Section 6.3: one peer syncs at a time. The session in (or entering) the SYNC phase holds the
// turn; others queue in arrival order and are granted it when the holder reaches RUNNING or goes.

export class SyncTurns {
  private holder: number | undefined;
  private readonly queue: number[] = [];

  /** @param grant gives a queued session its turn; false = that session is gone, try the next. */
  constructor(private readonly grant: (id: number) => boolean) {}

  /** True = go now; false = queued behind the holder. */
  take(id: number): boolean {
    if (this.holder === undefined || this.holder === id) {
      this.holder = id;
      return true;
    }
    if (!this.queue.includes(id)) this.queue.push(id);
    return false;
  }

  /** The holder's SYNC phase is over: next in line. A no-op for any other session. */
  release(id: number): void {
    if (this.holder !== id) return;
    this.holder = undefined;
    while (this.holder === undefined && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.holder = next;
      // A grant may end in release(next) at once (we send our state in one go), which moves on.
      if (!this.grant(next) && this.holder === next) this.holder = undefined;
    }
  }

  /** The session is gone: out of the queue, and its turn (if held) passed on. */
  leave(id: number): void {
    const queued = this.queue.indexOf(id);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.release(id);
  }
}
