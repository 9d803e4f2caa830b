// A clone's local copy of the master's contents: replaced by each snapshot, changed only by the
// master's broadcasts (put, erase, expire, clear), read without any wire traffic.
import { equalsData, type Data, type Int64 } from '../data/index.ts';
import { NIL_ENTITY, type EntityId } from '../native/endpoint-id.ts';
import type { StoreEvent } from './api.ts';
import { keyString } from './keys.ts';

export class Replica {
  private readonly slots = new Map<string, { key: Data; value: Data }>();

  constructor(private readonly emit: (event: StoreEvent) => void) {}

  get(key: Data): Data | undefined {
    return this.slots.get(keyString(key))?.value;
  }

  has(key: Data): boolean {
    return this.slots.has(keyString(key));
  }

  get size(): number {
    return this.slots.size;
  }

  keys(): Data[] {
    return [...this.slots.values()].map((s) => s.key);
  }

  entries(): [Data, Data][] {
    return [...this.slots.values()].map((s) => [s.key, s.value]);
  }

  put(key: Data, value: Data, expiry: Int64 | undefined, publisher: EntityId): void {
    const k = keyString(key);
    const old = this.slots.get(k);
    this.slots.set(k, { key, value });
    const event: StoreEvent = old ? { type: 'update', key, oldValue: old.value, value, publisher } : { type: 'insert', key, value, publisher };
    this.emit(expiry === undefined ? event : { ...event, expiry });
  }

  remove(key: Data, how: 'erase' | 'expire', publisher: EntityId): void {
    if (this.slots.delete(keyString(key))) this.emit({ type: how, key, publisher });
  }

  clear(publisher: EntityId): void {
    const keys = this.keys();
    this.slots.clear();
    for (const key of keys) this.emit({ type: 'erase', key, publisher });
  }

  /**
   * Replaces everything with a snapshot from `master`, announcing the difference: keys that are
   * gone as erase (nil publisher, like Broker), new keys as insert, changed values as update.
   */
  load(snapshot: readonly (readonly [Data, Data])[], master: EntityId): void {
    const next = new Map<string, { key: Data; value: Data }>();
    for (const [key, value] of snapshot) next.set(keyString(key), { key, value });
    const events: StoreEvent[] = [];
    for (const [k, old] of this.slots) if (!next.has(k)) events.push({ type: 'erase', key: old.key, publisher: NIL_ENTITY });
    for (const [k, now] of next) {
      const old = this.slots.get(k);
      if (!old) events.push({ type: 'insert', key: now.key, value: now.value, publisher: master });
      else if (!equalsData(old.value, now.value)) events.push({ type: 'update', key: now.key, oldValue: old.value, value: now.value, publisher: master });
    }
    this.slots.clear();
    for (const [k, s] of next) this.slots.set(k, s);
    for (const e of events) this.emit(e);
  }
}
