// The client against our server over loopback (plain and TLS), against raw stand-in servers for
// what ours never does, and its reconnect/backoff schedule with an injected clock and random.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { count, decodeData, equalsData, makeEvent, str, type Data } from '../../modern/data/index.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { peekEnvelope } from '../../modern/native/index.ts';
import type { StatusEvent } from '../../modern/endpoint/events.ts';
import { Backoff, WebSocketClient, WebSocketServer, type WebSocketClientOptions, type WebSocketServerOptions } from '../../modern/websocket/index.ts';
import { payloadOf, referenceFrames } from './broker-fixtures.ts';
import { eventually, Observer } from './websocket-helpers.ts';
import { pkiFiles } from '../pki.ts';

/** ca, node-a, node-b (no subjectAltName), other-ca and rogue (signed by other-ca), made for this run. */
const generated = pkiFiles(undefined, 'websocket-client-pki-');
const TLS_DIR = `${generated.dir}/`;
const SERVER_ID = '99999999-9999-5999-9999-999999999999';

/** Every Broker type plus the three Zeek events the native peer sent in the real session. */
const VALUES: { topic: string; value: Data }[] = referenceFrames('websocket-native-leg')
  .filter((f) => f.msg === 'data' && f.dir === 'c2s')
  .map((f) => peekEnvelope(payloadOf(f)))
  .map((e) => ({ topic: e.topic.replace('/bridge/ws/', ''), value: decodeData(e.body) }));

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.match(String((err as Error).message), pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

interface Rig {
  hub: LocalHub;
  server: WebSocketServer;
  clients: WebSocketClient[];
  client(o?: Partial<WebSocketClientOptions>, deps?: ConstructorParameters<typeof WebSocketClient>[1]): WebSocketClient;
}

async function withRig(serverOptions: WebSocketServerOptions, fn: (r: Rig) => Promise<void>, hub = new LocalHub(SERVER_ID)): Promise<void> {
  const server = await WebSocketServer.listen(hub, { listen_port: 0, ping_interval: 0, ...serverOptions });
  const clients: WebSocketClient[] = [];
  const rig: Rig = {
    hub,
    server,
    clients,
    client: (o = {}, deps) => {
      const c = new WebSocketClient({ url: server.url, reconnect: false, ...o }, deps);
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
  };
  try {
    await fn(rig);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
}

function collect(c: WebSocketClient): { data: { topic: string; value: Data }[]; status: string[] } {
  const out = { data: [] as { topic: string; value: Data }[], status: [] as string[] };
  c.on('data', (topic, value) => out.data.push({ topic, value }));
  c.on('status', (s: StatusEvent) => out.status.push(`${s.name} ${s.context.id}`));
  return out;
}

test('backoff: exponential, capped, jitter from the injected random, max_attempts', () => {
  const o = { initial_delay: 1, max_delay: 30, multiplier: 2, jitter: 0.5, max_attempts: 0 };
  const none = new Backoff(o, () => 0);
  assert.equal(
    Array.from({ length: 7 }, () => none.next()),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000],
  );
  const full = new Backoff(o, () => 1);
  assert.equal([full.next(), full.next(), full.next()], [500, 1000, 2000]);
  none.reset();
  assert.is(none.next(), 1000);
  const limited = new Backoff({ ...o, max_attempts: 3 }, () => 0);
  assert.equal([limited.next(), limited.next(), limited.next()], [1000, 2000, undefined], 'gives up at the third failure');
  assert.is(limited.failures, 3);
});

test('every type both ways between a WebSocket client and the native side; status events name the server', async () => {
  await withRig({}, async ({ hub, client }) => {
    const c = client({ subscriptions: ['/to-ws/'] });
    const got = collect(c);
    const added: StatusEvent[] = [];
    c.on('peer_added', (e) => added.push(e));
    const origins = new Set<string>();
    c.on('data', (_t, _v, origin) => origins.add(origin.hop));
    assert.equal(c.peers().length, 0, 'no peer before connect()');
    const peer = await c.connect();
    assert.is(peer.id, SERVER_ID);
    assert.equal(got.status, [`endpoint_discovered ${SERVER_ID}`, `peer_added ${SERVER_ID}`]);
    const port = Number(new URL(c.url).port);
    assert.equal(added, [{ code: 1, name: 'peer_added', context: { id: SERVER_ID, network: { address: '127.0.0.1', bound_port: port, retry: 0 } }, message: 'handshake successful' }]);
    assert.equal(c.peers(), [{ peer: { id: SERVER_ID, network: { address: '127.0.0.1', bound_port: port, retry: 0 } }, status: 3, outbound: true }]);
    const native = new Observer(hub, ['/from-ws/']);

    for (const v of VALUES) assert.ok(c.publish(`/from-ws/${v.topic}`, v.value));
    await native.until(VALUES.length);
    VALUES.forEach((v, i) => {
      assert.is(native.received[i]!.topic, `/from-ws/${v.topic}`);
      assert.ok(equalsData(native.received[i]!.value, v.value), v.topic);
    });

    for (const v of VALUES) native.handle.publish(`/to-ws/${v.topic}`, v.value);
    await eventually(() => got.data.length === VALUES.length, 'all values at the client');
    VALUES.forEach((v, i) => {
      assert.is(got.data[i]!.topic, `/to-ws/${v.topic}`);
      assert.ok(equalsData(got.data[i]!.value, v.value), v.topic);
    });
    assert.equal([...origins], [SERVER_ID]);
    assert.is(c.stats.published, VALUES.length);
    assert.is(c.publishEvent('/from-ws/ev', 'ws_ping', [str('hi'), count(42)]), 1);
    await native.until(VALUES.length + 1);
    assert.equal(native.received.at(-1)!.value, makeEvent('ws_ping', [str('hi'), count(42)]));
  });
});

test('between two WebSocket clients: each receives the other, never itself', async () => {
  await withRig({}, async ({ client }) => {
    const a = client({ subscriptions: ['/chat'], application_name: 'client-a' });
    const b = client({ subscriptions: ['/chat'], application_name: 'client-b' });
    const ga = collect(a);
    const gb = collect(b);
    await Promise.all([a.connect(), b.connect()]);
    for (const v of VALUES) a.publish(`/chat/a/${v.topic}`, v.value);
    b.publish('/chat/b', str('from b'));
    await eventually(() => gb.data.length === VALUES.length && ga.data.length === 1, 'cross delivery');
    assert.ok(gb.data.every((d, i) => equalsData(d.value, VALUES[i]!.value)));
    assert.equal(ga.data, [{ topic: '/chat/b', value: str('from b') }]);
  });
});

test('TLS: wss with the server certificate checked against the CA (no host name check, like Broker)', async () => {
  const tls_options = { cert_file: `${TLS_DIR}node-b.pem`, key_file: `${TLS_DIR}node-b.key` };
  await withRig({ tls_options }, async ({ server, hub, client }) => {
    assert.match(server.url, /^wss:\/\//);
    const c = client({ subscriptions: ['/s'], tls: { ca_file: `${TLS_DIR}ca.pem` } });
    const got = collect(c);
    await c.connect();
    const native = new Observer(hub, ['/c']);
    for (const v of VALUES) c.publish(`/c/${v.topic}`, v.value);
    for (const v of VALUES) native.handle.publish(`/s/${v.topic}`, v.value);
    await native.until(VALUES.length);
    await eventually(() => got.data.length === VALUES.length, 'values over TLS');
    assert.ok(got.data.every((d, i) => equalsData(d.value, VALUES[i]!.value)));
    assert.ok(native.received.every((d, i) => equalsData(d.value, VALUES[i]!.value)));

    const strict = client({ tls: { ca_file: `${TLS_DIR}ca.pem`, check_hostname: true } });
    await rejects(strict.connect(), /altnames|does not match|IP: 127\.0\.0\.1/i);
    const untrusted = client({ tls: { ca_file: `${TLS_DIR}other-ca.pem` } });
    await rejects(untrusted.connect(), /unable to connect to remote peer/);
  });
});

test('TLS with peer verification: a client certificate from the CA is required', async () => {
  const tls_options = { cert_file: `${TLS_DIR}node-b.pem`, key_file: `${TLS_DIR}node-b.key`, ca_file: `${TLS_DIR}ca.pem`, enable_peer_verification: true };
  await withRig({ tls_options }, async ({ client, server }) => {
    const added: string[] = [];
    server.on('websocket_client_added', (i) => added.push(i.id));
    const anonymous = client({ tls: { ca_file: `${TLS_DIR}ca.pem` } });
    await rejects(anonymous.connect(), /unable to connect/);
    const rogue = client({ tls: { ca_file: `${TLS_DIR}ca.pem`, cert_file: `${TLS_DIR}rogue.pem`, key_file: `${TLS_DIR}rogue.key` } });
    await rejects(rogue.connect(), /unable to connect/);
    const good = client({ tls: { ca_file: `${TLS_DIR}ca.pem`, cert_file: `${TLS_DIR}node-a.pem`, key_file: `${TLS_DIR}node-a.key` } });
    const peer = await good.connect();
    assert.is(peer.id, SERVER_ID);
    assert.is(added.length, 1);
  });
});

test('subscribe/unsubscribe reconnect with the new list, silently (same server endpoint)', async () => {
  await withRig({}, async ({ server, hub, client }) => {
    const subs: string[][] = [];
    server.on('websocket_client_added', (_i, s) => subs.push([...s]));
    const c = client({ subscriptions: ['/one'] });
    const got = collect(c);
    await c.connect();
    c.subscribe('/two');
    c.subscribe(['/three', '/one']);
    await eventually(() => subs.length === 2, 'one resubscription for both calls');
    assert.equal(subs, [['/one'], ['/one', '/two', '/three']]);
    await eventually(() => server.clients.length === 1, 'old connection gone');
    hub.publish('/three/x', count(3));
    await eventually(() => got.data.length === 1, 'new topic delivered');
    c.unsubscribe('/one');
    await eventually(() => subs.length === 3, 'unsubscribe reconnects');
    assert.equal(subs[2], ['/two', '/three']);
    await eventually(() => server.clients.length === 1 && c.status === 3, 'peered again');
    hub.publish('/one/x', count(1));
    hub.publish('/two/x', count(2));
    await eventually(() => got.data.length === 2, 'only /two');
    assert.equal(got.data[1], { topic: '/two/x', value: count(2) });
    assert.equal(got.status, [`endpoint_discovered ${SERVER_ID}`, `peer_added ${SERVER_ID}`]);
    assert.equal(c.subscriptions, ['/two', '/three']);
  });
});

test('server restart: peer_lost + endpoint_unreachable, re-dial, re-subscribe, peer_added for the new id; nothing buffered', async () => {
  const hub1 = new LocalHub('00000000-0000-5000-8000-000000000001');
  const s1 = await WebSocketServer.listen(hub1, { listen_port: 0, ping_interval: 0 });
  const port = s1.address.port;
  const c = new WebSocketClient({ url: `ws://127.0.0.1:${port}`, subscriptions: ['/r'], reconnect: { initial_delay: 0.02, max_delay: 0.05, jitter: 0 } });
  const errors: string[] = [];
  c.on('error', (e) => errors.push(e.name));
  const got = collect(c);
  try {
    assert.is((await c.connect()).id, hub1.nodeId);
    assert.is(c.url, `ws://127.0.0.1:${port}/v1/messages/json`);
    await s1.close();
    await eventually(() => got.status.length === 4, 'loss reported');
    assert.equal(got.status.slice(2), [`peer_lost ${hub1.nodeId}`, `endpoint_unreachable ${hub1.nodeId}`]);
    assert.not.ok(c.publish('/r/lost', count(0)), 'publish while disconnected is refused');
    assert.is(c.stats.unsent, 1);
    await eventually(() => errors.length >= 2, 'failed re-dials reported as peer_unavailable');
    assert.ok(errors.every((e) => e === 'peer_unavailable'));
    const hub2 = new LocalHub('00000000-0000-5000-8000-000000000002');
    const s2 = await WebSocketServer.listen(hub2, { listen_port: port, ping_interval: 0 });
    try {
      await eventually(() => got.status.length === 6, 're-peered', 5000);
      assert.equal(got.status.slice(4), [`endpoint_discovered ${hub2.nodeId}`, `peer_added ${hub2.nodeId}`]);
      hub2.publish('/r/again', count(8));
      await eventually(() => got.data.length === 1, 're-subscribed');
      assert.equal(got.data[0]!.value, count(8));
      await c.close();
      assert.equal(got.status.slice(6), [`peer_removed ${hub2.nodeId}`, `endpoint_unreachable ${hub2.nodeId}`]);
    } finally {
      await s2.close();
    }
  } finally {
    await c.close();
  }
});

test('retry schedule follows the injected clock: failures at 0, then after each backoff delay', async () => {
  const refused = await freePort();
  const clock = new ManualClock();
  const c = new WebSocketClient({ url: `ws://127.0.0.1:${refused}`, reconnect: { initial_delay: 1, max_delay: 4, multiplier: 2, jitter: 0.5, max_attempts: 4 } }, { clock, random: () => 0.5 });
  const failures: number[] = [];
  c.on('error', () => failures.push(clock.now()));
  const t0 = clock.now();
  const done = c.connect().then(
    () => 'connected',
    (e: Error) => e.message,
  );
  await eventually(() => failures.length === 1, 'first failure');
  for (const delay of [750, 1500, 3000]) {
    clock.advance(delay - 1);
    await new Promise((r) => setTimeout(r, 20));
    const before = failures.length;
    clock.advance(1);
    await eventually(() => failures.length === before + 1, `attempt after ${delay} ms`);
  }
  assert.equal(
    failures.map((t) => t - t0),
    [0, 750, 2250, 5250],
  );
  assert.match(await done, /unable to connect/);
  assert.is(c.status, 4, 'DISCONNECTED after max_attempts');
  await c.close();
});

test('handshake details: X-Application-Name sent, no permessage-deflate offer; an ack that never comes times out', async () => {
  const clock = new ManualClock();
  let request = '';
  const stall = await rawServer((sock, head) => {
    request = head;
    const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(head)![1]!;
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  });
  const port = (stall.address() as { port: number }).port;
  const c = new WebSocketClient({ url: `ws://127.0.0.1:${port}/`, application_name: 'bridge-test:1', subscriptions: ['/a', 'b"c'], reconnect: false, connect_timeout: 3 }, { clock });
  c.on('error', () => undefined);
  const done = c.connect().then(
    () => 'connected',
    (e: Error) => e.message,
  );
  await eventually(() => request !== '', 'request seen');
  assert.match(request, /^GET \/v1\/messages\/json HTTP\/1\.1\r\n/);
  assert.match(request, /\r\nx-application-name: bridge-test:1\r\n/i);
  assert.not.match(request, /sec-websocket-extensions/i);
  clock.advance(3000);
  assert.match(await done, /no ack within connect_timeout/);
  await c.close();
  stall.close();
});

test('a server that stops answering pings is taken as lost and re-dialled', async () => {
  const clock = new ManualClock();
  let accepted = 0;
  const silent = await rawServer((sock, head) => {
    accepted++;
    const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(head)![1]!;
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const ack = Buffer.from(`{"type":"ack","endpoint":"${SERVER_ID}","version":"2.8.0-dev"}`);
    // Acks once the subscription frame arrives, then never answers anything (no pongs).
    sock.once('data', () => sock.write(Buffer.concat([Buffer.from([0x81, ack.length]), ack])));
  });
  const port = (silent.address() as { port: number }).port;
  const c = new WebSocketClient({ url: `ws://127.0.0.1:${port}`, ping_interval: 5, reconnect: { initial_delay: 1, jitter: 0 } }, { clock });
  const got = collect(c);
  try {
    await c.connect();
    clock.advance(5000);
    assert.is(c.status, 3, 'still peered after the first ping');
    clock.advance(5000);
    await eventually(() => got.status.length === 4, 'peer_lost');
    assert.equal(got.status.slice(2), [`peer_lost ${SERVER_ID}`, `endpoint_unreachable ${SERVER_ID}`]);
    assert.is(c.stats.pingTimeouts, 1);
    clock.advance(0);
    await eventually(() => got.status.length === 6, 're-dialled at once');
    assert.is(accepted, 2);
  } finally {
    silent.close();
    await c.close();
  }
});

test('refusals surface as errors: Broker 400 for a wrong path, Zeek error reply instead of an ack', async () => {
  await withRig({}, async ({ server, client }) => {
    const c = client({ url: server.url.replace('/v1/messages/json', '/v2/nothing') });
    await rejects(c.connect(), /400/);
  });
  await withRig({ flavor: 'zeek' }, async ({ server, client }) => {
    const c = client({ url: server.url.replace('/v1/messages/json', '/v2/nothing') });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(`${e.remote?.code} ${e.remote?.context}`));
    await rejects(c.connect(), /Invalid URI/);
    assert.equal(errors, ['invalid_uri Invalid URI - use /v1/messages/json']);
  });
});

test('server error replies reach the client as error events without ending the connection', async () => {
  const hub = new LocalHub(SERVER_ID);
  await withRig(
    {},
    async ({ server, client }) => {
      const c = client({ subscriptions: [] });
      const errors: { code: number; context: string | undefined }[] = [];
      c.on('error', (e) => errors.push({ code: e.code, context: e.remote?.context }));
      await c.connect();
      // Reach into the socket to send what publish() never would.
      const ws = (c as unknown as { conn: { ws: import('ws').WebSocket } }).conn.ws;
      ws.send('{"type":"data-message","topic":"/x","@data-type":"count","data":-1}');
      await eventually(() => errors.length === 1, 'error event');
      assert.equal(errors, [{ code: 37, context: 'input #1 contained invalid data' }]);
      assert.is(c.status, 3);
      assert.is(server.clients.length, 1);
    },
    hub,
  );
});

test('the URL dialled: Zeek 8\'s port 27759 and /v1/messages/json unless the URL names them', () => {
  const dialled = (url: string) => {
    const c = new WebSocketClient({ url, reconnect: false });
    return [c.url, c.network.address, c.network.bound_port];
  };
  assert.equal(dialled('ws://zeek.example'), ['ws://zeek.example:27759/v1/messages/json', 'zeek.example', 27759]);
  assert.equal(dialled('wss://zeek.example/'), ['wss://zeek.example:27759/v1/messages/json', 'zeek.example', 27759]);
  assert.equal(dialled('ws://[::1]'), ['ws://[::1]:27759/v1/messages/json', '::1', 27759]);
  assert.equal(dialled('ws://user@192.0.2.60/custom'), ['ws://user@192.0.2.60:27759/custom', '192.0.2.60', 27759]);
  assert.equal(dialled('ws://127.0.0.1:9000'), ['ws://127.0.0.1:9000/v1/messages/json', '127.0.0.1', 9000]);
  // An explicit scheme port is kept even though URL() drops it from the text.
  assert.equal(dialled('ws://127.0.0.1:80'), ['ws://127.0.0.1/v1/messages/json', '127.0.0.1', 80]);
  assert.equal(dialled('wss://[::1]:443/v1/messages/json'), ['wss://[::1]/v1/messages/json', '::1', 443]);
});

test('invalid client options are refused up front', () => {
  assert.throws(() => new WebSocketClient({ url: 'http://x' }), /ws:\/\/ or wss:\/\//);
  assert.throws(() => new WebSocketClient({ url: 'ws://x', application_name: 'has space' }), /application_name/);
  assert.throws(() => new WebSocketClient({ url: 'ws://x', tls: { cert_file: '/a' } }), /cert_file and key_file/);
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function rawServer(onHead: (sock: Socket, head: string) => void): Promise<Server> {
  const sockets = new Set<Socket>();
  const s = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      if (buf.includes('\r\n\r\n')) return;
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) onHead(sock, buf);
    });
    sock.on('close', () => sockets.delete(sock));
  });
  const close = s.close.bind(s);
  s.close = ((cb?: () => void) => {
    for (const x of sockets) x.destroy();
    return close(cb);
  }) as typeof s.close;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

test.after(() => generated.cleanup());

test.run();
