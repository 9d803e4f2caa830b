// Connect, retry and reconnect with an injected clock (no sleeping): the pending_peers /
// connected_peers transitions of Bro's communication/main.bro, a peer killed mid-stream and
// reconnected after `retry`, a fresh session each time; listen_retry; the handshake timeout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Server } from 'node:net';
import { countVal } from '../../legacy/codec/builders.ts';
import { ipv6Available, freePort, startFramework, until, type Harness } from './framework-helpers.ts';

const peers = (h: Harness): [number[], number[]] => [[...h.fw.pending_peers.keys()], [...h.fw.connected_peers.keys()]];

/** Kill every connection of a framework abruptly (no FIN flush), as a crashing process would. */
function kill(h: Harness): void {
  for (const s of h.fw.sessions.values()) s.destroy();
}

for (const host of ['127.0.0.1', '::1']) {
  test(`[${host}] retry: connect before anything listens, keep retrying, connect when the listener appears`, async () => {
    if (host === '::1' && !(await ipv6Available())) return console.log('SKIP [::1] retry: IPv6 loopback unavailable');
    const port = await freePort(host);
    const a = await startFramework({ listen: false, nodes: { b: { host, p: port, connect: true, retry: '2 secs', events: '/^(tick)$/' } } });
    const id = [...a.fw.pending_peers.keys()][0]!;
    await until(() => a.of('remote_connection_error').length === 1, 'first attempt refused');
    assert.match(a.of('remote_connection_error')[0]![1], /can't connect to/);
    assert.equal(peers(a), [[id], []], 'still pending while retrying');
    const b = await startFramework({ listen_interface: host, listen_ipv6: host === '::1', listen_port: port, nodes: { a: { host, events: '/^(tock)$/' } } });
    a.clock.advance(1999);
    assert.is(a.of('remote_connection_established').length, 0, 'not before retry seconds');
    a.clock.advance(1);
    await until(() => a.of('remote_connection_handshake_done').length === 1, 'connected on the second attempt');
    assert.equal(peers(a), [[], [id]]);
    await a.fw.stop();
    await b.fw.stop();
  });

  test(`[${host}] a peer killed mid-stream: closed -> pending; after retry a fresh session with the same peer id`, async () => {
    if (host === '::1' && !(await ipv6Available())) return console.log('SKIP [::1] kill: IPv6 loopback unavailable');
    const bConfig = { listen_interface: host, listen_ipv6: host === '::1', nodes: { a: { host, events: '/^(tick)$/' } } };
    const b = await startFramework(bConfig);
    const a = await startFramework({ listen: false, nodes: { b: { host, p: b.port, connect: true, retry: 2 } } });
    const id = [...a.fw.pending_peers.keys()][0]!;
    await until(() => a.of('remote_event_registered').length === 1, 'tick requested');
    assert.equal(peers(a), [[], [id]]);
    // A streams ticks; B dies in the middle of the stream.
    let n = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 50; i++) a.fw.send_event('tick', [countVal(n++)]);
    }, 1);
    await until(() => b.of('remote_event').length > 100, 'stream flowing');
    kill(b);
    await b.fw.stop();
    await until(() => a.of('remote_connection_closed').length === 1, 'A sees the close');
    clearInterval(pump);
    assert.equal(peers(a), [[id], []], 'back to pending_peers (retry != 0, we initiated)');
    assert.is(a.fw.nodes.get('b')!.connected, false);
    // B restarts on the same port (as the bro-bro-retry capture's receiver did).
    const b2 = await startFramework({ ...bConfig, listen_port: b.port });
    assert.is(a.of('remote_connection_established').length, 1);
    a.clock.advance(2000);
    await until(() => a.of('remote_connection_handshake_done').length === 2, 'reconnected');
    assert.equal(peers(a), [[], [id]]);
    assert.equal(a.of('remote_connection_established').map(([p]) => p.id), [id, id]);
    // A fresh session: B2 requested tick again and gets the stream from a new beginning.
    await until(() => a.of('remote_event_registered').length === 2, 'tick requested again');
    a.fw.send_event('tick', [countVal(1_000_000)]);
    await until(() => b2.of('remote_event').length === 1, 'tick at B2');
    const first = b2.of('remote_event')[0]![0].args[0]!;
    assert.ok(first.kind === 'count' && first.value === 1_000_000);
    await a.fw.stop();
    await b2.fw.stop();
  });
}

test('retry 0: a closed connection is not retried and leaves both tables', async () => {
  const b = await startFramework({ nodes: { a: { host: '127.0.0.1' } } });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true } } });
  await until(() => a.of('remote_connection_handshake_done').length === 1, 'connected');
  await b.fw.stop();
  await until(() => a.of('remote_connection_closed').length === 1, 'closed');
  assert.equal(peers(a), [[], []]);
  a.clock.advance(60_000);
  assert.is(a.clock.pendingTimers, 0);
  await a.fw.stop();
});

test('disconnect(peer) closes the connection and stops the retries; connect_peer connects a connect=F node', async () => {
  const b = await startFramework({ nodes: { a: { host: '127.0.0.1' } } });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, retry: 1 } } });
  assert.equal(peers(a), [[], []], 'connect=F: nothing at start');
  const id = a.fw.connect_peer('b');
  assert.equal(peers(a), [[id], []]);
  await until(() => a.of('remote_connection_handshake_done').length === 1, 'connected');
  assert.ok(a.fw.disconnect(id));
  await until(() => a.of('remote_connection_closed').length === 1, 'closed');
  assert.equal(peers(a), [[], []]);
  a.clock.advance(5000);
  assert.is(a.of('remote_connection_established').length, 1, 'no reconnect after disconnect()');
  assert.throws(() => a.fw.connect_peer('nope'), (e: Error & { code?: string }) => e.code === 'unknown_node');
  await a.fw.stop();
  await b.fw.stop();
});

test('listen_retry: the port is in use, a log line per attempt, listening once it is free', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  const h = await startFramework({ listen_port: port, listen_retry: 5 });
  assert.equal(h.fw.listening(), []);
  assert.match(h.log(), new RegExp(`can't listen on 127\\.0\\.0\\.1:${port}: address already in use \\(attempt 1\\), retrying in 5 s`));
  h.clock.advance(5000);
  await until(() => h.log().includes('(attempt 2)'), 'second attempt');
  await new Promise<void>((r) => blocker.close(() => r()));
  h.clock.advance(5000);
  await until(() => h.fw.listening().length === 1, 'bound on the third attempt');
  assert.match(h.log(), /listening on 127\.0\.0\.1:\d+ \(after 3 attempts\)/);
  assert.is(h.of('remote_log').filter(([level]) => level === 2).length, 2);
  await h.fw.stop();
});

test('listen_retry 0: start() fails with listen_failed', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    await startFramework({ listen_port: port, listen_retry: 0 });
    assert.unreachable('start() should fail');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'listen_failed');
  }
  await new Promise<void>((r) => blocker.close(() => r()));
});

test('handshake_timeout: a connection that never sends VERSION is dropped with an error', async () => {
  const h = await startFramework({ handshake_timeout: 10 });
  const s = connect({ host: '127.0.0.1', port: h.port });
  let closed = false;
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  s.resume();
  await until(() => h.fw.peers().length === 1, 'accepted');
  h.clock.advance(10_000);
  await until(() => closed, 'dropped');
  assert.match(h.of('remote_connection_error')[0]![1], /no complete handshake within 10 s/);
  await h.fw.stop();
});

test.run();
