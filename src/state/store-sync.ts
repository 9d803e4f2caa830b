// Legacy `&synchronized` state kept in a Broker data store: the Communication framework's SyncStore
// (legacy/peer/state-store.ts) implemented over a master or clone store, one store key per global
// (key = the global's name as a Broker string, value = its value in Zeek's Broker mapping).
//
// Legacy → Broker: each state operation a peer sends (the SYNC phase's OP_ASSIGN per global, then
// live ASSIGN / INCR / ASSIGN_IDX / INCR_IDX / ADD / DEL, spec legacy-wire 6.3 / 7.3) becomes the
// store write with the same meaning: put of the new value, insert_into table ([index, value]),
// insert_into set, remove_from. Element operations name their table by the value's unique id
// (`#vm#<pid>#<n>`), learned from the MutableVal of the value the peer assigned.
//
// Broker → legacy: every change the store reports is compared with our legacy view of that global
// and the difference goes to the framework as state operations (which sends them to the peers that
// asked for sync): changed table / set elements as ASSIGN_IDX / ADD / DEL on the value's unique id,
// anything else as OP_ASSIGN. Our own writes come back as changes that match our view and produce
// nothing. A scalar global erased on the Broker side has no legacy operation: it is reported.
//
// The framework honours `accept_input` (state from a peer that may not send is dropped before it
// gets here), `auth` and the runtime rule (who sends the SYNC snapshot, from `entries()`), and
// `forward_remote_state_changes` (whether a peer's change goes on to the other peers).
import { MutableProps, type BroType, type BroVal, type ListVal, type StateAccess, type TableVal } from '../../legacy/codec/index.ts';
import { MemorySyncStore, valKey, type ChangeOrigin, type SyncStore } from '../../legacy/peer/state-store.ts';
import type { StateInconsistency } from '../../legacy/peer/types.ts';
import { str, type Data } from '../../modern/data/index.ts';
import type { DataStore, StoreEvent } from '../../modern/store/api.ts';
import { isTranslationError } from '../translate/errors.ts';
import { TypeRegistry } from '../translate/type-registry.ts';
import { toBroker, toLegacy, type ValueContext } from '../translate/values.ts';

const OP = { ASSIGN: 1, ASSIGN_IDX: 2, ADD: 3, INCR: 4, INCR_IDX: 5, DEL: 6 } as const;

/** A change that could not be carried to the other side. */
export interface SyncProblem {
  readonly direction: 'to_store' | 'to_legacy';
  readonly reason: 'not_a_global' | 'global_erased' | 'translation' | 'store_refused' | 'unknown_target';
  /** The global (or unique id) concerned. */
  readonly target: string;
  readonly detail: string;
}

export interface StoreSyncOptions {
  /** The Broker store holding the globals (a MasterStore or a CloneStore). */
  readonly store: DataStore;
  /** Declared record/enum types for Broker → legacy values (default: none, types are inferred). */
  readonly types?: TypeRegistry;
  /** Declared legacy types of globals in Zeek syntax, e.g. `{ sync_tab: 'table[string] of count' }`. */
  readonly globals?: Readonly<Record<string, string>>;
  /** Unique ids of containers created on the Broker side are `#vm#<pid>#<n>` (default: this process's pid). */
  readonly pid?: number;
  readonly onProblem?: (p: SyncProblem) => void;
}

type Listener = (access: StateAccess, origin: ChangeOrigin) => void;

const isContainer = (v: BroVal): v is TableVal => v.kind === 'table' || v.kind === 'set';

export class StoreSyncState implements SyncStore {
  readonly store: DataStore;
  private readonly view = new MemorySyncStore();
  /** Globals erased on the Broker side that the legacy view cannot unset. */
  private readonly erased = new Set<string>();
  /** Unique id → global name (the view resolves ids itself; we need names for store keys). */
  private readonly names = new Map<string, string>();
  private readonly listeners = new Set<Listener>();
  private readonly cx: ValueContext;
  private readonly declared = new Map<string, BroType>();
  private readonly pid: number;
  private readonly onProblem: (p: SyncProblem) => void;
  private readonly unsubscribe: () => void;
  private nextUid = 1;

  constructor(opts: StoreSyncOptions) {
    this.store = opts.store;
    this.cx = { types: opts.types ?? TypeRegistry.from({}) };
    for (const [name, text] of Object.entries(opts.globals ?? {})) this.declared.set(name, this.cx.types.type(text));
    this.pid = opts.pid ?? process.pid;
    this.onProblem = opts.onProblem ?? (() => undefined);
    for (const [key, value] of this.store.entries()) this.fromBroker(key, value, false);
    this.unsubscribe = this.store.onEvent((e) => this.onStoreEvent(e));
  }

  // -- SyncStore ------------------------------------------------------------------------------

  entries(): Iterable<readonly [string, BroVal]> {
    return [...this.view.entries()].filter(([name]) => !this.erased.has(name));
  }

  get(name: string): BroVal | undefined {
    return this.erased.has(name) ? undefined : this.view.get(name);
  }

  set(name: string, value: BroVal): void {
    const v = this.bindable(value, this.view.get(name));
    this.assignView(name, v);
    this.toStore({ op: OP.ASSIGN, target: name, op1: v, op2: null, op3: null }, name, v);
    this.emit({ op: OP.ASSIGN, target: name, op1: v, op2: null, op3: null }, undefined);
  }

  apply(access: StateAccess, origin: ChangeOrigin, check: boolean): StateInconsistency | undefined {
    const name = this.nameOf(access.target);
    if (name === undefined) {
      this.problem('to_store', 'unknown_target', access.target, `state operation ${access.op} on an unknown unique id`);
      return undefined;
    }
    const before = this.view.get(name);
    const problem = this.view.apply(access, origin, check);
    const after = this.view.get(name);
    if (after !== undefined && after !== before) {
      if (access.op === OP.ASSIGN) this.learn(name, after);
      this.erased.delete(name);
      this.toStore(access, name, after);
    }
    this.emit(access, origin);
    return problem;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the store (the store itself stays open). */
  close(): void {
    this.unsubscribe();
  }

  // -- legacy → Broker ------------------------------------------------------------------------

  private toStore(access: StateAccess, name: string, after: BroVal): void {
    const key = str(name);
    try {
      switch (access.op) {
        case OP.ASSIGN:
        case OP.INCR:
          return this.store.put(key, toBroker(access.op1, this.cx, name));
        case OP.ASSIGN_IDX:
        case OP.INCR_IDX:
          if (after.kind !== 'table' || access.op2 === null) return;
          return this.store.add(key, { type: 'vector', elements: [this.index(access.op1, name), toBroker(access.op2, this.cx, name)] }, 'table');
        case OP.ADD:
          if (after.kind === 'set') this.store.add(key, this.index(access.op1, name), 'set');
          return;
        case OP.DEL:
          this.store.subtract(key, this.index(access.op1, name));
          return;
        default:
          return;
      }
    } catch (err) {
      const reason = isTranslationError(err) ? 'translation' : 'store_refused';
      this.problem('to_store', reason, name, err instanceof Error ? err.message : String(err));
    }
  }

  /** A table index as Zeek puts it into Broker: the value itself, or a vector for a multi-index. */
  private index(op1: BroVal, name: string): Data {
    const els = op1.kind === 'list' ? op1.elements : [op1];
    if (els.length === 1) return toBroker(els[0]!, this.cx, name);
    return { type: 'vector', elements: els.map((e, i) => toBroker(e, this.cx, `${name}[${i}]`)) };
  }

  // -- Broker → legacy ------------------------------------------------------------------------

  private onStoreEvent(e: StoreEvent): void {
    if (e.type === 'insert' || e.type === 'update') this.fromBroker(e.key, e.value, true);
    else this.erase(e.key);
  }

  private globalName(key: Data): string | undefined {
    if (key.type === 'string' && typeof key.value === 'string') return key.value;
    this.problem('to_legacy', 'not_a_global', '', `store key of type ${key.type} is not a global name`);
    return undefined;
  }

  private fromBroker(key: Data, value: Data, announce: boolean): void {
    const name = this.globalName(key);
    if (name === undefined) return;
    const old = this.erased.has(name) ? undefined : this.view.get(name);
    let next: BroVal;
    try {
      next = toLegacy(value, old?.type ?? this.declared.get(name), this.cx, name);
    } catch (err) {
      if (!isTranslationError(err)) throw err;
      return this.problem('to_legacy', 'translation', name, err.message);
    }
    if (old !== undefined && valKey(old) === valKey(this.bindable(next, old))) return;
    const ops = old !== undefined && isContainer(old) && old.kind === next.kind && old.id !== '' ? this.diff(old, next as TableVal) : undefined;
    if (ops === undefined) {
      const v = this.bindable(next, old);
      this.erased.delete(name);
      this.assignView(name, v);
      if (announce) this.emit({ op: OP.ASSIGN, target: name, op1: v, op2: null, op3: null }, undefined);
      return;
    }
    for (const op of ops) {
      this.view.apply(op, undefined, false);
      if (announce) this.emit(op, undefined);
    }
  }

  private erase(key: Data): void {
    const name = this.globalName(key);
    if (name === undefined) return;
    const old = this.view.get(name);
    if (old === undefined || this.erased.has(name)) return;
    if (isContainer(old) && old.id !== '') {
      for (const e of old.entries) {
        const op: StateAccess = { op: OP.DEL, target: old.id, op1: e.index, op2: null, op3: null };
        this.view.apply(op, undefined, false);
        this.emit(op, undefined);
      }
      return;
    }
    this.erased.add(name);
    this.problem('to_legacy', 'global_erased', name, 'a legacy global cannot be unset; peers keep their value');
  }

  /** Element operations that turn `old` into `next` (same container kind), on old's unique id. */
  private diff(old: TableVal, next: TableVal): StateAccess[] {
    const key = (l: ListVal): string => l.elements.map(valKey).join('\u0001');
    const before = new Map(old.entries.map((e) => [key(e.index), e]));
    const after = new Map(next.entries.map((e) => [key(e.index), e]));
    const ops: StateAccess[] = [];
    for (const [k, e] of before) if (!after.has(k)) ops.push({ op: OP.DEL, target: old.id, op1: e.index, op2: null, op3: null });
    for (const [k, e] of after) {
      const was = before.get(k);
      if (old.kind === 'set') {
        if (!was) ops.push({ op: OP.ADD, target: old.id, op1: e.index, op2: null, op3: null });
      } else if (!was || valKey(was.value) !== valKey(e.value)) {
        ops.push({ op: OP.ASSIGN_IDX, target: old.id, op1: e.index, op2: e.value, op3: null });
      }
    }
    return ops;
  }

  // -- helpers --------------------------------------------------------------------------------

  /**
   * A container as a synchronized MutableVal: it keeps the unique id (and attributes) of the value
   * it replaces, or gets a fresh `#vm#<pid>#<n>`, so peers can bind element operations to it.
   */
  private bindable(v: BroVal, old: BroVal | undefined): BroVal {
    if (v.kind !== 'table' && v.kind !== 'set' && v.kind !== 'vector' && v.kind !== 'record') return v;
    if (v.id !== '') return v;
    const same = old !== undefined && old.kind === v.kind && 'id' in old && old.id !== '' ? old : undefined;
    const id = same?.id ?? `#vm#${this.pid}#${this.nextUid++}`;
    const props = (same?.props ?? 0) | MutableProps.SYNCHRONIZED;
    if (isContainer(v)) return { ...v, id, props, attrs: same !== undefined && isContainer(same) ? same.attrs : v.attrs };
    return { ...v, id, props };
  }

  private assignView(name: string, v: BroVal): void {
    this.view.apply({ op: OP.ASSIGN, target: name, op1: v, op2: null, op3: null }, undefined, false);
    this.learn(name, v);
  }

  private learn(name: string, v: BroVal): void {
    if ('id' in v && v.id !== '') this.names.set(v.id, name);
  }

  private nameOf(target: string): string | undefined {
    if (!target.startsWith('#')) return target;
    return this.names.get(target);
  }

  private emit(access: StateAccess, origin: ChangeOrigin): void {
    for (const l of [...this.listeners]) l(access, origin);
  }

  private problem(direction: SyncProblem['direction'], reason: SyncProblem['reason'], target: string, detail: string): void {
    this.onProblem({ direction, reason, target, detail });
  }
}
