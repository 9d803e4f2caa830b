import { BRO_OBJ_BIT, isCacheStableType } from './constants.ts';
import { CacheEntry, CacheList, EMPTY } from './cache-list.ts';
import { legacyError } from './errors.ts';

// The receiver's mirror of one peer's serialization cache (semantics in serial-cache.ts). A Bro
// that caches registers every value it sends, so with a 3000-entry cache each event adds and
// evicts a few dozen entries, nearly all of them never referenced again. The layout is for that:
//
// * Each LRU list is split in two. Entries not used since they were registered sit in a ring of
//   parallel arrays in registration order, which is also pid order (the sender counts up): adding
//   one is an append, evicting one is a pop, finding one a binary search; no object, no hashing.
// * An entry that is used (a back-reference) becomes an entry object in a linked list in order of
//   use, indexed by pid; so does the rare entry registered out of pid order.
// * Each entry has a stamp (registration or last use): the least recently used entry of a list
//   is whichever of the ring's front and the used list's head is older, so eviction order is
//   exactly Bro's.

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const stableType = isCacheStableType;
const BRO_OBJ = BRO_OBJ_BIT;

/** What kind of object a cache entry holds, so a back-reference can be checked against its use. */
export { CacheEntry };

export type CachedFamily = 'type' | 'val' | 'attrs' | 'id' | 'matcher' | 'state' | 'location';

/** Family codes, as the decoder passes them (numbers compare faster than strings). */
export const FAMILY = { type: 0, val: 1, attrs: 2, id: 3, matcher: 4, state: 5, location: 6 } as const satisfies Record<CachedFamily, number>;
const FAMILY_NAMES = Object.keys(FAMILY) as CachedFamily[];
const VAL_FAMILY = FAMILY.val;

/** An entry as seen through the object-style API (tests, tools). */
export interface ReceiverEntry {
  obj: object;
  readonly family: CachedFamily;
}

function bucketOf(pid: number, mask: number): number {
  const lo = pid >>> 0;
  const h = lo ^ (lo >>> 16);
  return (pid > 0xffffffff ? h ^ Math.imul(Math.floor(pid / 4294967296), 0x9e3779b1) : h) & mask;
}

export class ReceiverCache {
  /** Mirror of the sender's capacity: the cache size from the peer's VERSION. */
  capacity: number;
  private readonly maxEntries: number;
  size = 0;
  private stamp = 0;
  /** No live entry has a larger pid: a new pid above it needs no lookup. */
  private maxPid = 0;
  private readonly stable = new CacheList(1);
  private readonly unstable = new CacheList(0);
  // pid -> used entry.
  private buckets: (CacheEntry | null)[] = new Array<CacheEntry | null>(16).fill(null);
  private mask = 15;
  private indexed = 0;
  /** Non-BroObj objects registered in this serialization, as (pid, registration stamp) pairs. */
  private transient: number[] = [];
  /** Recycled entry objects, chained through `next`. */
  private spare: CacheEntry | null = null;

  constructor(capacity: number, maxEntries: number) {
    this.capacity = capacity;
    this.maxEntries = maxEntries;
  }

  // ---- the decoder's API -------------------------------------------------------------------

  /**
   * Enter an object the sender sent in full under pid (not 0); returns a handle for settle(). A
   * re-used pid replaces the old entry (the sender only does this after evicting it).
   */
  add(pid: number, obj: object, family: number, stype: number, newStrategy: boolean, offset: number): number {
    if (pid > this.maxPid) this.maxPid = pid;
    else this.drop(pid, -1);
    if (this.size >= this.maxEntries) {
      throw legacyError('cache_limit', `receiver cache would exceed ${this.maxEntries} entries registering object ${pid}`, {
        field: 'object.pid',
        offset,
      });
    }
    const stamp = ++this.stamp;
    const list = newStrategy && stableType(stype) ? this.stable : this.unstable;
    this.size++;
    if ((stype & BRO_OBJ) === 0) this.transient.push(pid, stamp);
    if (pid > list.lastPid) return list.push(pid, obj, family, stamp) * 2 + list.bit;
    const e = this.entry(pid, obj, family, stamp);
    this.toUsed(list, e);
    return -1;
  }

  /**
   * add() for a value (serial type 0x88xx), the object Bro registers most: values are never
   * cache-stable (unstable list) and always BroObjs (never dropped at the end). Returns its ring
   * position, or -1, for settleValue().
   */
  addValue(pid: number, obj: object, offset: number): number {
    if (pid > this.maxPid) this.maxPid = pid;
    else this.drop(pid, -1);
    if (this.size >= this.maxEntries) {
      throw legacyError('cache_limit', `receiver cache would exceed ${this.maxEntries} entries registering object ${pid}`, {
        field: 'object.pid',
        offset,
      });
    }
    const stamp = ++this.stamp;
    const list = this.unstable;
    this.size++;
    if (pid > list.lastPid) return list.push(pid, obj, VAL_FAMILY, stamp);
    this.toUsed(list, this.entry(pid, obj, VAL_FAMILY, stamp));
    return -1;
  }

  /** settle() for a position from addValue(). */
  settleValue(pos: number, pid: number, placeholder: object, obj: object): void {
    const list = this.unstable;
    const i = pos & list.mask;
    if (pos >= list.head && pos < list.tail && list.objs[i] === placeholder && list.pids[i] === pid) list.objs[i] = obj;
    else this.settle(-1, pid, placeholder, obj);
  }

  /**
   * Replace the placeholder an object was registered with (handle from add()). If the sender
   * re-used the pid meanwhile, the newer entry stays.
   */
  settle(handle: number, pid: number, placeholder: object, obj: object): void {
    if (handle >= 0) {
      const list = (handle & 1) === 1 ? this.stable : this.unstable;
      const pos = Math.floor(handle / 2);
      const i = pos & list.mask;
      if (pos >= list.head && pos < list.tail && list.objs[i] === placeholder && list.pids[i] === pid) {
        list.objs[i] = obj;
        return;
      }
    }
    // Moved (used, or the ring was compacted): look it up without counting a use.
    const e = this.indexed > 0 ? this.lookupIndex(pid) : null;
    if (e !== null) {
      if (e.obj === placeholder) e.obj = obj;
      return;
    }
    this.settleInRing(this.stable, pid, placeholder, obj);
    this.settleInRing(this.unstable, pid, placeholder, obj);
  }

  private settleInRing(list: CacheList, pid: number, placeholder: object, obj: object): void {
    const pos = list.search(pid);
    if (pos >= 0 && list.objs[pos & list.mask] === placeholder) list.objs[pos & list.mask] = obj;
  }

  /** The entry of pid as a back-reference names it (marked most recently used), or undefined. */
  find(pid: number): CacheEntry | undefined {
    const e = this.lookupIndex(pid);
    if (e !== null) {
      e.stamp = ++this.stamp;
      const list = e.owner!;
      if (list.last !== e) {
        list.unlink(e);
        list.append(e);
      }
      return e;
    }
    return this.firstUse(this.stable, pid) ?? this.firstUse(this.unstable, pid);
  }

  /** A never-used entry is used: it moves from the ring to the used list. */
  private firstUse(list: CacheList, pid: number): CacheEntry | undefined {
    const pos = list.search(pid);
    if (pos < 0) return undefined;
    const i = pos & list.mask;
    const e = this.entry(pid, list.objs[i]!, list.families[i]!, list.stamps[i]!);
    list.vacate(pos);
    e.stamp = ++this.stamp;
    this.toUsed(list, e);
    return e;
  }

  /** Whether pid is cached (no use counted). */
  has(pid: number): boolean {
    return this.lookupIndex(pid) !== null || this.stable.search(pid) >= 0 || this.unstable.search(pid) >= 0;
  }

  /** End of one top-level serialization: drop non-BroObj objects, then trim to capacity. */
  endSerialization(): void {
    const transient = this.transient;
    if (transient.length > 0) {
      // Still the entry of that registration (not replaced by a later registration of the pid).
      for (let k = 0; k < transient.length; k += 2) this.drop(transient[k]!, transient[k + 1]!);
      transient.length = 0;
    }
    this.trim(this.stable);
    this.trim(this.unstable);
  }

  clear(): void {
    for (let e = this.stable.first; e !== null; e = e.next) e.chain = null;
    for (let e = this.unstable.first; e !== null; e = e.next) e.chain = null;
    this.stable.clear();
    this.unstable.clear();
    this.buckets.fill(null);
    this.indexed = 0;
    this.size = 0;
    this.transient.length = 0;
  }

  // ---- object-style API --------------------------------------------------------------------

  /** Enter an object the sender sent in full. pid 0 means "not cached" and is ignored. */
  register(pid: number, obj: object, family: CachedFamily, stype: number, newStrategy: boolean, offset: number): ReceiverEntry | undefined {
    if (pid === 0) return undefined;
    const handle = this.add(pid, obj, FAMILY[family], stype, newStrategy, offset);
    const settle = (from: object, to: object): void => this.settle(handle, pid, from, to);
    let current = obj;
    return {
      get obj(): object {
        return current;
      },
      set obj(o: object) {
        settle(current, o);
        current = o;
      },
      family,
    };
  }

  /** Resolve a back-reference; undefined if absent. Marks the entry most recently used. */
  lookup(pid: number): ReceiverEntry | undefined {
    const e = this.find(pid);
    if (e === undefined) return undefined;
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

  // ---- internals ---------------------------------------------------------------------------

  private lookupIndex(pid: number): CacheEntry | null {
    let e: CacheEntry | null = this.buckets[bucketOf(pid, this.mask)]!;
    while (e !== null && e.pid !== pid) e = e.chain;
    return e;
  }

  /** Remove pid's entry, if it was registered at stamp `born` (any registration if -1). */
  private drop(pid: number, born: number): void {
    const e = this.lookupIndex(pid);
    if (e !== null) {
      if (born < 0 || e.born === born) this.removeUsed(e);
      return;
    }
    if (!this.dropInRing(this.stable, pid, born)) this.dropInRing(this.unstable, pid, born);
  }

  private dropInRing(list: CacheList, pid: number, born: number): boolean {
    const pos = list.search(pid);
    if (pos < 0) return false;
    if (born < 0 || list.stamps[pos & list.mask] === born) {
      list.vacate(pos);
      this.size--;
    }
    return true;
  }

  private trim(list: CacheList): void {
    const capacity = this.capacity;
    while (list.size > capacity) {
      const used = list.first;
      if (list.inRing > 0) {
        const pos = list.front();
        if (used === null || list.stamps[pos & list.mask]! < used.stamp) {
          list.vacate(pos);
          this.size--;
          continue;
        }
      }
      this.removeUsed(used!);
    }
  }

  private entry(pid: number, obj: object, family: number, born: number): CacheEntry {
    let e = this.spare;
    if (e !== null) this.spare = e.next;
    else e = new CacheEntry();
    e.pid = pid;
    e.obj = obj;
    e.memo = undefined;
    e.family = family;
    e.born = born;
    e.stamp = born;
    return e;
  }

  /** Into the used list (and the index) of `list`, as its most recent entry. */
  private toUsed(list: CacheList, e: CacheEntry): void {
    e.owner = list;
    list.append(e);
    if (this.indexed > this.mask) this.grow();
    const i = bucketOf(e.pid, this.mask);
    e.chain = this.buckets[i]!;
    this.buckets[i] = e;
    this.indexed++;
  }

  private removeUsed(e: CacheEntry): void {
    e.owner!.unlink(e);
    e.owner = null;
    const i = bucketOf(e.pid, this.mask);
    let p: CacheEntry | null = this.buckets[i]!;
    if (p === e) this.buckets[i] = e.chain;
    else {
      while (p !== null && p.chain !== e) p = p.chain;
      if (p !== null) p.chain = e.chain;
    }
    e.chain = null;
    this.indexed--;
    this.size--;
    // Recycled; drop references so it does not keep an object alive. (The decoder holds an
    // entry only while it resolves one back-reference, never across a removal.)
    e.obj = EMPTY;
    e.memo = undefined;
    e.next = this.spare;
    this.spare = e;
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array<CacheEntry | null>(old.length * 2).fill(null);
    this.mask = this.buckets.length - 1;
    for (let e of old) {
      while (e !== null) {
        const next: CacheEntry | null = e.chain;
        const i = bucketOf(e.pid, this.mask);
        e.chain = this.buckets[i]!;
        this.buckets[i] = e;
        e = next;
      }
    }
  }
}
