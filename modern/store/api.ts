// The local API of a data store, shared by masters and clones: Broker's store frontend (get, put,
// put_unique, erase, clear, increment, decrement, append, insert_into, remove_from, push, pop) and
// the store events Zeek raises (insert / update / erase / expire with the publishing entity).
import { count, type Data, type DataType, type Int64 } from '../data/index.ts';
import type { EntityId } from '../native/endpoint-id.ts';

/** A change applied to a store's contents, with the entity that caused it. */
export type StoreEvent =
  | { readonly type: 'insert'; readonly key: Data; readonly value: Data; readonly expiry?: Int64; readonly publisher: EntityId }
  | { readonly type: 'update'; readonly key: Data; readonly oldValue: Data; readonly value: Data; readonly expiry?: Int64; readonly publisher: EntityId }
  | { readonly type: 'erase'; readonly key: Data; readonly publisher: EntityId }
  | { readonly type: 'expire'; readonly key: Data; readonly publisher: EntityId };

export type StoreEventListener = (event: StoreEvent) => void;

/** A write as it travels (or waits) on the way to the master. */
export type StoreWrite =
  | { readonly type: 'put'; readonly key: Data; readonly value: Data; readonly expiry?: Int64 }
  | { readonly type: 'put_unique'; readonly key: Data; readonly value: Data; readonly expiry?: Int64 }
  | { readonly type: 'erase'; readonly key: Data }
  | { readonly type: 'add'; readonly key: Data; readonly value: Data; readonly initType: DataType; readonly expiry?: Int64 }
  | { readonly type: 'subtract'; readonly key: Data; readonly value: Data; readonly expiry?: Int64 }
  | { readonly type: 'clear' };

/** Why a store's connection to the other side changed (clones only). */
export type StoreStatus =
  | { readonly type: 'attached'; readonly master: EntityId; readonly entries: number }
  | { readonly type: 'master_lost'; readonly master: EntityId; readonly reason: 'silent' | 'new_master' | 'channel_reset' | 'broken' }
  /**
   * Writes that will not reach a master: queued longer than the mutation buffer interval, still
   * queued or unconfirmed at close(), or sent to a master that was replaced (or stopped answering
   * for the channel's connection timeout) before it acknowledged them — that master may or may
   * not have applied them; a new one never sees them.
   */
  | {
      readonly type: 'write_lost';
      readonly writes: readonly StoreWrite[];
      readonly reason: 'master_changed' | 'master_unreachable' | 'mutation_buffer_expired' | 'closed';
    };

export type StoreStatusListener = (status: StoreStatus) => void;

export interface DataStore {
  readonly name: string;
  readonly role: 'master' | 'clone';
  /** This store object's entity (publisher of its writes). */
  readonly entity: EntityId;

  /** The value, or undefined when the key is absent. A stale clone throws StoreError('stale_data'). */
  get(key: Data): Data | undefined;
  exists(key: Data): boolean;
  /** Broker's get_index_from_value: vector element, set membership (boolean), table value. */
  getIndex(key: Data, index: Data): Data | undefined;
  keys(): Data[];
  size(): number;
  entries(): [Data, Data][];

  /** `expiry` is a relative timespan in ns, as on the wire. */
  put(key: Data, value: Data, expiry?: Int64): void;
  /** Resolves true when inserted, false when the key existed. */
  putUnique(key: Data, value: Data, expiry?: Int64): Promise<boolean>;
  erase(key: Data): void;
  clear(): void;
  /** The generic forms behind increment/append/insert_into/push (add) and decrement/remove_from/pop (subtract). */
  add(key: Data, value: Data, initType: DataType, expiry?: Int64): void;
  subtract(key: Data, value: Data, expiry?: Int64): void;

  /** Subscribe to content changes; returns the unsubscribe function. */
  onEvent(listener: StoreEventListener): () => void;
  close(): void;
}

// Broker's convenience writes, expressed in add/subtract exactly like its frontend does.

export function increment(store: DataStore, key: Data, amount: Data = count(1), expiry?: Int64): void {
  store.add(key, amount, amount.type, expiry);
}

export function decrement(store: DataStore, key: Data, amount: Data = count(1), expiry?: Int64): void {
  store.subtract(key, amount, expiry);
}

export function append(store: DataStore, key: Data, str: Data, expiry?: Int64): void {
  store.add(key, str, 'string', expiry);
}

/** insert_into_set(key, index) or, with a value, insert_into_table(key, index, value). */
export function insertInto(store: DataStore, key: Data, index: Data, value?: Data, expiry?: Int64): void {
  if (value === undefined) store.add(key, index, 'set', expiry);
  else store.add(key, { type: 'vector', elements: [index, value] }, 'table', expiry);
}

export function removeFrom(store: DataStore, key: Data, index: Data, expiry?: Int64): void {
  store.subtract(key, index, expiry);
}

export function push(store: DataStore, key: Data, value: Data, expiry?: Int64): void {
  store.add(key, value, 'vector', expiry);
}

export function pop(store: DataStore, key: Data, expiry?: Int64): void {
  store.subtract(key, { type: 'none' }, expiry);
}

/** Event fan-out shared by masters and clones; a throwing listener does not stop the others. */
export class Listeners<T> {
  private list: ((x: T) => void)[] = [];

  add(fn: (x: T) => void): () => void {
    this.list = [...this.list, fn];
    return () => {
      this.list = this.list.filter((f) => f !== fn);
    };
  }

  get size(): number {
    return this.list.length;
  }

  emit(x: T): void {
    for (const fn of this.list) {
      try {
        fn(x);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
