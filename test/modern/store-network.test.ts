// Our master and our clones on different endpoints of an in-memory network, with a ManualClock:
// every write from either side, expiry, loss and retransmission, a clone and a master killed and
// restarted, writes while no master is reachable, stale reads and dropped consumers. Contents are
// asserted on both sides after each step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { bool, count, integer, renderData, set, str, table, vector, type Data } from '../../modern/data/index.ts';
import {
  CloneStore,
  MasterStore,
  MemoryNetwork,
  StoreError,
  append,
  decrement,
  increment,
  insertInto,
  pop,
  push,
  removeFrom,
  type DataStore,
  type MemoryEndpoint,
  type StoreEvent,
  type StoreStatus,
} from '../../modern/store/index.ts';

const S = 'test-store';

function dump(s: DataStore): string[] {
  return s
    .entries()
    .map(([k, v]) => `${renderData(k)}=${renderData(v)}`)
    .sort();
}

function setup(opts: { clones?: number } = {}) {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const master = new MasterStore({ name: S, hub: me, clock });
  const clones: CloneStore[] = [];
  const cloneEndpoints: MemoryEndpoint[] = [];
  for (let i = 0; i < (opts.clones ?? 1); i++) {
    const ce = net.endpoint();
    net.connect(me, ce);
    cloneEndpoints.push(ce);
    clones.push(new CloneStore({ name: S, hub: ce, clock }));
  }
  return { clock, net, me, master, clones, clone: clones[0]!, ce: cloneEndpoints[0]!, cloneEndpoints };
}

function errorOf(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}

test('a clone attaches at once and gets the snapshot', () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const ce = net.endpoint();
  net.connect(me, ce);
  const master = new MasterStore({ name: S, hub: me, clock });
  master.put(str('a'), count(1));
  master.put(set([count(2), count(1)]), str('set key'));
  const clone = new CloneStore({ name: S, hub: ce, clock });
  assert.ok(clone.attached);
  assert.equal(dump(clone), dump(master));
  assert.equal(clone.get(set([count(1), count(2)])), str('set key'), 'set keys match regardless of element order');
  assert.is(master.clones, 1);
  master.close();
  clone.close();
});

test('every write from the clone is applied by the master and comes back as its result', async () => {
  const { clock, master, clone } = setup();
  const masterEvents: StoreEvent[] = [];
  master.onEvent((e) => masterEvents.push(e));
  clone.put(str('p'), str('v'));
  assert.is(await clone.putUnique(str('u'), count(1)), true);
  assert.is(await clone.putUnique(str('u'), count(2)), false);
  increment(clone, str('n'), count(5));
  decrement(clone, str('n'), count(2));
  increment(clone, str('i'), integer(-3));
  append(clone, str('p'), str('w'));
  insertInto(clone, str('s'), count(9));
  insertInto(clone, str('s'), count(3));
  removeFrom(clone, str('s'), count(9));
  insertInto(clone, str('t'), str('k'), count(1));
  insertInto(clone, str('t'), str('j'), count(2));
  removeFrom(clone, str('t'), str('k'));
  push(clone, str('v'), str('x'));
  push(clone, str('v'), str('y'));
  pop(clone, str('v'));
  clone.put(str('gone'), bool(true));
  clone.erase(str('gone'));
  const want = ["'i'=-3", "'n'=3u", "'p'='vw'", "'s'={3u}", "'t'={'j' -> 2u}", "'u'=1u", "'v'=['x']"];
  assert.equal(dump(master), want);
  assert.equal(dump(clone), want);
  // The master publishes the clone's writes with the clone as publisher.
  assert.ok(masterEvents.filter((e) => e.type !== 'erase').every((e) => 'publisher' in e && e.publisher.object === clone.entity.object));
  clone.clear();
  assert.equal(dump(master), []);
  assert.equal(dump(clone), []);
  clock.advance(1000);
  master.close();
  clone.close();
});

test('master-side writes reach every clone; type clashes are StoreErrors on the master and dropped when forwarded', () => {
  const { clock, master, clones } = setup({ clones: 2 });
  master.put(str('k'), count(1));
  increment(master, str('k'), count(1));
  for (const c of clones) assert.equal(dump(c), ["'k'=2u"]);
  const err = errorOf(() => increment(master, str('k'), str('x')));
  assert.is(err.code, 'type_clash');
  const seq = master.seq;
  increment(clones[0]!, str('k'), str('x'));
  assert.is(master.seq, seq, 'nothing broadcast for a failed forwarded write');
  assert.equal(dump(master), ["'k'=2u"]);
  assert.is(errorOf(() => master.getIndex(str('k'), count(0))).code, 'type_clash');
  clock.advance(600);
  master.close();
  for (const c of clones) c.close();
});

test('expiry: the master removes keys on its tick and clones hear `expire`', () => {
  const { clock, master, clone } = setup();
  const cloneEvents: string[] = [];
  clone.onEvent((e) => cloneEvents.push(`${e.type} ${renderData(e.key)}`));
  master.put(str('m'), count(1), 2_000_000_000);
  clone.put(str('c'), count(2), 1_000_000_000);
  clone.put(str('keep'), count(3));
  clock.advance(1000);
  assert.ok(clone.exists(str('c')), 'not before the expiry');
  clock.advance(100);
  assert.not.ok(clone.exists(str('c')));
  assert.not.ok(master.exists(str('c')));
  assert.ok(master.exists(str('m')));
  clock.advance(1000);
  assert.equal(dump(master), ["'keep'=3u"]);
  assert.equal(dump(clone), ["'keep'=3u"]);
  assert.equal(cloneEvents, ["insert 'm'", "insert 'c'", "insert 'keep'", "expire 'c'", "expire 'm'"]);
  // A later put without expiry renews the key for good.
  master.put(str('r'), count(1), 500_000_000);
  master.put(str('r'), count(2));
  clock.advance(2000);
  assert.equal(master.get(str('r')), count(2));
  master.close();
  clone.close();
});

test('lost actions are nacked and retransmitted, in both directions', () => {
  const { clock, net, master, clone } = setup();
  let drops = 0;
  const nacks: string[] = [];
  net.tap = (r) => void (r.msg.command.type === 'nack' && nacks.push(r.from === clone.entity.endpoint ? 'clone' : 'master'));
  net.dropIf = (r) => (r.msg.command.type === 'put' || r.msg.command.type === 'add') && Number(r.msg.seq) % 3 === 0 && drops++ < 6;
  for (let i = 0; i < 10; i++) master.put(str(`m${i}`), count(i));
  for (let i = 0; i < 10; i++) increment(clone, str('n'), count(1));
  assert.ok(drops > 0);
  assert.ok(dump(clone).length < 11, 'the clone has gaps before the nacks');
  net.dropIf = undefined;
  clock.advance(2000);
  assert.equal(master.get(str('n')), count(10));
  assert.equal(dump(clone), dump(master));
  assert.is(dump(master).length, 11);
  assert.ok(nacks.includes('clone') && nacks.includes('master'), nacks.join());
  master.close();
  clone.close();
});

test('retransmit_failed makes the clone resync from a fresh snapshot instead of staying broken', () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const ce = net.endpoint();
  net.connect(me, ce);
  const master = new MasterStore({ name: S, hub: me, clock, timing: { maxBufferedActions: 2 } });
  const clone = new CloneStore({ name: S, hub: ce, clock });
  const statuses: StoreStatus[] = [];
  clone.onStatus((s) => statuses.push(s));
  const seen: string[] = [];
  net.tap = (r) => void seen.push(r.msg.command.type);
  net.dropIf = (r) => r.msg.command.type === 'put';
  for (let i = 0; i < 5; i++) master.put(str(`k${i}`), count(i));
  net.dropIf = undefined;
  master.put(str('last'), count(9));
  clock.advance(3000);
  assert.equal(dump(clone), dump(master));
  assert.ok(seen.includes('retransmit_failed'));
  assert.ok(statuses.some((s) => s.type === 'master_lost' && s.reason === 'broken'));
  assert.is(statuses[statuses.length - 1]!.type, 'attached');
  master.close();
  clone.close();
});

test('a clone killed and restarted attaches with the current contents; the master drops the dead one after the timeout', () => {
  const { clock, net, me, master, clone, ce } = setup();
  clone.put(str('before'), count(1));
  clone.close();
  net.remove(ce);
  master.put(str('while-down'), count(2));
  const ce2 = net.endpoint();
  net.connect(me, ce2);
  const clone2 = new CloneStore({ name: S, hub: ce2, clock });
  assert.equal(dump(clone2), ["'before'=1u", "'while-down'=2u"]);
  assert.is(master.clones, 2);
  clock.advance(50_000);
  assert.is(master.clones, 1, 'the silent clone was dropped after heartbeat × 100 ticks');
  clone2.put(str('after'), count(3));
  assert.equal(dump(master), ["'after'=3u", "'before'=1u", "'while-down'=2u"]);
  master.close();
  clone2.close();
});

test('the master killed and restarted: the clone re-attaches, converges, replays queued writes and reports in-flight ones', async () => {
  const { clock, net, me, master, clone, ce } = setup();
  const statuses: StoreStatus[] = [];
  clone.onStatus((s) => statuses.push(s));
  clone.put(str('a'), count(1));
  clock.advance(600);
  master.close();
  net.remove(me);
  // Sent before the clone can know: addressed to the dead master, so reported lost later.
  clone.put(str('in-flight'), count(2));
  const unique = clone.putUnique(str('u'), count(1));
  clock.advance(10_000); // the resync interval passes: master declared lost
  assert.not.ok(clone.attached);
  assert.equal(dump(clone), ["'a'=1u"], 'still serving the last contents');
  clone.put(str('queued'), count(3));
  increment(clone, str('a'), count(10));
  assert.is(clone.queued, 2);
  const me2 = net.endpoint();
  const master2 = new MasterStore({ name: S, hub: me2, clock });
  master2.put(str('m2'), str('second'));
  master2.put(str('a'), count(100));
  net.connect(me2, ce);
  clock.advance(300); // next nack [0] from the clone reaches master2
  assert.ok(clone.attached);
  assert.equal(dump(master2), ["'a'=110u", "'m2'='second'", "'queued'=3u"]);
  assert.equal(dump(clone), dump(master2));
  const lost = statuses.find((s): s is Extract<StoreStatus, { type: 'write_lost' }> => s.type === 'write_lost');
  assert.ok(lost);
  assert.is(lost!.reason, 'master_changed');
  assert.equal(
    lost!.writes.map((w) => w.type),
    ['put', 'put_unique'],
  );
  const err = await unique.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(err, StoreError);
  assert.is((err as StoreError).code, 'write_lost');
  master2.close();
  clone.close();
});

test('a master that never comes back: unconfirmed writes are reported when the writer channel times out', async () => {
  const { clock, net, me, master, clone } = setup();
  const statuses: StoreStatus[] = [];
  clone.onStatus((s) => statuses.push(s));
  master.close();
  net.remove(me);
  clone.put(str('unconfirmed'), count(1));
  const unique = clone.putUnique(str('u'), count(1)).catch((e: unknown) => e);
  clock.advance(10_000);
  assert.equal(
    statuses.map((s) => s.type),
    ['master_lost'],
  );
  clone.put(str('queued'), count(2));
  clock.advance(40_000); // heartbeat 5 ticks × factor 100 = 50 s without an ack
  const lost = statuses.find((s): s is Extract<StoreStatus, { type: 'write_lost' }> => s.type === 'write_lost');
  assert.ok(lost);
  assert.is(lost!.reason, 'master_unreachable');
  assert.equal(
    lost!.writes.map((w) => w.type),
    ['put', 'put_unique'],
  );
  assert.is(((await unique) as StoreError).code, 'write_lost');
  assert.is(clone.queued, 1, 'the write made after the loss was noticed still waits for a master');
  clone.close();
});

test('a master restart noticed by a foreign keepalive switches before the resync interval', () => {
  const { clock, net, me, master, clone, ce } = setup();
  master.put(str('x'), count(1));
  master.close();
  net.remove(me);
  clock.advance(2000);
  assert.ok(clone.attached, 'silence alone has not reached the resync interval');
  const me2 = net.endpoint();
  const master2 = new MasterStore({ name: S, hub: me2, clock });
  net.connect(me2, ce);
  clock.advance(500); // master2's first keepalive
  assert.ok(clone.attached);
  assert.equal(clone.masterEntity, master2.entity);
  assert.equal(dump(clone), []);
  master2.close();
  clone.close();
});

test('without a master: bounded queue, refusal when buffering is off, expiry of queued writes, stale reads', async () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const ce = net.endpoint();
  const refusing = new CloneStore({ name: S, hub: ce, clock, intervals: { mutationBufferIntervalMs: 0 } });
  assert.is(errorOf(() => refusing.put(str('k'), count(1))).code, 'no_master');
  const rejected = await refusing.putUnique(str('k'), count(1)).catch((e: unknown) => e);
  assert.is((rejected as StoreError).code, 'no_master');
  refusing.close();
  const clone = new CloneStore({ name: S, hub: ce, clock, maxQueuedWrites: 2, intervals: { mutationBufferIntervalMs: 5000, staleIntervalMs: 8000 } });
  const statuses: StoreStatus[] = [];
  clone.onStatus((s) => statuses.push(s));
  clone.put(str('k1'), count(1));
  const u = clone.putUnique(str('k2'), count(2));
  const full = errorOf(() => clone.put(str('k3'), count(3)));
  assert.is(full.code, 'queue_full');
  assert.ok(full.retriable);
  clock.advance(5000);
  assert.is(clone.queued, 0);
  const lost = statuses.find((s) => s.type === 'write_lost');
  assert.ok(lost && lost.type === 'write_lost' && lost.reason === 'mutation_buffer_expired' && lost.writes.length === 2);
  assert.is(((await u.catch((e: unknown) => e)) as StoreError).code, 'write_lost');
  assert.equal(clone.keys(), []);
  clock.advance(3000);
  const stale = errorOf(() => clone.get(str('k1')));
  assert.is(stale.code, 'stale_data');
  assert.is(stale.ecName, 'stale_data');
  clone.close();
  assert.is(errorOf(() => clone.put(str('x'), count(1))).code, 'closed');
});

test('writes queued before the first attach go out in order once a master appears', () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const me = net.endpoint();
  const ce = net.endpoint();
  const clone = new CloneStore({ name: S, hub: ce, clock });
  for (let i = 0; i < 5; i++) increment(clone, str('n'), count(1));
  clone.put(str('v'), vector([str('a')]));
  const master = new MasterStore({ name: S, hub: me, clock });
  net.connect(me, ce);
  clock.advance(200);
  assert.ok(clone.attached);
  assert.equal(dump(master), ["'n'=5u", "'v'=['a']"]);
  assert.equal(dump(clone), dump(master));
  master.close();
  clone.close();
});

test('two clones on two endpoints converge on the same contents', () => {
  const { clock, master, clones } = setup({ clones: 2 });
  clones[0]!.put(str('a'), table([[str('x'), count(1)]]));
  increment(clones[1]!, str('n'), count(2));
  increment(clones[0]!, str('n'), count(3));
  master.put(str('m'), count(0));
  clock.advance(1000);
  const want = ["'a'={'x' -> 1u}", "'m'=0u", "'n'=5u"];
  for (const s of [master, ...clones]) assert.equal(dump(s), want);
  master.close();
  for (const c of clones) c.close();
});

test('closed stores leave no timers behind', () => {
  const { clock, master, clone } = setup();
  master.close();
  clone.close();
  assert.is(clock.pendingTimers, 0);
  const k: Data = str('k');
  assert.is(errorOf(() => master.get(k)).code, 'closed');
});

test.run();
