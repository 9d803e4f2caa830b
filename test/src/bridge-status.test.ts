// The status listener of a running bridge: /status (every peer of both worlds with status and
// counters, the legacy connected/pending view with the Broker peers in it, bound listeners, drops)
// and /metrics (peers by status, events and bytes per peer, drops by reason, queue depths); a
// Broker event that cannot be translated is dropped with a counted, logged reason; logs as JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal, timeVal } from '../../legacy/codec/builders.ts';
import { count, makeEvent, str } from '../../modern/data/index.ts';
import { createServer, type AddressInfo } from 'node:net';
import type { ListenerInfo, StatusDocument } from '../../src/bridge/index.ts';
import { listenerLines } from '../../src/cli/run.ts';
import { formatStatus } from '../../src/cli/status.ts';
import type { DropRecord } from '../../src/translate/drops.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { WebSocketServer } from '../../modern/websocket/index.ts';
import { startFramework } from '../legacy/framework-helpers.ts';
import { brokerPeer, legacyHandshakeDone, startBridge, until, wsPeer } from './bridge-helpers.ts';

test('/status and /metrics of a bridge with a Bro peer and a Broker peer; drops counted; JSON logs', async () => {
  const bro = await startFramework({ local_events: ['ping'], nodes: { bridge: { host: '127.0.0.1', events: '/^ping$/' } } });
  const t = await startBridge({
    log_format: 'json',
    legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, events: '/^pong$/' } } },
    types: { events: { ping: ['t: time', 'n: count'] } },
    routing: { subscribe: ['zeek/to-legacy/'] },
  });
  const drops: DropRecord[] = [];
  t.bridge.on('drop', (d) => drops.push(d));
  const zeek = await brokerPeer(t.port.broker, ['zeek/legacy/']);
  await until(() => t.status('legacy:10000') === 'peered' && t.status(`broker:${zeek.ep.nodeId}`) === 'peered', 'both peers');
  await until(() => t.bridge.legacy.get(10000)?.requested.has('ping') === true, 'ping requested by the Bro peer');
  await legacyHandshakeDone(bro, 'the Bro peer');

  // Traffic both ways, and a Broker event whose argument does not fit the declared signature.
  bro.fw.send_event('pong', [timeVal(1), timeVal(2), countVal(1)]);
  await until(() => zeek.got.length === 1, 'pong at Broker');
  zeek.ep.publish('zeek/to-legacy/', makeEvent('ping', [str('not a time'), count(1)]));
  zeek.ep.publish('zeek/to-legacy/', makeEvent('ping', [{ type: 'timestamp', value: 1_000_000_000n }, count(2)]));
  await until(() => bro.of('remote_event').length === 1, 'the good ping at the Bro peer');
  assert.equal(drops.map((d) => [d.direction, d.what, d.code]), [['broker_to_legacy', 'ping', 'type_mismatch']]);

  const base = `http://127.0.0.1:${t.port.status}`;
  const doc = (await (await fetch(`${base}/status`)).json()) as StatusDocument;
  assert.is(doc.node, 'test-bridge');
  assert.equal(doc.listeners.map((l) => [l.kind, l.port > 0]), [['legacy', true], ['broker', true], ['websocket', true], ['status', true]]);
  assert.equal(doc.listeners.find((l) => l.kind === 'status')!.port, t.port.status);
  const bySomething = Object.fromEntries(doc.peers.map((p) => [p.protocol, p]));
  assert.equal([bySomething['legacy']!.name, bySomething['legacy']!.status_name, bySomething['legacy']!.eventsIn, bySomething['legacy']!.eventsOut], ['bro', 'peered', 1, 1]);
  assert.ok(bySomething['legacy']!.bytesIn > 0 && bySomething['legacy']!.bytesOut > 0);
  assert.equal([bySomething['broker']!.name, bySomething['broker']!.status_name], [zeek.ep.nodeId, 'peered']);
  assert.ok(bySomething['broker']!.eventsIn >= 2 && bySomething['broker']!.eventsOut >= 1, JSON.stringify(bySomething['broker']));
  assert.equal(doc.legacy.connected_peers.map((e) => e.protocol), ['legacy', 'broker']);
  assert.is(doc.legacy.connected_peers[1]!.descr, `broker:${zeek.ep.nodeId}`);
  assert.ok(doc.legacy.connected_peers[1]!.id >= 1_000_000, 'modern peers get peer ids above the legacy ones');
  assert.equal(doc.drops.by_reason, [{ direction: 'broker_to_legacy', reason: 'type_mismatch', count: 1 }]);
  assert.ok(doc.reports.some((r) => r.protocol === 'legacy' && r.event === 'peer_added'));
  const text = formatStatus(doc);
  assert.match(text, new RegExp(`^bro\\s+legacy\\s+127\\.0\\.0\\.1:${bro.port}\\s+peered\\s+1/1\\s+-$`, 'm'));
  assert.match(text, 'translation drops: 1 (broker_to_legacy type_mismatch 1)');

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, '# TYPE comm_bridge_peers gauge');
  assert.match(metrics, 'comm_bridge_peers{protocol="legacy",status="peered"} 1');
  assert.match(metrics, 'comm_bridge_peer_events_total{peer="bro",protocol="legacy",direction="in"} 1');
  assert.match(metrics, /comm_bridge_peer_bytes_total\{peer="bro",protocol="legacy",direction="out"\} [1-9]\d*/);
  assert.match(metrics, 'comm_bridge_translation_drops_total{direction="broker_to_legacy",reason="type_mismatch"} 1');
  assert.match(metrics, /comm_bridge_peer_queue_depth\{peer="[0-9a-f-]+",protocol="broker"\} 0/);
  assert.match(metrics, 'comm_bridge_legacy_queued_bytes{peer="bro"} 0');
  assert.is((await fetch(`${base}/nope`)).status, 404);
  assert.is((await fetch(`${base}/status`, { method: 'POST' })).status, 405);

  await t.bridge.stop();
  // log_format json: every log as JSON lines (LogAscii::use_json).
  const brokerLines = t.log('broker').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(brokerLines.some((l) => l['ev'] === 'peer-added' && l['peer.protocol'] === 'legacy' && l['peer.name'] === 'bro' && l['ty'] === 'Broker::STATUS'));
  assert.ok(brokerLines.some((l) => l['ev'] === 'peer-removed' && l['peer.name'] === 'bro'));
  assert.ok(t.log('communication').trim().split('\n').every((l) => typeof JSON.parse(l) === 'object'));
  // The drop's reason is logged in reporter.log.
  const reporter = t.log('reporter').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(reporter.map((l) => [l['level'], l['location']]), [['Reporter::WARNING', 'test-bridge']]);
  assert.match(String(reporter[0]!['message']), /^dropped broker to legacy ping from [0-9a-f-]+: type_mismatch: /);
  await bro.fw.stop();
  await zeek.ep.shutdown();
});

test('WebSocket peers, inbound and outbound: payload bytes in/out equal to what the other side counted, and the outbound queue depth', async () => {
  // A Zeek 8 `Cluster::listen_websocket` that the bridge dials, and a WebSocket client of the bridge's own server.
  const zeekHub = new LocalHub();
  const zeekWs = await WebSocketServer.listen(zeekHub, { listen_addr: '127.0.0.1', listen_port: 0, ping_interval: 0, flavor: 'zeek' });
  const atZeek: string[] = [];
  const zeek = zeekHub.attach({ id: 'zeek-script', onData: (topic) => atZeek.push(topic) }, ['zeek/legacy/']);
  const t = await startBridge({
    websocket: { clients: [{ url: `ws://127.0.0.1:${zeekWs.address.port}`, reconnect: false, ping_interval: 0 }] },
    routing: { subscribe: ['zeek/to-legacy/'] },
  });
  const client = await wsPeer(t.port.websocket, ['zeek/legacy/']);
  const inKey = `websocket:${[...t.bridge.broker.server!.clientStats().keys()][0]}`;
  await until(() => t.status('websocket-out:0') === 'peered' && t.status(inKey) === 'peered', 'both WebSocket peers');

  // Traffic every way: the bridge publishes to both; the client and Zeek publish to the bridge.
  for (let i = 0; i < 3; i++) t.bridge.broker.publish('zeek/legacy/x/', makeEvent('e', [count(i), str('x'.repeat(100 * i))]));
  // The outbound connection keeps no queue of its own: these messages wait in its socket until the
  // end of the tick, and the queue depth says so (the metrics are read in the same tick).
  assert.match(t.bridge.metrics(), 'comm_bridge_peer_queue_depth{peer="ws://127.0.0.1:' + zeekWs.address.port + '/v1/messages/json",protocol="websocket"} 3');
  client.ws.publish('zeek/to-legacy/', makeEvent('from_client', [str('ü')]));
  zeek.publish('zeek/to-legacy/', makeEvent('from_zeek', [count(7)]));
  await until(() => client.got.length === 3 && atZeek.length === 3, 'the bridge\'s events at both');

  const zeekSide = (): { bytesIn: number; bytesOut: number } => [...zeekWs.clientStats().values()][0]!;
  const peer = (key: string) => t.bridge.status().peers.find((p) => p.key === key)!;
  // Equal once the last messages have arrived; both ends count payload bytes independently.
  await until(() => {
    const i = peer(inKey);
    const o = peer('websocket-out:0');
    return i.bytesIn === client.ws.stats.bytesOut && i.bytesOut === client.ws.stats.bytesIn && o.bytesOut === zeekSide().bytesIn && o.bytesIn === zeekSide().bytesOut;
  }, 'bytes as counted by the other side');
  const i = peer(inKey);
  const o = peer('websocket-out:0');
  // Inbound: subscriptions + one publication in; ack + three events out. Outbound: subscriptions + three events out; ack + one event in.
  assert.ok(i.bytesIn > Buffer.byteLength('["zeek/legacy/"]') && i.bytesOut > 300, JSON.stringify(i));
  assert.ok(o.bytesOut > 300 && o.bytesIn > Buffer.byteLength('{"type":"ack"}'), JSON.stringify(o));
  assert.equal([i.eventsIn, i.eventsOut, o.eventsIn, o.eventsOut], [1, 3, 1, 3]);
  await until(() => peer('websocket-out:0').queueDepth === 0, 'the outbound queue flushed');
  assert.is(peer(inKey).queueDepth, 0);

  const metrics = t.bridge.metrics();
  assert.match(metrics, `comm_bridge_peer_bytes_total{peer="${o.name}",protocol="websocket",direction="out"} ${o.bytesOut}`);
  assert.match(metrics, `comm_bridge_peer_bytes_total{peer="${o.name}",protocol="websocket",direction="in"} ${o.bytesIn}`);
  assert.match(metrics, `comm_bridge_peer_bytes_total{peer="${i.name}",protocol="websocket",direction="in"} ${i.bytesIn}`);
  assert.match(metrics, `comm_bridge_peer_bytes_total{peer="${i.name}",protocol="websocket",direction="out"} ${i.bytesOut}`);
  assert.match(metrics, `comm_bridge_peer_queue_depth{peer="${o.name}",protocol="websocket"} 0`);

  await client.ws.close();
  await t.bridge.stop();
  zeek.close();
  await zeekWs.close();
});

test('a legacy port in use with listen_retry: the bridge starts, reports the port as waiting, binds on a later retry', async () => {
  const busy = createServer();
  const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as AddressInfo).port)));
  const t = await startBridge({ legacy: { listen_interface: '127.0.0.1', listen_port: port, listen_retry: 30 } });
  const legacy = (): ListenerInfo => t.bridge.listening().find((l) => l.kind === 'legacy')!;
  assert.equal({ ...legacy() }, { kind: 'legacy', address: '127.0.0.1', port: 0, waitingFor: port, security: 'no TLS' });
  assert.match(listenerLines(t.bridge.listening(), t.bridge.config)[0]!, new RegExp(`^legacy\\s+127\\.0\\.0\\.1:${port}\\s+\\(Communication, protocol 7, no TLS\\) — port in use, retrying every 30 s$`));
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  t.clock.advance(30_000);
  await until(() => legacy().port === port, 'bound on the retry');
  assert.is(legacy().waitingFor, undefined);
  assert.match(t.log('communication'), /can't listen on 127\.0\.0\.1:\d+: address already in use \(attempt 1\), retrying in 30 s/);
  await t.bridge.stop();
});

test.run();
