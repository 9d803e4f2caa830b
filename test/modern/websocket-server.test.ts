// The server over loopback: bad input of every kind gets the spec's answer and never disturbs the
// other clients; slow and dead clients are dropped; headers, limits, flavors and shutdown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { ManualClock } from '../../src/core/clock.ts';
import { count, dataMessageToJson, str } from '../../modern/data/index.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { WebSocketServer, type WebSocketServerOptions } from '../../modern/websocket/index.ts';
import { clientFrame, eventually, Observer, RawClient } from './websocket-helpers.ts';

const ID = '11111111-1111-5111-8111-111111111111';

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.match(String((err as Error).message), pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

async function withServer(options: WebSocketServerOptions, fn: (server: WebSocketServer, hub: LocalHub) => Promise<void>, clock?: ManualClock): Promise<void> {
  const hub = new LocalHub(ID);
  const server = await WebSocketServer.listen(hub, { listen_port: 0, ping_interval: 0, ...options }, clock ? { clock } : {});
  const wsIds: string[] = [];
  server.on('websocket_client_added', (info) => wsIds.push(info.id));
  try {
    await fn(server, hub);
  } finally {
    await server.close();
  }
  assert.equal(
    hub.participantIds.filter((id) => wsIds.includes(id)),
    [],
    'every WebSocket client detached after close',
  );
}

/** A well-behaved client (the ws library) that records text messages. */
async function goodClient(server: WebSocketServer, subs: string[] = ['/t'], headers: Record<string, string> = {}): Promise<{ ws: WebSocket; texts: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(server.url, { perMessageDeflate: false, headers });
  const texts: string[] = [];
  ws.on('message', (d: Buffer) => texts.push(d.toString('utf8')));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify(subs));
  await eventually(() => texts.length >= 1, 'ack');
  assert.ok(texts[0]!.startsWith('{"type":"ack"'));
  return { ws, texts, closed };
}

async function rawSubscribed(server: WebSocketServer, subs = '["/t"]'): Promise<RawClient> {
  const c = await RawClient.open(server.address.port);
  const head = await c.upgrade(server.address.port);
  assert.ok(head.startsWith('HTTP/1.1 101'), head);
  c.send(clientFrame(1, subs));
  await c.until(() => c.texts.length === 1, 'ack');
  return c;
}

test('bad input on one client (not JSON, not an object, bad data) is answered there and leaves the others alone', async () => {
  await withServer({}, async (server, hub) => {
    const good = await goodClient(server);
    const bad = await rawSubscribed(server, '["/other"]');
    const native = new Observer(hub, ['/t']);
    bad.send(clientFrame(1, 'How is it going?'));
    bad.send(clientFrame(1, '[1,2,3]'));
    bad.send(clientFrame(1, '{"type":"data-message","topic":"/t/x","@data-type":"address","data":"not-an-ip"}'));
    bad.send(clientFrame(1, '{"type":"data-message","topic":"/t/x","@data-type":"count","data":1}'));
    await bad.until(() => bad.texts.length === 4, 'three errors');
    assert.equal(bad.texts.slice(1), [
      '{"type":"error","code":"deserialization_failed","context":"input #1 contained malformed JSON -> caf::pec::unexpected_character(1, 1)"}',
      '{"type":"error","code":"deserialization_failed","context":"input #2 expected a JSON object"}',
      '{"type":"error","code":"deserialization_failed","context":"input #3 contained invalid data"}',
    ]);
    await eventually(() => good.texts.length === 2, 'the valid message at the good client');
    assert.is(good.texts[1], '{"type":"data-message","topic":"/t/x","@data-type":"count","data":1}');
    assert.is(native.received.length, 1);
    native.handle.publish('/t/y', str('still fine'));
    await eventually(() => good.texts.length === 3, 'native → good client');
    assert.not.ok(bad.ended);
    good.ws.close();
    bad.destroy();
  });
});

test('binary frame, wrong path, oversize message: each ends only its own connection', async () => {
  await withServer({ max_message_size: 4096 }, async (server, hub) => {
    const good = await goodClient(server);
    const port = server.address.port;

    const bin = await rawSubscribed(server);
    bin.send(clientFrame(2, Buffer.from('010262696e617279', 'hex')));
    await bin.closed;
    assert.ok(bin.frames.every((f) => f.opcode !== 8), 'binary: TCP dropped, no Close frame');

    const wrong = await RawClient.open(port);
    const head = await wrong.upgrade(port, '/v1/messages/json?x=1');
    await wrong.closed;
    assert.ok(head.startsWith('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n'), head);
    assert.ok(wrong.received.toString().endsWith('caf::sec::invalid_argument("invalid path; try /v1/messages/json")'));

    const big = await rawSubscribed(server);
    big.send(clientFrame(1, dataMessageToJson('/t/big', str('x'.repeat(5000)))));
    await big.closed;
    const close = big.frames.find((f) => f.opcode === 8);
    assert.is(close?.payload.readUInt16BE(0), 1009, 'oversize: Close 1009');

    // Just under the limit passes, with a 16-bit length.
    hub.publish('/t/ok', str('y'.repeat(3000)));
    await eventually(() => good.texts.length === 2, 'good client still served');
    assert.is(good.texts[1]!.length, 3000 + '{"type":"data-message","topic":"/t/ok","@data-type":"string","data":""}'.length);
    assert.is(server.clients.length, 1);
    good.ws.close();
  });
});

test('fragmented text messages are joined; a 70,000-byte string crosses in both directions (64-bit length)', async () => {
  await withServer({}, async (server, hub) => {
    const c = await rawSubscribed(server, '["/big"]');
    const native = new Observer(hub, ['/in']);
    const json = dataMessageToJson('/in/frag', count(42));
    c.send(Buffer.concat([clientFrame(1, json.slice(0, 10), [1, 2, 3, 4], false), clientFrame(0, json.slice(10, 30), [5, 6, 7, 8], false), clientFrame(0, json.slice(30), [9, 9, 9, 9], true)]));
    const long = 'z'.repeat(70_000);
    c.send(clientFrame(1, dataMessageToJson('/in/long', str(long))));
    await native.until(2);
    assert.equal(native.received[0]!.value, count(42));
    assert.equal(native.received[1]!.value, str(long));
    native.handle.publish('/big/out', str(long));
    await c.until(() => c.texts.length === 2, 'long message');
    assert.is(c.texts[1], dataMessageToJson('/big/out', str(long)));
    const f = c.frames[1]!;
    assert.is(f.raw[1], 127, '64-bit length');
    c.destroy();
  });
});

test('a client that stops reading is disconnected by the overflow policy; a reading client gets everything', async () => {
  await withServer({ max_event_queue_size: 8 }, async (server, hub) => {
    const overflowed: string[] = [];
    server.on('overflow', (info, d) => overflowed.push(`${info.id} ${d.policy} ${d.disconnected}`));
    const lost: string[] = [];
    server.on('websocket_client_lost', (info) => lost.push(info.id));
    const good = await goodClient(server, ['/flood']);
    const slow = await rawSubscribed(server, '["/flood"]');
    slow.socket.pause();
    const payload = str('p'.repeat(128 * 1024));
    let sent = 0;
    // Paced so the reading client keeps up, until the stalled one is dropped.
    while (overflowed.length === 0 && sent < 1000) {
      hub.publish('/flood/x', payload);
      sent++;
      await eventually(() => good.texts.length === sent + 1, `message ${sent} at the reading client`);
    }
    assert.is(overflowed.length, 1, `overflow after ${sent} messages`);
    assert.ok(overflowed[0]!.endsWith('disconnect true'));
    // A paused socket would never notice the reset.
    slow.socket.resume();
    await slow.closed;
    assert.ok(lost.length === 1);
    assert.ok(server.stats.dropped >= 9);
    assert.is(server.clients.length, 1);
    hub.publish('/flood/after', count(1));
    await eventually(() => good.texts.length === sent + 2, 'reading client still served');
    good.ws.close();
  });
});

test('pings: a client that never answers is dropped after one interval, one that answers stays', async () => {
  const clock = new ManualClock();
  await withServer(
    { ping_interval: 5 },
    async (server) => {
      const timeouts: string[] = [];
      server.on('ping_timeout', (info) => timeouts.push(info.id));
      const good = await goodClient(server);
      const goodId = server.clients[0]!.id;
      // The raw client never answers pings.
      const dead = await rawSubscribed(server);
      clock.advance(5000);
      await eventually(() => server.clientStats().get(goodId)!.alive, 'pong from the good client');
      clock.advance(5000);
      await dead.closed;
      assert.is(timeouts.length, 1);
      assert.is(server.stats.pingTimeouts, 1);
      assert.equal(
        server.clients.map((c) => c.id),
        [goodId],
      );
      good.ws.close();
    },
    clock,
  );
});

test('X-Application-Name: a valid name is kept, an invalid one is refused with 400', async () => {
  await withServer({}, async (server) => {
    const added: (string | undefined)[] = [];
    server.on('websocket_client_added', (info, subs) => added.push(`${info.application_name} ${subs.join(',')}`));
    const ok = await goodClient(server, ['/a', '/b'], { 'X-Application-Name': 'zeek-client/1.0@host:x=y*' });
    assert.equal(added, ['zeek-client/1.0@host:x=y* /a,/b']);
    const port = server.address.port;
    const bad = await RawClient.open(port);
    const head = await bad.upgrade(port, '/v1/messages/json', { 'X-Application-Name': 'bad name!' });
    await bad.closed;
    assert.ok(head.startsWith('HTTP/1.1 400 Bad Request'), head);
    ok.ws.close();
  });
});

test('plain HTTP without upgrade → 400', async () => {
  await withServer({}, async (server) => {
    const res = await fetch(`http://127.0.0.1:${server.address.port}/v1/messages/json`);
    assert.is(res.status, 400);
    assert.is(res.headers.get('content-type'), 'text/plain');
    await res.text();
  });
});

test('zeek flavor: wrong path → error + Close 1008; bad subscriptions → error, connection stays; ack names the client', async () => {
  await withServer({ flavor: 'zeek', version: '8.0.1' }, async (server) => {
    const port = server.address.port;
    const wrong = await RawClient.open(port);
    const head = await wrong.upgrade(port, '/v2/nothing');
    assert.ok(head.startsWith('HTTP/1.1 101'));
    await wrong.closed;
    assert.is(wrong.texts[0], '{"type":"error","code":"invalid_uri","context":"Invalid URI - use /v1/messages/json"}');
    const close = wrong.frames.find((f) => f.opcode === 8)!;
    assert.is(close.payload.readUInt16BE(0), 1008);

    const refused = await RawClient.open(port);
    await refused.upgrade(port);
    refused.send(clientFrame(1, '{"not":"an array"}'));
    await refused.until(() => refused.texts.length === 1, 'error');
    assert.is(refused.texts[0], '{"type":"error","code":"deserialization_failed","context":"subscriptions not an array"}');
    assert.not.ok(refused.ended);
    refused.destroy();

    const ok = await goodClient(server, []);
    assert.match(ok.texts[0]!, new RegExp(`^\\{"type":"ack","endpoint":"${ID}-websocket-[0-9a-f-]{36}","version":"8\\.0\\.1"\\}$`));
    ok.ws.close();
  });
});

test('close(): clients get Close 1001 "Terminating" and are detached; the port is released', async () => {
  const hub = new LocalHub(ID);
  const server = await WebSocketServer.listen(hub, { listen_port: 0, ping_interval: 0 });
  const a = await goodClient(server);
  const b = await rawSubscribed(server);
  b.socket.pause();
  const port = server.address.port;
  const lost: string[] = [];
  server.on('websocket_client_lost', (i) => lost.push(i.id));
  await server.close();
  assert.is(await a.closed, 1001);
  assert.is(hub.size, 0);
  assert.is(lost.length, 2);
  b.destroy();
  await rejects(RawClient.open(port), /ECONNREFUSED/);
});

test('invalid options are refused with the field named', async () => {
  const hub = new LocalHub(ID);
  await rejects(WebSocketServer.listen(hub, { listen_port: 70000 }), /listen_port/);
  await rejects(WebSocketServer.listen(hub, { tls_options: { cert_file: '/x' } }), /cert_file and key_file/);
  await rejects(WebSocketServer.listen(hub, { tls_options: { cert_file: '/nonexistent.pem', key_file: '/nonexistent.key' } }), /cannot read tls_options.cert_file/);
});

test.run();
