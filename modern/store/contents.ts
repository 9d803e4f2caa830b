// The master's write semantics over a backend, exactly as Broker's master applies them (spec
// §2.7.4): results are broadcast, not operations. put → put; put_unique → put + put_unique_result
// true, or put_unique_result false alone; add/subtract → put of the resulting value (without expiry);
// erase of a missing key and subtract on a missing key change nothing and broadcast nothing;
// clear → clear. Every write replaces the key's expiry with its own (none = never expires).
import type { Data, Int64 } from '../data/index.ts';
import type { EntityId } from '../native/endpoint-id.ts';
import type { StoreCommand } from '../native/store-commands.ts';
import type { StoreEvent } from './api.ts';
import { addData, defaultOfType, subtractData } from './apply.ts';
import type { StoreBackend } from './backend.ts';
import { ApplyError } from './errors.ts';
import { keyString } from './keys.ts';
import { expiresAt } from './wire.ts';

export interface ApplyContext {
  /** The master's own entity: publisher of put_unique_result and expire. */
  readonly self: EntityId;
  now(): number;
  /** Broadcast to clones (numbered by the caller's producer). */
  broadcast(command: StoreCommand): void;
  emit(event: StoreEvent): void;
  /** A put_unique outcome, for local requesters waiting on it. */
  putUniqueResult(who: EntityId, reqId: Int64, inserted: boolean): void;
}

type Write = Extract<StoreCommand, { type: 'put' | 'put_unique' | 'erase' | 'add' | 'subtract' | 'clear' }>;

/** Keys with an expiry, by key string, with the absolute time the master removes them. */
export class Expirations {
  private readonly byKey = new Map<string, { key: Data; at: number }>();

  set(key: Data, at: number | undefined): void {
    const k = keyString(key);
    if (at === undefined) this.byKey.delete(k);
    else this.byKey.set(k, { key, at });
  }

  delete(key: Data): void {
    this.byKey.delete(keyString(key));
  }

  clear(): void {
    this.byKey.clear();
  }

  /** Removes and returns the keys whose time is strictly before `now` (Broker: `now > expiry`). */
  due(now: number): Data[] {
    const out: Data[] = [];
    for (const [k, e] of this.byKey) {
      if (now > e.at) {
        out.push(e.key);
        this.byKey.delete(k);
      }
    }
    return out;
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** Applies one write; throws ApplyError for a type clash (the caller decides whether to surface it). */
export function applyWrite(backend: StoreBackend, expirations: Expirations, ctx: ApplyContext, w: Write): void {
  switch (w.type) {
    case 'put': {
      const old = backend.get(w.key);
      store(backend, expirations, ctx, w.key, w.value, w.expiry);
      ctx.emit(changed(w.key, old, w.value, w.expiry, w.publisher));
      ctx.broadcast(w);
      return;
    }
    case 'put_unique': {
      if (backend.exists(w.key)) {
        ctx.broadcast({ type: 'put_unique_result', inserted: false, who: w.who, reqId: w.reqId, publisher: ctx.self });
        ctx.putUniqueResult(w.who, w.reqId, false);
        return;
      }
      store(backend, expirations, ctx, w.key, w.value, w.expiry);
      ctx.emit(changed(w.key, undefined, w.value, w.expiry, w.publisher));
      ctx.broadcast(withExpiry({ type: 'put', key: w.key, value: w.value, publisher: w.publisher }, w.expiry));
      ctx.broadcast({ type: 'put_unique_result', inserted: true, who: w.who, reqId: w.reqId, publisher: ctx.self });
      ctx.putUniqueResult(w.who, w.reqId, true);
      return;
    }
    case 'erase': {
      if (!backend.erase(w.key)) return;
      expirations.delete(w.key);
      ctx.emit({ type: 'erase', key: w.key, publisher: w.publisher });
      ctx.broadcast(w);
      return;
    }
    case 'add':
    case 'subtract': {
      const old = backend.get(w.key);
      if (old === undefined && w.type === 'subtract') throw new ApplyError('no_such_key', 'cannot subtract from a missing key');
      const value = w.type === 'add' ? addData(old ?? defaultOfType(w.initType), w.value) : subtractData(old!, w.value);
      store(backend, expirations, ctx, w.key, value, w.expiry);
      ctx.emit(changed(w.key, old, value, undefined, w.publisher));
      ctx.broadcast({ type: 'put', key: w.key, value, publisher: w.publisher });
      return;
    }
    case 'clear': {
      for (const key of backend.keys()) ctx.emit({ type: 'erase', key, publisher: w.publisher });
      backend.clear();
      expirations.clear();
      ctx.broadcast(w);
      return;
    }
  }
}

function store(backend: StoreBackend, expirations: Expirations, ctx: ApplyContext, key: Data, value: Data, expiry: Int64 | undefined): void {
  const at = expiresAt(ctx.now(), expiry);
  backend.put(key, value, at);
  expirations.set(key, at);
}

function withExpiry<T extends object>(x: T, expiry: Int64 | undefined): T & { expiry?: Int64 } {
  return expiry === undefined ? x : { ...x, expiry };
}

function changed(key: Data, old: Data | undefined, value: Data, expiry: Int64 | undefined, publisher: EntityId): StoreEvent {
  const base = old === undefined ? { type: 'insert' as const, key, value, publisher } : { type: 'update' as const, key, oldValue: old, value, publisher };
  return withExpiry(base, expiry);
}

/** Runs the master's expiry check; returns the keys it removed. */
export function expireDue(backend: StoreBackend, expirations: Expirations, ctx: ApplyContext): Data[] {
  const now = ctx.now();
  const removed: Data[] = [];
  for (const key of expirations.due(now)) {
    if (!backend.expire(key, now)) continue;
    removed.push(key);
    ctx.emit({ type: 'expire', key, publisher: ctx.self });
    ctx.broadcast({ type: 'expire', key, publisher: ctx.self });
  }
  return removed;
}
