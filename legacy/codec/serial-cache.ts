import { BRO_OBJ_BIT, isCacheStableType } from './constants.ts';
import { legacyError } from './errors.ts';

// The per-peer, per-direction serialization caches (Bro's SerializationCache). The sender numbers
// each object it serializes (pid 1, 2, 3, ... continuing across messages) and later refers to it by
// pid alone; the receiver mirrors the sender's cache so both sides evict in step:
//
// * objects whose serial type lacks the BroObj bit (state accesses, locations, RE matchers) are
//   dropped after every top-level serialization;
// * then each LRU list is trimmed to `capacity` (the cache size from the *sender's* VERSION),
//   oldest first. The old strategy has one list; the new strategy keeps cache-stable objects
//   (types, attributes, ...) in a second list trimmed separately;
// * a back-reference moves the entry to the most recently used end, on both sides.
//
// One Map finds entries; two intrusive doubly linked lists keep the LRU order, so a hit, an
// insertion and an eviction are O(1) with no rehashing churn.

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const stableType = isCacheStableType;
const BRO_OBJ = BRO_OBJ_BIT;

/** What kind of object a cache entry holds, so a back-reference can be checked against its use. */
export type CachedFamily = 'type' | 'val' | 'attrs' | 'id' | 'matcher' | 'state' | 'location';

class Node<K> {
  prev: Node<K> | null = null;
  next: Node<K> | null = null;
  /** Next node in the same PidIndex bucket. */
  chain: Node<K> | null = null;
  constructor(
    public key: K,
    public obj: object,
    public pid: number,
    public family: CachedFamily,
    public list: LruList<K>,
  ) {}
}

const EMPTY: object = Object.freeze({});

class LruList<K> {
  head: Node<K> | null = null;
  tail: Node<K> | null = null;
  size = 0;

  append(n: Node<K>): void {
    n.prev = this.tail;
    n.next = null;
    if (this.tail !== null) this.tail.next = n;
    else this.head = n;
    this.tail = n;
    this.size++;
  }

  unlink(n: Node<K>): void {
    if (n.prev !== null) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next !== null) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
    this.size--;
  }

  touch(n: Node<K>): void {
    if (this.tail === n) return;
    this.unlink(n);
    this.append(n);
  }
}

interface Index<K> {
  readonly size: number;
  get(key: K): Node<K> | undefined;
  has(key: K): boolean;
  set(key: K, n: Node<K>): void;
  delete(key: K): void;
  clear(): void;
}

/**
 * pid -> node without a Map: pids come from one counter, so `pid & mask` spreads them evenly over
 * a power-of-two bucket array; buckets chain through the nodes themselves. No allocation per
 * entry, no rehash churn from the constant add/evict traffic.
 */
class PidIndex implements Index<number> {
  // Starts small and doubles: a peer that never caches (NO_CACHING, Broccoli) costs nothing here.
  private buckets: (Node<number> | null)[] = new Array<Node<number> | null>(16).fill(null);
  private mask = 15;
  size = 0;

  get(pid: number): Node<number> | undefined {
    for (let n: Node<number> | null = this.buckets[pid & this.mask] ?? null; n !== null; n = n.chain) if (n.key === pid) return n;
    return undefined;
  }

  has(pid: number): boolean {
    return this.get(pid) !== undefined;
  }

  set(pid: number, node: Node<number>): void {
    if (this.size >= this.buckets.length >> 1) this.grow();
    const i = pid & this.mask;
    node.chain = this.buckets[i] ?? null;
    this.buckets[i] = node;
    this.size++;
  }

  delete(pid: number): void {
    const i = pid & this.mask;
    let prev: Node<number> | null = null;
    for (let n: Node<number> | null = this.buckets[i] ?? null; n !== null; prev = n, n = n.chain) {
      if (n.key !== pid) continue;
      if (prev === null) this.buckets[i] = n.chain;
      else prev.chain = n.chain;
      n.chain = null;
      this.size--;
      return;
    }
  }

  clear(): void {
    this.buckets.fill(null);
    this.size = 0;
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array<Node<number> | null>(old.length * 2).fill(null);
    this.mask = this.buckets.length - 1;
    for (let head of old) {
      while (head !== null) {
        const next = head.chain;
        const i = head.key & this.mask;
        head.chain = this.buckets[i] ?? null;
        this.buckets[i] = head;
        head = next;
      }
    }
  }
}

/** The two LRU lists plus the lookup index, keyed by pid (receiver) or by object (sender). */
class LruCache<K> {
  capacity: number;
  readonly map: Index<K>;
  private readonly stable = new LruList<K>();
  private readonly unstable = new LruList<K>();
  private transient: Node<K>[] = [];
  /** Evicted nodes, reused by add(): steady traffic evicts as much as it adds. */
  private spare: Node<K>[] = [];

  constructor(capacity: number, index: Index<K>) {
    this.capacity = capacity;
    this.map = index;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): Node<K> | undefined {
    const n = this.map.get(key);
    if (n !== undefined) n.list.touch(n);
    return n;
  }

  add(key: K, obj: object, pid: number, family: CachedFamily, stype: number, newStrategy: boolean): Node<K> {
    const old = this.map.get(key);
    if (old !== undefined) this.remove(old, false);
    const list = newStrategy && stableType(stype) ? this.stable : this.unstable;
    let n = this.spare.pop();
    if (n === undefined) n = new Node(key, obj, pid, family, list);
    else {
      n.key = key;
      n.obj = obj;
      n.pid = pid;
      n.family = family;
      n.list = list;
    }
    list.append(n);
    this.map.set(key, n);
    if ((stype & BRO_OBJ) === 0) this.transient.push(n);
    return n;
  }

  /** Only nodes removed at the end of a serialization are pooled: no live reference remains. */
  private remove(n: Node<K>, pool: boolean): void {
    n.list.unlink(n);
    this.map.delete(n.key);
    if (pool && this.spare.length < 4096) {
      // Drop references so a pooled node does not keep an object alive.
      n.obj = EMPTY;
      n.key = undefined as K;
      this.spare.push(n);
    }
  }

  endSerialization(): void {
    if (this.transient.length > 0) {
      const transient = this.transient;
      this.transient = [];
      for (const n of transient) if (this.map.get(n.key) === n) this.remove(n, true);
    }
    while (this.stable.size > this.capacity) this.remove(this.stable.head!, true);
    while (this.unstable.size > this.capacity) this.remove(this.unstable.head!, true);
  }

  clear(): void {
    this.map.clear();
    for (const list of [this.stable, this.unstable]) {
      list.head = list.tail = null;
      list.size = 0;
    }
    this.transient = [];
  }
}

export interface ReceiverEntry {
  obj: object;
  readonly family: CachedFamily;
}

export class ReceiverCache {
  private readonly lru: LruCache<number>;
  private readonly maxEntries: number;

  constructor(capacity: number, maxEntries: number) {
    this.lru = new LruCache<number>(capacity, new PidIndex());
    this.maxEntries = maxEntries;
  }

  /** Mirror of the sender's capacity: the cache size from the peer's VERSION. */
  get capacity(): number {
    return this.lru.capacity;
  }
  set capacity(n: number) {
    this.lru.capacity = n;
  }

  get size(): number {
    return this.lru.size;
  }

  /** Enter an object the sender sent in full. pid 0 means "not cached" and is ignored. */
  register(pid: number, obj: object, family: CachedFamily, stype: number, newStrategy: boolean, offset: number): ReceiverEntry | undefined {
    if (pid === 0) return undefined;
    if (this.lru.size >= this.maxEntries && !this.lru.map.has(pid)) {
      throw legacyError('cache_limit', `receiver cache would exceed ${this.maxEntries} entries registering object ${pid}`, {
        field: 'object.pid',
        offset,
      });
    }
    // A re-used pid replaces the old entry (the sender only does this after evicting it).
    return this.lru.add(pid, obj, pid, family, stype, newStrategy);
  }

  /** Resolve a back-reference; undefined if absent. Marks the entry most recently used. */
  lookup(pid: number): ReceiverEntry | undefined {
    return this.lru.get(pid);
  }

  /** End of one top-level serialization: drop non-BroObj objects, then trim to capacity. */
  endSerialization(): void {
    this.lru.endSerialization();
  }

  clear(): void {
    this.lru.clear();
  }
}

export class SenderCache {
  private readonly lru: LruCache<object>;
  private nextPid = 1;

  constructor(capacity: number) {
    this.lru = new LruCache<object>(capacity, new Map<object, Node<object>>());
  }

  /** Our own announced cache size (the number we put in VERSION). */
  get capacity(): number {
    return this.lru.capacity;
  }
  set capacity(n: number) {
    this.lru.capacity = n;
  }

  get size(): number {
    return this.lru.size;
  }

  /** The pid the next newly cached object will get. */
  get next(): number {
    return this.nextPid;
  }

  /** pid of an object already sent (and still cached), or 0. Marks it most recently used. */
  lookup(obj: object): number {
    const n = this.lru.get(obj);
    return n === undefined ? 0 : n.pid;
  }

  register(obj: object, stype: number, newStrategy: boolean): number {
    const pid = this.nextPid++;
    this.lru.add(obj, obj, pid, 'val', stype, newStrategy);
    return pid;
  }

  endSerialization(): void {
    this.lru.endSerialization();
  }

  /**
   * Forget every cached object (a reconnect). Like Bro, the pid counter keeps running: a Bro that
   * reconnects continues numbering where the previous session stopped (bro-bro-retry).
   */
  clear(): void {
    this.lru.clear();
  }
}
