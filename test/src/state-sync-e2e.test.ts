// End to end over loopback: a legacy peer (a Communication framework instance playing Bro 2.5,
// sync=T) syncs its `&synchronized` state with the bridge, whose state lives in a Broker master
// store; a Broker clone on another endpoint sees it, a Broker-side write reaches the legacy peer as
// a state operation, and a legacy-side change reaches the clone. accept_input=F keeps the peer's
// state out of the store; auth=T on the bridge makes the store's contents the state that is sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { addrVal, BASE, countVal, setType, setVal, stringVal, tableType, tableVal, type BroVal, type TableVal } from '../../legacy/codec/index.ts';
import { addr, count, renderData, str } from '../../modern/data/index.ts';
import { CloneStore, MasterStore, MemoryNetwork, insertInto, type DataStore } from '../../modern/store/index.ts';
import { StoreSyncState } from '../../src/state/store-sync.ts';
import { startFramework, until, type Harness } from '../legacy/framework-helpers.ts';
import { show } from '../legacy/helpers.ts';

function dump(s: DataStore): string[] {
  return s
    .entries()
    .map(([k, v]) => `${renderData(k)}=${renderData(v)}`)
    .sort();
}

const synchronized = <T extends TableVal>(v: T, id: string): T => ({ ...v, props: 2, id });

/** The sync-server's globals, as a Bro 2.5 holds them. */
function legacyState(): [string, BroVal][] {
  const tab = synchronized(
    tableVal(tableType([BASE.string], BASE.count), [
      [stringVal('beta'), countVal(2)],
      [stringVal('alpha'), countVal(1)],
    ]),
    '#vm#17018#1',
  );
  const s = synchronized(setVal(setType([BASE.addr]), [addrVal('10.0.0.1')]), '#vm#17018#2');
  return [
    ['sync_count', countVal(5)],
    ['sync_tab', tab],
    ['sync_set', s],
    ['sync_str', stringVal('initial')],
  ];
}

interface World {
  bridge: Harness;
  legacy: Harness;
  master: MasterStore;
  clone: CloneStore;
  stop(): Promise<void>;
}

async function world(bridgeNode: Record<string, unknown>, legacyNode: Record<string, unknown>, legacyRuntimeMs: number): Promise<World> {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const ce = net.endpoint();
  net.connect(me, ce);
  const master = new MasterStore({ name: 'legacy-state', hub: me, clock });
  const clone = new CloneStore({ name: 'legacy-state', hub: ce, clock });
  const store = new StoreSyncState({ store: master });
  const bridge = await startFramework({ nodes: { legacy: { host: '127.0.0.1', sync: true, ...bridgeNode } } }, { store });
  const legacyClock = new ManualClock();
  legacyClock.advance(legacyRuntimeMs);
  const legacy = await startFramework({ listen: false, nodes: { bridge: { host: '127.0.0.1', p: bridge.port, connect: true, sync: true, ...legacyNode } } }, { clock: legacyClock });
  return {
    bridge,
    legacy,
    master,
    clone,
    stop: async () => {
      await legacy.fw.stop();
      await bridge.fw.stop();
      store.close();
      master.close();
      clone.close();
    },
  };
}

const running = (h: Harness): Promise<void> => until(() => h.of('remote_connection_handshake_done').length >= 1, 'RUNNING');
const legacyValue = (h: Harness, name: string): string => show(h.fw.state.get(name) ?? null);

test('a Bro 2.5 peer with sync=T: its state lands in the store; Broker writes reach it; its changes reach Broker', async () => {
  // Neither side authoritative: the peer ran longer (runtime 3 vs 0), so it sends its state.
  const v = await world({}, {}, 3000);
  for (const [name, value] of legacyState()) v.legacy.fw.state.set(name, value);
  await running(v.bridge);
  await running(v.legacy);
  await until(() => dump(v.clone).length === 4, 'the SYNC snapshot in the store');
  assert.equal(dump(v.clone), ["'sync_count'=5u", "'sync_set'={addr(10.0.0.1)}", "'sync_str'='initial'", "'sync_tab'={'alpha' -> 1u, 'beta' -> 2u}"]);
  assert.equal(dump(v.master), dump(v.clone));

  // Broker side → legacy peer, as state operations.
  v.clone.put(str('sync_str'), str('from broker'));
  insertInto(v.clone, str('sync_tab'), str('delta'), count(4));
  insertInto(v.clone, str('sync_set'), addr('10.0.0.3'));
  await until(() => legacyValue(v.legacy, 'sync_str') === '"from broker"', 'the OP_ASSIGN at the legacy peer');
  await until(() => legacyValue(v.legacy, 'sync_set').includes('10.0.0.3'), 'the ADD at the legacy peer');
  assert.match(legacyValue(v.legacy, 'sync_tab'), '"delta"->count:4');
  assert.match(legacyValue(v.legacy, '#vm#17018#1'), '"delta"->count:4', 'the element op named the table by its unique id');

  // Legacy peer → Broker: an assignment and an element operation on the table's unique id.
  v.legacy.fw.state.set('sync_count', countVal(9));
  v.legacy.fw.state.apply({ op: 6, target: '#vm#17018#1', op1: stringVal('alpha'), op2: null, op3: null }, undefined, false);
  await until(() => renderData(v.clone.get(str('sync_count'))!) === '9u', 'sync_count at the clone');
  await until(() => !renderData(v.clone.get(str('sync_tab'))!).includes('alpha'), 'the DEL at the clone');
  assert.equal(dump(v.clone), ["'sync_count'=9u", "'sync_set'={addr(10.0.0.1), addr(10.0.0.3)}", "'sync_str'='from broker'", "'sync_tab'={'beta' -> 2u, 'delta' -> 4u}"]);
  await v.stop();
});

test('accept_input=F on the bridge: the peer\'s state is parsed and dropped, the store stays empty', async () => {
  const v = await world({ accept_input: false }, {}, 3000);
  for (const [name, value] of legacyState()) v.legacy.fw.state.set(name, value);
  await running(v.bridge);
  await running(v.legacy);
  v.legacy.fw.state.set('sync_count', countVal(6));
  // Something the bridge does accept afterwards proves the stream was read past the state ops.
  v.clone.put(str('probe'), str('x'));
  await until(() => legacyValue(v.legacy, 'probe') === '"x"', 'a Broker-side write at the peer');
  assert.equal(dump(v.master), ["'probe'='x'"]);
  await v.stop();
});

test('auth=T on the bridge: the store is authoritative and its contents are the state the peer receives', async () => {
  const v = await world({ auth: true }, {}, 3000);
  v.master.put(str('sync_str'), str('broker truth'));
  v.master.put(str('sync_count'), count(42));
  for (const [name, value] of legacyState()) v.legacy.fw.state.set(name, value);
  await running(v.bridge);
  await running(v.legacy);
  await until(() => legacyValue(v.legacy, 'sync_str') === '"broker truth"', 'the bridge\'s SYNC snapshot at the peer');
  assert.is(legacyValue(v.legacy, 'sync_count'), 'count:42');
  // The peer's own initial values did not overwrite the store.
  assert.equal(dump(v.master), ["'sync_count'=42u", "'sync_str'='broker truth'"]);
  await v.stop();
});

test.run();
