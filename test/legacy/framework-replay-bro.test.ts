// The client half of each real Bro 2.5 capture (a Bro connecting to another Bro), replayed byte
// for byte against the bridge's live listener. These clients believe their peer announced
// PID_64BIT and caching (the capture's server was a Bro), so once RUNNING they send 64-bit cache
// ids and back-references: the bridge must read them while itself writing 32-bit, uncached.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal, stringVal } from '../../legacy/codec/builders.ts';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import type { BroVal } from '../../legacy/codec/model.ts';
import { describe, show } from './helpers.ts';
import { startFramework, until, type Harness } from './framework-helpers.ts';
import { replayClient, type ReplaySession } from './replay-client.ts';

const FX = ['bool', 'int', 'count', 'double', 'time', 'interval', 'string', 'port', 'addr', 'subnet', 'enum', 'record', 'outer', 'table', 'set', 'table2', 'vector', 'pattern', 'multi', 'done'].map(
  (n) => `FX::fx_${n}`,
);

const eventLine = (name: string, args: BroVal[]): string => `event ${name}(${args.map(show).join(', ')})`;
const received = (h: Harness): string[] => h.of('remote_event').map(([e]) => eventLine(e.name, e.args));
const clientEvents = (r: ReplaySession): string[] => r.sent.filter((s) => s.msg.type === 'SERIAL' && s.msg.body.kind === 'event').map((s) => describe(s.msg));
const bridgeEvents = (replies: LegacyMessage[]): string[] => replies.filter((m) => m.type === 'SERIAL' && m.body.kind === 'event').map(describe);
const types = (replies: LegacyMessage[]): string[] => replies.map((m) => (m.type === 'SERIAL' ? `SERIAL ${m.body.kind}` : m.type));

/** A bridge that plays fx-receiver: requests FX::fx_* and answers each with FX::fxr_ack. */
async function fxReceiver(node: Record<string, unknown> = {}): Promise<Harness> {
  const h = await startFramework({ local_events: [...FX, 'FX::fxr_ack'], nodes: { sender: { host: '127.0.0.1', events: '/FX::fx_.*/', ...node } } });
  let n = 0;
  h.fw.on('remote_event', (e) => {
    if (e.name.startsWith('FX::fx_')) h.fw.send_event('FX::fxr_ack', [stringVal(`${e.name} ${e.args.length}`), countVal(++n)]);
  });
  return h;
}

async function fxSession(h: Harness, capture: string, conn = 0, tls = false): Promise<ReplaySession> {
  const r = await replayClient({ port: h.port, tls }, { capture, conn });
  await r.done;
  await until(() => h.of('remote_event').length >= 20 * (conn + 1), `the 20 fx events of ${capture}`);
  await r.waitFor((x) => bridgeEvents(x).length === 20 && x.some((m) => m.type === 'PONG'), '20 acks and the PONG');
  return r;
}

function checkFxSession(h: Harness, r: ReplaySession, conn = 0): void {
  // Opening: ours at once; CAPS, our REQUEST_EVENTS (expanded against local_events), PHASE_DONE.
  assert.equal(types(r.replies).slice(0, 5), ['VERSION', 'SERIAL id', 'CAPS', 'REQUEST_EVENTS', 'PHASE_DONE']);
  const req = r.replies[3]!;
  assert.ok(req.type === 'REQUEST_EVENTS' && req.events.length === 20 && req.events.every((e) => FX.includes(e)));
  // Every event the client sent was decoded (64-bit ids, back-references) exactly as captured.
  assert.equal(received(h).slice(conn * 20), clientEvents(r));
  // PING answered with PONG: same seq, pad and times, time3 = our turnaround.
  const ping = r.sent.find((s) => s.msg.type === 'PING')!.msg;
  const pong = r.replies.find((m) => m.type === 'PONG');
  assert.ok(ping.type === 'PING' && pong?.type === 'PONG');
  if (ping.type === 'PING' && pong?.type === 'PONG') {
    assert.equal([pong.seq, pong.pad, pong.time1, pong.time2, pong.size], [ping.seq, ping.pad, ping.time1, ping.time2, 32]);
    assert.ok(pong.time3 >= 0 && pong.time3 < 1);
  }
  const acks = bridgeEvents(r.replies);
  assert.is(acks[0], 'event FX::fxr_ack("FX::fx_bool 1", count:1)'.replace('count:1', `count:${conn * 20 + 1}`));
  const session = h.fw.peers().find((p) => p.phase === 'running');
  assert.is(session?.stats.peerPidWidth, 64);
}

test('bro-bro-types: every value type, 64-bit ids and back-references in, ping/pong, capture filter', async () => {
  const h = await fxReceiver();
  const r = await fxSession(h, 'bro-bro-types');
  checkFxSession(h, r);
  assert.equal(h.of('remote_capture_filter').map(([, f]) => f), ['tcp port 80']);
  assert.equal(h.of('remote_event_registered').map(([, n]) => n), ['FX::fxr_ack']);
  const [p] = h.of('remote_connection_handshake_done')[0]!;
  assert.is(p.descr, 'fx-sender');
  assert.equal([...h.fw.connected_peers.values()].map((n) => [n.name, n.connected]), [['sender', true]]);
  r.destroy();
  await until(() => h.of('remote_connection_closed').length === 1, 'closed');
  assert.is(h.fw.connected_peers.size, 0);
  assert.is(h.fw.pending_peers.size, 0, 'an inbound peer is never pending');
  await h.fw.stop();
});

test('bro-bro-compress-oneway: the client compresses (level 9), the bridge does not', async () => {
  const h = await fxReceiver();
  const r = await fxSession(h, 'bro-bro-compress-oneway');
  checkFxSession(h, r);
  const stats = h.fw.peers()[0]!.stats;
  assert.is(stats.compressingIn, true);
  assert.is(stats.compressingOut, false);
  assert.not.ok(r.replies.some((m) => m.type === 'COMPRESS'));
  r.destroy();
  await h.fw.stop();
});

test('bro-bro-compress-oneway against a node with compression 6: both directions compressed', async () => {
  const h = await fxReceiver({ compression: 6 });
  const r = await fxSession(h, 'bro-bro-compress-oneway');
  checkFxSession(h, r);
  // COMPRESS right when the handshake completes, before any event.
  const t = types(r.replies);
  assert.ok(t.indexOf('COMPRESS') > t.lastIndexOf('PHASE_DONE'));
  assert.ok(t.indexOf('COMPRESS') < t.indexOf('SERIAL event'));
  assert.is(h.fw.peers()[0]!.stats.compressingOut, true);
  r.destroy();
  await h.fw.stop();
});

test('bro-bro-class-mismatch: no node matches class "beta": handshake completes, nothing requested or accepted', async () => {
  const h = await fxReceiver({ class: 'alpha' });
  const r = await replayClient({ port: h.port }, { capture: 'bro-bro-class-mismatch' });
  await r.done;
  await r.waitFor((x) => x.some((m) => m.type === 'PONG'), 'PONG');
  assert.equal(types(r.replies), ['VERSION', 'SERIAL id', 'CAPS', 'PHASE_DONE', 'PONG']);
  const [p] = h.of('remote_connection_handshake_done')[0]!;
  assert.is(p.class, 'beta');
  assert.is(h.fw.connected_peers.size, 0, 'unmatched inbound peers are not in connected_peers');
  assert.is(h.of('remote_event').length, 0);
  // It may still ask for events, and gets them.
  assert.equal(h.of('remote_event_registered').map(([, n]) => n), ['FX::fxr_ack']);
  assert.is(h.fw.send_event('FX::fxr_ack', [stringVal('x'), countVal(1)]), 1);
  await r.waitFor((x) => bridgeEvents(x).length === 1, 'the event it asked for');
  assert.match(h.log(), /no node matches 127\.0\.0\.1 with class "beta"/);
  r.destroy();
  await h.fw.stop();
});

test('bro-bro-sync-runtime: neither side authoritative, the bridge ran longer: it sends its state', async () => {
  const h = await startFramework({ nodes: { client: { host: '127.0.0.1', sync: true } } });
  h.fw.state.set('sync_count', countVal(5));
  h.fw.state.set('sync_str', stringVal('initial'));
  h.clock.advance(3000); // runtime 3 in our VERSION, the client's is 0
  const r = await replayClient({ port: h.port }, { capture: 'bro-bro-sync-runtime' });
  await r.done;
  await r.waitFor((x) => x.filter((m) => m.type === 'PHASE_DONE').length === 2, 'state and the second PHASE_DONE');
  assert.equal(r.replies.map(describe).slice(2), ['CAPS 0x13', 'REQUEST_SYNC 0', 'PHASE_DONE', 'STATE op=1 sync_count count:5', 'STATE op=1 sync_str "initial"', 'PHASE_DONE']);
  const v = r.replies[0]!;
  assert.ok(v.type === 'VERSION' && v.runtime === 3);
  await until(() => h.of('remote_connection_handshake_done').length === 1, 'RUNNING');
  // A local change now reaches the peer as a state operation.
  h.fw.state.set('sync_count', countVal(6));
  await r.waitFor((x) => x.length === 9, 'the live update');
  assert.is(describe(r.replies[8]!), 'STATE op=1 sync_count count:6');
  r.destroy();
  await h.fw.stop();
});

test('bro-bro-logs: REQUEST_LOGS gets LOG_CREATE_WRITER after the handshake, then batched LOG_WRITE; prints go out as REMOTE_PRINT', async () => {
  const h = await startFramework({ nodes: { client: { host: '127.0.0.1' } } });
  const capture = (await import('./helpers.ts')).replay('bro-bro-logs');
  const writer = capture.find((x) => x.msg.type === 'LOG_CREATE_WRITER' && x.msg.path === 'fxlog')!.msg;
  const write = capture.find((x) => x.msg.type === 'LOG_WRITE')!.msg;
  assert.ok(writer.type === 'LOG_CREATE_WRITER' && write.type === 'LOG_WRITE');
  if (writer.type !== 'LOG_CREATE_WRITER' || write.type !== 'LOG_WRITE') return;
  const { type: _t, headerPad: _p, ...w } = writer;
  h.fw.add_log_writer(w);
  const r = await replayClient({ port: h.port }, { capture: 'bro-bro-logs' });
  await r.done;
  await r.waitFor((x) => x.some((m) => m.type === 'LOG_CREATE_WRITER'), 'LOG_CREATE_WRITER');
  assert.equal(types(r.replies), ['VERSION', 'SERIAL id', 'CAPS', 'PHASE_DONE', 'LOG_CREATE_WRITER']);
  assert.is(describe(r.replies[4]!), describe(writer));
  await until(() => h.of('remote_connection_handshake_done').length === 1, 'RUNNING');
  for (const e of write.entries) h.fw.write_log(e);
  assert.not.ok(r.replies.some((m) => m.type === 'LOG_WRITE'), 'batched, not sent at once');
  h.clock.advance(1000);
  await r.waitFor((x) => x.some((m) => m.type === 'LOG_WRITE'), 'LOG_WRITE after 1 s');
  assert.is(describe(r.replies[5]!), describe(write));
  // print_hook was requested: prints are buffered; the close flushes what is left.
  assert.is(h.fw.print('fxprint.txt', 'short line one'), 1);
  assert.not.ok(r.replies.some((m) => m.type === 'REMOTE_PRINT'));
  await h.fw.stop();
  await r.waitFor((x) => x.some((m) => m.type === 'REMOTE_PRINT'), 'REMOTE_PRINT on close');
  assert.is(describe(r.replies.find((m) => m.type === 'REMOTE_PRINT')!), 'REMOTE_PRINT 1');
  r.destroy();
});

test('bro-bro-print: the 10,240-byte print buffer goes out as one REMOTE_PRINT, byte for byte as Bro sent it', async () => {
  const h = await startFramework({ nodes: { client: { host: '127.0.0.1' } } });
  const pad = '0123456789abcdefghijklmnopqrstuvwxyz'.repeat(2);
  const prints = ['short line one', 'short line two, 42, 10.0.0.1'];
  for (let i = 1; i <= 120; i++) prints.push(`filler ${String(i).padStart(3, '0')} ${pad}`);
  prints.push('last line before terminate');
  h.fw.on('remote_connection_handshake_done', () => {
    for (const text of prints) h.fw.print('fxprint.txt', text);
  });
  const r = await replayClient({ port: h.port }, { capture: 'bro-bro-print' });
  await r.done;
  await r.waitFor((x) => x.some((m) => m.type === 'REMOTE_PRINT'), 'REMOTE_PRINT');
  const ours = r.replies.find((m) => m.type === 'REMOTE_PRINT')!;
  const theirs = (await import('./helpers.ts')).replay('bro-bro-print').find((x) => x.msg.type === 'REMOTE_PRINT')!;
  assert.ok(ours.type === 'REMOTE_PRINT' && theirs.msg.type === 'REMOTE_PRINT');
  if (ours.type !== 'REMOTE_PRINT' || theirs.msg.type !== 'REMOTE_PRINT') return;
  assert.is(ours.records.length, 107);
  assert.equal(ours.records, theirs.msg.records);
  // Same argument chunk as Bro's (10,148 bytes); only Bro's garbage header padding differs.
  const raw = Buffer.from(r.raw());
  const at = raw.indexOf(Buffer.from(theirs.wire.subarray(12)));
  assert.ok(at > 0, 'the REMOTE_PRINT argument chunk appears verbatim');
  assert.is(h.fw.print('fxprint.txt', 'x'), 1);
  r.destroy();
  await h.fw.stop();
});

test('bro-bro-retry: two sessions on two connections, each a fresh protocol session', async () => {
  const h = await fxReceiver();
  const r0 = await fxSession(h, 'bro-bro-retry', 0);
  checkFxSession(h, r0, 0);
  r0.destroy();
  await until(() => h.of('remote_connection_closed').length === 1, 'first session closed');
  const r1 = await fxSession(h, 'bro-bro-retry', 1);
  checkFxSession(h, r1, 1);
  const ids = h.of('remote_connection_established').map(([p]) => p.id);
  assert.is(ids.length, 2);
  assert.is.not(ids[0], ids[1]);
  assert.equal([...h.fw.connected_peers.keys()], [ids[1]]);
  r1.destroy();
  await h.fw.stop();
});

for (const [capture, reason] of [
  ['version-mismatch', 'remote protocol version mismatch: got 6, but expected 7'],
  ['dataformat-mismatch', 'remote data version mismatch: got 25, but expected 26'],
] as const) {
  test(`${capture}: VERSION and peer_description, then the bridge hangs up and logs why`, async () => {
    const h = await fxReceiver();
    const r = await replayClient({ port: h.port }, { capture });
    await r.done;
    await r.waitFor(() => r.closed(), 'the bridge to close');
    assert.equal(types(r.replies), ['VERSION', 'SERIAL id']);
    assert.equal(h.of('remote_connection_error').map(([, why]) => why), [reason]);
    assert.is(h.of('remote_connection_established').length, 0);
    assert.is(h.of('remote_connection_closed').length, 0, 'not raised for a peer that never got past VERSION');
    assert.ok(h.log().includes(`error\t[#10000/127.0.0.1:`) && h.log().includes(reason));
    await h.fw.stop();
  });
}

test('bro-bro-tls (decrypted): the same fx session inside mutually authenticated TLS', async () => {
  const { fileURLToPath } = await import('node:url');
  const { TLS_DIR } = await import('./framework-helpers.ts');
  const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'legacy-tls-'));
  // Bro's layout: one PEM with the certificate followed by the key.
  const bundle = join(dir, 'listener-bundle.pem');
  writeFileSync(bundle, readFileSync(new URL('listener.pem', TLS_DIR), 'utf8') + readFileSync(new URL('listener.key', TLS_DIR), 'utf8'));
  const h = await startFramework({
    listen_ssl: true,
    ssl_private_key: bundle,
    ssl_ca_certificate: fileURLToPath(new URL('ca.pem', TLS_DIR)),
    local_events: FX,
    nodes: { sender: { host: '127.0.0.1', events: '/FX::fx_.*/' } },
  });
  let n = 0;
  h.fw.on('remote_event', (e) => void h.fw.send_event('FX::fxr_ack', [stringVal(`${e.name} ${e.args.length}`), countVal(++n)]));
  const r = await fxSession(h, 'tls/bro-bro-tls.decrypted', 0, true);
  checkFxSession(h, r);
  assert.match(h.log(), /listening on 127\.0\.0\.1:\d+ \(ssl\)/);
  assert.match(h.log(), /accepted SSL connection/);
  r.destroy();
  await h.fw.stop();
  rmSync(dir, { recursive: true });
});

test.run();
