import { BRO_OBJ_BIT, isCacheStableType } from './constants.ts';
import { legacyError } from './errors.ts';

// The receiver's mirror of one peer's serialization cache (semantics in serial-cache.ts). A Bro
// that caches registers every value it sends, so with a 3000-entry cache each event adds and
// evicts a few dozen entries: this runs per object and is laid out for that.
//
// * One entry object per cached object, recycled after eviction (steady traffic evicts as much
//   as it adds), holding the LRU links, the pid-index chain and what the decoder keeps with it.
// * pid -> entry: a power-of-two bucket array chained through the entries; the sender numbers
//   objects 1, 2, 3, ..., so live pids fill consecutive buckets.
// * LRU order: one intrusive doubly linked list per strategy list; a hit, an insertion and an
//   eviction are O(1).

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const stableType = isCacheStableType;
const BRO_OBJ = BRO_OBJ_BIT;

/** What kind of object a cache entry holds, so a back-reference can be checked against its use. */
export type CachedFamily = 'type' | 'val' | 'attrs' | 'id' | 'matcher' | 'state' | 'location';

/** Family codes, as the decoder passes them (numbers compare faster than strings). */
export const FAMILY = { type: 0, val: 1, attrs: 2, id: 3, matcher: 4, state: 5, location: 6 } as const satisfies Record<CachedFamily, number>;
const FAMILY_NAMES = Object.keys(FAMILY) as CachedFamily[];

/** An entry as seen through the object-style API (tests, tools). */
export interface ReceiverEntry {
  obj: object;
  readonly family: CachedFamily;
}

const EMPTY: object = Object.freeze({});

/** A cached object. Only the decoder holds on to one, and only during one serialization. */
export class CacheEntry {
  pid = 0;
  obj: object = EMPTY;
  /** Whatever the decoder derived from `obj` and keeps with it (a type's value kind). */
  memo: unknown = undefined;
  family = 0;
  /** The list it is in (null once removed). */
  list: LruList | null = null;
  prev: CacheEntry | null = null;
  next: CacheEntry | null = null;
  /** Next entry in the same pid bucket. */
  chain: CacheEntry | null = null;
}

class LruList {
  head: CacheEntry | null = null;
  tail: CacheEntry | null = null;
  size = 0;

  append(e: CacheEntry): void {
    e.prev = this.tail;
    e.next = null;
    if (this.tail !== null) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  unlink(e: CacheEntry): void {
    const { prev, next } = e;
    if (prev !== null) prev.next = next;
    else this.head = next;
    if (next !== null) next.prev = prev;
    else this.tail = prev;
    e.prev = e.next = null;
    this.size--;
  }

  clear(): void {
    this.head = this.tail = null;
    this.size = 0;
  }
}

function bucketOf(pid: number, mask: number): number {
  // Consecutive pids in consecutive buckets; higher bits folded in so that pids with a common
  // stride (k * 2^16) do not all share one chain.
  const lo = pid >>> 0;
  return (lo ^ (lo >>> 16) ^ Math.imul((pid / 4294967296) >>> 0, 0x9e3779b1)) & mask;
}

export class ReceiverCache {
  /** Mirror of the sender's capacity: the cache size from the peer's VERSION. */
  capacity: number;
  private readonly maxEntries: number;
  size = 0;
  private buckets: (CacheEntry | null)[] = new Array<CacheEntry | null>(64).fill(null);
  private mask = 63;
  /** No live entry has a larger pid: a new pid above it needs no lookup. */
  private maxPid = 0;
  private readonly stable = new LruList();
  private readonly unstable = new LruList();
  /** Non-BroObj entries registered in this serialization (dropped at its end). */
  private transient: CacheEntry[] = [];
  /** Evicted entries, reused by add(). */
  private spare: CacheEntry[] = [];

  constructor(capacity: number, maxEntries: number) {
    this.capacity = capacity;
    this.maxEntries = maxEntries;
  }

  // ---- the decoder's API -------------------------------------------------------------------

  /**
   * Enter an object the sender sent in full under pid (not 0). A re-used pid replaces the old
   * entry (the sender only does this after evicting it).
   */
  add(pid: number, obj: object, family: number, stype: number, newStrategy: boolean, offset: number): CacheEntry {
    if (pid > this.maxPid) this.maxPid = pid;
    else {
      const old = this.find(pid, false);
      if (old !== undefined) this.remove(old, false);
    }
    if (this.size >= this.maxEntries) {
      throw legacyError('cache_limit', `receiver cache would exceed ${this.maxEntries} entries registering object ${pid}`, {
        field: 'object.pid',
        offset,
      });
    }
    if (this.size > this.mask) this.grow();
    const e = this.spare.pop() ?? new CacheEntry();
    e.pid = pid;
    e.obj = obj;
    e.memo = undefined;
    e.family = family;
    const list = newStrategy && stableType(stype) ? this.stable : this.unstable;
    e.list = list;
    list.append(e);
    const i = bucketOf(pid, this.mask);
    e.chain = this.buckets[i]!;
    this.buckets[i] = e;
    this.size++;
    if ((stype & BRO_OBJ) === 0) this.transient.push(e);
    return e;
  }

  /** The entry of pid, or undefined. With `use`, marks it most recently used (a back-reference). */
  find(pid: number, use = true): CacheEntry | undefined {
    for (let e: CacheEntry | null = this.buckets[bucketOf(pid, this.mask)]!; e !== null; e = e.chain) {
      if (e.pid !== pid) continue;
      if (use) {
        const list = e.list!;
        if (list.tail !== e) {
          list.unlink(e);
          list.append(e);
        }
      }
      return e;
    }
    return undefined;
  }

  /** End of one top-level serialization: drop non-BroObj objects, then trim to capacity. */
  endSerialization(): void {
    if (this.transient.length > 0) {
      const transient = this.transient;
      this.transient = [];
      // Still the live entry for its pid (not replaced by a later registration of that pid).
      for (const e of transient) if (e.list !== null) this.remove(e, true);
    }
    const capacity = this.capacity;
    const { stable, unstable } = this;
    while (stable.size > capacity) this.remove(stable.head!, true);
    while (unstable.size > capacity) this.remove(unstable.head!, true);
  }

  clear(): void {
    this.buckets.fill(null);
    for (const list of [this.stable, this.unstable]) {
      for (let e = list.head; e !== null; e = e.next) e.list = null;
      list.clear();
    }
    this.size = 0;
    this.transient = [];
  }

  // ---- object-style API --------------------------------------------------------------------

  /** Enter an object the sender sent in full. pid 0 means "not cached" and is ignored. */
  register(pid: number, obj: object, family: CachedFamily, stype: number, newStrategy: boolean, offset: number): ReceiverEntry | undefined {
    if (pid === 0) return undefined;
    return view(this.add(pid, obj, FAMILY[family], stype, newStrategy, offset));
  }

  /** Resolve a back-reference; undefined if absent. Marks the entry most recently used. */
  lookup(pid: number): ReceiverEntry | undefined {
    const e = this.find(pid);
    return e === undefined ? undefined : view(e);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Only entries removed at the end of a serialization are recycled: nothing refers to them. */
  private remove(e: CacheEntry, recycle: boolean): void {
    e.list!.unlink(e);
    e.list = null;
    const i = bucketOf(e.pid, this.mask);
    let p: CacheEntry | null = this.buckets[i]!;
    if (p === e) this.buckets[i] = e.chain;
    else {
      while (p !== null && p.chain !== e) p = p.chain;
      if (p !== null) p.chain = e.chain;
    }
    e.chain = null;
    this.size--;
    if (recycle && this.spare.length < 4096) {
      // Drop references so a recycled entry does not keep an object alive.
      e.obj = EMPTY;
      e.memo = undefined;
      this.spare.push(e);
    }
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array<CacheEntry | null>(old.length * 2).fill(null);
    this.mask = this.buckets.length - 1;
    for (let e of old) {
      while (e !== null) {
        const next = e.chain;
        const i = bucketOf(e.pid, this.mask);
        e.chain = this.buckets[i]!;
        this.buckets[i] = e;
        e = next;
      }
    }
  }
}

function view(e: CacheEntry): ReceiverEntry {
  return {
    get obj(): object {
      return e.obj;
    },
    set obj(o: object) {
      e.obj = o;
    },
    family: FAMILY_NAMES[e.family]!,
  };
}
