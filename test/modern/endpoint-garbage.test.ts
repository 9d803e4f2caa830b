// Bad input on native connections: every handshake violation gets the drop_conn the spec gives
// (code and text) and a local error; a zero length closes without one; phase-3 garbage is dropped
// while the connection stays up; random bytes never hang the endpoint, and other peerings are
// unaffected. Redundant connections get drop_conn 39 (originator) or 40 (responder).
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, PeerStatus } from '../../modern/constants.ts';
import { count, set, str, encodeData } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import {
  MAGIC,
  decodeHandshake,
  dropConn,
  encodeEnvelope,
  encodeHandshake,
  frame,
  hello,
  originatorAck,
  originatorSyn,
  ping,
  probe,
  versionSelect,
  type HandshakeMessage,
} from '../../modern/native/index.ts';
import { toHex } from '../../src/core/json.ts';
import { FrameSocket, RawServer, connectRaw, names, record, waitFor } from './endpoint-helpers.ts';

const B = '99999999-9999-5999-9999-999999999999';
const LOW = '00000000-0000-5000-8000-000000000001';

const hex = (m: HandshakeMessage) => toHex(encodeHandshake(m));
const PROBE = hex(probe());

async function listening(id = B): Promise<{ ep: Endpoint; port: number }> {
  const ep = new Endpoint({ node_id: id, disable_ssl: true, env: {} });
  return { ep, port: await ep.listen('127.0.0.1', 0, 0) };
}

/** Sends `bytes` as the first thing on a new connection; returns the frames received until close. */
async function exchange(port: number, bytes: Uint8Array): Promise<string[]> {
  const s = await connectRaw(port);
  s.write(bytes);
  await s.whenClosed();
  const out: string[] = [];
  while (s.queued > 0) out.push(await s.nextHex());
  return out;
}

const CASES: { name: string; bytes: Uint8Array; code: number; text: string | RegExp }[] = [
  { name: 'unknown tag 0x42', bytes: frame(Uint8Array.of(0x42, 0x5a, 0x45, 0x45, 0x4b)), code: 20, text: 'invalid message type tag' },
  {
    name: 'a phase-3 envelope instead of hello',
    bytes: encodeEnvelope({ type: 'data', sender: '11111111-1111-5111-8111-111111111111', receiver: B, ttl: 16, topic: '/t', value: count(1) }),
    code: 20,
    text: 'invalid message type tag',
  },
  { name: 'bad magic', bytes: encodeHandshake({ ...hello(LOW), magic: 0x12345678 }), code: 38, text: 'wrong magic number' },
  { name: 'versions 2..3', bytes: encodeHandshake({ ...hello(LOW), minVersion: 2, maxVersion: 3 }), code: 2, text: 'unsupported versions offered' },
  { name: 'truncated hello', bytes: frame(encodeHandshake(hello(LOW)).subarray(4, 14)), code: 20, text: /^truncated input/ },
  { name: 'an HTTP request', bytes: new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), code: 20, text: /^frame of 1195725856 bytes exceeds/ },
];

for (const c of CASES) {
  test(`handshake garbage: ${c.name} → probe, drop_conn ${c.code}, close, local error`, async () => {
    const { ep, port } = await listening();
    const events = record(ep);
    try {
      const frames = await exchange(port, c.bytes);
      assert.is(frames.length, 2, 'probe and drop_conn');
      assert.is(frames[0], PROBE);
      const drop = decodeHandshake(Uint8Array.from(Buffer.from(frames[1]!, 'hex')).subarray(4));
      assert.is(drop.type, 'drop_conn');
      if (drop.type !== 'drop_conn') return;
      assert.equal([drop.code, drop.sender, drop.magic], [c.code, B, MAGIC]);
      if (typeof c.text === 'string') assert.is(drop.description, c.text);
      else assert.match(drop.description, c.text);
      await waitFor(() => events.length === 1, 2000, 'the local error');
      assert.equal([events[0]!.kind, events[0]!.code, events[0]!.message], ['error', c.code, drop.description]);
      assert.is(events[0]!.address, '127.0.0.1');
      assert.equal(ep.peers(), []);
    } finally {
      await ep.shutdown();
    }
  });
}

test('handshake garbage: a zero-length frame closes without drop_conn', async () => {
  const { ep, port } = await listening();
  const events = record(ep);
  try {
    assert.equal(await exchange(port, new Uint8Array(4)), [PROBE]);
    await waitFor(() => events.length === 1);
    assert.equal([events[0]!.name, events[0]!.code], ['invalid_message', ErrorCode.INVALID_MESSAGE]);
  } finally {
    await ep.shutdown();
  }
});

test('handshake: a valid message out of order closes without drop_conn (unexpected_handshake_message)', async () => {
  const { ep, port } = await listening();
  const events = record(ep);
  try {
    assert.equal(await exchange(port, encodeHandshake(originatorAck())), [PROBE]);
    await waitFor(() => events.length === 1);
    assert.equal(events[0]!.code, ErrorCode.UNEXPECTED_HANDSHAKE_MESSAGE);
  } finally {
    await ep.shutdown();
  }
});

/** Completes a handshake as the originator (id LOW < B) on a raw socket. */
async function handshake(port: number, id = LOW, filter: string[] = ['/t']): Promise<FrameSocket> {
  const s = await connectRaw(port);
  s.write(encodeHandshake(hello(id)));
  assert.is(await s.nextHex(), PROBE);
  assert.is((await s.nextHex()).slice(8, 10), '06', 'hello back');
  s.write(encodeHandshake(versionSelect(id)));
  s.write(encodeHandshake(originatorSyn(filter)));
  assert.is((await s.nextHex()).slice(8, 10), '0b', 'responder_syn_ack');
  s.write(encodeHandshake(originatorAck()));
  return s;
}

test('phase 3: bad envelopes are dropped, the connection stays up and pings are still answered', async () => {
  const { ep, port } = await listening();
  const events = record(ep);
  const warnings: string[] = [];
  ep.on('warning', (w) => warnings.push(w.message));
  const got: unknown[] = [];
  ep.on('data', (_t, v) => got.push(v));
  ep.subscribe('/t');
  const s = await handshake(port);
  try {
    const good = encodeEnvelope({ type: 'data', sender: LOW, receiver: '00000000-0000-0000-0000-000000000000', ttl: 16, topic: '/t/ok', value: count(42) });
    const payload = good.subarray(4);
    const bad: Uint8Array[] = [
      frame(payload.subarray(0, 20)), // shorter than an envelope header
      frame(Uint8Array.from(payload).fill(9, 32, 33)), // type 9
      frame(Uint8Array.from(payload).fill(0xff, 35, 37)), // topic longer than the frame
      frame(Uint8Array.of(...payload.subarray(0, payload.length - 9), 0x20, 0x00)), // invalid data tag
      frame(Uint8Array.of(...payload.subarray(0, payload.length - 9), ...encodeData(set([count(1), count(2)])).map((b, i, a) => (i === a.length - 1 ? 1 : b)))), // duplicate set element
      new Uint8Array(4), // an empty frame is skipped silently after the handshake
    ];
    for (const b of bad) s.write(b);
    s.write(good);
    s.write(encodeEnvelope(ping(LOW, B, new TextEncoder().encode('still-there'))));
    const pong = await s.nextHex();
    assert.ok(pong.endsWith(toHex(new TextEncoder().encode('still-there'))), 'pong echoes the payload');
    await waitFor(() => got.length === 1);
    assert.equal(warnings.length, 5, warnings.join('\n'));
    assert.equal(names(events), ['endpoint_discovered 00000000', 'peer_added 00000000'], 'no errors for phase-3 garbage');
    assert.is(ep.peeringStats().get(LOW)!.dropped_in, 5);
  } finally {
    s.destroy();
    await ep.shutdown();
  }
});

test('random bytes never hang the endpoint and leave other peerings alone', async () => {
  const { ep: b, port } = await listening();
  const a = new Endpoint({ node_id: '11111111-1111-5111-8111-111111111111', disable_ssl: true, env: {} });
  const got: unknown[] = [];
  b.on('data', (_t, v) => got.push(v));
  b.subscribe('/t');
  try {
    assert.is(await a.peer('127.0.0.1', port, 0), true);
    await waitFor(() => a.hasRemoteSubscriber('/t'));
    const started = Date.now();
    const sockets: FrameSocket[] = [];
    for (let i = 0; i < 60; i++) {
      const s = await connectRaw(port);
      // Random frames with plausible small lengths, and raw noise.
      const body = randomBytes(1 + (i % 40));
      s.write(i % 2 === 0 ? frame(body) : randomBytes(64));
      sockets.push(s);
    }
    a.publish('/t/x', str('after the garbage'));
    await waitFor(() => got.length === 1, 3000, 'the peering to keep working');
    // Connections with a frame end with drop_conn or close; noise with a huge length is refused at once.
    await waitFor(() => sockets.every((s) => s.closed || s.received > 0), 3000, 'every garbage connection to be answered');
    for (const s of sockets) s.destroy();
    assert.ok(Date.now() - started < 3000);
    assert.equal(b.peers().map((p) => p.status), [PeerStatus.PEERED]);
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

test('dialling a peer that speaks another version: drop_conn 2 both ways, peer_incompatible', async () => {
  const server = new RawServer();
  const port = await server.listen();
  const a = new Endpoint({ node_id: LOW, disable_ssl: true, env: {} });
  const ev = record(a);
  try {
    const peered = a.peerNoRetry('127.0.0.1', port);
    const s = await server.accept();
    assert.is(await s.nextHex(), hex(hello(LOW)));
    s.write(encodeHandshake(probe()));
    s.write(encodeHandshake({ ...hello(B), minVersion: 2, maxVersion: 2 }));
    assert.is(await s.nextHex(), hex(dropConn(LOW, ErrorCode.PEER_INCOMPATIBLE, 'unsupported versions offered')));
    assert.is(await peered, false);
    assert.equal(ev.map((e) => [e.name, e.message]), [['peer_incompatible', 'unsupported versions offered']]);

    // The other way round: the peer refuses us with drop_conn 2.
    const again = a.peerNoRetry('127.0.0.1', port);
    const s2 = await server.accept();
    await s2.next();
    s2.write(encodeHandshake(dropConn(B, ErrorCode.PEER_INCOMPATIBLE, 'version range not supported')));
    assert.is(await again, false);
    assert.equal(ev.at(-1)!.name, 'peer_incompatible');
    assert.equal(ev.at(-1)!.message, 'version range not supported');
    assert.equal(ev.at(-1)!.id, B);
  } finally {
    await a.shutdown();
    await server.close();
  }
});

test('a refused connect is peer_unavailable; peering with oneself is refused', async () => {
  const closed = new RawServer();
  const port = await closed.listen();
  await closed.close();
  const a = new Endpoint({ node_id: LOW, disable_ssl: true, env: {} });
  const ev = record(a);
  try {
    assert.is(await a.peerNoRetry('127.0.0.1', port), false);
    assert.equal(ev.map((e) => [e.name, e.code, e.message, e.id, e.port]), [['peer_unavailable', 4, 'unable to connect to remote peer', '00000000-0000-0000-0000-000000000000', port]]);
    const own = await a.listen('127.0.0.1', 0, 0);
    assert.is(await a.peerNoRetry('127.0.0.1', own), false);
    await waitFor(() => ev.some((e) => e.name === 'invalid_peering_request'));
    assert.equal(a.peers(), []);
  } finally {
    await a.shutdown();
  }
});

test('redundant connections: drop_conn 39 from the originator, 40 from a responder; the peering stays', async () => {
  const X = '22222222-2222-5222-8222-222222222222';
  const Y = '88888888-8888-5888-8888-888888888888';
  const { ep: x, port } = await listening(X);
  const y = new Endpoint({ node_id: Y, disable_ssl: true, env: {} });
  const ex = record(x);
  try {
    assert.is(await y.peer('127.0.0.1', port, 0), true);
    await waitFor(() => ex.length === 2);
    // Someone else claims Y's id: X originates (smaller id) and refuses it as redundant.
    const s = await connectRaw(port);
    s.write(encodeHandshake(hello(Y)));
    assert.is(await s.nextHex(), PROBE);
    assert.is(await s.nextHex(), hex(dropConn(X, ErrorCode.REDUNDANT_CONNECTION, 'redundant connection')));
    await s.whenClosed();
    // A connection claiming X's peer id with a smaller id than the responder.
    const { ep: z, port: zport } = await listening(Y);
    const ez = record(z);
    try {
      const zpeer = new Endpoint({ node_id: X, disable_ssl: true, env: {} });
      try {
        assert.is(await zpeer.peer('127.0.0.1', zport, 0), true);
        await waitFor(() => ez.length === 2);
        const t = await connectRaw(zport);
        t.write(encodeHandshake(hello(X)));
        assert.is(await t.nextHex(), PROBE);
        assert.is(await t.nextHex(), hex(hello(Y)));
        t.write(encodeHandshake(versionSelect(X)));
        assert.is(await t.nextHex(), hex(dropConn(Y, ErrorCode.LOGIC_ERROR, 'detected redundant connection at the responder')));
        await t.whenClosed();
      } finally {
        await zpeer.shutdown();
      }
    } finally {
      await z.shutdown();
    }
    assert.equal(names(ex), ['endpoint_discovered 88888888', 'peer_added 88888888'], 'the first peering is untouched');
    assert.equal(x.peers().map((p) => [p.peer.id, p.status]), [[Y, PeerStatus.PEERED]]);
  } finally {
    await y.shutdown();
    await x.shutdown();
  }
});

test('both sides dial each other at once: one peering, reported once on each side', async () => {
  const A = '11111111-1111-5111-8111-111111111111';
  const { ep: a, port: pa } = await listening(A);
  const { ep: b, port: pb } = await listening(B);
  const ea = record(a);
  const eb = record(b);
  try {
    const [ra, rb] = await Promise.all([a.peer('127.0.0.1', pb, 0), b.peer('127.0.0.1', pa, 0)]);
    assert.equal([ra, rb], [true, true]);
    await waitFor(() => ea.length >= 2 && eb.length >= 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(names(ea), ['endpoint_discovered 99999999', 'peer_added 99999999']);
    assert.equal(names(eb), ['endpoint_discovered 11111111', 'peer_added 11111111']);
    assert.equal(a.peers().map((p) => [p.peer.id, p.status]), [[B, PeerStatus.PEERED]]);
    assert.equal(b.peers().map((p) => [p.peer.id, p.status]), [[A, PeerStatus.PEERED]]);
    assert.ok(a.isOutboundPeering('127.0.0.1', pb) && b.isOutboundPeering('127.0.0.1', pa), 'both requests stay registered');
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

test.run();
