// Our master and our clone on two real Broker endpoints peered over loopback TCP: the attach,
// every write from both sides, expiry, a clone endpoint killed and restarted, and the master
// endpoint killed and restarted on a new port with a new id (the clone's endpoint re-peers and the
// clone re-attaches and converges). The stores run on a ManualClock; the network is real.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { bool, count, renderData, str, vector } from '../../modern/data/index.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { CloneStore, MasterStore, append, decrement, increment, insertInto, pop, push, removeFrom, type DataStore } from '../../modern/store/index.ts';

const S = 'bridge-store';

function dump(s: DataStore): string[] {
  return s
    .entries()
    .map(([k, v]) => `${renderData(k)}=${renderData(v)}`)
    .sort();
}

/** Advances the stores' clock 100 ms at a time, letting the sockets work, until `cond` holds. */
async function pump(clock: ManualClock, cond: () => boolean, what: string, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function endpoint(): Endpoint {
  return new Endpoint({ disable_ssl: true, env: {} });
}

test('master and clone on two loopback endpoints: attach, every write both ways, expiry', async () => {
  const clock = new ManualClock();
  const a = endpoint();
  const b = endpoint();
  const master = new MasterStore({ name: S, hub: a, clock });
  master.put(str('pre'), count(5));
  const port = await a.listen('127.0.0.1', 0, 0);
  await b.peer('127.0.0.1', port, 0);
  const clone = new CloneStore({ name: S, hub: b, clock });
  try {
    await pump(clock, () => clone.attached, 'the clone to attach');
    assert.equal(dump(clone), ["'pre'=5u"]);
    clone.put(str('p'), str('v'), 1_000_000_000);
    const unique = [clone.putUnique(str('u'), bool(true)), clone.putUnique(str('pre'), count(0))];
    increment(clone, str('pre'), count(3));
    decrement(clone, str('pre'), count(1));
    append(clone, str('s'), str('ab'));
    insertInto(clone, str('set'), count(2));
    insertInto(clone, str('set'), count(1));
    removeFrom(clone, str('set'), count(2));
    insertInto(clone, str('tab'), str('k'), count(1));
    push(clone, str('vec'), str('x'));
    push(clone, str('vec'), str('y'));
    pop(clone, str('vec'));
    master.put(str('from-master'), vector([str('m')]));
    clone.put(str('gone'), count(0));
    clone.erase(str('gone'));
    const want = ["'from-master'=['m']", "'p'='v'", "'pre'=7u", "'s'='ab'", "'set'={1u}", "'tab'={'k' -> 1u}", "'u'=T", "'vec'=['x']"];
    await pump(clock, () => dump(clone).join() === want.join(), 'the clone to converge');
    assert.equal(dump(master), want);
    assert.equal(await Promise.all(unique), [true, false]);
    await pump(clock, () => !clone.exists(str('p')), 'expiry of p');
    assert.not.ok(master.exists(str('p')));
    clone.clear();
    await pump(clock, () => clone.size() === 0 && master.size() === 0, 'the clear');
  } finally {
    master.close();
    clone.close();
    await b.shutdown();
    await a.shutdown();
  }
});

test('a clone endpoint killed and restarted attaches to the same master with the current contents', async () => {
  const clock = new ManualClock();
  const a = endpoint();
  const master = new MasterStore({ name: S, hub: a, clock });
  const port = await a.listen('127.0.0.1', 0, 0);
  const b1 = endpoint();
  await b1.peer('127.0.0.1', port, 0);
  const c1 = new CloneStore({ name: S, hub: b1, clock });
  try {
    await pump(clock, () => c1.attached, 'the first clone');
    c1.put(str('before'), count(1));
    await pump(clock, () => master.exists(str('before')), 'the first write');
    c1.close();
    await b1.shutdown();
    master.put(str('while-down'), count(2));
    const b2 = endpoint();
    await b2.peer('127.0.0.1', port, 0);
    const c2 = new CloneStore({ name: S, hub: b2, clock });
    try {
      await pump(clock, () => c2.attached, 'the restarted clone');
      assert.equal(dump(c2), ["'before'=1u", "'while-down'=2u"]);
      c2.put(str('after'), count(3));
      // A clone applies its own write when the master's update comes back, after the master has it.
      await pump(clock, () => c2.exists(str('after')), 'the new clone\'s write back from the master');
      assert.equal(dump(c2), dump(master));
    } finally {
      c2.close();
      await b2.shutdown();
    }
  } finally {
    master.close();
    await a.shutdown();
  }
});

test('the master endpoint killed and restarted (new id, new port): the clone re-attaches and converges', async () => {
  const clock = new ManualClock();
  const a1 = endpoint();
  const m1 = new MasterStore({ name: S, hub: a1, clock });
  const port1 = await a1.listen('127.0.0.1', 0, 0);
  const b = endpoint();
  await b.peer('127.0.0.1', port1, 0);
  const clone = new CloneStore({ name: S, hub: b, clock });
  const statuses: string[] = [];
  clone.onStatus((s) => statuses.push(s.type + (s.type === 'master_lost' ? `:${s.reason}` : '')));
  try {
    await pump(clock, () => clone.attached, 'attach to the first master');
    clone.put(str('old'), count(1));
    assert.is(clone.unacked, 1, 'sent, not confirmed yet');
    await pump(clock, () => m1.exists(str('old')), 'a write to the first master');
    // Wait for the master's cumulative ack (sent each heartbeat), or the write counts as in flight
    // and is reported lost when the master changes.
    await pump(clock, () => clone.unacked === 0, 'the first master\'s ack of the write');
    m1.close();
    await a1.shutdown();
    await b.unpeer('127.0.0.1', port1);
    const a2 = endpoint();
    const m2 = new MasterStore({ name: S, hub: a2, clock });
    m2.put(str('m2-key'), str('second master'));
    const port2 = await a2.listen('127.0.0.1', 0, 0);
    try {
      clock.advance(1500); // the old master has been quiet for more than two heartbeats
      await b.peer('127.0.0.1', port2, 0);
      await pump(clock, () => clone.attached && clone.masterEntity?.endpoint === a2.nodeId, 'the re-attach');
      assert.equal(dump(clone), ["'m2-key'='second master'"]);
      clone.put(str('after-restart'), str('x'));
      await pump(clock, () => m2.exists(str('after-restart')), 'a write reaching the new master');
      await pump(clock, () => clone.exists(str('after-restart')), 'the write back at the clone');
      assert.equal(dump(clone), ["'after-restart'='x'", "'m2-key'='second master'"]);
      assert.equal(dump(m2), dump(clone));
      assert.equal(statuses, ['attached', 'master_lost:new_master', 'attached']);
    } finally {
      m2.close();
      await a2.shutdown();
    }
  } finally {
    clone.close();
    await b.shutdown();
  }
});

test.run();
