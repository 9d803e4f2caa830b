// A clone's bookkeeping for writes that have not reached a master yet: the bounded queue of writes
// made while no master is reachable (kept at most the mutation buffer interval), and the
// put_unique requests waiting for their put_unique_result. Nothing here is dropped without a
// caller hearing of it: refused writes throw, expired or abandoned ones are returned for a
// `write_lost` status and their put_unique promises are rejected.
import type { Int64 } from '../data/index.ts';
import type { CommandMessage } from '../native/store-commands.ts';
import type { StoreWrite } from './api.ts';
import { StoreError } from './errors.ts';

interface Queued {
  readonly write: StoreWrite;
  readonly at: number;
  readonly reqId?: number;
}

interface Pending {
  resolve(inserted: boolean): void;
  reject(err: Error): void;
}

export class WaitingWrites {
  private readonly queue: Queued[] = [];
  private readonly uniques = new Map<number, Pending>();
  private lastReqId = 0;

  constructor(
    private readonly store: string,
    private readonly maxQueued: number,
    private readonly bufferMs: number,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** A new put_unique request id and the promise of its result. */
  request(): { reqId: number; result: Promise<boolean> } {
    const reqId = ++this.lastReqId;
    const result = new Promise<boolean>((resolve, reject) => this.uniques.set(reqId, { resolve, reject }));
    return { reqId, result };
  }

  /** The put_unique_result for one of our requests. */
  resolve(reqId: number, inserted: boolean): void {
    this.uniques.get(reqId)?.resolve(inserted);
    this.uniques.delete(reqId);
  }

  fail(reqId: number, err: Error): void {
    this.uniques.get(reqId)?.reject(err);
    this.uniques.delete(reqId);
  }

  /** Queues a write made while no master is reachable; throws `no_master` or `queue_full`. */
  enqueue(write: StoreWrite, now: number, reqId: number | undefined): void {
    if (this.bufferMs <= 0) throw new StoreError('no_master', this.store, 'no master is reachable and buffering is disabled');
    if (this.queue.length >= this.maxQueued) throw new StoreError('queue_full', this.store, `no master is reachable and ${this.queue.length} writes are already waiting`);
    this.queue.push(reqId === undefined ? { write, at: now } : { write, at: now, reqId });
  }

  /** Everything queued, oldest first, to send now that a master is attached. */
  drain(): { write: StoreWrite; reqId: number | undefined }[] {
    return this.queue.splice(0).map((q) => ({ write: q.write, reqId: q.reqId }));
  }

  /** Drops writes older than the mutation buffer interval; returns them (their put_uniques fail). */
  expire(now: number): StoreWrite[] {
    let n = 0;
    while (n < this.queue.length && now - this.queue[n]!.at >= this.bufferMs) n++;
    if (n === 0) return [];
    const expired = this.queue.splice(0, n);
    const why = new StoreError('write_lost', this.store, 'the write waited longer than the mutation buffer interval for a master');
    for (const q of expired) if (q.reqId !== undefined) this.fail(q.reqId, why);
    return expired.map((q) => q.write);
  }

  /** Writes that were sent to a master that went away unanswered: their put_uniques fail. */
  abandon(sent: readonly CommandMessage[], isOurs: (who: CommandMessage['sender']) => boolean): StoreWrite[] {
    const why = new StoreError('write_lost', this.store, 'the master changed before it answered');
    for (const m of sent) {
      const c = m.command;
      if (c.type === 'put_unique' && isOurs(c.who)) this.fail(Number(c.reqId), why);
    }
    return sent.map(toWrite);
  }

  /** On close: what was still queued, and every pending put_unique rejected with `closed`. */
  close(): StoreWrite[] {
    const left = this.queue.splice(0).map((q) => q.write);
    const why = new StoreError('closed', this.store, 'the store was closed before the master answered');
    for (const p of this.uniques.values()) p.reject(why);
    this.uniques.clear();
    return left;
  }
}

function opt<T extends object>(x: T, expiry: Int64 | undefined): T & { expiry?: Int64 } {
  return expiry === undefined ? x : { ...x, expiry };
}

/** The user-level write a command message carries. */
export function toWrite(m: CommandMessage): StoreWrite {
  const c = m.command;
  switch (c.type) {
    case 'put':
      return opt({ type: 'put', key: c.key, value: c.value }, c.expiry);
    case 'put_unique':
      return opt({ type: 'put_unique', key: c.key, value: c.value }, c.expiry);
    case 'erase':
      return { type: 'erase', key: c.key };
    case 'add':
      return opt({ type: 'add', key: c.key, value: c.value, initType: c.initType }, c.expiry);
    case 'subtract':
      return opt({ type: 'subtract', key: c.key, value: c.value }, c.expiry);
    default:
      return { type: 'clear' };
  }
}
