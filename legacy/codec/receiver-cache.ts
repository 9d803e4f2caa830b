import { BRO_OBJ_BIT, isCacheStableType } from './constants.ts';
import { legacyError } from './errors.ts';

// The receiver's mirror of one peer's serialization cache (semantics in serial-cache.ts). A Bro
// that caches registers every value it sends, so with a 3000-entry cache each event adds and
// evicts a few dozen entries: this runs per object and is laid out for that.
//
// * Entries live in slots (parallel arrays, no object per entry); evicted slots are reused.
// * pid -> slot is an open-addressing table (linear probing, backward-shift deletion) in typed
//   arrays; sequential pids land in sequential buckets.
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
  // Fibonacci hashing of both words: sequential pids spread over consecutive-ish buckets.
  return (Math.imul((pid >>> 0) ^ ((pid / 4294967296) >>> 0), 0x9e3779b1) >>> 12) & mask;
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

  // pid -> slot + 1 (0 = empty bucket).
  private keys = new Float64Array(64);
  private vals = new Int32Array(64);
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
    this.insert(pid, slot);
    this.size++;
    if ((stype & BRO_OBJ) === 0) {
      this.transientSlots.push(slot);
      this.transientBorn.push(stamp);
    }
    return slot;
  }

  /** Slot of pid, or -1. With `use`, marks the entry most recently used (a back-reference). */
  find(pid: number, use = true): number {
    if (pid === 0) return -1;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = bucketOf(pid, mask); ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === pid) {
        const slot = this.vals[i]! - 1;
        if (use) this.use(slot);
        return slot;
      }
      if (k === 0) return -1;
    }
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
    this.keys.fill(0);
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
    this.erase(this.pids[slot]!);
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
    }
    return slot;
  }

  private insert(pid: number, slot: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.rehash();
    const keys = this.keys;
    const mask = this.mask;
    let i = bucketOf(pid, mask);
    while (keys[i] !== 0) i = (i + 1) & mask;
    keys[i] = pid;
    this.vals[i] = slot + 1;
  }

  private erase(pid: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = bucketOf(pid, mask);
    while (keys[i] !== pid) {
      if (keys[i] === 0) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull later members of the probe run into the gap.
    for (let j = (i + 1) & mask; keys[j] !== 0; j = (j + 1) & mask) {
      const home = bucketOf(keys[j]!, mask);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      keys[i] = keys[j]!;
      vals[i] = vals[j]!;
      i = j;
    }
    keys[i] = 0;
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const size = oldKeys.length * 2;
    this.keys = new Float64Array(size);
    this.vals = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === 0) continue;
      let j = bucketOf(k, this.mask);
      while (this.keys[j] !== 0) j = (j + 1) & this.mask;
      this.keys[j] = k;
      this.vals[j] = oldVals[i]!;
    }
  }
}

function grown<T extends Float64Array | Uint8Array>(old: T, next: T): T {
  next.set(old);
  return next;
}
