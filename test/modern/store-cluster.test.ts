// Cluster::create_store(name, persistent) decisions with Cluster::stores and the cluster
// framework's defaults: where the master lives, which backend, which SQLite path, clone intervals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { CloneStore, MasterStore, MemoryNetwork, StoreError, createStore, resolveStore, type ClusterLayout } from '../../modern/store/index.ts';

const layout = (node: string): ClusterLayout => ({
  node,
  nodes: {
    'worker-1': { node_type: 'Cluster::WORKER' },
    'manager-b': { node_type: 'MANAGER' },
    'manager-a': { node_type: 'Cluster::MANAGER' },
    'proxy-1': { node_type: 'PROXY' },
    logger: { node_type: 'LOGGER' },
  },
});

function errorOf(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

test('defaults: master on the (first) manager, memory backend, Broker clone intervals', () => {
  const onManager = resolveStore('s', false, layout('manager-a'));
  assert.equal(onManager, {
    name: 's',
    role: 'master',
    masterNode: 'manager-a',
    backend: 'MEMORY',
    sqlite: { path: 's.sqlite' },
    resyncIntervalMs: 10_000,
    staleIntervalMs: 300_000,
    mutationBufferIntervalMs: 120_000,
  });
  assert.is(resolveStore('s', false, layout('worker-1')).role, 'clone');
  assert.is(resolveStore('s', false, layout('manager-b')).role, 'clone', 'only the first manager by name holds the master');
});

test('persistent stores switch MEMORY to default_persistent_backend; explicit backends stay', () => {
  assert.is(resolveStore('s', true, layout('manager-a')).backend, 'SQLITE');
  assert.is(resolveStore('s', true, layout('manager-a'), { default_persistent_backend: 'MEMORY' }).backend, 'MEMORY');
  assert.is(resolveStore('s', false, layout('manager-a'), { stores: { s: { backend: 'SQLITE' } } }).backend, 'SQLITE');
  assert.is(resolveStore('s', false, layout('manager-a'), { default_backend: 'SQLITE' }).backend, 'SQLITE');
});

test('default_store_dir gives <dir>/<name>.sqlite unless Cluster::stores names a path', () => {
  assert.is(resolveStore('users', true, layout('manager-a'), { default_store_dir: '/var/zeek/stores/' }).sqlite.path, '/var/zeek/stores/users.sqlite');
  const explicit = resolveStore('users', true, layout('manager-a'), {
    default_store_dir: '/var/zeek/stores',
    stores: { users: { options: { sqlite: { path: '/data/u.db', synchronous: 'NORMAL', failure_mode: 'DELETE' } } } },
  });
  assert.equal(explicit.sqlite, { path: '/data/u.db', synchronous: 'NORMAL', failureMode: 'DELETE' });
});

test('Cluster::stores entries: master_node and clone intervals (seconds)', () => {
  const cfg = { stores: { s: { master_node: 'proxy-1', clone_resync_interval: 2, clone_stale_interval: -1, clone_mutation_buffer_interval: 0 } } };
  assert.is(resolveStore('s', false, layout('proxy-1'), cfg).role, 'master');
  const w = resolveStore('s', false, layout('manager-a'), cfg);
  assert.is(w.role, 'clone');
  assert.is(w.masterNode, 'proxy-1');
  assert.is(w.resyncIntervalMs, 2000);
  assert.is(w.staleIntervalMs, -1000);
  assert.is(w.mutationBufferIntervalMs, 0);
  assert.is(resolveStore('s', false, layout('worker-1'), { default_master_node: 'logger' }).masterNode, 'logger');
});

test('outside a cluster (Cluster::node empty) the store is a master', () => {
  const r = resolveStore('s', false, { node: '', nodes: {} });
  assert.is(r.role, 'master');
  assert.is(r.masterNode, '');
});

test("configuration errors are invalid_config, with Zeek's messages", () => {
  const noManager: ClusterLayout = { node: 'w', nodes: { w: { node_type: 'WORKER' } } };
  assert.match(errorOf(() => resolveStore('s', false, noManager)).message, "there's no manager node to default");
  const e = errorOf(() => resolveStore('s', false, layout('worker-1'), { stores: { s: { master_node: 'nope' } } }));
  assert.is(e.code, 'invalid_config');
  assert.match(e.message, "master node 'nope' for cluster store does not exist");
  const bad = errorOf(() => resolveStore('s', false, layout('worker-1'), { stores: { s: { backend: 'ROCKSDB' as 'SQLITE' } } }));
  assert.match(bad.message, 'stores.s.backend');
});

test('createStore builds a master or a clone that attach to each other', () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const mgr = net.endpoint();
  const wrk = net.endpoint();
  net.connect(mgr, wrk);
  const cfg = { stores: { s: { clone_mutation_buffer_interval: 0 } } };
  const m = createStore('s', false, layout('manager-a'), cfg, { hub: mgr, clock });
  const c = createStore('s', false, layout('worker-1'), cfg, { hub: wrk, clock });
  assert.instance(m, MasterStore);
  assert.instance(c, CloneStore);
  assert.ok((c as CloneStore).attached);
  m.close();
  clock.advance(10_000);
  assert.is(errorOf(() => c.put({ type: 'count', value: 1 }, { type: 'count', value: 2 })).code, 'no_master', 'buffering off per Cluster::stores');
  c.close();
});

test.run();
