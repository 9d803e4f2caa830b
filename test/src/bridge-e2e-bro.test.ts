// End to end on loopback with a Bro 2.5 peer (a second Communication framework instance): the
// bridge dials it (retry 1 s on a ManualClock), the peer sends the FX events of the bro-bro-types
// capture — every legacy value type — and they reach a native Broker peer and a WebSocket client
// as Zeek events with the expected typed arguments; echoed back by the Broker side they reach the
// Bro peer with the same values. Statuses and both views are checked at every step: dialling,
// connect, handshake, events, the peer killed, a failed retry, the reconnect, graceful stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SerialEvent } from '../../legacy/codec/index.ts';
import {
  NONE, addr, bool, count, encodeData, enumValue, equalsData, integer, makeEvent, networkTimestamp, port, real, renderData, set, str, subnet, table, timespan,
  timestamp, vector, type Data,
} from '../../modern/data/index.ts';
import { legacyEventToBroker } from '../../src/translate/events.ts';
import { parseZeekMessage, type ZeekEvent } from '../../modern/data/index.ts';
import { secondsToNs } from '../../src/translate/time.ts';
import { toHex } from '../../src/core/json.ts';
import { startFramework, type Harness } from '../legacy/framework-helpers.ts';
import { show } from '../legacy/helpers.ts';
import { FX_TYPES, canon, fxContext, legacyEvents } from './translate-helpers.ts';
import { brokerPeer, legacyHandshakeDone, startBridge, until, wsPeer, type Received } from './bridge-helpers.ts';

const FX: SerialEvent[] = legacyEvents('bro-bro-types').filter((e) => e.dir === 'c2s').map((e) => e.event);
const FX_NAMES = FX.map((e) => e.name);

/** What Zeek must see for each FX event: written out by hand from the Broker data model. */
const EXPECTED: Record<string, Data[]> = {
  'FX::fx_bool': [bool(true)],
  'FX::fx_int': [integer(-42)],
  'FX::fx_count': [count(42)],
  'FX::fx_double': [real(3.5)],
  'FX::fx_time': [timestamp(1500000000_500000000n)],
  'FX::fx_interval': [timespan(90_000_000_000n)],
  'FX::fx_string': [str('hello\u0000world')],
  'FX::fx_port': [port(80, 'tcp'), port(53, 'udp'), port(8, 'icmp')],
  'FX::fx_addr': [addr('192.168.1.2'), addr('2001:db8::1')],
  'FX::fx_subnet': [subnet('10.0.0.0', 8), subnet('2001:db8::', 32)],
  'FX::fx_enum': [enumValue('FX::GREEN')],
  'FX::fx_record': [vector([count(7), str('seven')])],
  'FX::fx_outer': [vector([str('outer'), vector([count(7), str('seven')]), set([str('x'), str('y')]), vector([count(1), count(2), count(3)]), timestamp(1500000000_250000000n), NONE])],
  'FX::fx_table': [table([[str('one'), count(1)], [str('two'), count(2)]])],
  'FX::fx_set': [set([count(10), count(20), count(30)])],
  'FX::fx_table2': [table([[vector([addr('10.1.2.3'), port(53, 'udp')]), str('dns')]])],
  'FX::fx_vector': [vector([str('a'), str('b'), str('c')])],
  // pattern -> [exact, anywhere]: checked through the translator's own row below.
  'FX::fx_multi': [vector([count(7), str('seven')]), vector([count(8), NONE]), enumValue('FX::RED'), enumValue('FX::BLUE')],
  'FX::fx_done': [count(19)],
};

const hexArgs = (args: readonly Data[]): string => toHex(encodeData(vector(args)));

function checkBrokerSide(got: Received[], what: string): void {
  assert.equal(got.map((g) => g.event.name), FX_NAMES, `${what}: names in order`);
  got.forEach((g, i) => {
    assert.is(g.topic, 'zeek/legacy/bro/', `${what}: topic`);
    const expected = EXPECTED[g.event.name];
    if (expected !== undefined) assert.ok(equalsData(vector(g.event.args), vector(expected)), `${what} ${g.event.name}: ${g.event.args.map(renderData).join(', ')}`);
    else {
      const viaTranslator = (parseZeekMessage(legacyEventToBroker(FX[i]!, fxContext())) as ZeekEvent).args;
      assert.is(hexArgs(g.event.args), hexArgs(viaTranslator), `${what} ${g.event.name}`);
      const [p] = g.event.args;
      assert.ok(p?.type === 'vector' && equalsData(p.elements[0]!, str('^?(fo+[a-z])$?')), `${what}: pattern exact text`);
    }
    assert.is(networkTimestamp(g.event), secondsToNs(FX[i]!.time, 'time'), `${what}: NetworkTimestamp`);
  });
}

async function broPeer(listenPort = 0): Promise<Harness> {
  // The Bro 2.5 side: requests the FX events back from the bridge (it knows their names).
  return startFramework({ listen_port: listenPort, local_events: FX_NAMES, nodes: { bridge: { host: '127.0.0.1', events: '/FX::fx_.*/' } } });
}

test('a Bro 2.5 peer: every value type to Broker (native and WebSocket) and back; statuses at every step', async () => {
  let bro = await broPeer();
  const broPort = bro.port;
  const t = await startBridge({
    legacy: { nodes: { bro: { host: '127.0.0.1', p: broPort, connect: true, retry: 1, events: '/FX::fx_.*/' } } },
    types: FX_TYPES,
    routing: { subscribe: ['zeek/to-legacy/'] },
  });
  const key = 'legacy:10000';
  assert.equal(t.trail(key)[0], 'connecting', 'dialling: CONNECTING');
  await until(() => t.status(key) === 'peered', 'the Bro peer PEERED');
  assert.equal(t.trail(key), ['connecting', 'connected', 'peered']);
  assert.equal(t.events('legacy'), ['endpoint_discovered', 'peer_added']);
  const zeek = await brokerPeer(t.port.broker, ['zeek/legacy/']);
  const ws = await wsPeer(t.port.websocket, ['zeek/legacy/']);
  await until(() => t.bridge.translator.peers.list().filter((p) => p.status === 3).length === 3, 'three peers PEERED');
  const view = t.bridge.legacyView();
  assert.equal(view.connected_peers.map((e) => e.protocol), ['legacy', 'broker', 'websocket']);
  assert.equal(view.connected_peers[0]!.node, 'bro');

  // Phase 1: Bro -> Broker (native + WebSocket); the native peer echoes each event back as is.
  const echo = (topic: string, value: Data): void => {
    if (topic.startsWith('zeek/legacy/')) zeek.ep.publish('zeek/to-legacy/', value);
  };
  zeek.ep.on('data', echo);
  await legacyHandshakeDone(bro, 'the Bro peer');
  for (const ev of FX) bro.fw.send_event(ev.name, ev.args, { time: ev.time });
  await until(() => zeek.got.length === FX.length && ws.got.length === FX.length, 'every FX event at both Broker peers');
  checkBrokerSide(zeek.got, 'native');
  // JSON renders reals with 6 decimals and timestamps with milliseconds: exact for these values.
  ws.got.forEach((g, i) => assert.is(hexArgs(g.event.args), hexArgs(zeek.got[i]!.event.args), `WebSocket ${g.event.name}`));
  await until(() => bro.of('remote_event').length === FX.length, 'every FX event back at the Bro peer');
  const back = bro.of('remote_event').map(([e]) => e);
  assert.equal(back.map((e) => e.name), FX_NAMES);
  back.forEach((e, i) => {
    assert.equal(e.args.map(canon), FX[i]!.args.map(canon), e.name);
    assert.is(e.time, FX[i]!.time, `${e.name}: time from the NetworkTimestamp`);
  });
  assert.is(show(back.find((e) => e.name === 'FX::fx_addr')!.args[0]!), 'addr:192.168.1.2', 'IPv4 stays IPv4');

  // Phase 2: the WebSocket client answers instead (another second on the clock: not an echo).
  zeek.ep.off('data', echo);
  t.clock.advance(2000);
  bro.clock.advance(2000);
  ws.ws.on('data', (topic, value) => void (topic.startsWith('zeek/legacy/') && ws.ws.publish('zeek/to-legacy/', value)));
  for (const ev of FX) bro.fw.send_event(ev.name, ev.args, { time: ev.time });
  await until(() => bro.of('remote_event').length === 2 * FX.length, 'every FX event back through the WebSocket client');
  bro.of('remote_event').slice(FX.length).forEach(([e], i) => {
    assert.is(e.name, FX_NAMES[i]);
    assert.equal(e.args.map(canon), FX[i]!.args.map(canon), `via WebSocket: ${e.name}`);
  });
  t.bridge.status();
  const rec = t.bridge.translator.peers.get(key)!;
  assert.is(rec.eventsIn, 2 * FX.length);
  assert.is(rec.eventsOut, 2 * FX.length);

  // The Bro peer is killed: peer_lost, RECONNECTING, back in pending_peers.
  await bro.fw.stop();
  await until(() => t.status(key) === 'reconnecting', 'RECONNECTING');
  assert.equal(t.events('legacy').slice(2), ['peer_lost', 'endpoint_unreachable']);
  assert.equal(t.bridge.legacyView().pending_peers.map((e) => `${e.protocol}:${e.node}`), ['legacy:bro']);
  assert.ok(!t.bridge.legacyView().connected_peers.some((e) => e.protocol === 'legacy'));

  // A retry while nothing listens: a Broker error with PEER_UNAVAILABLE, still RECONNECTING.
  t.clock.advance(1000);
  await until(() => t.events('legacy').includes('peer_unavailable'), 'peer_unavailable');
  assert.match(t.bridge.translator.peers.get(key)!.lastError?.code ?? '', 'peer_unavailable');
  assert.is(t.status(key), 'reconnecting');

  // It comes back on its port; the next retry reconnects with the same peer id.
  bro = await broPeer(broPort);
  t.clock.advance(1000);
  await until(() => t.status(key) === 'peered', 'PEERED again');
  assert.equal(t.trail(key), ['connecting', 'connected', 'peered', 'reconnecting', 'connected', 'peered']);
  assert.equal(t.events('legacy').slice(5), ['endpoint_discovered', 'peer_added']);
  await legacyHandshakeDone(bro, 'the restarted Bro peer');
  bro.fw.send_event('FX::fx_count', FX[2]!.args, { time: FX[2]!.time });
  await until(() => bro.of('remote_event').length === 1, 'events flow again');

  // Graceful stop: peer_removed for the Bro peer, BYE for the Broker peer, the WebSocket client dropped.
  await t.bridge.stop();
  assert.equal(t.events('legacy').slice(7), ['peer_removed', 'endpoint_unreachable']);
  assert.equal(t.trail(key).slice(-2), ['disconnected', 'removed']);
  await until(() => bro.of('remote_connection_closed').length === 1, 'the Bro peer sees the close');
  await until(() => zeek.statuses.some((s) => s.name === 'peer_lost'), 'the Broker peer sees the bridge go');
  await ws.ws.close();
  await zeek.ep.shutdown();
  await bro.fw.stop();
});

test('outbound WebSocket to a Zeek 8 `Cluster::listen_websocket`: legacy events out, Zeek events in', async () => {
  const { LocalHub } = await import('../../modern/local-hub.ts');
  const { WebSocketServer } = await import('../../modern/websocket/index.ts');
  const zeekHub = new LocalHub();
  const zeekWs = await WebSocketServer.listen(zeekHub, { listen_addr: '127.0.0.1', listen_port: 0, ping_interval: 0, flavor: 'zeek' });
  const seen: { topic: string; value: Data }[] = [];
  const zeek = zeekHub.attach({ id: 'zeek-script', onData: (topic, value) => seen.push({ topic, value }) }, ['zeek/legacy/']);
  const bro = await broPeer();
  const t = await startBridge({
    legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, events: '/FX::fx_.*/' } } },
    broker: { listen: false },
    websocket: { listen: false, clients: [{ url: `ws://127.0.0.1:${zeekWs.address.port}`, reconnect: false, ping_interval: 0 }] },
    types: FX_TYPES,
    routing: { subscribe: ['zeek/to-legacy/'] },
  });
  await until(() => t.status('websocket-out:0') === 'peered' && t.status('legacy:10000') === 'peered', 'both sides up');
  assert.ok(t.bridge.listening().every((l) => l.kind === 'legacy' || l.kind === 'status'), 'no Broker / WebSocket listener');
  await legacyHandshakeDone(bro, 'the Bro peer');
  const fxTime = FX[7]!;
  bro.fw.send_event(fxTime.name, fxTime.args, { time: fxTime.time });
  await until(() => seen.length === 1, 'the event at the Zeek side');
  const ev = parseZeekMessage(seen[0]!.value) as ZeekEvent;
  assert.is(seen[0]!.topic, 'zeek/legacy/bro/');
  assert.ok(equalsData(vector(ev.args), vector(EXPECTED['FX::fx_port']!)));
  zeek.publish('zeek/to-legacy/', makeEvent('FX::fx_vector', [vector([str('z')])]));
  await until(() => bro.of('remote_event').length === 1, 'the Zeek event at the Bro peer');
  assert.is(show(bro.of('remote_event')[0]![0].args[0]!), 'vector("z")');
  assert.equal(t.bridge.legacyView().connected_peers.map((e) => e.protocol), ['legacy', 'websocket']);
  await t.bridge.stop();
  assert.ok(t.events('websocket').includes('peer_removed'));
  await bro.fw.stop();
  zeek.close();
  await zeekWs.close();
});

test.run();
