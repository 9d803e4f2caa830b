// Where the bridge keeps legacy &synchronized state, by Cluster::create_store's rules (the `state`
// section): a persistent store is SQLite-backed under default_store_dir and survives a restart of
// the bridge; with the bridge's own node in the cluster layout and the master on the manager, the
// bridge's store is a clone of a Zeek manager's master — the Bro peer's state lands in that master,
// and the master's writes reach the Bro peer.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal, stringVal } from '../../legacy/codec/index.ts';
import { renderData, str } from '../../modern/data/index.ts';
import { CloneStore, MasterStore, sqliteBinding } from '../../modern/store/index.ts';
import { ManualClock, systemClock } from '../../src/core/clock.ts';
import { ConfigError, parseBridgeConfig, type BridgeConfigInput } from '../../src/config/index.ts';
import { startFramework } from '../legacy/framework-helpers.ts';
import { show } from '../legacy/helpers.ts';
import { brokerPeer, startBridge, until } from './bridge-helpers.ts';

const dumpOf = (entries: [unknown, unknown][]): string[] =>
  entries.map(([k, v]) => `${renderData(k as never)}=${renderData(v as never)}`).sort();

/** Drives a test-side clone's ManualClock until `cond` holds. */
async function pump(clock: ManualClock, cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 8000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sqlite = sqliteBinding() !== undefined;

(sqlite ? test : test.skip)('persistent: the Bro peer\'s state in a SQLite store under default_store_dir, intact after a bridge restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'comm-bridge-state-'));
  try {
    const state = { store: 'legacy-state', persistent: true, default_store_dir: dir };
    const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1', sync: true } } });
    bro.clock.advance(3000); // the peer has run longer: it sends its state
    bro.fw.state.set('sync_count', countVal(5));
    bro.fw.state.set('sync_str', stringVal('kept'));
    const first = await startBridge({ legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, sync: true } } }, state });
    await until(() => first.bridge.status().state?.entries === 2, 'the Bro peer\'s state in the bridge\'s store');
    assert.ok(existsSync(join(dir, 'legacy-state.sqlite')), 'the store file is <default_store_dir>/<name>.sqlite');
    await first.bridge.stop();
    await bro.fw.stop();

    // A new bridge process on the same config: the state is there before any legacy peer connects.
    const second = await startBridge({ state });
    assert.equal(second.bridge.status().state, { store: 'legacy-state', entries: 2, problems: 0 });
    const peer = await brokerPeer(second.port.broker, []);
    const clock = new ManualClock();
    const clone = new CloneStore({ name: 'legacy-state', hub: peer.ep, clock });
    await pump(clock, () => clone.attached && clone.size() === 2, 'a Broker clone with the persisted state');
    assert.equal(dumpOf(clone.entries()), ["'sync_count'=5u", "'sync_str'='kept'"]);
    clone.close();
    await second.bridge.stop();
    await peer.ep.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a cluster with the master on the manager: the bridge\'s store is a clone, the Bro peer\'s state reaches the manager\'s master and back', async () => {
  const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1', sync: true } } });
  bro.clock.advance(3000);
  bro.fw.state.set('sync_count', countVal(7));
  const t = await startBridge({
    node: 'bridge-1',
    cluster: { nodes: { manager: { node_type: 'MANAGER', ip: '127.0.0.1' }, 'bridge-1': { node_type: 'PROXY', ip: '127.0.0.1', manager: 'manager' } } },
    legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, sync: true } } },
    state: { store: 'legacy-state' },
  });
  // The manager: a Broker endpoint under test control holding the master.
  const manager = await brokerPeer(t.port.broker, []);
  const master = new MasterStore({ name: 'legacy-state', hub: manager.ep, clock: systemClock });
  const dump = (): string[] => dumpOf(master.entries());
  await until(() => dump().includes("'sync_count'=7u"), 'the Bro peer\'s state in the manager\'s master', 10_000);
  await until(() => t.log('reporter').includes('attached to its master'), 'reporter.log: the clone attached');
  master.put(str('sync_str'), str('from the manager'));
  await until(() => show(bro.fw.state.get('sync_str') ?? null) === '"from the manager"', 'the master\'s write at the Bro peer', 10_000);
  bro.fw.state.set('sync_count', countVal(8));
  await until(() => dump().includes("'sync_count'=8u"), 'the Bro peer\'s change at the master', 10_000);
  master.close();
  await t.bridge.stop();
  await bro.fw.stop();
  await manager.ep.shutdown();
});

test('a store placement that cannot work is refused at load, naming the path', async () => {
  const refused = async (config: BridgeConfigInput): Promise<string> => {
    try {
      const t = await startBridge(config);
      await t.bridge.stop();
    } catch (err) {
      assert.instance(err, ConfigError);
      return (err as Error).message;
    }
    throw new Error('the config was accepted');
  };
  const inCluster = { node: 'bridge-1', cluster: { nodes: { 'bridge-1': { node_type: 'PROXY' as const, ip: '127.0.0.1' } } } };
  assert.match(await refused({ ...inCluster, state: { default_master_node: 'nowhere' } }), /state\.default_master_node: master node 'nowhere' for cluster store does not exist/);
  assert.match(await refused({ ...inCluster, state: { stores: { 'comm-bridge/legacy-state': { master_node: 'elsewhere' } } } }), /state\.stores\.comm-bridge\/legacy-state\.master_node: master node 'elsewhere'/);
  assert.match(await refused(inCluster), /state\.default_master_node: .*no manager node/);
  // Outside a cluster the master is local whatever default_master_node says (as in Zeek).
  const t = await startBridge({ state: { default_master_node: 'nowhere' } });
  assert.equal(t.bridge.status().state, { store: 'comm-bridge/legacy-state', entries: 0, problems: 0 });
  await t.bridge.stop();
});

test('state: Cluster:: store intervals as seconds or Zeek text, defaults as in Zeek', () => {
  const d = parseBridgeConfig({}, 'test').state;
  assert.equal([d.persistent, d.default_backend, d.default_persistent_backend, d.default_store_dir, d.default_master_node], [false, 'MEMORY', 'SQLITE', '', '']);
  assert.equal([d.default_clone_resync_interval, d.default_clone_stale_interval, d.default_clone_mutation_buffer_interval], [10, 300, 120]);
  const c = parseBridgeConfig({ state: { default_clone_resync_interval: '30 secs', stores: { s: { clone_stale_interval: '5 mins', clone_mutation_buffer_interval: 7 } } } }, 'test').state;
  assert.is(c.default_clone_resync_interval, 30);
  assert.equal(c.stores['s'], { clone_stale_interval: 300, clone_mutation_buffer_interval: 7 });
  assert.throws(() => parseBridgeConfig({ state: { default_clone_stale_interval: 'soon' } }, 'bridge.json'), /bridge\.json: state\.default_clone_stale_interval/);
});

test.run();
