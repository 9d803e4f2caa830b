// Where a master keeps its contents. Backends are synchronous key/value maps with an optional
// absolute expiry per key; the protocol logic (master.ts) never knows which one it has, so the
// memory backend runs every protocol test and the SQLite backend adds persistence only.
import type { Data } from '../data/index.ts';
import { keyString } from './keys.ts';

/** Broker::BackendType. */
export type BackendType = 'MEMORY' | 'SQLITE';

export interface StoreBackend {
  readonly type: BackendType;
  get(key: Data): Data | undefined;
  exists(key: Data): boolean;
  /** Inserts or replaces; `expiresAt` is absolute wall-clock ms (undefined = never expires). */
  put(key: Data, value: Data, expiresAt: number | undefined): void;
  /** True when the key existed. */
  erase(key: Data): boolean;
  /** Removes the key only if it still carries an expiry at or before `now` (a later put may have renewed it). */
  expire(key: Data, now: number): boolean;
  clear(): void;
  size(): number;
  /** Every entry, in the backend's own order (Broker's snapshots are unsorted too). */
  entries(): [Data, Data][];
  keys(): Data[];
  /** Every key that carries an expiry, with its absolute time in ms. */
  expiries(): [Data, number][];
  close(): void;
}

interface Slot {
  key: Data;
  value: Data;
  expiresAt: number | undefined;
}

/** Broker::MEMORY: a Map, in insertion order. */
export class MemoryBackend implements StoreBackend {
  readonly type = 'MEMORY' as const;
  private readonly slots = new Map<string, Slot>();

  get(key: Data): Data | undefined {
    return this.slots.get(keyString(key))?.value;
  }

  exists(key: Data): boolean {
    return this.slots.has(keyString(key));
  }

  put(key: Data, value: Data, expiresAt: number | undefined): void {
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot) {
      slot.value = value;
      slot.expiresAt = expiresAt;
    } else this.slots.set(k, { key, value, expiresAt });
  }

  erase(key: Data): boolean {
    return this.slots.delete(keyString(key));
  }

  expire(key: Data, now: number): boolean {
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (!slot || slot.expiresAt === undefined || slot.expiresAt > now) return false;
    this.slots.delete(k);
    return true;
  }

  clear(): void {
    this.slots.clear();
  }

  size(): number {
    return this.slots.size;
  }

  entries(): [Data, Data][] {
    const out: [Data, Data][] = [];
    for (const s of this.slots.values()) out.push([s.key, s.value]);
    return out;
  }

  keys(): Data[] {
    return [...this.slots.values()].map((s) => s.key);
  }

  expiries(): [Data, number][] {
    const out: [Data, number][] = [];
    for (const s of this.slots.values()) if (s.expiresAt !== undefined) out.push([s.key, s.expiresAt]);
    return out;
  }

  close(): void {
    // Nothing to release; contents stay readable until the backend is dropped.
  }
}
