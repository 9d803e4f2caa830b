// The router's echo bookkeeping (router.ts): which events the bridge just sent to which legacy peer,
// so one coming straight back from that peer is dropped as an echo. At most CAPACITY entries, the
// oldest inserted evicted first, expired ones dropped from the old end as new ones come in.
//
// Kept in typed arrays, not a Map of string keys: the table lives for the echo window (1 s by default)
// and holds thousands of entries at a few thousand events/s, so with one key string (several
// concatenated pieces) and one boxed expiry per event, every young-generation GC had to copy them
// and then promote them — ~1.2 MB surviving each scavenge of the bridge at 10k events/s Broker ->
// legacy, 7 ms pauses and a major GC every 1–2 s. Here an entry is a slot: (name id, two 32-bit
// digest lanes, length, expiry), indexed by an open-addressing hash table of slot numbers.

export const ECHO_CAPACITY = 4096;
const INDEX_SIZE = ECHO_CAPACITY * 2; // power of two, load <= 1/2
const MASK = INDEX_SIZE - 1;
const NONE = -1;

/** The two FNV-1a lanes and length of an argument encoding (router.ts's digest), as numbers. */
export interface EchoDigest {
  a: number;
  b: number;
  len: number;
}

export class EchoTable {
  private readonly name = new Int32Array(ECHO_CAPACITY);
  private readonly a = new Int32Array(ECHO_CAPACITY);
  private readonly b = new Int32Array(ECHO_CAPACITY);
  private readonly len = new Int32Array(ECHO_CAPACITY);
  private readonly until = new Float64Array(ECHO_CAPACITY);
  /** Insertion order: a doubly linked list over slots, oldest at `head`. */
  private readonly prev = new Int32Array(ECHO_CAPACITY);
  private readonly next = new Int32Array(ECHO_CAPACITY);
  private head = NONE;
  private tail = NONE;
  /** Free slots (a stack). */
  private readonly free = new Int32Array(ECHO_CAPACITY);
  private freeTop = ECHO_CAPACITY;
  /** Hash index: slot + 1, 0 = empty (linear probing, backward-shift deletion). */
  private readonly index = new Int32Array(INDEX_SIZE);
  size = 0;

  constructor() {
    for (let i = 0; i < ECHO_CAPACITY; i++) this.free[i] = ECHO_CAPACITY - 1 - i;
  }

  /** Remembers (name, digest) until `until`; evicts expired and, when full, the oldest entries. */
  remember(name: number, d: EchoDigest, now: number, until: number): void {
    while (this.head !== NONE && (this.until[this.head]! < now || this.size >= ECHO_CAPACITY)) this.remove(this.head);
    const old = this.find(name, d);
    if (old !== NONE) this.remove(old);
    const s = this.free[--this.freeTop]!;
    this.name[s] = name;
    this.a[s] = d.a;
    this.b[s] = d.b;
    this.len[s] = d.len;
    this.until[s] = until;
    this.prev[s] = this.tail;
    this.next[s] = NONE;
    if (this.tail !== NONE) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
    let i = hash(name, d.a, d.b, d.len) & MASK;
    while (this.index[i] !== 0) i = (i + 1) & MASK;
    this.index[i] = s + 1;
    this.size++;
  }

  /** True (and the entry is gone) when (name, digest) was remembered and has not expired. */
  take(name: number, d: EchoDigest, now: number): boolean {
    const s = this.find(name, d);
    if (s === NONE || this.until[s]! < now) return false;
    this.remove(s);
    return true;
  }

  private find(name: number, d: EchoDigest): number {
    const index = this.index;
    for (let i = hash(name, d.a, d.b, d.len) & MASK; ; i = (i + 1) & MASK) {
      const v = index[i]!;
      if (v === 0) return NONE;
      const s = v - 1;
      if (this.name[s] === name && this.a[s] === d.a && this.b[s] === d.b && this.len[s] === d.len) return s;
    }
  }

  private remove(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
    this.free[this.freeTop++] = s;
    this.size--;
    // Unindex: find the slot's position, then shift back the entries after it that probed past it.
    const index = this.index;
    let i = hash(this.name[s]!, this.a[s]!, this.b[s]!, this.len[s]!) & MASK;
    while (index[i] !== s + 1) i = (i + 1) & MASK;
    for (let j = (i + 1) & MASK; index[j] !== 0; j = (j + 1) & MASK) {
      const t = index[j]! - 1;
      const home = hash(this.name[t]!, this.a[t]!, this.b[t]!, this.len[t]!) & MASK;
      // Move t into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
  }
}

function hash(name: number, a: number, b: number, len: number): number {
  let h = Math.imul(name ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ a, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0x27d4eb2f);
  h ^= len;
  return h ^ (h >>> 16);
}
