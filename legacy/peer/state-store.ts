import { stringifyJson } from '../../src/core/json.ts';
import { listVal } from '../codec/builders.ts';
import { STATE_OPS } from '../codec/constants.ts';
import type { BroVal, ListVal, StateAccess, TableEntry, TableVal } from '../codec/model.ts';
import { typedJson } from '../codec/plain.ts';
import type { StateInconsistency } from './types.ts';

// The bridge's own `&synchronized` state: globals by name, as the SYNC phase sends them (one
// OP_ASSIGN per global) and as state operations change them (section 7.3). Behind a small
// interface so a Broker data store can take its place.

/** Who made a change: a peer id, or undefined for the local program. */
export type ChangeOrigin = number | undefined;

export interface SyncStore {
  /** Every global with a value, for the SYNC phase. */
  entries(): Iterable<readonly [string, BroVal]>;
  get(name: string): BroVal | undefined;
  /** A local assignment; listeners get the OP_ASSIGN to send to peers. */
  set(name: string, value: BroVal): void;
  /**
   * Replay a peer's state operation. With `check`, an operation that carries the old value is
   * compared with ours first (remote_check_sync_consistency); a difference is returned and the
   * operation is applied anyway, as Bro does.
   */
  apply(access: StateAccess, origin: ChangeOrigin, check: boolean): StateInconsistency | undefined;
  /** Called after every change with the operation that describes it. */
  onChange(listener: (access: StateAccess, origin: ChangeOrigin) => void): () => void;
}

/** A value's identity for comparisons (control path only: state ops are rare). */
export function valKey(v: BroVal | null): string {
  return v === null ? 'null' : stringifyJson(typedJson(v));
}

const indexOf = (v: BroVal): ListVal => (v.kind === 'list' ? v : listVal([v]));
const indexKey = (l: ListVal): string => l.elements.map(valKey).join('\u0001');

const opName = (op: number): string => STATE_OPS[op] ?? `OP_${op}`;

function render(v: BroVal | null | undefined): string {
  if (v === null || v === undefined) return '<none>';
  return JSON.stringify(typedJson(v).value, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** Globals in a Map; table/set element operations find their table through its unique id. */
export class MemorySyncStore implements SyncStore {
  private readonly values = new Map<string, BroVal>();
  /** "#vm#<pid>#<n>" -> global name, learned from the values assigned (MutableVal ids). */
  private readonly boundIds = new Map<string, string>();
  private readonly listeners = new Set<(access: StateAccess, origin: ChangeOrigin) => void>();

  entries(): Iterable<readonly [string, BroVal]> {
    return this.values.entries();
  }

  get(name: string): BroVal | undefined {
    return this.values.get(name) ?? this.values.get(this.boundIds.get(name) ?? '');
  }

  set(name: string, value: BroVal): void {
    this.assign(name, value);
    this.emit({ op: 1, target: name, op1: value, op2: null, op3: null }, undefined);
  }

  onChange(listener: (access: StateAccess, origin: ChangeOrigin) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(access: StateAccess, origin: ChangeOrigin, check: boolean): StateInconsistency | undefined {
    const name = this.values.has(access.target) ? access.target : (this.boundIds.get(access.target) ?? access.target);
    const current = this.values.get(name);
    let problem: StateInconsistency | undefined;
    const expect = (expected: BroVal | null, real: BroVal | null | undefined): void => {
      if (!check || expected === null) return;
      if (real !== undefined && real !== null && valKey(real) === valKey(expected)) return;
      problem = { operation: opName(access.op), id: access.target, expectedOld: render(expected), realOld: render(real) };
    };
    switch (access.op) {
      case 1: // ASSIGN: op2 = old value when consistency checks are on
        expect(access.op2, current);
        this.assign(name, access.op1);
        break;
      case 4: // INCR: op1 = new value, op2 = old value
        expect(access.op2, current);
        this.assign(name, access.op1);
        break;
      case 2: // ASSIGN_IDX: op1 = index, op2 = new value, op3 = old value
      case 5: // INCR_IDX: same operands
        if (current !== undefined && (current.kind === 'table' || current.kind === 'set')) {
          expect(access.op3, this.element(current, indexOf(access.op1)));
          this.assign(name, this.withEntry(current, indexOf(access.op1), access.op2));
        }
        break;
      case 3: // ADD: op1 = the new set member
        if (current !== undefined && current.kind === 'set') this.assign(name, this.withEntry(current, indexOf(access.op1), null));
        break;
      case 6: // DEL: op1 = index
        if (current !== undefined && (current.kind === 'table' || current.kind === 'set')) this.assign(name, this.without(current, indexOf(access.op1)));
        break;
      default: // PRINT, EXPIRE, READ_IDX: nothing to keep
        return undefined;
    }
    this.emit(access, origin);
    return problem;
  }

  private assign(name: string, value: BroVal): void {
    this.values.set(name, value);
    if ((value.kind === 'table' || value.kind === 'set' || value.kind === 'record' || value.kind === 'vector') && value.id !== '') {
      this.boundIds.set(value.id, name);
    }
  }

  private element(t: TableVal, index: ListVal): BroVal | null | undefined {
    const key = indexKey(index);
    const e = t.entries.find((x) => indexKey(x.index) === key);
    return e === undefined ? undefined : e.value;
  }

  // Values are never mutated once created (the codec's caches key on identity): build new ones.
  private withEntry(t: TableVal, index: ListVal, value: BroVal | null): TableVal {
    const key = indexKey(index);
    const entry: TableEntry = { index, value: t.kind === 'set' ? null : value, lastAccess: 0, expireAccess: 0 };
    const at = t.entries.findIndex((x) => indexKey(x.index) === key);
    const entries = at < 0 ? [...t.entries, entry] : t.entries.map((x, i) => (i === at ? entry : x));
    return { ...t, entries };
  }

  private without(t: TableVal, index: ListVal): TableVal {
    const key = indexKey(index);
    return { ...t, entries: t.entries.filter((x) => indexKey(x.index) !== key) };
  }

  private emit(access: StateAccess, origin: ChangeOrigin): void {
    for (const l of [...this.listeners]) l(access, origin);
  }
}
