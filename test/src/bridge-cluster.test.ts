// A mixed cluster on loopback: a manager (a Broker endpoint with Zeek's cluster view, under test
// control), two legacy workers (Bro 2.5 framework instances) connecting through the bridge, and a
// modern worker (another endpoint). Each legacy worker gets its own endpoint in the bridge: the
// manager sees Cluster::hello / node_up for all three workers with three distinct ids, events flow
// both ways on the cluster topics, and node_down arrives when a legacy worker's connection drops —
// closed by the worker, or lost abruptly (reset in the middle of the network).
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal, stringVal } from '../../legacy/codec/builders.ts';
import { ClusterLayout, ClusterView, type ClusterLayoutInput } from '../../modern/cluster/index.ts';
import { makeEvent, parseZeekMessage, str, type Data, type ZeekEvent } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import type { MessageOrigin } from '../../modern/hub.ts';
import { freePort, startFramework, type Harness } from '../legacy/framework-helpers.ts';
import { show } from '../legacy/helpers.ts';
import { legacyHandshakeDone, startBridge, until } from './bridge-helpers.ts';

interface Node {
  ep: Endpoint;
  view: ClusterView;
  ups: string[];
  downs: string[];
  messages: { topic: string; event: ZeekEvent; origin: MessageOrigin }[];
}

function clusterNode(layout: ClusterLayoutInput, name: string): Node {
  const ep = new Endpoint({});
  const n: Node = { ep, view: undefined as unknown as ClusterView, ups: [], downs: [], messages: [] };
  n.view = new ClusterView({
    layout: new ClusterLayout(layout),
    node: name,
    hub: ep,
    events: { node_up: (node, id) => n.ups.push(`${node} ${id}`), node_down: (node, id) => n.downs.push(`${node} ${id}`) },
    onMessage: (topic: string, value: Data, origin: MessageOrigin) => {
      const m = parseZeekMessage(value);
      if (m.kind === 'event') n.messages.push({ topic, event: m, origin });
    },
  });
  ep.on('status', (s) => n.view.handleStatus(s));
  n.view.start();
  return n;
}

async function legacyWorker(name: string, bridgePort: number): Promise<Harness> {
  // A Bro 2.5 worker: its class names its node at the bridge; it asks for config_update.
  return startFramework({ listen: false, local_events: ['config_update'], nodes: { bridge: { host: '127.0.0.1', p: bridgePort, connect: true, class: name, events: '/^config_update$/' } } });
}

/** A TCP relay to `port` on loopback; `cut()` resets both halves of every relayed connection at once. */
async function relay(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((downstream) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.push(downstream, upstream);
    for (const s of [downstream, upstream]) s.on('error', () => undefined);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('manager sees hello/node_up for two legacy workers and a modern one; node_down when a legacy worker drops', async () => {
  // The manager listens first: the layout needs its port.
  const managerPort = await freePort();
  const layout: ClusterLayoutInput = {
    nodes: {
      manager: { node_type: 'MANAGER', ip: '127.0.0.1', p: managerPort },
      'worker-1': { node_type: 'WORKER', ip: '127.0.0.1', manager: 'manager' },
      'worker-2': { node_type: 'WORKER', ip: '127.0.0.1', manager: 'manager' },
      'worker-3': { node_type: 'WORKER', ip: '127.0.0.1', manager: 'manager' },
    },
  };
  const manager = clusterNode(layout, 'manager');
  assert.is(await manager.ep.listen('127.0.0.1', managerPort), managerPort);

  const t = await startBridge({
    legacy: {
      nodes: {
        'worker-1': { host: '127.0.0.1', class: 'worker-1', events: '/^worker_report$/' },
        'worker-2': { host: '127.0.0.1', class: 'worker-2', events: '/^worker_report$/' },
      },
    },
    cluster: layout,
    types: { events: { worker_report: ['n: count', 'who: string'], config_update: ['v: string'] } },
    routing: { legacy_topic: '', events: { worker_report: { topics: ['zeek/cluster/manager'], to_legacy: false } } },
  });
  const w1 = await legacyWorker('worker-1', t.port.legacy);
  const w2 = await legacyWorker('worker-2', t.port.legacy);
  const w3 = clusterNode(layout, 'worker-3');
  await w3.ep.peer('127.0.0.1', managerPort, 0.05);

  await until(() => manager.ups.length === 3, 'node_up for three workers');
  const snapshot = t.bridge.cluster!.snapshot();
  const idOf = (node: string): string => snapshot.find((s) => s.node === node)!.endpoint;
  assert.equal(manager.ups.sort(), [`worker-1 ${idOf('worker-1')}`, `worker-2 ${idOf('worker-2')}`, `worker-3 ${w3.ep.nodeId}`].sort());
  assert.is(new Set([idOf('worker-1'), idOf('worker-2'), w3.ep.nodeId, t.bridge.broker.endpoint.nodeId]).size, 4, 'every node has its own endpoint id');
  assert.is(manager.view.get_active_node_count('WORKER'), 3);
  assert.is(manager.view.nodeid_to_node(idOf('worker-1')).name, 'worker-1');
  // The bridge's node endpoints got the manager's hello too.
  await until(() => t.log('cluster').match(/got hello from manager/g)?.length === 2, 'hello from the manager at both node endpoints');
  assert.match(t.log('cluster'), /\tworker-1\tgot hello from manager \(/);
  assert.match(t.log('cluster'), /\tworker-2\tgot hello from manager \(/);
  // The legacy peers carry their cluster endpoint id in the registry.
  const legacyRecs = t.bridge.translator.peers.list().filter((p) => p.protocol === 'legacy');
  assert.equal(legacyRecs.map((p) => `${p.name} ${p.endpointId}`).sort(), [`worker-1 ${idOf('worker-1')}`, `worker-2 ${idOf('worker-2')}`]);

  // A legacy worker's event reaches the manager from the worker's own endpoint.
  await legacyHandshakeDone(w1, 'worker-1');
  w1.fw.send_event('worker_report', [countVal(1), stringVal('w1')]);
  await until(() => manager.messages.some((m) => m.event.name === 'worker_report'), 'worker_report at the manager');
  const report = manager.messages.find((m) => m.event.name === 'worker_report')!;
  assert.is(report.topic, 'zeek/cluster/manager');
  assert.is(report.origin.hop, idOf('worker-1'));

  // The manager's broadcast to the workers reaches both legacy workers once, and the modern one.
  manager.ep.publish('zeek/cluster/worker', makeEvent('config_update', [str('v2')]));
  await until(() => w1.of('remote_event').length === 1 && w2.of('remote_event').length === 1 && w3.messages.length === 1, 'config_update at every worker');
  await new Promise((r) => setTimeout(r, 20));
  assert.is(w1.of('remote_event').length, 1, 'delivered once');
  assert.is(show(w2.of('remote_event')[0]![0].args[0]!), '"v2"');

  // worker-1's connection drops: its endpoint leaves, the manager raises node_down.
  await w1.fw.stop();
  await until(() => manager.downs.length === 1, 'node_down');
  assert.equal(manager.downs, [`worker-1 ${idOf('worker-1')}`]);
  assert.is(manager.view.get_active_node_count('WORKER'), 2);
  assert.equal(t.bridge.cluster!.snapshot().map((s) => s.node), ['worker-2']);
  assert.match(t.log('cluster'), /legacy node worker-1 left/);

  await t.bridge.stop();
  await until(() => manager.downs.length === 2, 'node_down for worker-2 at bridge stop');
  await w2.fw.stop();
  await w3.ep.shutdown();
  manager.view.stop();
  await manager.ep.shutdown();
});

test('a legacy worker whose connection is lost abruptly (TCP reset, no goodbye) is node_down at the manager', async () => {
  const managerPort = await freePort();
  const layout: ClusterLayoutInput = {
    nodes: {
      manager: { node_type: 'MANAGER', ip: '127.0.0.1', p: managerPort },
      'worker-1': { node_type: 'WORKER', ip: '127.0.0.1', manager: 'manager' },
    },
  };
  const manager = clusterNode(layout, 'manager');
  assert.is(await manager.ep.listen('127.0.0.1', managerPort), managerPort);
  const t = await startBridge({
    legacy: { nodes: { 'worker-1': { host: '127.0.0.1', class: 'worker-1', events: '/^worker_report$/' } } },
    cluster: layout,
    types: { events: { worker_report: ['n: count', 'who: string'], config_update: ['v: string'] } },
    routing: { legacy_topic: '', events: { worker_report: { topics: ['zeek/cluster/manager'], to_legacy: false } } },
  });
  // The worker reaches the bridge through a relay, which is then cut: neither side closes on purpose.
  const net = await relay(t.port.legacy);
  const w1 = await legacyWorker('worker-1', net.port);
  await until(() => manager.ups.length === 1, 'node_up for the legacy worker');
  const id = t.bridge.cluster!.snapshot().find((s) => s.node === 'worker-1')!.endpoint;
  assert.equal(manager.ups, [`worker-1 ${id}`]);
  await legacyHandshakeDone(w1, 'worker-1');
  w1.fw.send_event('worker_report', [countVal(7), stringVal('w1')]);
  await until(() => manager.messages.some((m) => m.event.name === 'worker_report'), 'worker_report at the manager');

  net.cut();
  await until(() => manager.downs.length === 1, 'node_down after the reset');
  assert.equal(manager.downs, [`worker-1 ${id}`]);
  assert.is(manager.view.get_active_node_count('WORKER'), 0);
  assert.equal(t.bridge.cluster!.snapshot(), []);
  assert.match(t.log('cluster'), /legacy node worker-1 left/);
  // The bridge saw the peer go without closing it itself: peer_lost, not peer_removed.
  assert.ok(t.events('legacy').includes('peer_lost'), t.events('legacy').join(' '));
  assert.not.ok(t.events('legacy').includes('peer_removed'));

  await t.bridge.stop();
  assert.is(manager.downs.length, 1, 'no second node_down at bridge stop');
  await net.close();
  await w1.fw.stop();
  manager.view.stop();
  await manager.ep.shutdown();
});

test.run();
