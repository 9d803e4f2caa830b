// Our clone against the master's side of native-store-master-clone: every command the real
// Broker master sent is injected at its capture time (plus the clone-side writes of the capture's
// script), and our clone must send what the real Broker clone sent, byte for byte once entity
// object numbers are mapped, keep the same replica, and resolve put_unique like it. Then the part
// where Broker's clone fails: a new master appears (conn 2) and our clone re-attaches to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { bool, count, renderData, str, type Data } from '../../modern/data/index.ts';
import { NIL_ENTITY, type CommandMessage, type EntityId } from '../../modern/native/index.ts';
import { CloneStore, append, cloneTopic, decrement, increment, insertInto, removeFrom, type StoreStatus } from '../../modern/store/index.ts';
import { CAPTURED, commandHex, isHeartbeat, renameEntities, runs, ScriptHub, seqValue, storeCapture, type SentCommand } from './store-helpers.ts';

const BASE = 1_800_000_000_000;
const at = (t: number): number => BASE + Math.round(t * 1000);
const STORE = 'bridge-store';

function contents(c: CloneStore): string[] {
  return c
    .entries()
    .map(([k, v]) => `${renderData(k)}=${renderData(v)}`)
    .sort();
}

interface Run {
  clone: CloneStore;
  hub: ScriptHub;
  clock: ManualClock;
  sent: SentCommand[];
  uniques: Promise<boolean>[];
  checkpoints: Map<number, string[]>;
  statuses: StoreStatus[];
}

const CHECKPOINTS = [2.8, 7.3, 9.3, 10.3, 14.3, 16.0];

function replay(until: number, withMaster2 = false): Run {
  const clock = new ManualClock(at(2.790642));
  const hub = new ScriptHub(CAPTURED.clone.endpoint, () => clock.now());
  const clone = new CloneStore({ name: STORE, hub, clock });
  const statuses: StoreStatus[] = [];
  clone.onStatus((s) => statuses.push(s));
  const uniques: Promise<boolean>[] = [];
  const checkpoints = new Map<number, string[]>();
  const rename = (m: CommandMessage): CommandMessage =>
    renameEntities(m, [
      [CAPTURED.clone, clone.entity],
      [CAPTURED.cloneFrontend, clone.frontend],
    ]);
  const events: [number, () => void][] = [
    [9.188155, () => clone.put(str('from-clone'), str('c'))],
    [9.188668, () => void uniques.push(clone.putUnique(str('u-clone'), bool(true)))],
    [9.190929, () => void uniques.push(clone.putUnique(str('u1'), count(9)))],
    [9.193376, () => increment(clone, str('pre-count'), count(10))],
    [9.195374, () => decrement(clone, str('pre-count'), count(2))],
    [9.195374, () => insertInto(clone, str('pre-set'), count(4))],
    [9.195374, () => removeFrom(clone, str('pre-set'), count(2))],
    [9.195374, () => append(clone, str('pre-str'), str(' world'))],
    [9.195374, () => clone.put(str('c-exp'), count(99), 1_000_000_000)],
    [9.195374, () => clone.erase(str('u-clone'))],
    [14.187715, () => clone.clear()],
    [27.18897, () => clone.put(str('after-restart'), str('x'))],
    ...CHECKPOINTS.map((t): [number, () => void] => [t, () => void checkpoints.set(t, contents(clone))]),
  ];
  for (const c of storeCapture()) {
    if (c.dir !== 's2c' || (c.conn === 2 && !withMaster2)) continue;
    events.push([c.t, () => hub.inject(c.topic, rename(c.msg), c.receiver)]);
  }
  if (withMaster2) {
    // Broker's clone never asked, so the capture has no answer: this is what a master answers.
    events.push([
      21.38,
      () =>
        hub.inject(
          cloneTopic(STORE),
          { seq: 1, sender: CAPTURED.master2, receiver: clone.entity, command: { type: 'ack_clone', offset: 1, heartbeatInterval: 5, snapshot: [[str('m2-key'), str('second master')]] } },
          CAPTURED.clone.endpoint,
        ),
    ]);
    // ... and the new master's answer to attach_writer (its consumer starts at the clone's seq).
    events.push([
      21.39,
      () => hub.inject(cloneTopic(STORE), { seq: 0, sender: CAPTURED.master2, receiver: clone.entity, command: { type: 'cumulative_ack', seq: 12 } }, CAPTURED.clone.endpoint),
    ]);
  }
  events.sort((a, b) => a[0] - b[0]);
  for (const [t, fn] of events) {
    if (t > until) break;
    clock.advance(at(t) - clock.now());
    fn();
  }
  clock.advance(at(until) - clock.now());
  return { clone, hub, clock, sent: hub.take(), uniques, checkpoints, statuses };
}

function ours(run: Run, m: CommandMessage): CommandMessage {
  return renameEntities(m, [
    [run.clone.entity, CAPTURED.clone],
    [run.clone.frontend, CAPTURED.cloneFrontend],
  ]);
}

function significant<T extends { msg: CommandMessage }>(xs: readonly T[]): T[] {
  let acked = false;
  return xs.filter((x) => {
    if (x.msg.command.type === 'cumulative_ack' && !acked) return (acked = true);
    return !isHeartbeat(x.msg);
  });
}

const conn0 = storeCapture().filter((c) => c.conn === 0 && c.dir === 'c2s');

test('every non-heartbeat command our clone sends is the captured Broker clone command, byte for byte', () => {
  const run = replay(16.18);
  const mine = significant(run.sent);
  const theirs = significant(conn0);
  assert.equal(
    mine.map((s) => s.msg.command.type),
    theirs.map((c) => c.msg.command.type),
  );
  for (let i = 0; i < theirs.length; i++) {
    const want = theirs[i]!;
    const got = mine[i]!;
    const label = `#${i} ${want.msg.command.type} seq ${want.msg.seq} at ${want.t}`;
    assert.is(commandHex(ours(run, got.msg)), commandHex(want.msg), label);
    assert.is(got.receiver, want.receiver, `${label}: envelope receiver`);
    assert.is(got.topic, want.topic, label);
  }
  run.clone.close();
});

test('keepalives and periodic acks carry the same seqs as the captured clone', () => {
  const run = replay(16.18);
  const kind = (type: string) => (xs: readonly { msg: CommandMessage }[]) => runs(xs.filter((x) => x.msg.command.type === type).map((x) => seqValue(x.msg)));
  assert.equal(kind('keepalive')(run.sent), kind('keepalive')(conn0));
  assert.equal(kind('cumulative_ack')(run.sent), kind('cumulative_ack')(conn0));
  run.clone.close();
});

test('the replica follows the master: snapshot, results of every action, expiry, clears', async () => {
  const run = replay(16.18);
  const cp = (t: number): string[] => run.checkpoints.get(t)!;
  assert.equal(cp(2.8), ["'pre-count'=5u", "'pre-set'={1u, 2u}", "'pre-str'='hello'", "7u=['vec', 1u]"]);
  assert.equal(cp(7.3), ["'k1'='v1x'", "'pre-count'=7u", "'pre-set'={2u, 3u}", "'pre-str'='hello'", "'u1'=1u", "7u=['vec', 1u]"]);
  assert.equal(cp(9.3), [
    "'c-exp'=99u",
    "'from-clone'='c'",
    "'pre-count'=15u",
    "'pre-set'={3u, 4u}",
    "'pre-str'='hello world'",
    "'u1'=1u",
    "7u=['vec', 1u]",
  ]);
  assert.not.ok(cp(10.3).includes("'c-exp'=99u"), 'c-exp expired');
  assert.equal(cp(14.3), []);
  assert.equal(cp(16.0), ["'after-clone-clear'=2u"]);
  assert.equal(await Promise.all(run.uniques), [true, false]);
  run.clone.close();
});

test('unlike Broker, a new master (conn 2) makes our clone re-attach, reload and write to the new master', () => {
  const run = replay(27.5, true);
  const after = (t: number): SentCommand[] => run.sent.filter((s) => s.at >= at(t));
  // At the new master's first keepalive (its sender is another entity) our clone asks again.
  const [first] = after(21.37288).filter((s) => s.msg.command.type !== 'keepalive' || s.at > at(21.37288));
  assert.ok(first);
  assert.is(first!.at, at(21.37288));
  assert.equal(first!.msg, { seq: 0, sender: run.clone.entity, receiver: NIL_ENTITY, command: { type: 'nack', seqs: [0] } });
  assert.is(first!.receiver, undefined);
  const sig = significant(after(21.38));
  const m2 = CAPTURED.master2;
  assert.equal(
    sig.map((s) => [s.msg.command.type, s.receiver === m2.endpoint ? 'M2' : 'nil', sameAs(s.msg.receiver, m2)]),
    [
      ['cumulative_ack', 'M2', true],
      ['attach_writer', 'nil', true],
      ['put', 'nil', true],
    ],
  );
  const attach = sig[1]!.msg.command;
  assert.equal(attach, { type: 'attach_writer', offset: 12, heartbeatInterval: 5 });
  // The write Broker's clone sent to the dead master: same bytes except the receiver entity.
  const captured = storeCapture().find((c) => c.conn === 2 && c.msg.command.type === 'put')!;
  assert.is(commandHex(ours(run, sig[2]!.msg)), commandHex({ ...captured.msg, receiver: m2 }));
  assert.equal(contents(run.clone), ["'m2-key'='second master'"]);
  assert.equal(
    run.statuses.map((s) => s.type + (s.type === 'master_lost' ? `:${s.reason}` : '')),
    ['attached', 'master_lost:new_master', 'attached'],
  );
  run.clone.close();
});

function sameAs(a: EntityId, b: EntityId): boolean {
  return a.endpoint === b.endpoint && a.object == b.object; // eslint-disable-line eqeqeq
}

test('keepalives from the new master before ours went quiet do not trigger a switch', () => {
  const clock = new ManualClock(at(0));
  const hub = new ScriptHub(CAPTURED.clone.endpoint, () => clock.now());
  const clone = new CloneStore({ name: STORE, hub, clock });
  hub.inject(cloneTopic(STORE), { seq: 1, sender: CAPTURED.master1, receiver: clone.entity, command: { type: 'ack_clone', offset: 1, heartbeatInterval: 5, snapshot: [] } }, CAPTURED.clone.endpoint);
  const keepalive = (from: EntityId): void => hub.inject(cloneTopic(STORE), { seq: 0, sender: from, receiver: NIL_ENTITY, command: { type: 'keepalive', seq: 1 } });
  for (let i = 0; i < 4; i++) {
    clock.advance(500);
    keepalive(CAPTURED.master1);
    keepalive(CAPTURED.master2);
  }
  assert.ok(clone.attached);
  assert.equal(clone.masterEntity, CAPTURED.master1);
  hub.take();
  clone.close();
});

test('a snapshot replaces the replica and announces only the difference', () => {
  const clock = new ManualClock(at(0));
  const hub = new ScriptHub(CAPTURED.clone.endpoint, () => clock.now());
  const clone = new CloneStore({ name: STORE, hub, clock });
  const events: string[] = [];
  clone.onEvent((e) => events.push(`${e.type} ${renderData(e.key)}`));
  const snap = (master: EntityId, entries: [Data, Data][]): void =>
    hub.inject(cloneTopic(STORE), { seq: 1, sender: master, receiver: clone.entity, command: { type: 'ack_clone', offset: 1, heartbeatInterval: 5, snapshot: entries } }, CAPTURED.clone.endpoint);
  snap(CAPTURED.master1, [
    [str('a'), count(1)],
    [str('b'), count(2)],
  ]);
  clock.advance(10_500); // master silent longer than the resync interval → re-attach
  snap(CAPTURED.master2, [
    [str('b'), count(2)],
    [str('c'), count(3)],
  ]);
  assert.equal(events, ["insert 'a'", "insert 'b'", "erase 'a'", "insert 'c'"]);
  clone.close();
});

test.run();
