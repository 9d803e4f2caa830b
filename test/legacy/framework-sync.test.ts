// State synchronisation (section 6.3): the sync/auth decision table between two frameworks (over
// 127.0.0.1 and ::1), the misconfiguration both sides authoritative, and a real Bro's state stream
// (bro-bro-sync-runtime, server half) applied to the bridge's keyed store, including the
// consistency check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryTransportPair } from '../../src/core/transport.ts';
import { countVal, setType, setVal, stringVal, tableType, tableVal, addrVal, BASE } from '../../legacy/codec/builders.ts';
import { toPlain } from '../../legacy/codec/plain.ts';
import type { BroVal } from '../../legacy/codec/model.ts';
import { MemorySyncStore } from '../../legacy/peer/state-store.ts';
import { stateSender, SYNC_CONFLICT_REASON } from '../../legacy/peer/sync-role.ts';
import { replay } from './helpers.ts';
import { escapeRegExp, loopbackCase, LOOPBACKS, startFramework, until, uriHost, type Harness } from './framework-helpers.ts';

const plain = (v: BroVal | undefined): unknown => (v === undefined ? undefined : toPlain(v));

test('the decision table, from either side (both sides must agree)', () => {
  const cases: [boolean | undefined, boolean | undefined, number, number, 'us' | 'peer' | 'conflict' | undefined][] = [
    [undefined, undefined, 0, 0, undefined],
    [false, undefined, 0, 0, 'peer'], // only we asked: the peer sends
    [undefined, false, 0, 0, 'us'],
    [true, true, 0, 0, 'conflict'],
    [true, false, 0, 0, 'us'],
    [false, true, 0, 0, 'peer'],
    [false, false, 5, 3, 'us'], // larger runtime sends
    [false, false, 3, 5, 'peer'],
  ];
  for (const [ours, theirs, ourRuntime, theirRuntime, want] of cases) {
    assert.is(stateSender({ ours, theirs, ourRuntime, theirRuntime, initiator: true }), want, `${ours}/${theirs}/${ourRuntime}/${theirRuntime}`);
    const mirrored = stateSender({ ours: theirs, theirs: ours, ourRuntime: theirRuntime, theirRuntime: ourRuntime, initiator: false });
    const flip = want === 'us' ? 'peer' : want === 'peer' ? 'us' : want;
    assert.is(mirrored, flip, 'the peer reaches the mirror decision');
  }
  // Equal runtimes, nobody authoritative: the TCP initiator sends.
  assert.is(stateSender({ ours: false, theirs: false, ourRuntime: 4, theirRuntime: 4, initiator: true }), 'us');
  assert.is(stateSender({ ours: false, theirs: false, ourRuntime: 4, theirRuntime: 4, initiator: false }), 'peer');
});

async function syncPair(host: string, aNode: object, bNode: object, bClockAdvance = 0): Promise<{ a: Harness; b: Harness }> {
  const b = await startFramework({ listen_interface: host, listen_ipv6: host.includes(':'), nodes: { a: { host, ...bNode } } });
  b.clock.advance(bClockAdvance);
  b.fw.state.set('shared', stringVal('from b'));
  b.fw.state.set('only_b', countVal(2));
  const a = await startFramework({ listen: false, nodes: { b: { host, p: b.port, connect: true, ...aNode } } });
  a.fw.state.set('shared', stringVal('from a'));
  a.fw.state.set('tab', tableVal(tableType([BASE.string], BASE.count), [[stringVal('one'), countVal(1)]]));
  return { a, b };
}


// The live cases run over IPv4 and IPv6 loopback, like framework-peering.test.ts.
for (const host of LOOPBACKS) {
  const t = loopbackCase(test, host);

  t('sync with auth on one side (A): A sends its state, then live changes flow both ways', async () => {
    const { a, b } = await syncPair(host, { sync: true, auth: true }, { sync: true });
    await until(() => a.of('remote_connection_handshake_done').length === 1 && b.of('remote_connection_handshake_done').length === 1, 'both running');
    assert.is(plain(b.fw.state.get('shared')), 'from a');
    assert.equal(plain(b.fw.state.get('tab')), [['one', 1]]);
    assert.is(plain(b.fw.state.get('only_b')), 2, 'the receiver keeps what the sender does not have');
    assert.is(plain(a.fw.state.get('only_b')), undefined);
    assert.match(a.log(), /phase: sync, sent 2 state value\(s\)/);
    assert.match(b.log(), /state received/);
    a.fw.state.set('shared', stringVal('a again'));
    await until(() => plain(b.fw.state.get('shared')) === 'a again', 'A -> B');
    b.fw.state.set('only_b', countVal(3));
    await until(() => plain(a.fw.state.get('only_b')) === 3, 'B -> A');
    assert.ok(b.of('remote_state_access_performed').some(([id]) => id === 'shared'));
    await a.fw.stop();
    await b.fw.stop();
  });

  t('sync requested by A only: B (the peer of the requester) sends its state', async () => {
    const { a, b } = await syncPair(host, { sync: true }, {});
    await until(() => a.of('remote_connection_handshake_done').length === 1, 'A running');
    assert.is(plain(a.fw.state.get('shared')), 'from b');
    assert.is(plain(a.fw.state.get('only_b')), 2);
    await a.fw.stop();
    await b.fw.stop();
  });

  t('neither authoritative: the longer-running side (B, 10 s) sends; on a tie the initiator (A) does', async () => {
    const longer = await syncPair(host, { sync: true }, { sync: true }, 10_000);
    await until(() => longer.a.of('remote_connection_handshake_done').length === 1, 'running');
    assert.is(plain(longer.a.fw.state.get('shared')), 'from b');
    await longer.a.fw.stop();
    await longer.b.fw.stop();
    const tie = await syncPair(host, { sync: true }, { sync: true });
    await until(() => tie.b.of('remote_connection_handshake_done').length === 1, 'running');
    assert.is(plain(tie.b.fw.state.get('shared')), 'from a');
    await tie.a.fw.stop();
    await tie.b.fw.stop();
  });

  t('both authoritative: refused on both sides with the spec\'s reason, no RUNNING', async () => {
    const { a, b } = await syncPair(host, { sync: true, auth: true }, { sync: true, auth: true });
    await until(() => a.of('remote_connection_error').length === 1 && b.of('remote_connection_error').length >= 1, 'refused');
    assert.is(a.of('remote_connection_error')[0]![1], SYNC_CONFLICT_REASON);
    assert.is(b.of('remote_connection_error')[0]![1], SYNC_CONFLICT_REASON);
    await until(() => a.of('remote_connection_closed').length === 1, 'closed');
    assert.is(a.of('remote_connection_handshake_done').length, 0);
    assert.is(plain(b.fw.state.get('shared')), 'from b', 'nothing was applied');
    assert.equal([a.fw.pending_peers.size, a.fw.connected_peers.size], [0, 0]);
    assert.match(a.log(), new RegExp(`error\\t\\[#10000/${escapeRegExp(uriHost(host))}:\\d+\\] misconfiguration: authoritative state on both sides`));
    await a.fw.stop();
    await b.fw.stop();
  });
}

/** Feed the server half of bro-bro-sync-runtime to a framework over an in-memory transport. */
async function realBroState(check: boolean, beforeLiveOps?: (h: Harness) => void): Promise<Harness> {
  const h = await startFramework({ listen: false, remote_check_sync_consistency: check, nodes: { bro: { host: '127.0.0.1', sync: true } } });
  const [ours, bro] = memoryTransportPair();
  const fromBro = replay('bro-bro-sync-runtime').filter((r) => r.dir === 's2c');
  const secondDone = fromBro.findIndex((r, i) => r.msg.type === 'PHASE_DONE' && i > 5);
  bro.start({ data: () => undefined, close: () => undefined });
  h.fw.accept(ours);
  for (const r of fromBro.slice(0, secondDone + 1)) bro.write(r.wire);
  await until(() => h.of('remote_connection_handshake_done').length === 1, 'state received, RUNNING');
  beforeLiveOps?.(h);
  for (const r of fromBro.slice(secondDone + 1)) bro.write(r.wire);
  await until(() => h.of('remote_state_access_performed').length === 9, 'all nine state operations');
  return h;
}

test('a real Bro\'s state stream: SYNC assigns (32-bit ids), then INCR / ASSIGN_IDX / DEL / ADD / ASSIGN by #vm# ids (64-bit)', async () => {
  const h = await realBroState(false);
  assert.is(plain(h.fw.state.get('sync_count')), 6);
  assert.equal(plain(h.fw.state.get('sync_tab')), [['beta', 2], ['gamma', 3]]);
  assert.equal(plain(h.fw.state.get('sync_set')), ['10.0.0.1', '10.0.0.2']);
  assert.is(plain(h.fw.state.get('sync_str')), 'updated');
  assert.is(h.of('remote_state_inconsistency').length, 0);
  await h.fw.stop();
});

test('remote_check_sync_consistency: an INCR whose old value differs from ours raises remote_state_inconsistency', async () => {
  const h = await realBroState(true, (x) => x.fw.state.set('sync_count', countVal(7)));
  assert.equal(h.of('remote_state_inconsistency'), [['INCR', 'sync_count', '5', '7']]);
  assert.match(h.log(), /state inconsistency: sync_count should be 5 but is 7 before INCR/);
  assert.is(plain(h.fw.state.get('sync_count')), 6, 'applied anyway');
  await h.fw.stop();
});

/**
 * Section 6.3, one peer synced at a time: a real Bro (bro-bro-sync-runtime, server half, in
 * memory) is in the middle of sending us its state when a second peer (a framework over loopback)
 * finishes its handshake asking for ours. The second one waits in HANDSHAKE until Bro's state is
 * in (or Bro is gone), then gets our state, which by then includes Bro's.
 */
async function twoSyncsAtOnce(): Promise<{ h: Harness; bro: ReturnType<typeof memoryTransportPair>[1]; rest: Uint8Array[]; a: Harness }> {
  const h = await startFramework({ nodes: { peers: { host: '127.0.0.1', sync: true } } });
  // Runtimes: Bro 3 s > us 2 s > A 0 s, so Bro sends to us and we send to A.
  h.clock.advance(2_000);
  h.fw.state.set('ours', stringVal('from the bridge'));
  const [ours, bro] = memoryTransportPair();
  const fromBro = replay('bro-bro-sync-runtime').filter((r) => r.dir === 's2c');
  const handshakeDone = fromBro.findIndex((r) => r.msg.type === 'PHASE_DONE');
  const stateDone = fromBro.findIndex((r, i) => r.msg.type === 'PHASE_DONE' && i > handshakeDone);
  bro.start({ data: () => undefined, close: () => undefined });
  h.fw.accept(ours);
  for (const r of fromBro.slice(0, handshakeDone + 1)) bro.write(r.wire);
  await until(() => /phase: sync, waiting for the peer's state/.test(h.log()), 'Bro in SYNC, sending');
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: h.port, connect: true, sync: true } } });
  await until(() => /another sync in progress, waiting/.test(h.log()), 'A queued');
  return { h, bro, rest: fromBro.slice(handshakeDone + 1, stateDone + 1).map((r) => r.wire), a };
}

test('one sync at a time: a second peer asking for state waits until the first sync is over', async () => {
  const { h, bro, rest, a } = await twoSyncsAtOnce();
  // A waits: no state, no RUNNING on either side; Bro's sync goes on.
  await new Promise((r) => setTimeout(r, 30));
  assert.is(a.of('remote_connection_handshake_done').length, 0);
  assert.is(h.of('remote_connection_handshake_done').length, 0);
  assert.equal(h.fw.peers().map((p) => p.phase).sort(), ['handshake', 'sync']);
  assert.is(a.fw.state.get('ours'), undefined);
  for (const w of rest) bro.write(w);
  await until(() => a.of('remote_connection_handshake_done').length === 1, 'A running after its turn');
  const done = h.of('remote_connection_handshake_done').map(([p]) => p.descr);
  assert.equal(done, ['sync-server', 'comm-bridge'], 'Bro first, then A');
  assert.match(h.log(), /sync turn granted/);
  assert.match(h.log(), /phase: sync, sent 5 state value\(s\)/);
  assert.is(plain(a.fw.state.get('ours')), 'from the bridge');
  assert.is(plain(a.fw.state.get('sync_count')), 5, 'A got Bro\'s state too: it waited for it');
  assert.equal(plain(a.fw.state.get('sync_tab')), [['beta', 2], ['alpha', 1]]);
  await a.fw.stop();
  await h.fw.stop();
});

test('one sync at a time: when the peer syncing goes away, the next one gets its turn', async () => {
  const { h, bro, a } = await twoSyncsAtOnce();
  bro.destroy();
  await until(() => a.of('remote_connection_handshake_done').length === 1, 'A running');
  assert.is(plain(a.fw.state.get('ours')), 'from the bridge');
  assert.is(a.fw.state.get('sync_count'), undefined, 'Bro never finished');
  assert.match(h.log(), /phase: sync, sent 1 state value\(s\)/);
  await a.fw.stop();
  await h.fw.stop();
});

test('MemorySyncStore: element operations on sets and tables build new values, never mutate', () => {
  const store = new MemorySyncStore();
  const set = { ...setVal(setType([BASE.addr]), [addrVal('10.0.0.1')]), id: '#vm#1#1' };
  store.set('s', set);
  store.apply({ op: 3, target: '#vm#1#1', op1: addrVal('10.0.0.2'), op2: null, op3: null }, 5, false);
  assert.equal(plain(store.get('s')), ['10.0.0.1', '10.0.0.2']);
  assert.is(set.entries.length, 1, 'the original value is untouched');
  store.apply({ op: 6, target: '#vm#1#1', op1: addrVal('10.0.0.1'), op2: null, op3: null }, 5, false);
  assert.equal(plain(store.get('s')), ['10.0.0.2']);
  const seen: [number, number | undefined][] = [];
  store.onChange((acc, origin) => seen.push([acc.op, origin]));
  store.set('x', countVal(1));
  store.apply({ op: 4, target: 'x', op1: countVal(2), op2: countVal(1), op3: null }, 9, true);
  assert.equal(seen, [[1, undefined], [4, 9]]);
});

test.run();
