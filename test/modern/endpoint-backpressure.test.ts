// The outgoing side of a peering: one write per tick for many frames, frames held while the
// transport is congested, and Broker's overflow policies (disconnect, drop_newest, drop_oldest) —
// on a fake transport, and end to end with a peer that stops reading.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Transport, TransportHandlers } from '../../src/core/transport.ts';
import { count, str } from '../../modern/data/index.ts';
import { Endpoint, type OverflowPolicy } from '../../modern/endpoint/index.ts';
import { OutBuffer } from '../../modern/native/out-buffer.ts';
import {
  decodeEnvelope,
  encodeHandshake,
  hello,
  originatorAck,
  originatorSyn,
  versionSelect,
} from '../../modern/native/index.ts';
import { FrameSocket, connectRaw, names, record, waitFor } from './endpoint-helpers.ts';

class FakeTransport implements Transport {
  readonly info = { localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2, tls: false };
  writes: Uint8Array[] = [];
  /** What write() returns (false = congested until drain). */
  accept = true;
  start(_h: TransportHandlers): void {}
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes);
    return this.accept;
  }
  cork(): void {}
  uncork(): void {}
  readonly pendingBytes = 0;
  end(): void {}
  destroy(): void {}
}

const frameOf = (n: number) => Uint8Array.of(0, 0, 0, 1, n);
const bytesOf = (writes: Uint8Array[]) => writes.flatMap((w) => [...w]);
const microtask = () => new Promise<void>((r) => queueMicrotask(r));

test('OutBuffer: frames pushed in one tick go out in one write', async () => {
  const t = new FakeTransport();
  const out = new OutBuffer(t, { capacity: 8, policy: 'disconnect' }, () => assert.unreachable());
  for (let i = 0; i < 5; i++) out.push(frameOf(i));
  assert.is(t.writes.length, 0, 'nothing before the end of the tick');
  await microtask();
  assert.is(t.writes.length, 1);
  for (let i = 5; i < 25; i++) out.push(frameOf(i));
  assert.is(t.writes.length, 3, 'a burst above capacity is written in batches of capacity, not dropped');
  await microtask();
  assert.is(t.writes.length, 4);
  assert.equal(bytesOf(t.writes), Array.from({ length: 25 }, (_, i) => [0, 0, 0, 1, i]).flat());
  assert.equal(out.stats().overflows, 0);
  assert.is(out.stats().messages, 25);
});

test('OutBuffer: a large batch is written before the end of the tick', () => {
  const t = new FakeTransport();
  const out = new OutBuffer(t, { capacity: 1000, policy: 'disconnect', flushBytes: 10 }, () => undefined);
  out.push(frameOf(1));
  assert.is(t.writes.length, 0);
  out.push(frameOf(2));
  assert.is(t.writes.length, 1, '10 bytes reached');
});

for (const [policy, kept] of [
  ['drop_newest', [0, 1, 2]],
  ['drop_oldest', [4, 5, 6]],
] as [OverflowPolicy, number[]][]) {
  test(`OutBuffer: while congested, ${policy} keeps ${kept.join(',')} of 0..6`, async () => {
    const t = new FakeTransport();
    t.accept = false;
    const out = new OutBuffer(t, { capacity: 3, policy }, () => assert.unreachable());
    out.push(frameOf(99));
    await microtask();
    assert.is(t.writes.length, 1);
    assert.ok(out.isCongested);
    for (let i = 0; i < 7; i++) out.push(frameOf(i));
    await microtask();
    assert.is(t.writes.length, 1, 'nothing written while congested');
    assert.equal(out.stats().queued, 3);
    assert.equal(out.stats().overflows, 4);
    t.accept = true;
    out.onDrain();
    assert.equal(bytesOf(t.writes.slice(1)), kept.flatMap((n) => [0, 0, 0, 1, n]));
    assert.equal(out.stats().queued, 0);
  });
}

test('OutBuffer: disconnect gives up once and refuses everything after', async () => {
  const t = new FakeTransport();
  t.accept = false;
  let overflowed = 0;
  const out = new OutBuffer(t, { capacity: 2, policy: 'disconnect' }, () => overflowed++);
  out.push(frameOf(0));
  await microtask();
  assert.ok(out.push(frameOf(1)));
  assert.ok(out.push(frameOf(2)));
  assert.not.ok(out.push(frameOf(3)));
  assert.not.ok(out.push(frameOf(4)));
  assert.is(overflowed, 1);
});

test('OutBuffer: drop_oldest over many frames compacts and keeps the newest in order', async () => {
  const t = new FakeTransport();
  t.accept = false;
  const out = new OutBuffer(t, { capacity: 100, policy: 'drop_oldest' }, () => undefined);
  out.push(frameOf(0));
  await microtask();
  for (let i = 0; i < 5000; i++) out.push(Uint8Array.of(0, 0, 0, 2, i >> 8, i & 255));
  t.accept = true;
  out.onDrain();
  const last = t.writes.at(-1)!;
  assert.is(last.length, 600);
  for (let k = 0; k < 100; k++) {
    const i = 4900 + k;
    assert.equal([...last.subarray(k * 6, k * 6 + 6)], [0, 0, 0, 2, i >> 8, i & 255]);
  }
});

const B = '99999999-9999-5999-9999-999999999999';
const LOW = '00000000-0000-5000-8000-000000000001';

/** A raw originator that completes the handshake and then stops reading. */
async function stalledPeer(port: number): Promise<FrameSocket> {
  const s = await connectRaw(port);
  s.write(encodeHandshake(hello(LOW)));
  await s.next();
  await s.next();
  s.write(encodeHandshake(versionSelect(LOW)));
  s.write(encodeHandshake(originatorSyn(['/big'])));
  await s.next();
  s.write(encodeHandshake(originatorAck()));
  return s;
}

/** Publishes 64 KiB values until the peer's buffer overflowed (or `max` messages). */
async function flood(ep: Endpoint, max: number): Promise<number> {
  const blob = str('x'.repeat(64 << 10));
  let n = 0;
  while (n < max) {
    for (let i = 0; i < 16; i++, n++) ep.publish('/big', { type: 'vector', elements: [count(n), blob] });
    await new Promise((r) => setImmediate(r));
    const s = ep.peeringStats().get(LOW);
    if (!s || s.num_overflows > 0) break;
  }
  return n;
}

test('a peer that stops reading is removed with backpressure_overflow (disconnect policy)', async () => {
  const ep = new Endpoint({ node_id: B, disable_ssl: true, env: {}, peer_buffer_size: 8, peer_overflow_policy: 'disconnect' });
  const events = record(ep);
  const port = await ep.listen('127.0.0.1', 0, 0);
  const s = await stalledPeer(port);
  try {
    await waitFor(() => ep.hasRemoteSubscriber('/big'));
    s.socket.pause();
    await flood(ep, 4000);
    await waitFor(() => events.length === 4, 3000, 'the removal');
    assert.equal(names(events), ['endpoint_discovered 00000000', 'peer_added 00000000', 'peer_removed 00000000', 'endpoint_unreachable 00000000']);
    assert.match(events[2]!.message, 'caf::sec::backpressure_overflow');
    assert.equal(ep.peers(), []);
    s.socket.resume();
    await s.whenClosed();
  } finally {
    s.destroy();
    await ep.shutdown();
  }
});

for (const policy of ['drop_oldest', 'drop_newest'] as const) {
  test(`a slow peer under ${policy} stays peered and loses messages from the ${policy === 'drop_oldest' ? 'middle' : 'end'}`, async () => {
    const ep = new Endpoint({ node_id: B, disable_ssl: true, env: {}, peer_buffer_size: 8, peer_overflow_policy: policy });
    const events = record(ep);
    const port = await ep.listen('127.0.0.1', 0, 0);
    const s = await stalledPeer(port);
    try {
      await waitFor(() => ep.hasRemoteSubscriber('/big'));
      s.socket.pause();
      const sent = await flood(ep, 4000);
      for (let i = 0; i < 4; i++) ep.publish('/big', { type: 'vector', elements: [count(sent + i), str('tail')] });
      const stats = ep.peeringStats().get(LOW)!;
      assert.ok(stats.num_overflows > 0);
      assert.is(stats.num_queued, 8);
      s.socket.resume();
      const seen: number[] = [];
      const last = sent + 3;
      await waitFor(
        () => {
          for (const f of s.take()) {
            const env = decodeEnvelope(f.subarray(4));
            const first = env.type === 'data' && env.value.type === 'vector' ? env.value.elements[0] : undefined;
            if (first?.type === 'count') seen.push(Number(first.value));
          }
          return policy === 'drop_oldest' ? seen.at(-1) === last : seen.length > 0 && s.queued === 0 && ep.peeringStats().get(LOW)!.num_queued === 0;
        },
        5000,
        'the backlog',
      );
      await new Promise((r) => setTimeout(r, 30));
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, 'in order');
      if (policy === 'drop_oldest') {
        assert.equal(seen.slice(-4), [sent, sent + 1, sent + 2, sent + 3], 'the newest survive');
        assert.ok(seen.length < sent, 'something in the middle was dropped');
      } else {
        assert.not.ok(seen.includes(last), 'the newest were dropped');
      }
      assert.equal(names(events), ['endpoint_discovered 00000000', 'peer_added 00000000']);
    } finally {
      s.destroy();
      await ep.shutdown();
    }
  });
}

test.run();
