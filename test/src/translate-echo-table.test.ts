// The router's echo table (src/translate/echo-table.ts): typed arrays with a hash index instead of a
// Map of string keys; checked against a Map with the router's former semantics (insertion order,
// at most ECHO_CAPACITY entries, expired ones evicted from the old end, a hit removes the entry).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ECHO_CAPACITY, EchoTable, type EchoDigest } from '../../src/translate/echo-table.ts';

const dg = (a: number, b = a * 7, len = 10): EchoDigest => ({ a: a | 0, b: b | 0, len });

test('remember / take: a hit is taken once, expired or unknown entries are not', () => {
  const t = new EchoTable();
  t.remember(1, dg(5), 0, 100);
  assert.is(t.size, 1);
  assert.not.ok(t.take(2, dg(5), 10), 'other name');
  assert.not.ok(t.take(1, dg(5, 1), 10), 'other lane b');
  assert.not.ok(t.take(1, dg(5, 35, 11), 10), 'other length');
  assert.not.ok(t.take(1, dg(5), 101), 'expired');
  assert.ok(t.take(1, dg(5), 100));
  assert.not.ok(t.take(1, dg(5), 100), 'taken already');
  assert.is(t.size, 0);
});

test('at most ECHO_CAPACITY entries: the oldest inserted goes first; re-remembering moves an entry to the end', () => {
  const t = new EchoTable();
  for (let i = 0; i < ECHO_CAPACITY; i++) t.remember(1, dg(i), 0, 1000);
  t.remember(1, dg(0), 0, 1000); // 0 is now the newest
  t.remember(1, dg(-1), 0, 1000); // evicts 1, the oldest
  assert.is(t.size, ECHO_CAPACITY);
  assert.not.ok(t.take(1, dg(1), 0));
  assert.ok(t.take(1, dg(0), 0));
  assert.ok(t.take(1, dg(2), 0));
  assert.ok(t.take(1, dg(-1), 0));
});

test('expired entries are dropped from the old end as new ones come in', () => {
  const t = new EchoTable();
  for (let i = 0; i < 10; i++) t.remember(1, dg(i), 0, i + 5);
  assert.is(t.size, 10);
  t.remember(1, dg(100), 8, 13); // entries until < 8 (i = 0, 1, 2) go
  assert.is(t.size, 8);
  assert.not.ok(t.take(1, dg(2), 8));
  assert.ok(t.take(1, dg(3), 8));
});

test('randomized against the Map it replaced (collisions, removals from the middle, wrap-around)', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const t = new EchoTable();
  const model = new Map<string, number>();
  const key = (name: number, d: EchoDigest): string => `${name}/${d.a}/${d.b}/${d.len}`;
  let now = 0;
  for (let step = 0; step < 60_000; step++) {
    now += rnd(3);
    // A small key space, so hits, re-inserts and hash collisions are frequent.
    const name = 1 + rnd(3);
    const d = dg(rnd(3000), rnd(2), 4 + rnd(2));
    if (rnd(3) === 0) {
      const until = model.get(key(name, d));
      const hit = until !== undefined && until >= now;
      if (hit) model.delete(key(name, d));
      assert.is(t.take(name, d, now), hit, `step ${step}`);
    } else {
      const until = now + 200 + rnd(50);
      for (const [k, u] of model) {
        if (u >= now && model.size < ECHO_CAPACITY) break;
        model.delete(k);
      }
      model.delete(key(name, d));
      model.set(key(name, d), until);
      t.remember(name, d, now, until);
    }
    assert.is(t.size, model.size, `size at step ${step}`);
  }
});

test.run();
