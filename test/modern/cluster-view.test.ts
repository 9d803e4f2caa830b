// The cluster view's hello / node_up / node_down state machine on LocalHubs. Two hubs are "peered"
// by a relay that copies what local participants publish to the other hub, as a Broker peering
// would; status events are fed the way the endpoint reports them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusCode } from '../../modern/constants.ts';
import { ClusterLayout } from '../../modern/cluster/layout.ts';
import { ClusterLog, type ClusterLogEntry } from '../../modern/cluster/cluster-log.ts';
import { ClusterError, ClusterView } from '../../modern/cluster/view.ts';
import { encodeData, makeEvent, parseZeekMessage, str, type Data, type ZeekEvent } from '../../modern/data/index.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { toHex } from '../../src/core/json.ts';
import { LAYOUT } from './cluster-helpers.ts';

interface Node {
  name: string;
  hub: LocalHub;
  view: ClusterView;
  events: string[];
  log: ClusterLogEntry[];
  other: { topic: string; value: Data }[];
}

const layout = new ClusterLayout(LAYOUT);
let clock = 1_700_000_000_000;

function node(name: string, id: string, helloMetadata?: 'empty' | 'network_timestamp' | 'none'): Node {
  const hub = new LocalHub(id);
  const events: string[] = [];
  const log: ClusterLogEntry[] = [];
  const other: { topic: string; value: Data }[] = [];
  const view = new ClusterView({
    layout,
    node: name,
    hub,
    now: () => clock,
    log: (e) => log.push(e),
    onMessage: (topic, value) => other.push({ topic, value }),
    events: {
      node_up: (n, i) => events.push(`up ${n} ${i}`),
      node_down: (n, i) => events.push(`down ${n} ${i}`),
      error: (m) => events.push(`error ${m}`),
    },
    ...(helloMetadata !== undefined ? { helloMetadata } : {}),
  });
  view.start();
  return { name, hub, view, events, log, other };
}

/** Peers two nodes: relays in both directions, then peer_added on both sides. Returns unpeer(lost). */
function peer(a: Node, b: Node): (how: 'lost' | 'removed') => void {
  const relay = (from: LocalHub, to: LocalHub) =>
    from.attach(
      { id: `relay-${to.nodeId}`, onData: (topic, value, origin) => (origin.participant !== undefined ? to.publish(topic, value) : undefined) },
      [''],
    );
  const r1 = relay(a.hub, b.hub);
  const r2 = relay(b.hub, a.hub);
  a.view.handleStatus({ code: StatusCode.PEER_ADDED, context: { id: b.hub.nodeId } });
  b.view.handleStatus({ code: StatusCode.PEER_ADDED, context: { id: a.hub.nodeId } });
  return (how) => {
    r1.close();
    r2.close();
    const code = how === 'lost' ? StatusCode.PEER_LOST : StatusCode.PEER_REMOVED;
    a.view.handleStatus({ code, context: { id: b.hub.nodeId } });
    b.view.handleStatus({ code, context: { id: a.hub.nodeId } });
  };
}

const M = 'aaaaaaaa-0000-4000-8000-00000000000a';
const W1 = 'aaaaaaaa-0000-4000-8000-0000000000b1';
const W2 = 'aaaaaaaa-0000-4000-8000-0000000000b2';

test('peering: hello both ways, node_up on both sides, cluster.log lines', () => {
  const m = node('manager', M);
  const w = node('worker-1', W1);
  peer(m, w);
  assert.equal(m.events, [`up worker-1 ${W1}`]);
  assert.equal(w.events, [`up manager ${M}`]);
  assert.equal(m.log, [{ ts: clock / 1000, node: 'manager', message: `got hello from worker-1 (${W1})` }]);
  assert.is(m.view.idOf('worker-1'), W1);
  assert.is(m.view.get_active_node_count('WORKER'), 1);
  assert.is(m.view.get_node_count('WORKER'), 2);
  assert.equal(m.view.nodeid_to_node(W1).name, 'worker-1');
  assert.equal(m.view.snapshot().filter((n) => n.id !== undefined), [{ name: 'worker-1', node_type: 'WORKER', id: W1 }]);
  assert.equal(m.view.nodeid_to_node('nobody'), { name: '', node: { node_type: 'NONE', ip: '0.0.0.0', zone_id: '', p: 0 } });
});

test('hello goes to the peer\'s node-id topic as Cluster::hello(name, id) with Zeek 8 metadata by default', () => {
  const w = node('worker-1', W1);
  const seen: { topic: string; value: Data }[] = [];
  w.hub.attach({ id: 'spy', onData: (topic, value) => seen.push({ topic, value }) }, ['zeek/cluster/nodeid/']);
  w.view.handleStatus({ code: StatusCode.PEER_ADDED, context: { id: M } });
  assert.is(seen.length, 1);
  assert.is(seen[0]!.topic, `zeek/cluster/nodeid/${M}/`);
  assert.is(toHex(encodeData(seen[0]!.value)), toHex(encodeData(makeEvent('Cluster::hello', [str('worker-1'), str(W1)], { metadata: [] }))));
  const z7 = node('worker-2', W2, 'network_timestamp');
  const seen7: Data[] = [];
  z7.hub.attach({ id: 'spy', onData: (_t, v) => seen7.push(v) }, ['zeek/cluster/nodeid/']);
  z7.view.handleStatus({ code: StatusCode.PEER_ADDED, context: { id: M } });
  const ev = parseZeekMessage(seen7[0]!) as ZeekEvent;
  assert.equal(ev.metadata?.map((x) => [Number(x.key), x.value]), [[1, { type: 'timestamp', value: BigInt(clock) * 1_000_000n }]]);
});

test('node_down only from peer_lost of an id a layout node carries; peer_removed changes nothing', () => {
  const m = node('manager', M);
  const w1 = node('worker-1', W1);
  const w2 = node('worker-2', W2);
  const unpeer1 = peer(m, w1);
  const unpeer2 = peer(m, w2);
  assert.is(m.view.get_active_node_count('WORKER'), 2);
  unpeer1('lost');
  assert.equal(m.events, [`up worker-1 ${W1}`, `up worker-2 ${W2}`, `down worker-1 ${W1}`]);
  assert.equal(m.log.at(-1)?.message, 'node down: worker-1');
  assert.is(m.view.idOf('worker-1'), undefined);
  assert.is(m.view.get_active_node_count('WORKER'), 1);
  unpeer2('removed');
  assert.is(m.events.length, 3);
  m.view.handleStatus({ code: StatusCode.PEER_LOST, context: { id: 'ffffffff-0000-4000-8000-000000000000' } });
  assert.is(m.events.length, 3);
  // A reconnect (new session, new id) is a fresh node_up.
  const w1b = node('worker-1', 'aaaaaaaa-0000-4000-8000-0000000000c1');
  peer(m, w1b);
  assert.equal(m.events.at(-1), 'up worker-1 aaaaaaaa-0000-4000-8000-0000000000c1');
});

test('unexpected and duplicate hellos are errors, as Zeek reports them', () => {
  const m = node('manager', M);
  m.view.hello('worker-9', W1);
  assert.equal(m.events, ['error Got Cluster::hello msg from unexpected node: worker-9']);
  m.view.hello('worker-1', W1);
  m.view.hello('worker-1', W1);
  m.view.hello('worker-1', W2);
  assert.equal(m.events.slice(1), [`up worker-1 ${W1}`, 'error Got Cluster::hello msg from duplicate node:worker-1']);
  // Zeek takes the new id and counts both as active.
  assert.is(m.view.idOf('worker-1'), W2);
  assert.is(m.view.get_active_node_count('WORKER'), 2);
  m.hub.publish(m.view.nodeid_topic(M), makeEvent('Cluster::hello', [str('only-one-arg')]));
  assert.match(m.events.at(-1)!, /^error Cluster::hello with arguments/);
});

test('other messages on the node\'s topics are handed on; the view subscribes like Zeek', () => {
  const w = node('worker-1', W1);
  assert.equal(w.view.subscriptions(), ['zeek/cluster/worker', `zeek/cluster/nodeid/${W1}/`, 'zeek/cluster/node/worker-1/']);
  const ping = makeEvent('ping', [str('x')]);
  w.hub.publish('zeek/cluster/worker', ping);
  w.hub.publish('zeek/cluster/node/worker-1/', ping);
  w.hub.publish('zeek/cluster/manager', ping);
  assert.equal(w.other.map((o) => o.topic), ['zeek/cluster/worker', 'zeek/cluster/node/worker-1/']);
  w.view.stop();
  w.hub.publish('zeek/cluster/worker', ping);
  assert.is(w.other.length, 2);
});

test('a node that is not in the layout cannot have a view', () => {
  let err: unknown;
  try {
    new ClusterView({ layout, node: 'worker-9', hub: new LocalHub() });
  } catch (e) {
    err = e;
  }
  assert.instance(err, ClusterError);
  assert.is((err as ClusterError).code, 'unknown_node');
});

test('cluster.log in Zeek TSV: ts, node, message', () => {
  let text = '';
  const log = new ClusterLog((t) => (text += t), { now: () => 0, timezone: 'utc' });
  const m = new ClusterView({ layout, node: 'manager', hub: new LocalHub(M), now: () => 1_500_000_000_250, log: (e) => log.write(e) });
  m.hello('worker-1', W1);
  m.log('listening on 127.0.0.1:27761/tcp');
  log.close();
  assert.equal(text.split('\n'), [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tcluster',
    '#open\t1970-01-01-00-00-00',
    '#fields\tts\tnode\tmessage',
    '#types\ttime\tstring\tstring',
    `1500000000.250000\tmanager\tgot hello from worker-1 (${W1})`,
    '1500000000.250000\tmanager\tlistening on 127.0.0.1:27761/tcp',
    '#close\t1970-01-01-00-00-00',
    '',
  ]);
});

test.run();
