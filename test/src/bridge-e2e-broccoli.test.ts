// End to end on loopback with a real Broccoli client: the client half of the broping captures is
// replayed byte for byte against the bridge's legacy listener; its pings reach a Broker peer (a
// native endpoint, or a WebSocket client) as Zeek events on zeek/legacy/<node>/ with typed
// arguments and the event time as NetworkTimestamp; the Broker peer's pongs come back to the
// Broccoli client as legacy events with exactly the arguments it expects. Both peer views and the
// status events are checked at every step: connect, handshake, events, peer killed, a new
// connection after it, graceful stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import type { BroVal } from '../../legacy/codec/model.ts';
import { count, makeEvent, networkTimestamp, timestamp, vector, type Data } from '../../modern/data/index.ts';
import { nsToSeconds, secondsToNs } from '../../src/translate/time.ts';
import { describe, show } from '../legacy/helpers.ts';
import { replayClient } from '../legacy/replay-client.ts';
import { brokerPeer, PEERED, startBridge, until, wsPeer, type Received } from './bridge-helpers.ts';

const bridgeEvents = (replies: LegacyMessage[]): string[] => replies.filter((m) => m.type === 'SERIAL' && m.body.kind === 'event').map(describe);
const sentEvents = (sent: { msg: LegacyMessage }[]) =>
  sent.flatMap((s) => (s.msg.type === 'SERIAL' && s.msg.body.kind === 'event' ? [s.msg.body] : []));

/** The dst_time the Broker side stamps on pong seq n (a fixed value: the test checks it arrives exactly). */
const DST_NS = (n: number): bigint => 1795318347_921847000n + BigInt(n) * 1_000_000_000n;

test('broping: pings -> native Broker peer -> pongs back; statuses and both views at every step', async () => {
  const t = await startBridge({ legacy: { nodes: { broping: { host: '127.0.0.1', events: '/ping/' } } }, routing: { subscribe: ['zeek/to-legacy/'] } });
  const zeek = await brokerPeer(t.port.broker, ['zeek/legacy/']);
  // The Broker peer plays broping.bro: pong(src_time, dst_time, seq) for every ping.
  zeek.ep.on('data', (_topic, value) => {
    const ev = zeek.got.at(-1)?.value === value ? zeek.got.at(-1)!.event : undefined;
    if (ev?.name !== 'ping') return;
    const [src, seq] = ev.args as [Data, Data];
    const n = seq.type === 'count' ? Number(seq.value) : 0;
    zeek.ep.publish('zeek/to-legacy/', makeEvent('pong', [src, timestamp(DST_NS(n)), seq], { networkTimestamp: DST_NS(n) + 5n }));
  });
  await until(() => t.status(`broker:${zeek.ep.nodeId}`) === PEERED, 'the Broker peer in the registry');
  assert.equal(t.events('broker'), ['endpoint_discovered', 'peer_added']);

  const r = await replayClient({ port: t.port.legacy }, { capture: 'broping' });
  await r.done;
  await r.waitFor((x) => bridgeEvents(x).length === 3, 'three pongs');

  // Broker side: topic, name, typed arguments, NetworkTimestamp = the event's time.
  const pings = sentEvents(r.sent);
  assert.is(pings.length, 3);
  assert.is(zeek.got.length, 3);
  zeek.got.forEach((g: Received, i) => {
    const ping = pings[i]!;
    assert.is(g.topic, 'zeek/legacy/broping/');
    assert.is(g.event.name, 'ping');
    const srcTime = ping.args[0] as BroVal & { value: number };
    assert.equal(g.event.args, [timestamp(secondsToNs(srcTime.value, 'src')), count(i)]);
    assert.is(networkTimestamp(g.event), secondsToNs(ping.time, 'time'));
  });
  // Legacy side: pong(src_time exactly as sent, dst_time from Broker, seq), event time from the metadata.
  const pongs = r.replies.flatMap((m) => (m.type === 'SERIAL' && m.body.kind === 'event' ? [m.body] : []));
  pongs.forEach((p, i) => {
    assert.is(p.name, 'pong');
    assert.is(show(p.args[0]!), show(pings[i]!.args[0]!));
    assert.is(show(p.args[1]!), `time:${nsToSeconds(DST_NS(i))}`);
    assert.is(show(p.args[2]!), `count:${i}`);
    assert.is(p.time, nsToSeconds(DST_NS(i) + 5n));
  });

  // Both views: the Broccoli peer PEERED in the registry and in connected_peers, the Broker peer too.
  const legacyKey = t.bridge.translator.peers.list().find((p) => p.protocol === 'legacy')!.key;
  assert.is(t.status(legacyKey), PEERED);
  assert.equal(t.trail(legacyKey), ['connected', 'peered'], 'VERSION accepted: CONNECTED; handshake done: PEERED');
  t.bridge.status();
  assert.is(t.bridge.translator.peers.get(legacyKey)!.eventsIn, 3);
  assert.is(t.bridge.translator.peers.get(legacyKey)!.eventsOut, 3);
  const view = t.bridge.legacyView();
  assert.equal(view.connected_peers.map((e) => `${e.protocol}:${e.protocol === 'legacy' ? e.node : e.descr}`), ['legacy:broping', `broker:broker:${zeek.ep.nodeId}`]);
  assert.equal(view.pending_peers, []);
  assert.equal(t.events('legacy'), ['endpoint_discovered', 'peer_added']);

  // The Broccoli process dies: peer_lost, gone from both views; the Broker peer is untouched.
  r.destroy();
  await until(() => t.events('legacy').includes('peer_lost'), 'peer_lost');
  assert.equal(t.events('legacy'), ['endpoint_discovered', 'peer_added', 'peer_lost', 'endpoint_unreachable']);
  assert.is(t.status(legacyKey), undefined);
  assert.equal(t.trail(legacyKey), ['connected', 'peered', 'disconnected', 'removed'], 'an inbound peer is not retried by us');
  assert.equal(t.bridge.legacyView().connected_peers.map((e) => e.protocol), ['broker']);

  // It comes back (a new connection, a new peer id): peer_added again and events flow again.
  const r2 = await replayClient({ port: t.port.legacy }, { capture: 'broping' });
  await r2.done;
  await r2.waitFor((x) => bridgeEvents(x).length === 3, 'three pongs on the new connection');
  assert.is(zeek.got.length, 6);
  assert.equal(t.events('legacy').slice(4), ['endpoint_discovered', 'peer_added']);

  // Graceful stop: the bridge closes the Broccoli connection (peer_removed), says BYE to Broker.
  await t.bridge.stop();
  assert.equal(t.events('legacy').slice(6), ['peer_removed', 'endpoint_unreachable']);
  await until(() => zeek.statuses.some((s) => s.name === 'peer_lost'), 'the Broker peer sees the bridge go');
  await until(() => r2.closed(), 'the Broccoli connection closed');
  assert.match(t.log('broker'), /Broker::STATUS\tpeer-removed\t127\.0\.0\.1\t\d+\tremoved connection to remote peer\tlegacy\tbroping/);
  assert.match(t.log('broker'), /Broker::STATUS\tpeer-lost\t127\.0\.0\.1\t\d+\tlost connection to remote peer\tlegacy\tbroping/);
  assert.match(t.log('communication'), /#close/);
  await zeek.ep.shutdown();
});

/** Broker's JSON v1 renders timestamps with milliseconds only (spec broker-wire, JSON table): what a WebSocket peer can see. */
const jsonMs = (ns: bigint): bigint => (ns / 1_000_000n) * 1_000_000n;

test('broping-record over the WebSocket API: record arguments both ways (timestamps at JSON millisecond precision)', async () => {
  const t = await startBridge({
    legacy: { nodes: { broping: { host: '127.0.0.1', events: '/^ping$/' } } },
    types: {
      records: { ping_data: ['seq: count', 'src_time: time'], pong_data: ['seq: count', 'src_time: time', 'dst_time: time'] },
      events: { ping: ['data: ping_data'], pong: ['data: pong_data'] },
    },
    routing: { subscribe: ['zeek/to-legacy/'] },
  });
  const client = await wsPeer(t.port.websocket, ['zeek/legacy/']);
  await until(() => t.events('websocket').includes('peer_added'), 'the WebSocket client in the registry');
  client.ws.on('data', (_topic, value) => {
    const g = client.got.at(-1);
    if (g?.value !== value || g.event.name !== 'ping') return;
    const rec = g.event.args[0]!;
    if (rec.type !== 'vector') return;
    const [seq, src] = rec.elements as [Data, Data];
    client.ws.publish('zeek/to-legacy/', makeEvent('pong', [vector([seq, src, timestamp(DST_NS(0))])]));
  });
  const r = await replayClient({ port: t.port.legacy }, { capture: 'broping-record' });
  await r.done;
  await r.waitFor((x) => bridgeEvents(x).length === 3, 'three pongs');
  const pings = sentEvents(r.sent);
  assert.is(pings.length, 3, 'the capture has three pings');
  assert.is(client.got.length, 3, 'each ping reached the WebSocket client exactly once');
  client.got.forEach((g, i) => {
    assert.is(g.topic, 'zeek/legacy/broping/');
    const rec = pings[i]!.args[0]!;
    assert.ok(rec.kind === 'record');
    if (rec.kind !== 'record') return;
    const src = rec.fields[1] as BroVal & { value: number };
    assert.equal(g.event.args, [vector([count(i), timestamp(jsonMs(BigInt(secondsToNs(src.value, 'src'))))])]);
  });
  const pongs = bridgeEvents(r.replies);
  assert.is(pongs.length, 3);
  pongs.forEach((line, i) => {
    const rec = pings[i]!.args[0]!;
    assert.ok(rec.kind === 'record');
    if (rec.kind !== 'record') return;
    const src = rec.fields[1] as BroVal & { value: number };
    const srcBack = nsToSeconds(jsonMs(BigInt(secondsToNs(src.value, 'src'))));
    assert.is(line, `event pong([seq=count:${i}, src_time=time:${srcBack}, dst_time=time:${nsToSeconds(jsonMs(DST_NS(0)))}])`);
  });
  const ws = t.bridge.translator.peers.list().find((p) => p.protocol === 'websocket')!;
  assert.is(ws.name, 'test-ws');
  assert.is(t.status(ws.key), PEERED);
  assert.ok(t.bridge.legacyView().connected_peers.some((e) => e.protocol === 'websocket'));
  await client.ws.close();
  await until(() => t.events('websocket').includes('peer_lost'), 'the WebSocket client gone');
  assert.is(client.got.length, 3, 'and no ping came twice later');
  r.destroy();
  await t.bridge.stop();
});

test.run();
