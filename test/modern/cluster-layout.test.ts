// The cluster layout config section, Zeek's layout queries, connection strategy and topics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { ClusterLayout, clusterLayoutSchema } from '../../modern/cluster/layout.ts';
import { LAYOUT } from './cluster-helpers.ts';
import { CLUSTER_TOPICS, clusterSubscriptions, clusterTopics, node_topic, nodeid_topic, typeTopic } from '../../modern/cluster/topics.ts';


test('layout: Zeek defaults, node types with or without the module, normalised addresses and ports', () => {
  const l = new ClusterLayout(LAYOUT);
  assert.equal(l.node('manager'), { node_type: 'MANAGER', ip: '127.0.0.1', zone_id: '', p: 27761 });
  assert.is(l.node('logger-1')!.node_type, 'LOGGER');
  assert.is(l.node('worker-1')!.node_type, 'WORKER');
  assert.is(l.node('worker-1')!.ip, '10.0.0.7');
  assert.is(l.node('worker-2')!.p, 0);
  assert.is(l.config.manager_is_logger, false);
});

test('get_node_count per type; nodes_with_type sorted by name', () => {
  const l = new ClusterLayout(LAYOUT);
  assert.equal(
    (['NONE', 'CONTROL', 'LOGGER', 'MANAGER', 'PROXY', 'WORKER'] as const).map((t) => l.get_node_count(t)),
    [0, 1, 1, 1, 1, 2],
  );
  assert.equal(l.nodesWithType('WORKER').map((n) => n.name), ['worker-1', 'worker-2']);
});

test('who dials whom (the Broker backend strategy)', () => {
  const l = new ClusterLayout(LAYOUT);
  assert.equal(l.peersToConnect('manager').map((n) => n.name), ['logger-1']);
  assert.equal(l.peersToConnect('proxy-1').map((n) => n.name), ['logger-1', 'manager']);
  assert.equal(l.peersToConnect('worker-1').map((n) => n.name), ['logger-1', 'proxy-1', 'manager']);
  assert.equal(l.peersToConnect('logger-1'), []);
  assert.equal(l.peersToConnect('control'), []);
  assert.equal(l.peersToConnect('nobody'), []);
});

test('topics: node_topic, nodeid_topic, type topics and the layout overrides', () => {
  assert.is(node_topic('worker-1'), 'zeek/cluster/node/worker-1/');
  assert.is(nodeid_topic('0f1e2d3c-0000-4000-8000-000000000001'), 'zeek/cluster/nodeid/0f1e2d3c-0000-4000-8000-000000000001/');
  assert.equal(
    (['MANAGER', 'LOGGER', 'PROXY', 'WORKER', 'CONTROL', 'NONE'] as const).map((t) => typeTopic(t)),
    ['zeek/cluster/manager', 'zeek/cluster/logger', 'zeek/cluster/proxy', 'zeek/cluster/worker', undefined, undefined],
  );
  const custom = clusterTopics(new ClusterLayout({ ...LAYOUT, topics: { worker_topic: 'site/workers' } }));
  assert.is(custom.worker_topic, 'site/workers');
  assert.is(custom.manager_topic, CLUSTER_TOPICS.manager_topic);
});

test('subscriptions per node type (setup-subscriptions.zeek)', () => {
  const id = 'aaaaaaaa-0000-4000-8000-000000000000';
  assert.equal(clusterSubscriptions('WORKER', 'worker-1', id), ['zeek/cluster/worker', `zeek/cluster/nodeid/${id}/`, 'zeek/cluster/node/worker-1/']);
  assert.equal(clusterSubscriptions('MANAGER', 'manager', id), ['zeek/logs/', 'zeek/cluster/manager', `zeek/cluster/nodeid/${id}/`, 'zeek/cluster/node/manager/']);
  assert.equal(clusterSubscriptions('MANAGER', 'manager', id, { managerIsLogger: false })[0], 'zeek/cluster/manager');
  assert.equal(clusterSubscriptions('LOGGER', 'logger-1', id)[0], 'zeek/logs/');
  assert.equal(clusterSubscriptions('CONTROL', 'control', id), [`zeek/cluster/nodeid/${id}/`, 'zeek/cluster/node/control/']);
  assert.equal(clusterSubscriptions('NONE', 'x', id), []);
});

function issues(input: unknown): string[] {
  const r = clusterLayoutSchema.safeParse(input);
  assert.not.ok(r.success);
  return (r.error as ZodError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

test('layout errors name the path and the rule', () => {
  assert.match(issues({ nodes: { w: { node_type: 'WORKER', ip: '10.0.0.300' } } })[0]!, /^nodes\.w\.ip: "10\.0\.0\.300" is not an IPv4 or IPv6 address/);
  assert.match(issues({ nodes: { w: { node_type: 'SENSOR', ip: '10.0.0.1' } } })[0]!, /^nodes\.w\.node_type: node_type is one of NONE, CONTROL/);
  assert.match(issues({ nodes: { w: { node_type: 'WORKER', ip: '10.0.0.1', p: '99999/tcp' } } })[0]!, /^nodes\.w\.p: /);
  assert.match(issues({ nodes: { w: { node_type: 'WORKER', ip: '10.0.0.1', manager: 'm' } } })[0]!, /^nodes\.w\.manager: m is not a MANAGER node/);
  assert.match(issues({ nodes: { 'a/b': { node_type: 'WORKER', ip: '10.0.0.1' } } })[0]!, /^nodes\.a\/b: .*"\/"/);
  assert.match(issues({ nodes: { w: { node_type: 'WORKER', ip: '10.0.0.1', interfce: 'eth0' } } })[0]!, /^nodes\.w: /);
});

test.run();
