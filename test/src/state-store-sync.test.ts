// The legacy-state adapter over a Broker store: the real state operations of bro-bro-sync-runtime
// (the SYNC snapshot's OP_ASSIGN per global, then INCR, ASSIGN_IDX and DEL on `#vm#17018#1`, ADD on
// `#vm#17018#2`, ASSIGN) become store contents, visible on a clone on another endpoint; Broker-side
// changes come back as the matching state operations, valid on the wire and converging a legacy
// peer's view onto the store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { LegacyStreamDecoder, LegacyStreamEncoder, countVal, stringVal, type StateAccess } from '../../legacy/codec/index.ts';
import { MemorySyncStore, type ChangeOrigin } from '../../legacy/peer/state-store.ts';
import { addr, count, renderData, str, table } from '../../modern/data/index.ts';
import { CloneStore, MasterStore, MemoryNetwork, increment, insertInto, removeFrom, type DataStore } from '../../modern/store/index.ts';
import { StoreSyncState, type SyncProblem } from '../../src/state/store-sync.ts';
import { TypeRegistry } from '../../src/translate/type-registry.ts';
import { toBroker } from '../../src/translate/values.ts';
import { describe, replay } from '../legacy/helpers.ts';

const PEER = 10_001;

/** The state operations the capture's state sender sent, in order (4 SYNC assigns, 5 live ops). */
function capturedOps(): StateAccess[] {
  return replay('bro-bro-sync-runtime').flatMap((r) => (r.msg.type === 'SERIAL' && r.msg.body.kind === 'state' ? [r.msg.body.access] : []));
}

function dump(s: DataStore): string[] {
  return s
    .entries()
    .map(([k, v]) => `${renderData(k)}=${renderData(v)}`)
    .sort();
}

function setup(pid = 4242) {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const ce = net.endpoint();
  net.connect(me, ce);
  const master = new MasterStore({ name: 'legacy-state', hub: me, clock });
  const clone = new CloneStore({ name: 'legacy-state', hub: ce, clock });
  const problems: SyncProblem[] = [];
  const state = new StoreSyncState({ store: master, pid, onProblem: (p) => problems.push(p) });
  const changes: [StateAccess, ChangeOrigin][] = [];
  state.onChange((a, o) => changes.push([a, o]));
  return { clock, master, clone, state, changes, problems };
}

const op = (a: StateAccess): string => describe({ type: 'SERIAL', body: { kind: 'state', access: a } });

const AFTER_SYNC = ["'sync_count'=5u", "'sync_set'={addr(10.0.0.1)}", "'sync_str'='initial'", "'sync_tab'={'alpha' -> 1u, 'beta' -> 2u}"];
const AFTER_LIVE = ["'sync_count'=6u", "'sync_set'={addr(10.0.0.1), addr(10.0.0.2)}", "'sync_str'='updated'", "'sync_tab'={'beta' -> 2u, 'gamma' -> 3u}"];

test('the captured SYNC snapshot and live operations become store contents, on the master and a clone', () => {
  const { master, clone, state, changes, problems } = setup();
  const ops = capturedOps();
  assert.is(ops.length, 9);
  for (const a of ops.slice(0, 4)) state.apply(a, PEER, false);
  assert.equal(dump(master), AFTER_SYNC);
  assert.equal(dump(clone), AFTER_SYNC);
  for (const a of ops.slice(4)) state.apply(a, PEER, false);
  assert.equal(dump(master), AFTER_LIVE);
  assert.equal(dump(clone), AFTER_LIVE);
  // Each peer operation is passed on once (for the framework to forward), and no echo follows.
  assert.equal(
    changes.map(([a, o]) => [op(a), o]),
    ops.map((a) => [op(a), PEER]),
  );
  assert.equal(problems, []);
  // Element operations found their tables by unique id; the legacy view answers by id too.
  assert.is(state.get('#vm#17018#1')?.kind, 'table');
  assert.equal(
    [...state.entries()].map(([n]) => n),
    ['sync_count', 'sync_tab', 'sync_set', 'sync_str'],
  );
});

test('Broker-side changes come back as the legacy state operations that express them', () => {
  const { master, clone, state, changes, problems } = setup();
  for (const a of capturedOps()) state.apply(a, PEER, false);
  changes.length = 0;
  clone.put(str('sync_str'), str('from broker'));
  increment(clone, str('sync_count'), count(4));
  insertInto(clone, str('sync_tab'), str('delta'), count(4));
  removeFrom(clone, str('sync_tab'), str('beta'));
  insertInto(clone, str('sync_tab'), str('gamma'), count(30));
  insertInto(clone, str('sync_set'), addr('10.0.0.3'));
  clone.put(str('new_tab'), table([[str('k'), count(1)]]));
  insertInto(clone, str('new_tab'), str('j'), count(2));
  assert.equal(
    changes.map(([a, o]) => [op(a), o]),
    [
      ['STATE op=1 sync_str "from broker"', undefined],
      ['STATE op=1 sync_count count:10', undefined],
      ['STATE op=2 #vm#17018#1 list("delta") op2=count:4', undefined],
      ['STATE op=6 #vm#17018#1 list("beta")', undefined],
      ['STATE op=2 #vm#17018#1 list("gamma") op2=count:30', undefined],
      ['STATE op=3 #vm#17018#2 list(addr:10.0.0.3)', undefined],
      ['STATE op=1 new_tab table{"k"->count:1}', undefined],
      ['STATE op=2 #vm#4242#1 list("j") op2=count:2', undefined],
    ],
  );
  const newTab = changes[6]![0].op1;
  assert.ok(newTab.kind === 'table' && newTab.id === '#vm#4242#1' && newTab.props === 2, 'a synchronized MutableVal with a fresh unique id');
  assert.equal(problems, []);
  assert.equal(dump(master), dump(clone));
});

test('the emitted operations are valid on the wire and converge a legacy peer onto the store', () => {
  const { master, clone, state, changes } = setup();
  const peer = new MemorySyncStore();
  for (const a of capturedOps()) {
    peer.apply(a, undefined, false);
    state.apply(a, PEER, false);
  }
  changes.length = 0;
  clone.put(str('sync_str'), str('x'));
  insertInto(clone, str('sync_tab'), str('delta'), count(4));
  removeFrom(clone, str('sync_set'), addr('10.0.0.1'));
  clone.put(str('fresh'), count(1));
  clone.erase(str('sync_tab'));
  // Through the codec, as a peer would receive them (64-bit ids, caching, like Bro between Bros).
  const enc = new LegacyStreamEncoder();
  const dec = new LegacyStreamDecoder();
  for (const [a] of changes) {
    dec.push(enc.encode({ type: 'SERIAL', body: { kind: 'state', access: a } }));
    const m = dec.next();
    assert.ok(m?.type === 'SERIAL' && m.body.kind === 'state');
    if (m?.type !== 'SERIAL' || m.body.kind !== 'state') return;
    assert.is(op(m.body.access), op(a));
    peer.apply(m.body.access, undefined, false);
  }
  const cx = { types: TypeRegistry.from({}) };
  const peerView = [...peer.entries()].map(([n, v]) => `'${n}'=${renderData(toBroker(v, cx))}`).sort();
  // sync_tab was erased on the Broker side: the peer keeps an empty table (element DELs).
  assert.equal(peerView, ["'fresh'=1u", "'sync_count'=6u", "'sync_set'={addr(10.0.0.2)}", "'sync_str'='x'", "'sync_tab'={}"]);
  assert.equal(dump(master), ["'fresh'=1u", "'sync_count'=6u", "'sync_set'={addr(10.0.0.2)}", "'sync_str'='x'"]);
});

test('what has no legacy operation is reported, not guessed', () => {
  const { master, state, problems, changes } = setup();
  state.set('sync_str', stringVal('local'));
  master.put(count(7), str('not a global'));
  master.erase(str('sync_str'));
  assert.equal(
    problems.map((p) => [p.direction, p.reason, p.target]),
    [
      ['to_legacy', 'not_a_global', ''],
      ['to_legacy', 'global_erased', 'sync_str'],
    ],
  );
  assert.is(state.get('sync_str'), undefined, 'erased globals are not offered in a later SYNC');
  assert.equal(
    changes.map(([a, o]) => [op(a), o]),
    [['STATE op=1 sync_str "local"', undefined]],
  );
  state.apply({ op: 2, target: '#vm#999#9', op1: stringVal('k'), op2: countVal(1), op3: null }, PEER, false);
  assert.is(problems[2]?.reason, 'unknown_target');
});

test('an adapter on a store that already has contents offers them for SYNC; declared types are used', () => {
  const clock = new ManualClock();
  const master = new MasterStore({ name: 's', hub: new MemoryNetwork().endpoint(), clock });
  master.put(str('hits'), count(3));
  master.put(str('seen'), table([[addr('10.0.0.1'), str('a')]]));
  const state = new StoreSyncState({ store: master, pid: 7, globals: { hits: 'counter' } });
  const entries = new Map(state.entries());
  assert.is(entries.get('hits')?.kind, 'counter');
  const seen = entries.get('seen');
  assert.ok(seen?.kind === 'table' && seen.id === '#vm#7#1');
  // A local assignment goes to the store and to the peers.
  const changes: string[] = [];
  state.onChange((a) => changes.push(op(a)));
  state.set('hits', countVal(4));
  assert.equal(master.get(str('hits')), count(4));
  assert.equal(changes, ['STATE op=1 hits count:4']);
  state.close();
  master.put(str('hits'), count(5));
  assert.equal(changes.length, 1, 'closed adapters stop following the store');
  master.close();
});

test('on a clone store, the peer operations are forwarded and their echoes produce nothing', () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const ce = net.endpoint();
  net.connect(me, ce);
  const master = new MasterStore({ name: 's', hub: me, clock });
  const clone = new CloneStore({ name: 's', hub: ce, clock });
  const state = new StoreSyncState({ store: clone });
  const changes: [string, ChangeOrigin][] = [];
  state.onChange((a, o) => changes.push([op(a), o]));
  for (const a of capturedOps()) state.apply(a, PEER, false);
  clock.advance(1000);
  assert.equal(dump(master), AFTER_LIVE);
  assert.equal(dump(clone), AFTER_LIVE);
  assert.ok(changes.every(([, o]) => o === PEER), changes.map(([a]) => a).join('\n'));
  master.close();
  clone.close();
});

test.run();
