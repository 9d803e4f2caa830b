// The two halves of one LRU list of the receiver cache (see receiver-cache.ts): a ring of
// entries never used since registration, in pid order, and a linked list of used entries.

export const EMPTY: object = Object.freeze({});

/** A cached object that has been referenced. Only the decoder holds one, during one serialization. */
export class CacheEntry {
  pid = 0;
  obj: object = EMPTY;
  /** Whatever the decoder derived from `obj` and keeps with it (a type's value kind). */
  memo: unknown = undefined;
  family = 0;
  /** When it was registered, and when it was last used. */
  born = 0;
  stamp = 0;
  /** The list it is in (null once removed). */
  owner: CacheList | null = null;
  prev: CacheEntry | null = null;
  /** Next in its list; next spare entry while recycled. */
  next: CacheEntry | null = null;
  /** Next entry in the same index bucket. */
  chain: CacheEntry | null = null;
}

/** One LRU list (Bro's old strategy has one; the new one keeps cache-stable objects apart). */
export class CacheList {
  // Never-used entries: positions [head, tail) of an ever-growing sequence, stored at pos & mask,
  // pids ascending; obj undefined where an entry left (used, dropped, replaced): a hole keeps its
  // pid, so the pids stay sorted for the binary search.
  pids = new Float64Array(64);
  stamps = new Float64Array(64);
  objs: (object | undefined)[] = new Array<object | undefined>(64).fill(undefined);
  families = new Uint8Array(64);
  mask = 63;
  head = 0;
  tail = 0;
  inRing = 0;
  /** pid of the entry appended last (ring appends must ascend). */
  lastPid = 0;
  // Used entries, least recently used first.
  first: CacheEntry | null = null;
  last: CacheEntry | null = null;
  used = 0;

  constructor(readonly bit: number) {}

  get size(): number {
    return this.inRing + this.used;
  }

  push(pid: number, obj: object, family: number, stamp: number): number {
    if (this.tail - this.head > this.mask) this.makeRoom();
    const pos = this.tail++;
    const i = pos & this.mask;
    this.pids[i] = pid;
    this.stamps[i] = stamp;
    this.objs[i] = obj;
    this.families[i] = family;
    this.inRing++;
    this.lastPid = pid;
    return pos;
  }

  /** Position of the never-used entry with this pid, or -1. */
  search(pid: number): number {
    const pids = this.pids;
    const mask = this.mask;
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = lo + ((hi - lo) >> 1);
      const p = pids[mid & mask]!;
      if (p === pid) return this.objs[mid & mask] === undefined ? -1 : mid;
      if (p < pid) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  vacate(pos: number): void {
    this.objs[pos & this.mask] = undefined;
    this.inRing--;
    if (pos === this.head) this.skipHoles();
  }

  /** Position of the oldest never-used entry (the ring is not empty). */
  front(): number {
    this.skipHoles();
    return this.head;
  }

  append(e: CacheEntry): void {
    e.prev = this.last;
    e.next = null;
    if (this.last !== null) this.last.next = e;
    else this.first = e;
    this.last = e;
    this.used++;
  }

  unlink(e: CacheEntry): void {
    const { prev, next } = e;
    if (prev !== null) prev.next = next;
    else this.first = next;
    if (next !== null) next.prev = prev;
    else this.last = prev;
    e.prev = e.next = null;
    this.used--;
  }

  clear(): void {
    this.objs.fill(undefined);
    for (let e = this.first; e !== null; e = e.next) e.owner = null;
    this.head = this.tail = this.inRing = this.lastPid = 0;
    this.first = this.last = null;
    this.used = 0;
  }

  private skipHoles(): void {
    while (this.head < this.tail && this.objs[this.head & this.mask] === undefined) this.head++;
  }

  /** The ring is full: squeeze out its holes if they are many, else double it (positions stay). */
  private makeRoom(): void {
    const { pids, stamps, objs, families, mask } = this;
    const span = this.tail - this.head;
    if (span - this.inRing > span >> 1) {
      let out = this.head;
      for (let p = this.head; p < this.tail; p++) {
        const i = p & mask;
        const obj = objs[i];
        if (obj === undefined) continue;
        const o = out++ & mask;
        if (o === i) continue;
        pids[o] = pids[i]!;
        stamps[o] = stamps[i]!;
        objs[o] = obj;
        families[o] = families[i]!;
        objs[i] = undefined;
      }
      this.tail = out;
      return;
    }
    const size = (mask + 1) * 2;
    const m = size - 1;
    const nextPids = new Float64Array(size);
    const nextStamps = new Float64Array(size);
    const nextObjs = new Array<object | undefined>(size).fill(undefined);
    const nextFamilies = new Uint8Array(size);
    for (let p = this.head; p < this.tail; p++) {
      const i = p & mask;
      const o = p & m;
      nextPids[o] = pids[i]!;
      nextStamps[o] = stamps[i]!;
      nextObjs[o] = objs[i];
      nextFamilies[o] = families[i]!;
    }
    this.pids = nextPids;
    this.stamps = nextStamps;
    this.objs = nextObjs;
    this.families = nextFamilies;
    this.mask = size - 1;
  }
}

