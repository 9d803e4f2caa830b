import { BRO_OBJ_BIT, isCacheStableType } from './constants.ts';
import { legacyError } from './errors.ts';

// The receiver's mirror of one peer's serialization cache (semantics in serial-cache.ts). A Bro
// that caches registers every value it sends, so with a 3000-entry cache each event adds and
// evicts a few dozen entries: this runs per object and is laid out for that.
//
// * Entries live in slots (parallel arrays, no object per entry); evicted slots are reused.
// * pid -> slot is a chained hash table in typed arrays (bucket heads, and a chain link per
//   slot); sequential pids land in sequential buckets.
// * LRU order is a queue of (slot, stamp) per list: a use appends the slot again with a fresh
//   stamp, and an older queue item whose stamp is no longer the slot's is skipped when it reaches
//   the front. Trimming pops the front, so eviction order is exactly least-recently-used first,
//   and an add, a use and an eviction are O(1) without touching neighbouring entries.

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const stableType = isCacheStableType;
const BRO_OBJ = BRO_OBJ_BIT;

/** What kind of object a cache entry holds, so a back-reference can be checked against its use. */
export type CachedFamily = 'type' | 'val' | 'attrs' | 'id' | 'matcher' | 'state' | 'location';

/** Family codes, as the decoder passes them (numbers compare faster than strings). */
export const FAMILY = { type: 0, val: 1, attrs: 2, id: 3, matcher: 4, state: 5, location: 6 } as const satisfies Record<CachedFamily, number>;
const FAMILY_NAMES: readonly CachedFamily[] = ['type', 'val', 'attrs', 'id', 'matcher', 'state', 'location'];

/** An entry as seen through the object-style API (tests, tools): reads and writes the slot. */
export interface ReceiverEntry {
  obj: object;
  readonly family: CachedFamily;
}

const UNSTABLE = 0;
const STABLE = 1;
const FREE = 255;

/** Ring buffer of (slot, stamp) in order of use, oldest first. */
class UseQueue {
  slots = new Int32Array(64);
  stamps = new Float64Array(64);
  head = 0;
  count = 0;
  mask = 63;

  push(slot: number, stamp: number): void {
    if (this.count > this.mask) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.slots[i] = slot;
    this.stamps[i] = stamp;
    this.count++;
  }

  /** Drop queue items that no longer name their slot's latest use. */
  compact(lastUse: Float64Array, list: Uint8Array, which: number): void {
    const { slots, stamps, mask } = this;
    let out = 0;
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & mask;
      const slot = slots[i]!;
      if (list[slot] !== which || lastUse[slot] !== stamps[i]) continue;
      const o = (this.head + out) & mask;
      slots[o] = slot;
      stamps[o] = stamps[i]!;
      out++;
    }
    this.count = out;
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const slots = new Int32Array(size);
    const stamps = new Float64Array(size);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      slots[k] = this.slots[i]!;
      stamps[k] = this.stamps[i]!;
    }
    this.slots = slots;
    this.stamps = stamps;
    this.head = 0;
    this.mask = size - 1;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

function bucketOf(pid: number, mask: number): number {
  // The sender numbers objects 1, 2, 3, ...: consecutive pids in consecutive buckets keep the
  // hot part of the table small. Higher bits are folded in so that pids with a common stride
  // (k * 2^16) do not all share one chain.
  const lo = pid >>> 0;
  return (lo ^ (lo >>> 16) ^ Math.imul((pid / 4294967296) >>> 0, 0x9e3779b1)) & mask;
}

export class ReceiverCache {
  /** Mirror of the sender's capacity: the cache size from the peer's VERSION. */
  capacity: number;
  private readonly maxEntries: number;
  size = 0;

  // Slot columns.
  private objs: (object | undefined)[] = [];
  private memos: unknown[] = [];
  private pids = new Float64Array(64);
  private families = new Uint8Array(64);
  private list = new Uint8Array(64).fill(FREE);
  private lastUse = new Float64Array(64);
  private born = new Float64Array(64);
  private slotCount = 0;
  private free: number[] = [];

  // pid -> slot: first slot per bucket, next slot in the same bucket per slot (-1 = none).
  private heads = new Int32Array(64).fill(-1);
  private chain = new Int32Array(64);
  private mask = 63;

  private readonly queues = [new UseQueue(), new UseQueue()] as const;
  private readonly listSize = [0, 0];
  private stamp = 0;
  /** Slots of non-BroObj objects registered in this serialization, with their birth stamps. */
  private transientSlots: number[] = [];
  private transientBorn: number[] = [];

  constructor(capacity: number, maxEntries: number) {
    this.capacity = capacity;
    this.maxEntries = maxEntries;
  }

  // ---- the decoder's API (slots) -----------------------------------------------------------

  /**
   * Enter an object the sender sent in full under pid (not 0); returns its slot. A re-used pid
   * replaces the old entry (the sender only does this after evicting it).
   */
  add(pid: number, obj: object, family: number, stype: number, newStrategy: boolean, offset: number): number {
    const old = this.find(pid, false);
    if (old >= 0) this.remove(old);
    else if (this.size >= this.maxEntries) {
      throw legacyError('cache_limit', `receiver cache would exceed ${this.maxEntries} entries registering object ${pid}`, {
        field: 'object.pid',
        offset,
      });
    }
    const which = newStrategy && stableType(stype) ? STABLE : UNSTABLE;
    if (this.size >= this.mask + 1) this.rehash();
    const slot = this.allocate();
    const stamp = ++this.stamp;
    this.objs[slot] = obj;
    this.memos[slot] = undefined;
    this.pids[slot] = pid;
    this.families[slot] = family;
    this.list[slot] = which;
    this.lastUse[slot] = stamp;
    this.born[slot] = stamp;
    this.listSize[which]!++;
    this.enqueue(which, slot, stamp);
    this.size++;
    this.insert(pid, slot);
    if ((stype & BRO_OBJ) === 0) {
      this.transientSlots.push(slot);
      this.transientBorn.push(stamp);
    }
    return slot;
  }

  /** Slot of pid, or -1. With `use`, marks the entry most recently used (a back-reference). */
  find(pid: number, use = true): number {
    const pids = this.pids;
    const chain = this.chain;
    for (let slot = this.heads[bucketOf(pid, this.mask)]!; slot >= 0; slot = chain[slot]!) {
      if (pids[slot] !== pid) continue;
      if (use) this.use(slot);
      return slot;
    }
    return -1;
  }

  objectAt(slot: number): object {
    return this.objs[slot]!;
  }

  familyAt(slot: number): number {
    return this.families[slot]!;
  }

  /** Fill in an object registered with a placeholder, if the slot still holds it. */
  settle(slot: number, pid: number, placeholder: object, obj: object): void {
    if (this.pids[slot] === pid && this.objs[slot] === placeholder) this.objs[slot] = obj;
  }

  /** Whatever the decoder derived from the entry's object and wants to keep with it. */
  memoAt(slot: number): unknown {
    return this.memos[slot];
  }

  setMemo(slot: number, memo: unknown): void {
    this.memos[slot] = memo;
  }

  /** End of one top-level serialization: drop non-BroObj objects, then trim to capacity. */
  endSerialization(): void {
    const n = this.transientSlots.length;
    if (n > 0) {
      for (let k = 0; k < n; k++) {
        const slot = this.transientSlots[k]!;
        if (this.list[slot] !== FREE && this.born[slot] === this.transientBorn[k]) this.remove(slot);
      }
      this.transientSlots.length = 0;
      this.transientBorn.length = 0;
    }
    this.trim(STABLE);
    this.trim(UNSTABLE);
  }

  clear(): void {
    for (let s = 0; s < this.slotCount; s++) {
      this.objs[s] = undefined;
      this.memos[s] = undefined;
    }
    this.list.fill(FREE);
    this.heads.fill(-1);
    this.free.length = 0;
    this.slotCount = 0;
    this.size = 0;
    this.listSize[0] = this.listSize[1] = 0;
    this.queues[0].clear();
    this.queues[1].clear();
    this.transientSlots.length = 0;
    this.transientBorn.length = 0;
  }

  // ---- object-style API --------------------------------------------------------------------

  /** Enter an object the sender sent in full. pid 0 means "not cached" and is ignored. */
  register(pid: number, obj: object, family: CachedFamily, stype: number, newStrategy: boolean, offset: number): ReceiverEntry | undefined {
    if (pid === 0) return undefined;
    return this.entry(this.add(pid, obj, FAMILY[family], stype, newStrategy, offset));
  }

  /** Resolve a back-reference; undefined if absent. Marks the entry most recently used. */
  lookup(pid: number): ReceiverEntry | undefined {
    const slot = this.find(pid);
    return slot < 0 ? undefined : this.entry(slot);
  }

  private entry(slot: number): ReceiverEntry {
    const objs = this.objs;
    return {
      get obj(): object {
        return objs[slot]!;
      },
      set obj(o: object) {
        objs[slot] = o;
      },
      family: FAMILY_NAMES[this.families[slot]!]!,
    };
  }

  // ---- internals ---------------------------------------------------------------------------

  private use(slot: number): void {
    const which = this.list[slot]!;
    const q = this.queues[which as 0 | 1];
    // Already the most recent use: nothing moves.
    if (q.count > 0 && q.slots[(q.head + q.count - 1) & q.mask] === slot && q.stamps[(q.head + q.count - 1) & q.mask] === this.lastUse[slot]) return;
    const stamp = ++this.stamp;
    this.lastUse[slot] = stamp;
    this.enqueue(which, slot, stamp);
  }

  private enqueue(which: number, slot: number, stamp: number): void {
    const q = this.queues[which as 0 | 1];
    // Uses of a few hot entries, or objects dropped at the end of each serialization, would grow
    // a queue that never needs trimming without bound: drop its stale items when it is full.
    if (q.count > q.mask && q.count > 2 * this.listSize[which]! + 64) q.compact(this.lastUse, this.list, which);
    q.push(slot, stamp);
  }

  private trim(which: number): void {
    const q = this.queues[which as 0 | 1];
    const { slots, stamps, mask } = q;
    while (this.listSize[which]! > this.capacity) {
      const i = q.head;
      const slot = slots[i]!;
      const stamp = stamps[i]!;
      q.head = (i + 1) & mask;
      q.count--;
      if (this.list[slot] === which && this.lastUse[slot] === stamp) this.remove(slot);
    }
  }

  private remove(slot: number): void {
    this.erase(slot);
    this.listSize[this.list[slot]!]!--;
    this.list[slot] = FREE;
    this.objs[slot] = undefined;
    this.memos[slot] = undefined;
    this.free.push(slot);
    this.size--;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.slotCount++;
    if (slot >= this.pids.length) {
      const size = this.pids.length * 2;
      this.pids = grown(this.pids, new Float64Array(size));
      this.families = grown(this.families, new Uint8Array(size));
      this.list = grown(this.list, new Uint8Array(size).fill(FREE));
      this.lastUse = grown(this.lastUse, new Float64Array(size));
      this.born = grown(this.born, new Float64Array(size));
      this.chain = grown(this.chain, new Int32Array(size));
    }
    return slot;
  }

  private insert(pid: number, slot: number): void {
    const h = bucketOf(pid, this.mask);
    this.chain[slot] = this.heads[h]!;
    this.heads[h] = slot;
  }

  private erase(slot: number): void {
    const h = bucketOf(this.pids[slot]!, this.mask);
    const chain = this.chain;
    let s = this.heads[h]!;
    if (s === slot) {
      this.heads[h] = chain[slot]!;
      return;
    }
    while (s >= 0) {
      const next = chain[s]!;
      if (next === slot) {
        chain[s] = chain[slot]!;
        return;
      }
      s = next;
    }
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2;
    this.heads = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.list[slot] === FREE) continue;
      const h = bucketOf(this.pids[slot]!, this.mask);
      this.chain[slot] = this.heads[h]!;
      this.heads[h] = slot;
    }
  }
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(old: T, next: T): T {
  next.set(old);
  return next;
}
