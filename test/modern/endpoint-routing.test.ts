// Routing inside one endpoint (spec §1.6, §2.6, §5): forwarding between peers with the sender
// rewritten and never back to the previous hop, receivers, local participants of the MessageHub
// (no echo, origins, statuses/errors as data vectors, commands), the announced filter, publish_id
// and auto-publish.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerStatus } from '../../modern/constants.ts';
import { count, enumValue, equalsData, makeEvent, str, toZeekData, vector, type Data } from '../../modern/data/index.ts';
import { Endpoint, endpointInfoToData } from '../../modern/endpoint/index.ts';
import type { MessageOrigin } from '../../modern/hub.ts';
import { NIL_ENDPOINT, NIL_ENTITY, decodeEnvelope, encodeEnvelope, ping, type CommandMessage, type Envelope } from '../../modern/native/index.ts';
import { FrameSocket, connectRaw, rawOriginator, waitFor } from './endpoint-helpers.ts';

const B = '99999999-9999-5999-9999-999999999999';
const P1 = '00000000-0000-5000-8000-000000000001';
const P2 = '00000000-0000-5000-8000-000000000002';

/** The TTL peers write in these tests: not our default (16), so a relayed frame shows whether B kept or rewrote it. */
const TTL_IN = 5;
const data = (sender: string, topic: string, value: Data, receiver = NIL_ENDPOINT) => encodeEnvelope({ type: 'data', sender, receiver, ttl: TTL_IN, topic, value });

/** Frames up to (excluding) the pong answering a marker ping, decoded. */
async function until(s: FrameSocket, id: string, marker: string): Promise<Envelope[]> {
  s.write(encodeEnvelope(ping(id, B, new TextEncoder().encode(marker))));
  const out: Envelope[] = [];
  for (;;) {
    const env = decodeEnvelope((await s.next()).subarray(4));
    if (env.type === 'pong' && new TextDecoder().decode(env.payload) === marker) return out;
    out.push(env);
  }
}

async function setup(forward: boolean): Promise<{ b: Endpoint; a: FrameSocket; c: FrameSocket }> {
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {}, forward_messages: forward });
  b.forward('/fwd');
  const port = await b.listen('127.0.0.1', 0, 0);
  const a = await rawOriginator(port, P1, ['/fwd']);
  const c = await rawOriginator(port, P2, ['/fwd', '/only-c']);
  await waitFor(() => b.peers().filter((p) => p.status === PeerStatus.PEERED).length === 2);
  return { b, a, c };
}

test('forwarding: relayed with the sender rewritten and TTL kept, never back to the previous hop', async () => {
  const { b, a, c } = await setup(true);
  const local: string[] = [];
  b.on('data', (t) => local.push(t));
  // B handles each connection in order: a ping round trip on A, then one on C, shows what reached C.
  const atC = async (marker: string): Promise<Envelope[]> => {
    const back = (await until(a, P1, `${marker}-a`)).filter((e) => e.type !== 'routing_update');
    assert.equal(back, [], 'nothing came back to A');
    return until(c, P2, marker);
  };
  try {
    a.write(data(P1, '/fwd/1', count(7)));
    const relayed = await atC('m1');
    assert.is(relayed.length, 1);
    const env = relayed[0]!;
    assert.equal([env.type, env.sender, env.receiver, env.ttl, env.topic], ['data', B, NIL_ENDPOINT, TTL_IN, '/fwd/1'], 'TTL as received, not rewritten to 16');
    assert.equal(local, [], 'forward() does not deliver locally');

    // Addressed to C: relayed to C whatever its filter; addressed to B: local only.
    a.write(data(P1, '/nobody', str('for c'), P2));
    assert.equal((await atC('m3')).map((e) => [e.topic, e.receiver, e.sender]), [['/nobody', P2, B]]);
    b.subscribe('/mine');
    a.write(data(P1, '/mine/x', str('for b'), B));
    await waitFor(() => local.length === 1);
    assert.equal(
      (await atC('m4')).map((e) => e.type),
      ['routing_update'],
      'B announced /mine; the message for B itself is not relayed',
    );

    // A message whose previous hop claims to be C is not sent back to C.
    a.write(data(P2, '/fwd/spoof', count(1)));
    assert.equal(await atC('m5'), []);
    // A subscribed topic that is also forwarded: local delivery and relay.
    b.subscribe('/fwd');
    a.write(data(P1, '/fwd/2', count(8)));
    assert.equal((await atC('m6')).map((e) => e.topic), ['/fwd/2']);
    await waitFor(() => local.includes('/fwd/2'));
  } finally {
    a.destroy();
    c.destroy();
    await b.shutdown();
  }
});

test('forwarding without a local subscriber: an invalid body is dropped, not relayed; no error to the sender', async () => {
  const { b, a, c } = await setup(true);
  const warnings: string[] = [];
  b.on('warning', (w) => warnings.push(w.message));
  const invalid = (frame: Uint8Array): Uint8Array => {
    const bad = Uint8Array.from(frame);
    bad[bad.length - 9] = 0x20; // the count's type tag (0x02, then 8 bytes) becomes an unknown tag
    return bad;
  };
  try {
    // Broadcast on a forwarded topic, and addressed to C: both dropped at B (spec §1.5).
    a.write(invalid(data(P1, '/fwd/bad', count(7))));
    a.write(invalid(data(P1, '/nobody', count(7), P2)));
    a.write(data(P1, '/fwd/ok', count(8)));
    const back = (await until(a, P1, 'm1-a')).filter((e) => e.type !== 'routing_update');
    assert.equal(back, [], 'A gets no error and nothing else back; its connection stays up');
    const atC = await until(c, P2, 'm1');
    assert.equal(atC.map((e) => e.topic), ['/fwd/ok'], 'C receives only the valid message');
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, `dropped a message from ${P1}`);
    assert.is(b.peeringStats().get(P1)!.dropped_in, 2);
    assert.is(b.peeringStats().get(P2)!.dropped_in, 0);
  } finally {
    a.destroy();
    c.destroy();
    await b.shutdown();
  }
});

test('forward_messages off (Zeek default): nothing is relayed, local delivery still works', async () => {
  const { b, a, c } = await setup(false);
  const local: string[] = [];
  b.on('data', (t) => local.push(t));
  b.subscribe('/fwd');
  try {
    a.write(data(P1, '/fwd/1', count(7)));
    a.write(data(P1, '/x', count(7), P2));
    assert.equal(await until(a, P1, 'm0'), []);
    assert.equal(await until(c, P2, 'm1'), []);
    await waitFor(() => local.length === 1);
  } finally {
    a.destroy();
    c.destroy();
    await b.shutdown();
  }
});

test('local participants: no echo, origins, endpoint subscriptions, statuses and errors as data, close', async () => {
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {} });
  const seen: Record<string, [string, Data, MessageOrigin][]> = { p1: [], p2: [], ep: [] };
  const h1 = b.attach({ id: 'p1', onData: (t, v, o) => seen['p1']!.push([t, v, o]) }, ['/p']);
  const h2 = b.attach({ id: 'p2', onData: (t, v, o) => seen['p2']!.push([t, v, o]) }, ['/p', '<$>/local/data/statuses', '<$>/local/data/errors']);
  b.on('data', (t, v, o) => seen['ep']!.push([t, v, o]));
  b.subscribe('/p');
  assert.equal([...b.filter], ['/p'], 'internal topics are never announced');
  const port = await b.listen('127.0.0.1', 0, 0);
  const a = await rawOriginator(port, P1, ['/p']);
  try {
    await waitFor(() => seen['p2']!.length === 2, 3000, 'statuses as data');
    const peerNet = b.peers()[0]!.peer.network!;
    assert.equal(seen['p2']!.map(([t]) => t), ['<$>/local/data/statuses', '<$>/local/data/statuses']);
    assert.ok(
      equalsData(seen['p2']![1]![1], vector([str('status'), enumValue('peer_added'), endpointInfoToData({ id: P1, network: peerNet }), str('handshake successful')])),
    );
    assert.ok(equalsData(seen['p2']![0]![1], vector([str('status'), enumValue('endpoint_discovered'), endpointInfoToData({ id: P1 }), str('found a new peer in the network')])));
    seen['p2']!.length = 0;

    h1.publish('/p/1', count(1));
    assert.equal(seen['p1'], [], 'no echo');
    assert.equal(seen['p2']!.map(([t, , o]) => [t, o]), [['/p/1', { hop: B, participant: 'p1' }]]);
    assert.equal(seen['ep']!.map(([t]) => t), ['/p/1']);
    b.publish('/p/2', count(2));
    assert.equal(seen['p1']!.map(([t, , o]) => [t, o]), [['/p/2', { hop: B }]]);
    assert.equal(seen['ep']!.length, 1, 'the endpoint does not receive its own publications');
    const wire = await until(a, P1, 'w1');
    assert.equal(wire.map((e) => [e.topic, e.sender]), [['/p/1', B], ['/p/2', B]]);

    a.write(data(P1, '/p/3', count(3)));
    await waitFor(() => seen['ep']!.length === 2);
    assert.equal(seen['p1']!.at(-1)![2], { hop: P1 });
    assert.equal(seen['p2']!.at(-1)![2], { hop: P1 });

    // A growing filter is announced (complete filter, receiver = the peer); a shrinking one is not.
    h1.setFilter(['/p', '/q']);
    const update = await until(a, P1, 'w2');
    assert.equal(update.map((e) => [e.type, e.receiver, e.type === 'routing_update' ? e.filter : []]), [['routing_update', P1, ['/p', '/q']]]);
    h1.setFilter(['/q']);
    assert.equal(await until(a, P1, 'w3'), []);
    assert.equal([...b.filter], ['/p', '/q']);

    assert.is(await b.unpeer('10.1.2.3', 4711), false);
    const err = seen['p2']!.at(-1)!;
    assert.is(err[0], '<$>/local/data/errors');
    assert.ok(
      equalsData(
        err[1],
        vector([str('error'), enumValue('peer_invalid'), vector([endpointInfoToData({ id: NIL_ENDPOINT, network: { address: '10.1.2.3', bound_port: 4711, retry: 0 } }), str('cannot unpeer from unknown peer')])]),
      ),
    );
    h2.close();
    b.publish('/p/4', count(4));
    assert.is(seen['p2']!.at(-1)![0], '<$>/local/data/errors', 'closed participants receive nothing');
  } finally {
    a.destroy();
    await b.shutdown();
  }
});

test('store commands: broadcast by filter, unicast to a peer, local-only for our own id, received with their receiver', async () => {
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {} });
  const got: [string, CommandMessage, string | undefined][] = [];
  const h = b.attach({ id: 'store', onCommand: (t, c, _o, r) => got.push([t, c, r]) }, ['s/<$>/data/clone']);
  const other: CommandMessage[] = [];
  b.attach({ id: 'other', onCommand: (_t, c) => other.push(c) }, ['s/<$>/data/master']);
  const port = await b.listen('127.0.0.1', 0, 0);
  const a = await rawOriginator(port, P1, ['s/<$>/data/master']);
  const cmd = (seq: number): CommandMessage => ({ seq, sender: { endpoint: B, object: 7 }, receiver: NIL_ENTITY, command: { type: 'keepalive', seq } });
  try {
    assert.equal([...b.filter], ['s/<$>/data/clone', 's/<$>/data/master'], 'store topics are announced (only <$>/... is internal)');
    await waitFor(() => b.hasRemoteSubscriber('s/<$>/data/master'));
    h.sendCommand('s/<$>/data/master', cmd(1));
    h.sendCommand('s/<$>/data/nobody', cmd(2), P1);
    h.sendCommand('s/<$>/data/master', cmd(3), B);
    const wire = await until(a, P1, 'c1');
    assert.equal(wire.map((e) => [e.type, e.topic, e.receiver, e.type === 'command' ? e.command.seq : -1]), [
      ['command', 's/<$>/data/master', NIL_ENDPOINT, 1],
      ['command', 's/<$>/data/nobody', P1, 2],
    ]);
    assert.equal(other.map((c) => c.seq), [1, 3], 'local participants get broadcasts and commands for our id');

    a.write(encodeEnvelope({ type: 'command', sender: P1, receiver: NIL_ENDPOINT, ttl: 16, topic: 's/<$>/data/clone', command: cmd(4) }));
    a.write(encodeEnvelope({ type: 'command', sender: P1, receiver: B, ttl: 16, topic: 's/<$>/data/clone', command: cmd(5) }));
    await waitFor(() => got.length === 2);
    assert.equal(got.map(([t, c, r]) => [t, c.seq, r]), [
      ['s/<$>/data/clone', 4, undefined],
      ['s/<$>/data/clone', 5, B],
    ]);
    assert.equal(got[0]![1], cmd(4));
  } finally {
    a.destroy();
    await b.shutdown();
  }
});

test('publishEvent, publishId, autoPublish / raiseEvent / autoUnpublish', async () => {
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {} });
  const port = await b.listen('127.0.0.1', 0, 0);
  const a = await rawOriginator(port, P1, ['zeek/']);
  try {
    await waitFor(() => b.hasRemoteSubscriber('zeek/x'));
    assert.is(b.publishEvent('zeek/event', 'hello', [str('hi'), count(42)]), 1);
    assert.is(b.publishId('zeek/id', 'Test::value', count(5)), 1);
    assert.ok(b.autoPublish('zeek/auto/1', 'tick'));
    assert.ok(b.autoPublish('zeek/auto/2', 'tick'));
    assert.is(b.raiseEvent('tick', [count(1)]), 2);
    assert.ok(b.autoUnpublish('zeek/auto/1', 'tick'));
    assert.not.ok(b.autoUnpublish('zeek/auto/1', 'tick'));
    assert.is(b.raiseEvent('tick', [count(2)]), 1);
    assert.is(b.raiseEvent('tock', [count(3)]), 0);
    const wire = await until(a, P1, 'z');
    const values = wire.map((e) => [e.topic, e.type === 'data' ? e.value : undefined] as const);
    assert.equal(values.map(([t]) => t), ['zeek/event', 'zeek/id', 'zeek/auto/1', 'zeek/auto/2', 'zeek/auto/2']);
    assert.ok(equalsData(values[0]![1]!, makeEvent('hello', [str('hi'), count(42)])));
    assert.ok(equalsData(values[1]![1]!, toZeekData({ kind: 'identifier_update', name: 'Test::value', value: count(5) })));
    assert.ok(equalsData(values[4]![1]!, makeEvent('tick', [count(2)])));
  } finally {
    a.destroy();
    await b.shutdown();
  }
});

test('a participant that throws costs neither the other participants nor the connection', async () => {
  const thrown: unknown[] = [];
  const onUncaught = (err: unknown) => thrown.push(err);
  process.on('uncaughtException', onUncaught);
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {} });
  const got: string[] = [];
  b.attach({ id: 'bad', onData: () => { throw new Error('boom'); } }, ['/p']);
  b.attach({ id: 'good', onData: (t) => got.push(t) }, ['/p']);
  const port = await b.listen('127.0.0.1', 0, 0);
  const a = await rawOriginator(port, P1, []);
  try {
    a.write(data(P1, '/p/1', count(1)));
    a.write(data(P1, '/p/2', count(2)));
    assert.equal(await until(a, P1, 'alive'), []);
    await waitFor(() => got.length === 2 && thrown.length === 2);
    assert.equal(got, ['/p/1', '/p/2']);
    assert.equal(thrown.map((e) => (e as Error).message), ['boom', 'boom']);
  } finally {
    process.off('uncaughtException', onUncaught);
    a.destroy();
    await b.shutdown();
  }
});

test('a subscription made while a handshake is in flight reaches that peer once it is established', async () => {
  const { encodeHandshake, hello, originatorAck, originatorSyn, versionSelect, decodeHandshake } = await import('../../modern/native/index.ts');
  const b = new Endpoint({ node_id: B, disable_ssl: true, env: {} });
  b.subscribe('/early');
  const port = await b.listen('127.0.0.1', 0, 0);
  const s = await connectRaw(port);
  try {
    s.write(encodeHandshake(hello(P1)));
    await s.next(); // probe
    await s.next(); // hello
    s.write(encodeHandshake(versionSelect(P1)));
    s.write(encodeHandshake(originatorSyn([])));
    const synAck = decodeHandshake((await s.next()).subarray(4));
    assert.equal(synAck.type === 'responder_syn_ack' ? synAck.filter : undefined, ['/early']);
    // B has answered with its filter but is not established until the originator_ack arrives.
    b.subscribe('/late');
    s.write(encodeHandshake(originatorAck()));
    const update = decodeEnvelope((await s.next()).subarray(4));
    assert.is(update.type, 'routing_update');
    assert.equal(update.type === 'routing_update' ? update.filter : undefined, ['/early', '/late']);
  } finally {
    s.destroy();
    await b.shutdown();
  }
});

test.run();
