// The per-connection machinery without sockets: the handshake state machine in all four role
// combinations, a Peering pair over the in-memory transport with an injected clock (handshake,
// routing, ping/pong, BYE, handshake timeout), and the routing view of envelopes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { memoryTransportPair } from '../../src/core/transport.ts';
import { ErrorCode } from '../../modern/constants.ts';
import { count } from '../../modern/data/index.ts';
import { EnvelopeView, Receiver } from '../../modern/native/envelope-view.ts';
import { Handshake, type Admission, type HandshakeRole } from '../../modern/native/peering-handshake.ts';
import { Peering, type PeeringHost } from '../../modern/native/peering.ts';
import { LocalRoutes } from '../../modern/endpoint/local-routes.ts';
import {
  NIL_ENDPOINT,
  decodeHandshake,
  dropConn,
  encodeEnvelope,
  encodeHandshake,
  endpointIdBytes,
  ping,
  routingUpdate,
  type HandshakeMessage,
} from '../../modern/native/index.ts';
import { waitFor } from './endpoint-helpers.ts';

const SMALL = '11111111-1111-5111-8111-111111111111';
const LARGE = '99999999-9999-5999-9999-999999999999';

interface Side {
  hs: Handshake;
  sent: string[];
  inbox: Uint8Array[];
}

function side(role: HandshakeRole, id: string, filter: string[], admission: () => Admission = () => ({ kind: 'proceed' }), known = false): Side {
  const s: Side = { hs: undefined as unknown as Handshake, sent: [], inbox: [] };
  s.hs = new Handshake(role, {
    nodeId: id,
    localFilter: () => filter,
    admit: () => admission(),
    knowsPeer: () => known,
    send: (m: HandshakeMessage) => {
      s.sent.push(m.type);
      s.inbox.push(encodeHandshake(m).subarray(4));
    },
  });
  return s;
}

/** Delivers queued messages back and forth until both sides are quiet. */
function run(a: Side, b: Side): void {
  a.hs.start();
  b.hs.start();
  for (let guard = 0; guard < 20 && (a.inbox.length || b.inbox.length); guard++) {
    for (const m of a.inbox.splice(0)) b.hs.receive(m);
    for (const m of b.inbox.splice(0)) a.hs.receive(m);
  }
}

for (const [connectorId, acceptorId, expected] of [
  [SMALL, LARGE, { c: ['hello', 'version_select', 'originator_syn', 'originator_ack'], a: ['probe', 'hello', 'responder_syn_ack'] }],
  [LARGE, SMALL, { c: ['hello', 'responder_syn_ack'], a: ['probe', 'version_select', 'originator_syn', 'originator_ack'] }],
] as const) {
  test(`handshake: connector ${connectorId.slice(0, 4)} / acceptor ${acceptorId.slice(0, 4)} — the smaller id originates`, () => {
    const c = side('connector', connectorId, ['/c']);
    const a = side('acceptor', acceptorId, ['/a', '/b']);
    run(c, a);
    assert.equal(c.sent, [...expected.c]);
    assert.equal(a.sent, [...expected.a]);
    assert.equal([c.hs.step, a.hs.step], ['done', 'done']);
    assert.equal([c.hs.peerId, a.hs.peerId], [acceptorId, connectorId]);
    assert.equal([c.hs.peerFilter, a.hs.peerFilter], [['/a', '/b'], ['/c']]);
    assert.equal([c.hs.originator, a.hs.originator], [connectorId < acceptorId, acceptorId < connectorId]);
  });
}

test('handshake: refusal, redundancy and pausing', () => {
  // The originator refuses a peer it is already connected to: drop_conn 39, ends as redundant.
  const c = side('connector', LARGE, []);
  const a = side('acceptor', SMALL, [], () => ({ kind: 'refuse', code: ErrorCode.REDUNDANT_CONNECTION, text: 'redundant connection', redundant: true }));
  run(c, a);
  assert.equal(a.sent, ['probe', 'drop_conn']);
  assert.is(a.hs.step, 'redundant');
  assert.is(c.hs.step, 'failed', 'the connector does not know the peer: an error');
  assert.equal([c.hs.failure?.code, c.hs.failure?.remote?.description], [39, 'redundant connection']);

  const known = side('connector', LARGE, [], undefined, true);
  const again = side('acceptor', SMALL, [], () => ({ kind: 'refuse', code: ErrorCode.REDUNDANT_CONNECTION, text: 'redundant connection', redundant: true }));
  run(known, again);
  assert.is(known.hs.step, 'redundant', 'a peer we know: keep the other connection quietly');

  // Paused while another handshake with the same peer runs, then resolved with drop_conn 39.
  const p = side('acceptor', SMALL, [], () => ({ kind: 'wait' }));
  const q = side('connector', LARGE, [], undefined, true);
  run(q, p);
  assert.is(p.hs.step, 'paused');
  p.hs.resolvePaused();
  for (const m of p.inbox.splice(0)) q.hs.receive(m);
  assert.equal([p.hs.step, q.hs.step], ['redundant', 'redundant']);
  assert.equal(p.sent.at(-1), 'drop_conn');

  // A well-formed message out of order fails without a drop_conn.
  const x = side('acceptor', SMALL, []);
  x.hs.start();
  assert.is(x.hs.receive(encodeHandshake({ type: 'originator_ack' }).subarray(4)), 'failed');
  assert.equal(x.sent, ['probe']);
  assert.is(x.hs.failure?.code, ErrorCode.UNEXPECTED_HANDSHAKE_MESSAGE);
  // A drop_conn with any other code ends the handshake with that code.
  const y = side('connector', SMALL, []);
  y.hs.start();
  y.hs.receive(encodeHandshake(dropConn(LARGE, ErrorCode.SHUTTING_DOWN, 'shutting down')).subarray(4));
  assert.equal([y.hs.step, y.hs.failure?.code, y.hs.failure?.message, y.hs.peerId], ['failed', 28, 'shutting down', LARGE]);
});

function host(id: string, clock: ManualClock, log: string[]): PeeringHost {
  let seq = 0n;
  return {
    nodeId: id,
    clock,
    localFilter: () => ['/t'],
    admit: () => ({ kind: 'proceed' }),
    knowsPeer: () => false,
    byeToken: () => ++seq,
    established: (p) => log.push(`established ${p.peerId?.slice(0, 4)}`),
    received: (_p, view) => log.push(`received ${view.type} ${view.topic}`),
    dropped: (_p, err) => log.push(`dropped ${err.code}`),
    closed: (p) => log.push(`closed ${p.established ? p.end : p.handshake.step}`),
  };
}

const OPTIONS = { capacity: 16, policy: 'disconnect' as const, ttl: 16, unpeerTimeoutMs: 3000, handshakeTimeoutMs: 5000, maxFrameSize: 1 << 20 };

test('Peering over the in-memory transport: handshake, data to the host, pings answered, BYE closes', async () => {
  const clock = new ManualClock();
  const [ta, tb] = memoryTransportPair();
  const la: string[] = [];
  const lb: string[] = [];
  const a = new Peering(host(SMALL, clock, la), ta, { ...OPTIONS, role: 'connector' });
  const b = new Peering(host(LARGE, clock, lb), tb, { ...OPTIONS, role: 'acceptor' });
  a.start();
  b.start();
  await waitFor(() => la.length === 1 && lb.length === 1);
  assert.equal([la, lb], [['established 9999'], ['established 1111']]);
  assert.equal([a.filter, b.filter], [['/t'], ['/t']]);
  assert.ok(a.matches('/t/x') && !a.matches('/u'));
  assert.ok(a.send(encodeEnvelope({ type: 'data', sender: SMALL, receiver: NIL_ENDPOINT, ttl: 16, topic: '/t/1', value: count(1) })));
  assert.ok(a.send(encodeEnvelope(ping(SMALL, LARGE, Uint8Array.of(1, 2, 3)))));
  a.unpeer();
  await waitFor(() => la.length === 2 && lb.length === 3);
  assert.equal(lb, ['established 1111', 'received 1 /t/1', 'closed lost']);
  assert.equal(la, ['established 9999', 'closed removed']);
  assert.is(b.messagesIn, 3, 'data, ping, BYE ping');
});

test('Peering.matches follows routing updates for a topic asked about just before', async () => {
  const clock = new ManualClock();
  const [ta, tb] = memoryTransportPair();
  const la: string[] = [];
  const a = new Peering(host(SMALL, clock, la), ta, { ...OPTIONS, role: 'connector' });
  const b = new Peering(host(LARGE, clock, []), tb, { ...OPTIONS, role: 'acceptor' });
  a.start();
  b.start();
  await waitFor(() => a.established && b.established);
  assert.ok(a.matches('/t/x'));
  assert.not.ok(a.matches('/u/x'));
  assert.not.ok(a.matches('/u/x'), 'asked twice');
  assert.ok(b.send(encodeEnvelope(routingUpdate(LARGE, SMALL, ['/t', '/u']))));
  await waitFor(() => a.filter.length === 2);
  assert.ok(a.matches('/u/x'), 'the same topic after the update');
  a.destroy();
  b.destroy();
});

test('LocalRoutes.match follows filter changes, attaches and removals for the same topic', () => {
  const routes = new LocalRoutes();
  const x = routes.add({ id: 'x' }, ['/a'], { hop: SMALL });
  assert.equal(routes.match('/a/1'), [x]);
  assert.equal(routes.match('/b/1'), []);
  const y = routes.add({ id: 'y' }, ['/b'], { hop: SMALL });
  assert.equal(routes.match('/b/1'), [y]);
  routes.setFilter(x, ['/b']);
  assert.equal(routes.match('/b/1'), [x, y]);
  routes.remove(y);
  assert.equal(routes.match('/b/1'), [x]);
  assert.equal(routes.match('/a/1'), []);
});

test('Peering: the handshake times out on the injected clock', async () => {
  const clock = new ManualClock();
  const [ta] = memoryTransportPair();
  const log: string[] = [];
  const a = new Peering(host(SMALL, clock, log), ta, { ...OPTIONS, role: 'connector' });
  a.start();
  clock.advance(4999);
  assert.equal(log, []);
  clock.advance(1);
  assert.equal(log, ['closed failed']);
  assert.equal([a.handshake.failure?.code, a.handshake.failure?.message], [ErrorCode.CONNECTION_TIMEOUT, 'handshake timed out']);
});

test('EnvelopeView: header fields, receiver classes, topic cache, errors', () => {
  const view = new EnvelopeView(endpointIdBytes(LARGE));
  const frame = (topic: string, receiver: string) => encodeEnvelope({ type: 'data', sender: SMALL, receiver, ttl: 7, topic, value: count(1) }).subarray(4);
  const p = frame('/ab', NIL_ENDPOINT);
  view.parse(p);
  assert.equal([view.type, view.ttl, view.topic, view.receiver, view.bodyOffset], [1, 7, '/ab', Receiver.ANY, 40]);
  view.parse(frame('/cd', LARGE));
  assert.equal([view.topic, view.receiver], ['/cd', Receiver.SELF], 'same length, other bytes: not the cached topic');
  view.parse(frame('/cd', SMALL));
  assert.equal([view.topic, view.receiver], ['/cd', Receiver.OTHER]);
  const bad = (bytes: Uint8Array, code: string) => {
    try {
      view.parse(bytes);
      assert.unreachable(code);
    } catch (err) {
      assert.is((err as { code: string }).code, code);
    }
  };
  bad(p.subarray(0, 36), 'message_too_short');
  bad(Uint8Array.from(p).fill(6, 32, 33), 'invalid_message_type');
  bad(Uint8Array.from(p).fill(0xff, 35, 37), 'truncated');
  bad(Uint8Array.from(p).fill(0xff, 37, 38), 'invalid_topic');
  // Topics of the same length differing in any one byte are never taken for the cached one.
  for (let n = 0; n <= 11; n++) {
    const base = 'abcdefghijk'.slice(0, n);
    for (let i = -1; i < n; i++) {
      const t = i < 0 ? base : `${base.slice(0, i)}Z${base.slice(i + 1)}`;
      view.parse(frame(t, i % 2 === 0 ? LARGE : NIL_ENDPOINT));
      assert.is(view.topic, t);
      assert.is(view.receiver, i % 2 === 0 ? Receiver.SELF : Receiver.ANY);
      view.parse(frame(base, NIL_ENDPOINT));
      assert.is(view.topic, base);
    }
  }
  // In place inside a larger buffer: the same fields, offsets relative to the payload.
  const inner = frame('/ef', LARGE);
  const outer = new Uint8Array(inner.length + 10);
  outer.set(inner, 7);
  view.parse(outer, 7, 7 + inner.length);
  assert.equal([view.type, view.topic, view.receiver, view.bodyOffset, view.start, view.end], [1, '/ef', Receiver.SELF, 40, 7, 7 + inner.length]);
  assert.equal(view.payload(), inner);
  assert.equal(view.body(), inner.subarray(40));
  try {
    view.parse(outer, 7, 7 + 36);
    assert.unreachable('short');
  } catch (err) {
    assert.equal([(err as { code: string }).code, (err as { offset: number }).offset], ['message_too_short', 0]);
  }
  assert.is(decodeHandshake(encodeHandshake({ type: 'originator_ack' }).subarray(4)).type, 'originator_ack');
});

test.run();
