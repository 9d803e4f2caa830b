// Endpoint options: Zeek's defaults, the ZEEK_/BRO_ environment overrides (which also override
// retries given to peer() and listen(), as in Zeek), validation, and listen retries.
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { isBridgeError } from '../../src/core/errors.ts';
import { PeerStatus } from '../../modern/constants.ts';
import { Endpoint, EndpointOptionsSchema, resolveOptions } from '../../modern/endpoint/index.ts';
import { isEndpointId } from '../../modern/native/index.ts';
import { record, waitFor } from './endpoint-helpers.ts';

test('defaults are Zeek\'s', () => {
  const o = resolveOptions({ env: {} });
  assert.equal(
    [o.default_port, o.default_listen_address, o.default_connect_retry, o.default_listen_retry, o.forward_messages, o.peer_buffer_size, o.peer_overflow_policy, o.disable_ssl, o.ttl, o.unpeer_timeout],
    [9999, '', 1, 30, false, 8192, 'drop_oldest', false, 16, 3],
  );
  assert.ok(isEndpointId(o.node_id) && o.node_id[14] === '5', 'a random Broker-style id');
  assert.is(new Endpoint({ env: {} }).tlsMode, 'anonymous', 'TLS on by default, anonymous without certificates');
  assert.is(new Endpoint({ env: {}, disable_ssl: true }).tlsMode, 'none');
  assert.is(resolveOptions({ env: {}, node_id: 'AAAAAAAA-1111-5111-8111-111111111111' }).node_id, 'aaaaaaaa-1111-5111-8111-111111111111');
});

test('ZEEK_ and BRO_ environment variables override the defaults', () => {
  const zeek = resolveOptions({ env: { ZEEK_DEFAULT_CONNECT_RETRY: '5', ZEEK_DEFAULT_LISTEN_RETRY: '7', ZEEK_DEFAULT_LISTEN_ADDRESS: '127.0.0.1' }, default_connect_retry: 2 });
  assert.equal([zeek.default_connect_retry, zeek.connect_retry_override, zeek.default_listen_retry, zeek.listen_retry_override, zeek.default_listen_address], [5, 5, 7, 7, '127.0.0.1']);
  const bro = resolveOptions({ env: { BRO_DEFAULT_CONNECT_RETRY: '3', BRO_DEFAULT_LISTEN_RETRY: '4' } });
  assert.equal([bro.default_connect_retry, bro.default_listen_retry], [3, 4]);
  const both = resolveOptions({ env: { ZEEK_DEFAULT_CONNECT_RETRY: '6', BRO_DEFAULT_CONNECT_RETRY: '3' } });
  assert.is(both.default_connect_retry, 6, 'ZEEK_ first');
  const none = resolveOptions({ env: { ZEEK_DEFAULT_CONNECT_RETRY: '' } });
  assert.is(none.connect_retry_override, undefined, 'empty means unset');
  assert.is(resolveOptions({ env: {}, default_listen_address: '::1' }).default_listen_address, '::1');
});

test('bad options and environment values are typed errors', () => {
  for (const bad of [{ default_port: 70000 }, { peer_overflow_policy: 'explode' }, { node_id: 'nope' }, { frobnicate: 1 }, { peer_buffer_size: 0 }]) {
    try {
      resolveOptions({ env: {}, ...(bad as object) });
      assert.unreachable(JSON.stringify(bad));
    } catch (err) {
      assert.ok(isBridgeError(err) && err.code === 'invalid_options', String(err));
    }
  }
  try {
    resolveOptions({ env: { ZEEK_DEFAULT_CONNECT_RETRY: 'soon' } });
    assert.unreachable();
  } catch (err) {
    assert.ok(isBridgeError(err) && err.code === 'invalid_options' && err.field === 'DEFAULT_CONNECT_RETRY');
  }
  try {
    new Endpoint({ env: {}, ssl_cafile: '/nonexistent/ca.pem' });
    assert.unreachable();
  } catch (err) {
    assert.ok(isBridgeError(err) && err.code === 'tls_config' && err.field === 'ssl_cafile');
  }
});

test('congestion_queue_size, Zeek\'s older name of peer_buffer_size, sets the same limit; both given must agree', () => {
  assert.is(resolveOptions({ env: {}, congestion_queue_size: 200 }).peer_buffer_size, 200);
  assert.is(resolveOptions({ env: {}, congestion_queue_size: 200, peer_buffer_size: 200 }).peer_buffer_size, 200);
  assert.is(resolveOptions({ env: {}, peer_buffer_size: 64 }).peer_buffer_size, 64);
  assert.not.ok('congestion_queue_size' in resolveOptions({ env: {}, congestion_queue_size: 200 }), 'one name after resolving');
  // The bridge's config parses the section first: no default may be filled in that then conflicts.
  assert.is(resolveOptions({ env: {}, ...EndpointOptionsSchema.parse({ congestion_queue_size: 300 }) }).peer_buffer_size, 300);
  for (const bad of [{ congestion_queue_size: 200, peer_buffer_size: 8192 }, { congestion_queue_size: 0 }]) {
    try {
      resolveOptions({ env: {}, ...bad });
      assert.unreachable(JSON.stringify(bad));
    } catch (err) {
      assert.ok(isBridgeError(err) && err.code === 'invalid_options' && err.field === 'congestion_queue_size', String(err));
    }
  }
});

test('ZEEK_DEFAULT_CONNECT_RETRY also overrides the retry given to peer() (Zeek semantics)', async () => {
  const clock = new ManualClock();
  const port = await freePort();
  const a = new Endpoint({ disable_ssl: true, clock, env: { ZEEK_DEFAULT_CONNECT_RETRY: '5' } });
  const ev = record(a);
  try {
    void a.peer('127.0.0.1', port, 1);
    await waitFor(() => ev.length === 1);
    assert.equal(a.peers().map((p) => [p.status, p.peer.network?.retry]), [[PeerStatus.CONNECTING, 5]]);
    clock.advance(4999);
    await new Promise((r) => setTimeout(r, 30));
    assert.is(ev.length, 1);
    clock.advance(1);
    await waitFor(() => ev.length === 2, 3000, 'the retry after 5 s');
    // peerNoRetry ignores the override: a single attempt.
    assert.is(await a.peerNoRetry('127.0.0.1', await freePort()), false);
  } finally {
    await a.shutdown();
  }
});

test('listen: port 0 binds an ephemeral port; a busy port returns 0 and is retried every interval', async () => {
  const clock = new ManualClock();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busy = (blocker.address() as net.AddressInfo).port;
  const ep = new Endpoint({ disable_ssl: true, clock, env: {} });
  const ev = record(ep);
  const listening: number[] = [];
  ep.on('listening', (l) => listening.push(l.port));
  try {
    const ephemeral = await ep.listen('127.0.0.1', 0, 0);
    assert.ok(ephemeral > 0);
    assert.is(await ep.listen('127.0.0.1', busy, 2), 0);
    assert.equal(ev.map((e) => e.name), ['cannot_open_resource']);
    assert.match(ev[0]!.message, `127.0.0.1:${busy}`);
    await new Promise<void>((r) => blocker.close(() => r()));
    clock.advance(2000);
    await waitFor(() => listening.length === 2, 3000, 'the retried listen');
    assert.equal(listening, [ephemeral, busy]);
  } finally {
    await ep.shutdown();
  }
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test.run();
