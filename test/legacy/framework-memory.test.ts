// The framework over the Transport seam with in-memory pairs (no sockets): a custom dialer on one
// side and accept() on the other, our opening bytes as an outbound peer, the output-queue bound
// with both policies, and listener exceptions that must not break a connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryTransportPair, type Transport } from '../../src/core/transport.ts';
import { countVal, stringVal } from '../../legacy/codec/builders.ts';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder } from '../../legacy/codec/stream-encoder.ts';
import { makeVersion } from '../../legacy/codec/version.ts';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import type { Dialer } from '../../legacy/framework/dial.ts';
import { startFramework, until, type Harness } from './framework-helpers.ts';
import { describe } from './helpers.ts';

/** A dialer that hands the far end of an in-memory pair to `onFar`. */
function memoryDialer(onFar: (t: Transport) => void): Dialer {
  return async () => {
    const [near, far] = memoryTransportPair({ remoteAddress: '127.0.0.1', remotePort: 47757 }, { remoteAddress: '127.0.0.1', remotePort: 40000 });
    onFar(far);
    return near;
  };
}

async function memoryPair(aExtra: object = {}, bExtra: object = {}): Promise<{ a: Harness; b: Harness; id: number }> {
  const b = await startFramework({ listen: false, nodes: { a: { host: '127.0.0.1', events: '/^(ping)$/' } }, ...bExtra });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', connect: true } }, ...aExtra }, { dialer: memoryDialer((far) => b.fw.accept(far)) });
  const id = [...a.fw.pending_peers.keys()][0]!;
  await until(() => a.of('remote_event_registered').length === 1, 'ping registered');
  return { a, b, id };
}

test('two frameworks over an in-memory pair: dialer seam, accept(), events', async () => {
  const { a, b, id } = await memoryPair();
  assert.equal([...a.fw.connected_peers.keys()], [id]);
  assert.is(a.fw.send_event('ping', [countVal(1)]), 1);
  await until(() => b.of('remote_event').length === 1, 'ping');
  assert.is(b.of('remote_event')[0]![0].peer.host, '127.0.0.1');
  assert.is(b.of('remote_event')[0]![0].node, 'a');
  await a.fw.stop();
  await b.fw.stop();
});

test('outbound: our VERSION carries the node\'s class and our runtime; peer_description follows', async () => {
  const replies: LegacyMessage[] = [];
  const dec = new LegacyStreamDecoder();
  const clock = new (await import('../../src/core/clock.ts')).ManualClock();
  let far: Transport | undefined;
  const dialer = memoryDialer((t) => {
    far = t;
    t.start({ data: (bytes) => (dec.push(bytes), replies.push(...dec.drain())), close: () => undefined });
  });
  const h = await startFramework({ listen: false, peer_description: 'bridge-7', nodes: { bro: { host: '127.0.0.1', class: 'alpha', events: '/^(x|y)$/', capture_filter: 'tcp', sync: true, auth: true, request_logs: true } } }, { clock, dialer });
  clock.advance(7000);
  h.fw.connect_peer('bro');
  await until(() => replies.length === 2, 'our opening');
  assert.equal(replies.map(describe), ["VERSION 7 3000 26 7 'alpha'", 'ID peer_description = "bridge-7"']);
  // A Bro-like peer answers: the handshake requests come in the spec's order.
  const enc = new LegacyStreamEncoder();
  far!.write(enc.encode({ ...makeVersion({ runtime: 1, class: '' }) }));
  await until(() => replies.length === 8, 'handshake');
  assert.equal(replies.slice(2).map(describe), ['CAPS 0x13', 'REQUEST_EVENTS x,y', "CAPTURE_FILTER 'tcp'", 'REQUEST_SYNC 1', 'REQUEST_LOGS', 'PHASE_DONE']);
  await h.fw.stop();
});

for (const policy of ['drop', 'disconnect'] as const) {
  test(`output queue bound, policy ${policy}`, async () => {
    const { a, b } = await memoryPair({ max_queued_bytes: 2000, queue_overflow: policy });
    let sent = 0;
    for (let i = 0; i < 200; i++) sent += a.fw.send_event('ping', [stringVal(`event number ${i} with some padding`)]);
    if (policy === 'drop') {
      assert.ok(sent > 10 && sent < 200, `sent ${sent}`);
      assert.is(a.fw.peers()[0]!.stats.eventsDropped, 200 - sent);
      assert.is(a.log().match(/dropping events/g)?.length, 1, 'one log line per overflow episode');
      await until(() => b.of('remote_event').length === sent, 'the events that fit');
      assert.is(a.fw.send_event('ping', [countVal(1)]), 1, 'the connection is still up');
    } else {
      assert.ok(sent < 200);
      assert.match(a.of('remote_connection_error')[0]![1], /output queue over 2000 bytes \(peer is not reading\); disconnecting/);
      await until(() => a.of('remote_connection_closed').length === 1, 'closed');
    }
    await a.fw.stop();
    await b.fw.stop();
  });
}

test('an event too large for a Broccoli peer (no PARTIAL chunks) is refused at send_event; the connection stays', async () => {
  const { a, b } = await memoryPair();
  // Pretend B is Broccoli: its CAPS announce BROCCOLI_PEER. (B is a framework; patch the flag.)
  const session = [...a.fw.sessions.values()][0]!;
  (session as unknown as { encoder: { noPartial: boolean } }).encoder.noPartial = true;
  assert.throws(() => a.fw.send_event('ping', [stringVal('x'.repeat(1_100_000))]), (e: Error & { code?: string }) => e.code === 'oversize_chunk');
  assert.is(a.fw.send_event('ping', [countVal(2)]), 1);
  await until(() => b.of('remote_event').length === 1, 'the next event');
  await a.fw.stop();
  await b.fw.stop();
});

test('a listener that throws is logged and does not break the connection', async () => {
  const { a, b } = await memoryPair();
  b.fw.on('remote_event', () => {
    throw new Error('boom');
  });
  a.fw.send_event('ping', [countVal(1)]);
  a.fw.send_event('ping', [countVal(2)]);
  await until(() => b.of('remote_event').length === 2, 'both events despite the throwing listener');
  assert.match(b.log(), /a listener for remote_event threw: boom/);
  await a.fw.stop();
  await b.fw.stop();
});

test.run();
