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
// Map insertion order is the LRU order: delete + set moves an entry to the end.

/** What kind of object a cache entry holds, so a back-reference can be checked against its use. */
export type CachedFamily = 'type' | 'val' | 'attrs' | 'id' | 'matcher' | 'state' | 'location';

export interface ReceiverEntry {
  obj: object;
  family: CachedFamily;
}

function trim<K, V>(list: Map<K, V>, capacity: number): void {
  if (list.size <= capacity) return;
  let excess = list.size - capacity;
  for (const key of list.keys()) {
    list.delete(key);
    if (--excess === 0) break;
  }
}

export class ReceiverCache {
  /** Mirror of the sender's capacity: the cache size from the peer's VERSION. */
  capacity: number;
  private readonly maxEntries: number;
  private readonly stable = new Map<number, ReceiverEntry>();
  private readonly unstable = new Map<number, ReceiverEntry>();
  private transient: number[] = [];

  constructor(capacity: number, maxEntries: number) {
    this.capacity = capacity;
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.stable.size + this.unstable.size;
  }

  /** Enter an object the sender sent in full. pid 0 means "not cached" and is ignored. */
  register(pid: number, obj: object, family: CachedFamily, stype: number, newStrategy: boolean, offset: number): ReceiverEntry | undefined {
    if (pid === 0) return undefined;
    if (this.size >= this.maxEntries && !this.stable.has(pid) && !this.unstable.has(pid)) {
      throw legacyError('cache_limit', `receiver cache would exceed ${this.maxEntries} entries registering object ${pid}`, {
        field: 'object.pid',
        offset,
      });
    }
    // A re-used pid replaces the old entry (the sender only does this after evicting it).
    this.stable.delete(pid);
    this.unstable.delete(pid);
    const list = newStrategy && isCacheStableType(stype) ? this.stable : this.unstable;
    const entry: ReceiverEntry = { obj, family };
    list.set(pid, entry);
    if ((stype & BRO_OBJ_BIT) === 0) this.transient.push(pid);
    return entry;
  }

  /** Resolve a back-reference; undefined if absent. Marks the entry most recently used. */
  lookup(pid: number): ReceiverEntry | undefined {
    let list = this.unstable;
    let entry = list.get(pid);
    if (entry === undefined) {
      list = this.stable;
      entry = list.get(pid);
      if (entry === undefined) return undefined;
    }
    list.delete(pid);
    list.set(pid, entry);
    return entry;
  }

  /** End of one top-level serialization: drop non-BroObj objects, then trim to capacity. */
  endSerialization(): void {
    if (this.transient.length > 0) {
      for (const pid of this.transient) {
        this.stable.delete(pid);
        this.unstable.delete(pid);
      }
      this.transient = [];
    }
    trim(this.stable, this.capacity);
    trim(this.unstable, this.capacity);
  }

  clear(): void {
    this.stable.clear();
    this.unstable.clear();
    this.transient = [];
  }
}

export class SenderCache {
  /** Our own announced cache size (the number we put in VERSION). */
  capacity: number;
  private nextPid = 1;
  private readonly stable = new Map<object, number>();
  private readonly unstable = new Map<object, number>();
  private transient: object[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.stable.size + this.unstable.size;
  }

  /** The pid the next newly cached object will get. */
  get next(): number {
    return this.nextPid;
  }

  /** pid of an object already sent (and still cached), or 0. Marks it most recently used. */
  lookup(obj: object): number {
    let list = this.unstable;
    let pid = list.get(obj);
    if (pid === undefined) {
      list = this.stable;
      pid = list.get(obj);
      if (pid === undefined) return 0;
    }
    list.delete(obj);
    list.set(obj, pid);
    return pid;
  }

  register(obj: object, stype: number, newStrategy: boolean): number {
    const pid = this.nextPid++;
    const list = newStrategy && isCacheStableType(stype) ? this.stable : this.unstable;
    list.set(obj, pid);
    if ((stype & BRO_OBJ_BIT) === 0) this.transient.push(obj);
    return pid;
  }

  endSerialization(): void {
    if (this.transient.length > 0) {
      for (const obj of this.transient) {
        this.stable.delete(obj);
        this.unstable.delete(obj);
      }
      this.transient = [];
    }
    trim(this.stable, this.capacity);
    trim(this.unstable, this.capacity);
  }

  /**
   * Forget every cached object (a reconnect). Like Bro, the pid counter keeps running: a Bro that
   * reconnects continues numbering where the previous session stopped (bro-bro-retry).
   */
  clear(): void {
    this.stable.clear();
    this.unstable.clear();
    this.transient = [];
  }
}
