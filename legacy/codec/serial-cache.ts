import { BRO_OBJ_BIT, isCacheStableType } from './constants.ts';
import type { CachedFamily } from './receiver-cache.ts';

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
// The sender's cache (below): one Map finds entries; two intrusive doubly linked lists keep the LRU
// order, so a hit, an insertion and an eviction are O(1). The receiver's mirror, which runs per
// object received, has its own layout (receiver-cache.ts).

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const stableType = isCacheStableType;
const BRO_OBJ = BRO_OBJ_BIT;

export { ReceiverCache, type CachedFamily, type ReceiverEntry } from './receiver-cache.ts';

class Node<K> {
  prev: Node<K> | null = null;
  next: Node<K> | null = null;
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

/** The two LRU lists plus the lookup index. */
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
