// The client half of each real Broccoli capture, replayed byte for byte against the bridge's live
// listener on loopback: the bridge must answer as the spec requires at each step (VERSION and
// peer_description at once; CAPS, REQUEST_EVENTS from the node's pattern and PHASE_DONE after the
// client's VERSION), reach RUNNING, and exchange the capture's events in both directions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addrVal, countVal, recordType, recordVal, subnetVal, stringVal, timeVal, vectorType, vectorVal, BASE } from '../../legacy/codec/builders.ts';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import type { BroVal } from '../../legacy/codec/model.ts';
import { CapsFlag } from '../../legacy/codec/constants.ts';
import { describe, show } from './helpers.ts';
import { startFramework, until, type Harness } from './framework-helpers.ts';
import { replayClient } from './replay-client.ts';

const BRIDGE_CAPS = CapsFlag.COMPRESSION | CapsFlag.NO_CACHING | CapsFlag.BROCCOLI_PEER;

const eventLine = (name: string, args: BroVal[]): string => `event ${name}(${args.map(show).join(', ')})`;

/** The bridge's replies up to its first event, as description lines. */
function opening(replies: LegacyMessage[]): string[] {
  const out: string[] = [];
  for (const m of replies) {
    if (m.type === 'SERIAL' && m.body.kind === 'event') break;
    out.push(describe(m));
  }
  return out;
}

function clientEvents(sent: { msg: LegacyMessage }[]): string[] {
  return sent.filter((s) => s.msg.type === 'SERIAL' && s.msg.body.kind === 'event').map((s) => describe(s.msg));
}

const received = (h: Harness): string[] => h.of('remote_event').map(([e]) => eventLine(e.name, e.args));

function bridgeEvents(replies: LegacyMessage[]): string[] {
  return replies.filter((m) => m.type === 'SERIAL' && m.body.kind === 'event').map(describe);
}

async function settle(h: Harness): Promise<void> {
  await h.fw.stop();
}

test('broping: VERSION + peer_description, then CAPS / REQUEST_EVENTS ping / PHASE_DONE; pings in, pongs out', async () => {
  const h = await startFramework({ nodes: { broping: { host: '127.0.0.1', events: '/ping/' } } });
  h.fw.on('remote_event', (e) => {
    if (e.name !== 'ping') return;
    const [srcTime, seq] = e.args as [BroVal, BroVal];
    h.fw.send_event('pong', [srcTime, timeVal(1795318347.921847), seq]);
  });
  const r = await replayClient({ port: h.port }, { capture: 'broping' });
  await r.done;
  await r.waitFor((x) => bridgeEvents(x).length === 3, 'three pongs');
  assert.equal(opening(r.replies), [
    "VERSION 7 3000 26 0 ''",
    'ID peer_description = "comm-bridge"',
    `CAPS 0x${BRIDGE_CAPS.toString(16)}`,
    'REQUEST_EVENTS ping',
    'PHASE_DONE',
  ]);
  // The opening bytes: VERSION header (zero padding, peer id 0) and its 17-byte argument.
  assert.equal(Buffer.from(r.raw().subarray(0, 33)).toString('hex'), '0000000801000000000000000000001100000007' + '00000bb80000001a0000000000');
  const pings = clientEvents(r.sent);
  assert.is(pings.length, 3);
  assert.equal(received(h), pings);
  const pongs = bridgeEvents(r.replies);
  for (let i = 0; i < 3; i++) {
    const ping = r.sent.filter((s) => s.msg.type === 'SERIAL')[i]!.msg;
    assert.ok(ping.type === 'SERIAL' && ping.body.kind === 'event');
    if (ping.type !== 'SERIAL' || ping.body.kind !== 'event') continue;
    assert.is(pongs[i], `event pong(${show(ping.body.args[0]!)}, time:1795318347.921847, ${show(ping.body.args[1]!)})`);
  }
  const [p] = h.of('remote_connection_handshake_done')[0]!;
  assert.is(p.descr, '', 'Broccoli sends no peer_description');
  assert.is(p.class, undefined);
  assert.equal(h.of('remote_event_registered').map(([, n]) => n), ['pong']);
  assert.equal([...h.fw.connected_peers.values()].map((n) => n.name), ['broping']);
  assert.is(h.fw.peers()[0]!.phase, 'running');
  r.destroy();
  await settle(h);
});

test('broping-record: record arguments both ways (anonymous Broccoli record type in, named pong_data out)', async () => {
  const h = await startFramework({ nodes: { broping: { host: '127.0.0.1', events: '/^(ping)$/' } } });
  const pongData = recordType('pong_data', [
    { name: 'seq', type: BASE.count },
    { name: 'src_time', type: BASE.time },
    { name: 'dst_time', type: BASE.time },
  ]);
  h.fw.on('remote_event', (e) => {
    const rec = e.args[0]!;
    if (rec.kind !== 'record') return;
    h.fw.send_event('pong', [recordVal(pongData, [rec.fields[0]!, rec.fields[1]!, timeVal(1795318373.857588)])]);
  });
  const r = await replayClient({ port: h.port }, { capture: 'broping-record' });
  await r.done;
  await r.waitFor((x) => bridgeEvents(x).length === 3, 'three pongs');
  assert.equal(received(h), clientEvents(r.sent));
  assert.is(bridgeEvents(r.replies)[2], 'event pong([seq=count:2, src_time=time:1795318375.815028, dst_time=time:1795318373.857588])');
  r.destroy();
  await settle(h);
});

test('brohose: two processes on one connection, six events in one burst', async () => {
  const h = await startFramework({ nodes: { brohose: { host: '127.0.0.1', events: '/brohose/' } } });
  const r = await replayClient({ port: h.port }, { capture: 'brohose' });
  await r.done;
  await until(() => h.of('remote_event').length === 6, 'six brohose events');
  assert.equal(received(h), clientEvents(r.sent));
  assert.equal(received(h)[3], 'event brohose("8156-0-0")');
  assert.ok(opening(r.replies).includes('REQUEST_EVENTS brohose'));
  assert.is(h.of('remote_event_registered').length, 0, 'brohose requests nothing');
  r.destroy();
  await settle(h);
});

test('broenum: an enum whose type came by name', async () => {
  const h = await startFramework({ nodes: { broenum: { host: '127.0.0.1', events: '/enumtest/' } } });
  const r = await replayClient({ port: h.port }, { capture: 'broenum' });
  await r.done;
  await until(() => h.of('remote_event').length === 1, 'enumtest');
  const [e] = h.of('remote_event')[0]!;
  assert.is(e.name, 'enumtest');
  assert.is(e.args[0]!.kind, 'enum');
  assert.equal(received(h), clientEvents(r.sent));
  r.destroy();
  await settle(h);
});

test('broccoli-vectors: bridge sends bro_vector twice at handshake_done; ten vector elements come back', async () => {
  const h = await startFramework({ nodes: { v: { host: '127.0.0.1', events: '/broccoli_vector_element|broccoli_vector|broccoli_string/' } } });
  const strings = vectorType(BASE.string);
  h.fw.on('remote_connection_handshake_done', () => {
    h.fw.send_event('bro_vector', [vectorVal(strings, ['a', 'b', 'c', 'd', 'e'].map((s) => stringVal(s)))]);
    h.fw.send_event('bro_vector', [vectorVal(strings, ['one', 'two', 'three'].map((s) => stringVal(s)))]);
  });
  const r = await replayClient({ port: h.port }, { capture: 'broccoli-vectors' });
  await r.done;
  await until(() => h.of('remote_event').length === 10, 'ten elements');
  assert.ok(opening(r.replies).includes('REQUEST_EVENTS broccoli_vector_element,broccoli_vector,broccoli_string'));
  assert.equal(bridgeEvents(r.replies), ['event bro_vector(vector("a", "b", "c", "d", "e"))', 'event bro_vector(vector("one", "two", "three"))']);
  assert.equal(received(h), clientEvents(r.sent));
  r.destroy();
  await settle(h);
});

test('broccoli-v6addrs-v4: IPv4 and IPv6 addresses and subnets both ways', async () => {
  const h = await startFramework({ nodes: { v6: { host: '127.0.0.1', events: '/^(broccoli_addr|broccoli_subnet)$/' } } });
  h.fw.on('remote_connection_handshake_done', () => {
    h.fw.send_event('bro_addr', [addrVal('1.2.3.4')]);
    h.fw.send_event('bro_subnet', [subnetVal('10.0.0.0/16')]);
    h.fw.send_event('bro_addr', [addrVal('2607:f8b0:4009:802::1014')]);
    h.fw.send_event('bro_subnet', [subnetVal('2607:f8b0::/32')]);
  });
  const r = await replayClient({ port: h.port }, { capture: 'broccoli-v6addrs-v4' });
  await r.done;
  await until(() => h.of('remote_event').length === 4, 'four events');
  assert.equal(received(h), clientEvents(r.sent));
  assert.equal(received(h)[2], 'event broccoli_addr(addr:2607:f8b0:4009:802::1014)');
  assert.is(bridgeEvents(r.replies).length, 4);
  assert.equal(h.of('remote_event_registered').map(([, n]) => n), ['bro_addr', 'bro_subnet']);
  r.destroy();
  await settle(h);
});

test('broping-tls (decrypted): the Broccoli session inside TLS, certificate and key in separate files', async () => {
  const { fileURLToPath } = await import('node:url');
  const { TLS_DIR } = await import('./framework-helpers.ts');
  const h = await startFramework({
    listen_ssl: true,
    ssl_private_key: fileURLToPath(new URL('listener.key', TLS_DIR)),
    ssl_certificate: fileURLToPath(new URL('listener.pem', TLS_DIR)),
    ssl_ca_certificate: fileURLToPath(new URL('ca.pem', TLS_DIR)),
    nodes: { broping: { host: '127.0.0.1', events: '/ping/' } },
  });
  h.fw.on('remote_event', (e) => void h.fw.send_event('pong', [e.args[0]!, timeVal(1795319862.082787), e.args[1]!]));
  const r = await replayClient({ port: h.port, tls: true }, { capture: 'tls/broping-tls.decrypted' });
  await r.done;
  await r.waitFor((x) => bridgeEvents(x).length === 3, 'three pongs');
  assert.equal(opening(r.replies).slice(2), [`CAPS 0x${BRIDGE_CAPS.toString(16)}`, 'REQUEST_EVENTS ping', 'PHASE_DONE']);
  assert.equal(received(h), clientEvents(r.sent));
  r.destroy();
  await settle(h);
});

test('a send_event before RUNNING is not queued, and events nobody requested are not sent', async () => {
  const h = await startFramework({ nodes: { broping: { host: '127.0.0.1', events: '/ping/' } } });
  let early = -1;
  h.fw.on('remote_connection_established', () => (early = h.fw.send_event('pong', [countVal(1)])));
  // Nothing answers the pings here, so the client waits only for the handshake.
  const r = await replayClient({ port: h.port }, { capture: 'broping', syncOn: (m) => m.type === 'VERSION' || m.type === 'PHASE_DONE' });
  await r.done;
  await until(() => h.of('remote_event').length === 3, 'pings');
  assert.is(early, 0);
  assert.is(h.fw.send_event('not_requested', [countVal(1)]), 0);
  assert.is(h.fw.send_event('pong', [countVal(1)]), 1);
  await r.waitFor((x) => bridgeEvents(x).length === 1, 'the one pong');
  assert.equal(bridgeEvents(r.replies), ['event pong(count:1)']);
  r.destroy();
  await settle(h);
});

test.run();
