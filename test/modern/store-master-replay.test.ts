// Our master against the clone's side of native-store-master-clone: every command the real
// Broker clone sent is injected at its capture time (plus the master-side writes the capture's
// script made), and every command our master sends must be the one the real Broker master sent,
// byte for byte once entity object numbers are mapped (snapshot order included); keepalives and
// periodic acks must carry the same seqs; expiry must fire on the 100 ms tick after 2 s / 1 s.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';
import { count, renderData, set, str, vector, type Data } from '../../modern/data/index.ts';
import { NIL_ENTITY, type CommandMessage } from '../../modern/native/index.ts';
import { MasterStore, append, decrement, increment, insertInto, masterTopic, removeFrom } from '../../modern/store/index.ts';
import { CAPTURED, commandHex, isHeartbeat, renameEntities, runs, ScriptHub, seqValue, storeCapture, type SentCommand } from './store-helpers.ts';

const BASE = 1_800_000_000_000;
const at = (t: number): number => BASE + Math.round(t * 1000);
const STORE = 'bridge-store';

function preloaded(master: MasterStore): void {
  master.put(str('pre-str'), str('hello'));
  master.put(str('pre-count'), count(5));
  master.put(str('pre-set'), set([count(1), count(2)]));
  master.put(count(7), vector([str('vec'), count(1)]));
}

/** The master-side writes of the capture's script (their results are the s2c actions). */
function localScript(m: () => MasterStore): [number, () => void][] {
  return [
    [5.191279, () => m().put(str('k1'), str('v1'))],
    [5.191279, () => m().put(str('k-exp'), str('short-lived'), 2_000_000_000)],
    [6.189475, () => void m().putUnique(str('u1'), count(1))],
    [6.189475, () => void m().putUnique(str('u1'), count(2))],
    [7.188033, () => increment(m(), str('pre-count'), count(3))],
    [7.188033, () => decrement(m(), str('pre-count'), count(1))],
    [7.188526, () => insertInto(m(), str('pre-set'), count(3))],
    [7.188526, () => removeFrom(m(), str('pre-set'), count(1))],
    [7.188526, () => append(m(), str('k1'), str('x'))],
    [8.187998, () => m().erase(str('k1'))],
    [11.193998, () => m().clear()],
    [11.688558, () => m().put(str('after-clear'), count(1))],
    [14.689104, () => m().put(str('after-clone-clear'), count(2))],
  ];
}

interface Run {
  master: MasterStore;
  sent: SentCommand[];
  clock: ManualClock;
}

function replayConn0(): Run {
  const clock = new ManualClock(at(0.03));
  const hub = new ScriptHub(CAPTURED.master1.endpoint, () => clock.now());
  const master = new MasterStore({ name: STORE, hub, clock });
  preloaded(master);
  const events: [number, () => void][] = localScript(() => master);
  for (const c of storeCapture()) {
    if (c.conn !== 0 || c.dir !== 'c2s') continue;
    // The clone addresses the real master's entity; ours has another object number.
    events.push([c.t, () => hub.inject(c.topic, renameEntities(c.msg, [[CAPTURED.master1, master.entity]]), c.receiver)]);
  }
  events.sort((a, b) => a[0] - b[0]);
  for (const [t, fn] of events) {
    clock.advance(at(t) - clock.now());
    fn();
  }
  clock.advance(at(16.18) - clock.now());
  return { master, sent: hub.take(), clock };
}

function ours(run: Run, s: SentCommand): CommandMessage {
  return renameEntities(s.msg, [
    [run.master.entity, CAPTURED.master1],
    [run.master.frontend, CAPTURED.master1Frontend],
  ]);
}

/** Control answers and actions; the first cumulative_ack (answer to attach_writer) counts too. */
function significant<T extends { msg: CommandMessage }>(xs: readonly T[]): T[] {
  let acked = false;
  return xs.filter((x) => {
    if (x.msg.command.type === 'cumulative_ack' && !acked) return (acked = true);
    return !isHeartbeat(x.msg);
  });
}

const expected = storeCapture().filter((c) => c.conn === 0 && c.dir === 's2c');

test('every non-heartbeat command our master sends is the captured Broker master command, byte for byte', () => {
  const run = replayConn0();
  const mine = significant(run.sent);
  const theirs = significant(expected);
  assert.is(mine.length, theirs.length, `${mine.map((s) => s.msg.command.type).join(',')}`);
  for (let i = 0; i < theirs.length; i++) {
    const want = theirs[i]!;
    const got = mine[i]!;
    const label = `#${i} ${want.msg.command.type} seq ${want.msg.seq} at ${want.t}`;
    assert.is(got.msg.command.type, want.msg.command.type, label);
    assert.is(commandHex(ours(run, got)), commandHex(want.msg), label);
    assert.is(got.receiver, want.receiver, `${label}: envelope receiver`);
    assert.is(got.topic, want.topic, label);
  }
  run.master.close();
});

test('the ack_clone snapshot holds the preloaded entries in insertion order, offset 1, heartbeat 5', () => {
  const run = replayConn0();
  const ack = run.sent.find((s) => s.msg.command.type === 'ack_clone')!;
  const c = ack.msg.command;
  assert.ok(c.type === 'ack_clone');
  if (c.type !== 'ack_clone') return;
  assert.is(c.offset, 1);
  assert.is(c.heartbeatInterval, 5);
  assert.equal(
    c.snapshot.map(([k, v]) => `${renderData(k)} -> ${renderData(v)}`),
    ["'pre-str' -> 'hello'", "'pre-count' -> 5u", "'pre-set' -> {1u, 2u}", "7u -> ['vec', 1u]"],
  );
  assert.is(ack.receiver, CAPTURED.clone.endpoint);
  run.master.close();
});

test('keepalives and periodic acks carry the same seqs as the captured master', () => {
  const run = replayConn0();
  const kind = (type: string) => (xs: readonly { msg: CommandMessage }[]) => runs(xs.filter((x) => x.msg.command.type === type).map((x) => seqValue(x.msg)));
  assert.equal(kind('keepalive')(run.sent), kind('keepalive')(expected));
  assert.equal(kind('cumulative_ack')(run.sent), kind('cumulative_ack')(expected));
  // Heartbeats every 500 ms when idle: between 3.0 s and 5.0 s (no actions) exactly four.
  const idle = run.sent.filter((s) => s.msg.command.type === 'keepalive' && s.at >= at(3.0) && s.at < at(5.0));
  assert.is(idle.length, 4);
  run.master.close();
});

test('expiry runs on the master tick: expire 2.0–2.1 s after a 2 s put, 1.0–1.1 s after a 1 s put', () => {
  const run = replayConn0();
  const expireAt = (key: string): number => {
    const s = run.sent.find((x) => x.msg.command.type === 'expire' && renderData((x.msg.command as { key: Data }).key) === `'${key}'`);
    assert.ok(s, key);
    return s!.at;
  };
  const dk = expireAt('k-exp') - at(5.191279);
  assert.ok(dk > 2000 && dk <= 2100, `k-exp expired after ${dk} ms`);
  const dc = expireAt('c-exp') - at(9.195374);
  assert.ok(dc > 1000 && dc <= 1100, `c-exp expired after ${dc} ms`);
  run.master.close();
});

test('contents at the end of conn 0 are the captured clone contents', () => {
  const run = replayConn0();
  assert.equal(
    run.master.entries().map(([k, v]) => `${renderData(k)}=${renderData(v)}`),
    ["'after-clone-clear'=2u"],
  );
  run.master.close();
});

test('a restarted master ignores the stale clone (like Broker) but answers its nack [0] with a fresh snapshot', () => {
  const clock = new ManualClock(at(21.2));
  const hub = new ScriptHub(CAPTURED.master2.endpoint, () => clock.now());
  const master = new MasterStore({ name: STORE, hub, clock });
  master.put(str('m2-key'), str('second master'));
  const conn2 = storeCapture().filter((c) => c.conn === 2 && c.dir === 'c2s');
  for (const c of conn2) {
    clock.advance(at(c.t) - clock.now());
    hub.inject(c.topic, c.msg, c.receiver);
  }
  // The captured clone's put (addressed to the old master's entity) was not applied.
  assert.is(master.get(str('after-restart')), undefined);
  const sent = hub.take();
  assert.ok(sent.length > 20);
  assert.ok(sent.every((s) => s.msg.command.type === 'keepalive' && seqValue(s.msg) === 1));
  // What Broker's clone never sent: nack [0], still naming the old master. We answer it.
  hub.inject(masterTopic(STORE), { seq: 0, sender: CAPTURED.clone, receiver: CAPTURED.master1, command: { type: 'nack', seqs: [0] } });
  const [ack] = hub.take();
  assert.ok(ack && ack.msg.command.type === 'ack_clone');
  if (ack?.msg.command.type !== 'ack_clone') return;
  assert.is(ack.receiver, CAPTURED.clone.endpoint);
  assert.equal(ack.msg.receiver, CAPTURED.clone);
  assert.equal(ack.msg.command.snapshot.map(([k, v]) => `${renderData(k)}=${renderData(v)}`), ["'m2-key'='second master'"]);
  // The clone acks and attaches its writer at its own seq; its next put (seq 13) is applied.
  hub.inject(masterTopic(STORE), { seq: 0, sender: CAPTURED.clone, receiver: master.entity, command: { type: 'cumulative_ack', seq: 1 } }, CAPTURED.master2.endpoint);
  hub.inject(masterTopic(STORE), { seq: 0, sender: CAPTURED.clone, receiver: master.entity, command: { type: 'attach_writer', offset: 12, heartbeatInterval: 5 } });
  hub.inject(masterTopic(STORE), {
    seq: 13,
    sender: CAPTURED.clone,
    receiver: master.entity,
    command: { type: 'put', key: str('after-restart'), value: str('x'), publisher: CAPTURED.clone },
  });
  assert.equal(master.get(str('after-restart')), str('x'));
  const out = hub.take().map((s) => s.msg);
  assert.equal(
    out.map((m) => [m.command.type, m.seq, m.receiver === NIL_ENTITY ? 'nil' : 'clone']),
    [
      ['cumulative_ack', 0, 'clone'],
      ['put', 2, 'nil'],
    ],
  );
  master.close();
});

test.run();
