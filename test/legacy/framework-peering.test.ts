// Two framework instances peering with each other over loopback (127.0.0.1 and ::1), with the
// node flags that change what goes over the wire: events patterns, accept_input, class match and
// mismatch, compression, request_logs, ping, print, forwarding. After each step the tests look at
// pending_peers / connected_peers and the events raised on both sides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal, stringVal, vectorType, vectorVal, BASE } from '../../legacy/codec/builders.ts';
import type { LogCreateWriter } from '../../legacy/codec/log-codec.ts';
import type { NodeConfigInput } from '../../legacy/config/schema.ts';
import type { LegacyConfigInput } from '../../legacy/config/schema.ts';
import { loopbackCase, LOOPBACKS, startFramework, until, type Harness } from './framework-helpers.ts';

interface Pair {
  a: Harness;
  b: Harness;
  /** A's peer id for B (A connected). */
  id: number;
  stop(): Promise<void>;
}

/** B listens on `host`; A connects to it with node `b`; B's node `a` describes A. */
async function pair(host: string, aNode: Partial<NodeConfigInput>, bNode: Partial<NodeConfigInput> | undefined, extra: { a?: LegacyConfigInput; b?: LegacyConfigInput } = {}): Promise<Pair> {
  const v6 = host.includes(':');
  const b = await startFramework({ listen_interface: host, listen_ipv6: v6, ...extra.b, nodes: bNode === undefined ? {} : { a: { host, ...bNode } } });
  const a = await startFramework({ listen: false, ...extra.a, nodes: { b: { host, p: b.port, connect: true, ...aNode } } });
  const id = [...a.fw.pending_peers.keys()][0]!;
  return {
    a,
    b,
    id,
    stop: async () => {
      await a.fw.stop();
      await b.fw.stop();
    },
  };
}

const running = (h: Harness, n = 1): Promise<void> => until(() => h.of('remote_connection_handshake_done').length >= n, 'handshake done');

for (const host of LOOPBACKS) {
  const t = loopbackCase(test, host);

  void t('connect: pending, then connected on both sides; events only as requested; never back to the source', async () => {
    const p = await pair(host, { events: '/^(reply)$/' }, { events: '/^(ping|pong)$/' });
    const { a, b, id } = p;
    // connect issued -> pending
    assert.equal([...a.fw.pending_peers.keys()], [id]);
    assert.is(a.fw.pending_peers.get(id)!.name, 'b');
    assert.is(a.fw.connected_peers.size, 0);
    await running(a);
    await running(b);
    // established -> out of pending, into connected with connected = T and the peer record
    assert.is(a.fw.pending_peers.size, 0);
    const node = a.fw.connected_peers.get(id)!;
    assert.equal([node.name, node.connected, node.peer?.id, node.peer?.host, node.peer?.p], ['b', true, id, host, b.port]);
    const [bp] = b.of('remote_connection_established')[0]!;
    assert.is(b.fw.connected_peers.get(bp.id)!.name, 'a');
    assert.is(bp.host, host);
    assert.is(bp.descr, 'comm-bridge');
    // B asked for ping and pong; A for reply.
    await until(() => a.of('remote_event_registered').length === 2, 'registrations');
    assert.equal(a.of('remote_event_registered').map(([, n]) => n), ['ping', 'pong']);
    assert.equal(b.of('remote_event_registered').map(([, n]) => n), ['reply']);
    assert.is(a.fw.send_event('ping', [countVal(1), stringVal('one')]), 1);
    assert.is(a.fw.send_event('other', [countVal(1)]), 0);
    assert.is(a.fw.send_event('ping', [countVal(2)], { exceptPeer: id }), 0);
    await until(() => b.of('remote_event').length === 1, 'ping at B');
    const [e] = b.of('remote_event')[0]!;
    assert.equal([e.name, e.node, e.peer.id, e.args.length], ['ping', 'a', bp.id, 2]);
    // B answers; a relay back to the source is refused by exceptPeer.
    assert.is(b.fw.send_event('reply', e.args, { exceptPeer: e.peer.id }), 0);
    assert.is(b.fw.send_event('reply', [countVal(7)]), 1);
    await until(() => a.of('remote_event').length === 1, 'reply at A');
    assert.is(a.of('remote_event')[0]![0].node, 'b');
    await p.stop();
    // A stopped: closed, out of connected, nothing pending (stop cancels retries).
    assert.is(a.fw.connected_peers.size, 0);
    assert.is(a.fw.pending_peers.size, 0);
    assert.is(a.of('remote_connection_closed').length, 1);
  });

  void t('accept_input F: the peer\'s events are parsed and dropped, ours still go out', async () => {
    const p = await pair(host, { events: '/^(back)$/' }, { events: '/^(ping)$/', accept_input: false });
    await running(p.a);
    await running(p.b);
    await until(() => p.a.of('remote_event_registered').length === 1 && p.b.of('remote_event_registered').length === 1, 'registrations');
    assert.is(p.a.fw.send_event('ping', [countVal(1)]), 1);
    assert.is(p.b.fw.send_event('back', [countVal(2)]), 1);
    await until(() => p.a.of('remote_event').length === 1, 'back at A');
    await until(() => p.b.fw.peers()[0]!.stats.eventsIn === 1, 'ping parsed at B');
    assert.is(p.b.of('remote_event').length, 0);
    assert.not.match(p.b.log(), /accepting state/);
    await p.stop();
  });

  void t('class match: A sends class "alpha", B\'s node for A requires it', async () => {
    const p = await pair(host, { class: 'alpha' }, { class: 'alpha', events: '/^(ping)$/' });
    await running(p.b);
    const [bp] = p.b.of('remote_connection_established')[0]!;
    assert.is(bp.class, 'alpha');
    assert.is(p.b.fw.connected_peers.get(bp.id)?.name, 'a');
    await until(() => p.a.of('remote_event_registered').length === 1, 'ping requested');
    p.a.fw.send_event('ping', [countVal(1)]);
    await until(() => p.b.of('remote_event').length === 1, 'ping accepted');
    await p.stop();
  });

  void t('class mismatch: handshake completes, B requests nothing, accepts nothing; A still lists B as connected', async () => {
    const p = await pair(host, { class: 'beta', events: '/^(x)$/' }, { class: 'alpha', events: '/^(ping)$/' });
    await running(p.a);
    await running(p.b);
    const [bp] = p.b.of('remote_connection_established')[0]!;
    assert.is(bp.class, 'beta');
    assert.is(p.b.fw.connected_peers.size, 0);
    assert.is(p.a.fw.connected_peers.size, 1);
    assert.is(p.a.of('remote_event_registered').length, 0);
    // B may still send what A asked for.
    await until(() => p.b.of('remote_event_registered').length === 1, 'x requested');
    assert.is(p.b.fw.send_event('x', [countVal(1)]), 1);
    await until(() => p.a.of('remote_event').length === 1, 'x at A');
    await p.stop();
  });

  for (const level of [0, 6]) {
    void t(`compression ${level}: ${level > 0 ? 'COMPRESS after the handshake, A->B compressed' : 'nothing compressed'}`, async () => {
      const p = await pair(host, { compression: level }, { events: '/^(big)$/' });
      await running(p.a);
      await until(() => p.a.of('remote_event_registered').length === 1, 'big requested');
      const strings = vectorType(BASE.string);
      const big = vectorVal(strings, Array.from({ length: 200 }, (_, i) => stringVal(`element ${i} of a repetitive vector`)));
      p.a.fw.send_event('big', [big]);
      await until(() => p.b.of('remote_event').length === 1, 'big at B');
      const got = p.b.of('remote_event')[0]![0].args[0]!;
      assert.ok(got.kind === 'vector' && got.elements.length === 200);
      const as = p.a.fw.peers()[0]!.stats;
      const bs = p.b.fw.peers()[0]!.stats;
      assert.equal([as.compressingOut, bs.compressingIn, bs.compressingOut, as.compressingIn], [level > 0, level > 0, false, false]);
      if (level > 0) assert.ok(bs.bytesIn < 3000, `compressed: ${bs.bytesIn} bytes`);
      else assert.ok(bs.bytesIn > 6000, `plain: ${bs.bytesIn} bytes`);
      await p.stop();
    });
  }

  void t('request_logs: B gets A\'s writers after the handshake and A\'s entries in batches', async () => {
    const writer: LogCreateWriter = {
      stream: 13,
      writer: 1,
      path: 'fxlog',
      rotationBase: 0,
      rotationInterval: 0,
      networkTime: 1500000000,
      config: [],
      fields: [
        { name: 'ts', type: 'time', subtype: 'void', optional: false },
        { name: 'msg', type: 'string', subtype: 'void', optional: false },
      ],
    };
    const p = await pair(host, {}, { request_logs: true });
    p.a.fw.add_log_writer(writer);
    await running(p.a);
    await until(() => p.b.of('remote_log_create_writer').length === 1, 'LOG_CREATE_WRITER');
    assert.is(p.b.of('remote_log_create_writer')[0]![1].path, 'fxlog');
    p.a.fw.write_log({ stream: 13, writer: 1, path: 'fxlog', values: [{ type: 'time', value: 1500000000 }, { type: 'string', value: 'first' }] });
    p.a.fw.write_log({ stream: 13, writer: 1, path: 'fxlog', values: [{ type: 'time', value: 1500000001 }, { type: 'string', value: 'second' }] });
    p.a.clock.advance(1000);
    await until(() => p.b.of('remote_log_write').length === 1, 'LOG_WRITE');
    assert.equal(p.b.of('remote_log_write')[0]![1].map((e) => e.values[1]!.value), ['first', 'second']);
    await p.stop();
  });

  void t('send_ping -> remote_pong with the seq; capture filter; print_hook', async () => {
    const p = await pair(host, { capture_filter: 'tcp port 80' }, { events: '/^(print_hook)$/' });
    await running(p.a);
    await until(() => p.a.of('remote_event_registered').length === 1, 'print_hook requested');
    assert.ok(p.a.fw.send_ping(p.id, 42));
    await until(() => p.a.of('remote_pong').length === 1, 'pong');
    const [pp, seq, d1, d2, d3] = p.a.of('remote_pong')[0]!;
    assert.equal([pp.id, seq], [p.id, 42]);
    assert.ok(d1 >= 0 && d2 >= 0 && d3 >= 0);
    await until(() => p.b.of('remote_capture_filter').length === 1, 'capture filter');
    assert.is(p.b.of('remote_capture_filter')[0]![1], 'tcp port 80');
    assert.is(p.a.fw.print('out.txt', 'hello'), 1);
    await p.a.fw.stop(); // the close flushes the print buffer
    await until(() => p.b.of('print_hook').length === 1, 'print_hook');
    assert.equal(p.b.of('print_hook')[0]!.slice(0, 2), ['out.txt', 'hello']);
    await p.b.fw.stop();
  });
}

test('forward_remote_events: a relay sends an event on to the other peers that asked, never back to its source', async () => {
  const b = await startFramework({ forward_remote_events: true, nodes: { peers: { host: '127.0.0.1', events: '/^(news)$/' } } });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true, events: '/^(news)$/' } } });
  const c = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true, events: '/^(news)$/' } } });
  await until(() => b.of('remote_event_registered').length === 2 && a.of('remote_event_registered').length === 1 && c.of('remote_event_registered').length === 1, 'everyone registered');
  assert.is(a.fw.send_event('news', [stringVal('from a')]), 1);
  await until(() => c.of('remote_event').length === 1, 'news at C');
  assert.is(c.of('remote_event')[0]![0].args[0]!.kind, 'string');
  assert.is(b.of('remote_event').length, 1);
  assert.is(a.of('remote_event').length, 0, 'not back to A');
  await a.fw.stop();
  await c.fw.stop();
  await b.fw.stop();
});

test('max_peers: an inbound connection beyond the limit is refused with a log line', async () => {
  const b = await startFramework({ max_peers: 1, nodes: { a: { host: '127.0.0.1' } } });
  const a1 = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true } } });
  await until(() => b.of('remote_connection_handshake_done').length === 1, 'first peer');
  const a2 = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true } } });
  await until(() => b.log().includes('max_peers (1) reached'), 'refusal logged');
  await until(() => a2.fw.pending_peers.size === 0, 'A2 gave up (retry 0)');
  assert.is(b.fw.peers().length, 1);
  await a1.fw.stop();
  await a2.fw.stop();
  await b.fw.stop();
});

test.run();
