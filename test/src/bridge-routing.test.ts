// Routing through the bridge on loopback: events never come back to their source (a topic the
// bridge both publishes and subscribes to), legacy-to-legacy forwarding only with
// routing.forward_remote_events and never to the sender, Broker events to every legacy peer that
// asked; a configured Broker peer that is not reachable yet shows up in the legacy pending_peers
// view with peer_unavailable, then as PEERED, then RECONNECTING after a loss; a reload drops a
// removed node as our close (peer_removed) and keeps the unchanged one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal } from '../../legacy/codec/builders.ts';
import { count, makeEvent } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { freePort, startFramework, type Harness } from '../legacy/framework-helpers.ts';
import { show } from '../legacy/helpers.ts';
import { brokerPeer, legacyHandshakeDone, PEERED, startBridge, testConfig, until } from './bridge-helpers.ts';

/** A Bro 2.5 peer dialling the bridge with a class (its node name at the bridge), asking for X. */
function bro(cls: string, port: number): Promise<Harness> {
  return startFramework({ listen: false, local_events: ['X'], nodes: { bridge: { host: '127.0.0.1', p: port, connect: true, class: cls, events: '/^X$/' } } });
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

for (const forward of [false, true]) {
  test(`never back to the source; legacy forwarding ${forward ? 'on' : 'off'}`, async () => {
    const t = await startBridge({
      legacy: { nodes: { a: { host: '127.0.0.1', class: 'a', events: '/^X$/' }, b: { host: '127.0.0.1', class: 'b', events: '/^X$/' } } },
      types: { events: { X: ['n: count'] } },
      routing: { legacy_topic: '', events: { X: { topics: ['zeek/shared/'] } }, forward_remote_events: forward },
    });
    assert.equal(t.bridge.translator.router.subscriptions(), ['zeek/shared/'], 'the bridge subscribes to the topic it publishes X on');
    const zeek = await brokerPeer(t.port.broker, ['zeek/shared/']);
    // The peering is done on zeek's side first; the bridge routes to it once its side is PEERED.
    await until(() => t.status(`broker:${zeek.ep.nodeId}`) === PEERED, 'the Broker peer PEERED at the bridge');
    const a = await bro('a', t.port.legacy);
    const b = await bro('b', t.port.legacy);
    await until(() => t.bridge.legacy.list().filter((p) => p.running && p.requested.has('X')).length === 2, 'a and b running, asking for X');
    await legacyHandshakeDone(a, 'a');
    await legacyHandshakeDone(b, 'b');

    a.fw.send_event('X', [countVal(1)]);
    await until(() => zeek.got.length === 1, 'X at Broker');
    // The forward to b travels on another connection than the publication to Broker: wait for it.
    if (forward) await until(() => b.of('remote_event').length === 1, 'X forwarded to b');
    // A window for what must NOT happen (a copy back to a, a second publication).
    await settle();
    assert.is(zeek.got.length, 1, 'published once');
    assert.equal(zeek.got.map((g) => g.topic), ['zeek/shared/']);
    assert.is(a.of('remote_event').length, 0, 'not back to the sender');
    assert.is(b.of('remote_event').length, forward ? 1 : 0, forward ? 'forwarded to b' : 'not forwarded');

    zeek.ep.publish('zeek/shared/', makeEvent('X', [count(2)]));
    await until(() => a.of('remote_event').length === 1 && b.of('remote_event').length === (forward ? 2 : 1), 'the Broker X at a and b');
    await settle();
    assert.equal(a.of('remote_event').map(([e]) => show(e.args[0]!)), ['count:2']);
    assert.is(zeek.got.length, 1, 'the Broker event did not come back to Broker');
    await t.bridge.stop();
    await a.fw.stop();
    await b.fw.stop();
    await zeek.ep.shutdown();
  });
}

test('a configured Broker peer: pending (peer_unavailable) until it listens, then PEERED, RECONNECTING after a loss', async () => {
  const port = await freePort();
  const t = await startBridge({ broker: { listen: false, peers: [{ address: '127.0.0.1', port, retry: 0.05 }] } });
  const key = `broker-out:127.0.0.1:${port}`;
  await until(() => t.events('broker').includes('peer_unavailable'), 'peer_unavailable');
  t.bridge.status();
  assert.ok(['connecting', 'reconnecting'].includes(t.status(key) ?? ''), t.status(key));
  assert.is(t.bridge.translator.peers.get(key)!.lastError?.code, 'peer_unavailable');
  assert.equal(t.bridge.legacyView().pending_peers.map((e) => `${e.protocol} ${e.host}:${e.p}`), [`broker 127.0.0.1:${port}`]);

  const zeek = new Endpoint({});
  assert.is(await zeek.listen('127.0.0.1', port, 0), port);
  await until(() => t.status(`broker:${zeek.nodeId}`) === 'peered', 'PEERED');
  assert.is(t.status(key), undefined, 'the pending entry is gone');
  assert.equal(t.bridge.legacyView().connected_peers.map((e) => e.descr), [`broker:${zeek.nodeId}`]);
  assert.equal(t.bridge.legacyView().pending_peers, []);

  await zeek.shutdown();
  await until(() => t.events('broker').includes('peer_lost'), 'peer_lost');
  t.bridge.status();
  await until(() => {
    t.bridge.status();
    return t.status(key) === 'reconnecting';
  }, 'RECONNECTING');
  assert.is(t.status(`broker:${zeek.nodeId}`), undefined);
  await t.bridge.stop();
});

test('reload: a removed node is closed by us (peer_removed), the unchanged one stays, other sections need a restart', async () => {
  const config = {
    legacy: { nodes: { a: { host: '127.0.0.1', class: 'a', events: '/^X$/' }, b: { host: '127.0.0.1', class: 'b' } } },
    routing: { subscribe: ['zeek/x/'] },
  };
  const t = await startBridge(config);
  const a = await bro('a', t.port.legacy);
  const b = await bro('b', t.port.legacy);
  await until(() => t.bridge.legacy.list().filter((p) => p.running).length === 2, 'a and b running');
  const keyOf = (node: string): string => t.bridge.legacy.list().find((p) => p.nodeName === node)!.key;
  const [ka, kb] = [keyOf('a'), keyOf('b')];
  const r = t.bridge.reload(testConfig({ legacy: { nodes: { a: config.legacy.nodes.a } }, routing: { subscribe: ['zeek/y/'] } }));
  assert.equal(r.legacy.removed, ['b']);
  assert.equal(r.legacy.unchanged, ['a']);
  assert.equal(r.needsRestart, ['routing']);
  await until(() => b.of('remote_connection_closed').length === 1, 'b closed');
  await until(() => t.status(kb) === undefined, 'b gone from the registry');
  const bReports = t.reports.filter((x) => x.key === kb).map((x) => x.report.name);
  assert.equal(bReports, ['endpoint_discovered', 'peer_added', 'peer_removed', 'endpoint_unreachable']);
  assert.is(t.status(ka), 'peered');
  assert.is(a.of('remote_connection_closed').length, 0);
  assert.throws(() => t.bridge.reload({ legacy: { nodes: { a: { host: 'x' } } } }, 'new.json'), /new\.json: legacy\.nodes\.a\.host/);
  assert.is(t.status(ka), 'peered', 'a bad reload changes nothing');
  await t.bridge.stop();
  await a.fw.stop();
  await b.fw.stop();
});

test.run();
