// Reconnecting between two endpoints through a relay the test can cut (spec §4.4): the dialling
// side re-dials at once and then every retry interval (manual clock), reports peer_unavailable per
// failed attempt, does not replay what was published meanwhile; the accepting side never dials
// back; unpeer cancels reconnecting. Statuses and peers() are checked after every step.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { PeerStatus } from '../../modern/constants.ts';
import { count, type Data } from '../../modern/data/index.ts';
import { Endpoint, type EndpointOptions } from '../../modern/endpoint/index.ts';
import { RawServer, TcpProxy, names, record, waitFor } from './endpoint-helpers.ts';
import { pkiFiles } from '../pki.ts';

const A = '11111111-1111-5111-8111-111111111111';
const B = '99999999-9999-5999-9999-999999999999';
const a8 = A.slice(0, 8);
const b8 = B.slice(0, 8);

/** A CA and node-a/node-b certificates made for this run (test/pki.ts). */
const generated = pkiFiles(undefined, 'endpoint-reconnect-pki-');
const PKI = generated.dir;
const MODES: [string, EndpointOptions, EndpointOptions][] = [
  ['plaintext', { disable_ssl: true }, { disable_ssl: true }],
  ['anonymous TLS', {}, {}],
  [
    'TLS with certificates',
    { ssl_certificate: join(PKI, 'node-a.pem'), ssl_keyfile: join(PKI, 'node-a.key'), ssl_cafile: join(PKI, 'ca.pem') },
    { ssl_certificate: join(PKI, 'node-b.pem'), ssl_keyfile: join(PKI, 'node-b.key'), ssl_cafile: join(PKI, 'ca.pem') },
  ],
];

for (const [mode, optsA, optsB] of MODES) {
  test(`${mode}: lost peering: immediate re-dial, retries on the interval, no replay, accepting side passive, unpeer cancels`, async () => {
    const clock = new ManualClock();
    const a = new Endpoint({ ...optsA, node_id: A, clock, env: {} });
    const b = new Endpoint({ ...optsB, node_id: B, clock, env: {} });
    const ea = record(a);
    const eb = record(b);
    const atB: Data[] = [];
    b.on('data', (_t, v) => atB.push(v));
    b.subscribe('/tick');
    const proxy = new TcpProxy(await b.listen('127.0.0.1', 0, 0));
    const port = await proxy.listen();
    const net = { address: '127.0.0.1', bound_port: port, retry: 2 };
    try {
      assert.is(await a.peer('127.0.0.1', port, 2), true);
      await waitFor(() => eb.length === 2 && a.hasRemoteSubscriber('/tick'));
      assert.equal(a.peers(), [{ peer: { id: B, network: net }, status: PeerStatus.PEERED, outbound: true }]);
      a.publish('/tick', count(1));
      await waitFor(() => atB.length === 1);

      // Cut the connection while the target stays reachable: A is back at once, without any clock.
      proxy.cut();
      await waitFor(() => ea.length === 6 && eb.length === 6, 3000, 'the re-dial');
      assert.equal(names(ea), [`endpoint_discovered ${b8}`, `peer_added ${b8}`, `peer_lost ${b8}`, `endpoint_unreachable ${b8}`, `endpoint_discovered ${b8}`, `peer_added ${b8}`]);
      assert.equal(names(eb), [`endpoint_discovered ${a8}`, `peer_added ${a8}`, `peer_lost ${a8}`, `endpoint_unreachable ${a8}`, `endpoint_discovered ${a8}`, `peer_added ${a8}`]);
      assert.is(proxy.accepted, 2);

      // Now the target is unreachable for a while.
      proxy.refuse = true;
      proxy.cut();
      await waitFor(() => ea.length === 9, 3000, 'the immediate re-dial to fail');
      assert.equal(names(ea).slice(6), [`peer_lost ${b8}`, `endpoint_unreachable ${b8}`, 'peer_unavailable 00000000']);
      await waitFor(() => eb.length === 8);
      assert.equal(a.peers(), [{ peer: { id: B, network: net }, status: PeerStatus.RECONNECTING, outbound: true }]);
      assert.equal(b.peers(), [], 'the accepting side keeps nothing to reconnect');
      assert.is(a.publish('/tick', count(2)), 0, 'published while down: not queued');
      clock.advance(1999);
      await new Promise((r) => setTimeout(r, 30));
      assert.is(proxy.refused, 1, 'no attempt before the interval');
      clock.advance(1);
      await waitFor(() => proxy.refused === 2 && ea.length === 10, 3000, 'the second attempt');
      assert.equal(ea[9]!.name, 'peer_unavailable');
      proxy.refuse = false;
      a.publish('/tick', count(3));
      clock.advance(2000);
      await waitFor(() => ea.length === 12 && eb.length === 10, 3000, 'the reconnect');
      assert.equal(names(ea).slice(10), [`endpoint_discovered ${b8}`, `peer_added ${b8}`]);
      assert.equal(names(eb).slice(8), [`endpoint_discovered ${a8}`, `peer_added ${a8}`]);
      assert.equal(a.peers(), [{ peer: { id: B, network: net }, status: PeerStatus.PEERED, outbound: true }]);
      assert.is(proxy.accepted + proxy.refused, 5, 'B never dialled');
      await waitFor(() => a.hasRemoteSubscriber('/tick'));
      a.publish('/tick', count(4));
      await waitFor(() => atB.length === 2);
      assert.equal(
        atB.map((v) => (v.type === 'count' ? v.value : -1)),
        [1, 4],
        'ticks 2 and 3 were published while disconnected and are gone',
      );

      // Down again, then unpeer while reconnecting: no more attempts.
      proxy.refuse = true;
      proxy.cut();
      await waitFor(() => ea.length === 15);
      assert.equal(a.peers()[0]?.status, PeerStatus.RECONNECTING);
      assert.is(await a.unpeer('127.0.0.1', port), true);
      assert.equal(a.peers(), []);
      const refusedBefore = proxy.refused;
      clock.advance(10_000);
      await new Promise((r) => setTimeout(r, 30));
      assert.is(proxy.refused, refusedBefore, 'unpeer cancelled reconnecting');
      assert.is(ea.length, 15, 'no more events');
    } finally {
      await a.shutdown();
      await b.shutdown();
      await proxy.close();
    }
  });
}

test('peer() to a target that is not up yet: CONNECTING, an error per attempt, then peered', async () => {
  const clock = new ManualClock();
  const a = new Endpoint({ node_id: A, disable_ssl: true, clock, env: {} });
  const b = new Endpoint({ node_id: B, disable_ssl: true, clock, env: {} });
  const ea = record(a);
  const proxy = new TcpProxy(await b.listen('127.0.0.1', 0, 0));
  proxy.refuse = true;
  const port = await proxy.listen();
  try {
    const peered = a.peer('127.0.0.1', port, 1);
    await waitFor(() => ea.length === 1);
    assert.equal(a.peers(), [{ peer: { id: '00000000-0000-0000-0000-000000000000', network: { address: '127.0.0.1', bound_port: port, retry: 1 } }, status: PeerStatus.CONNECTING, outbound: true }]);
    assert.ok(a.isOutboundPeering('127.0.0.1', port));
    proxy.refuse = false;
    clock.advance(1000);
    assert.is(await peered, true);
    assert.equal(names(ea), ['peer_unavailable 00000000', `endpoint_discovered ${b8}`, `peer_added ${b8}`]);
  } finally {
    await a.shutdown();
    await b.shutdown();
    await proxy.close();
  }
});

test('peerNoRetry and retry 0: one attempt, no reconnect after a loss', async () => {
  const a = new Endpoint({ node_id: A, disable_ssl: true, env: {} });
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {} });
  const ea = record(a);
  const proxy = new TcpProxy(await b.listen('127.0.0.1', 0, 0));
  const port = await proxy.listen();
  try {
    assert.is(await a.peerNoRetry('127.0.0.1', port), true);
    proxy.cut();
    await waitFor(() => ea.length === 4);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(names(ea), [`endpoint_discovered ${b8}`, `peer_added ${b8}`, `peer_lost ${b8}`, `endpoint_unreachable ${b8}`]);
    assert.is(proxy.accepted, 1);
    assert.equal(a.peers(), []);
    assert.not.ok(a.isOutboundPeering('127.0.0.1', port));
  } finally {
    await a.shutdown();
    await b.shutdown();
    await proxy.close();
  }
});

test('the remote side unpeers gracefully: we answer the BYE, see peer_lost and re-dial', async () => {
  const clock = new ManualClock();
  const a = new Endpoint({ node_id: A, disable_ssl: true, clock, env: {} });
  const b = new Endpoint({ node_id: B, disable_ssl: true, clock, env: {} });
  const ea = record(a);
  const eb = record(b);
  const proxy = new TcpProxy(await b.listen('127.0.0.1', 0, 0));
  const port = await proxy.listen();
  try {
    assert.is(await a.peer('127.0.0.1', port, 1), true);
    await waitFor(() => eb.length === 2);
    const inbound = b.peers()[0]!.peer.network!;
    assert.is(await b.unpeer(inbound.address, inbound.bound_port), true, 'B unpeers the inbound peering by its remote address');
    assert.equal(names(eb).slice(2, 4), [`peer_removed ${a8}`, `endpoint_unreachable ${a8}`]);
    await waitFor(() => ea.length >= 6, 3000, 'A to re-dial');
    assert.equal(names(ea), [`endpoint_discovered ${b8}`, `peer_added ${b8}`, `peer_lost ${b8}`, `endpoint_unreachable ${b8}`, `endpoint_discovered ${b8}`, `peer_added ${b8}`]);
  } finally {
    await a.shutdown();
    await b.shutdown();
    await proxy.close();
  }
});

test('unpeer without a pong closes after the unpeer timeout', async () => {
  const clock = new ManualClock();
  const server = new RawServer();
  const port = await server.listen();
  const a = new Endpoint({ node_id: A, disable_ssl: true, clock, env: {} });
  const ea = record(a);
  try {
    const { encodeHandshake, hello, probe, responderSynAck } = await import('../../modern/native/index.ts');
    const peered = a.peerNoRetry('127.0.0.1', port);
    const s = await server.accept();
    await s.next();
    s.write(encodeHandshake(probe()));
    s.write(encodeHandshake(hello(B)));
    await s.next(); // version_select
    await s.next(); // originator_syn
    s.write(encodeHandshake(responderSynAck([])));
    await s.next(); // originator_ack
    assert.is(await peered, true);
    let done = false;
    const unpeered = a.unpeer(B).then((r) => ((done = true), r));
    const bye = await s.nextHex();
    assert.ok(bye.endsWith('4259450100000000000010'), 'the BYE ping');
    clock.advance(2999);
    await new Promise((r) => setTimeout(r, 30));
    assert.not.ok(done, 'still waiting for the pong');
    clock.advance(1);
    assert.is(await unpeered, true);
    await s.whenClosed();
    assert.equal(names(ea), [`endpoint_discovered ${b8}`, `peer_added ${b8}`, `peer_removed ${b8}`, `endpoint_unreachable ${b8}`]);
  } finally {
    await a.shutdown();
    await server.close();
  }
});

test.after(() => generated.cleanup());

test.run();
