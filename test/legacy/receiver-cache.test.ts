import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SerType } from '../../legacy/codec/constants.ts';
import { FAMILY, ReceiverCache } from '../../legacy/codec/receiver-cache.ts';
import { LegacyError } from '../../legacy/codec/errors.ts';

// The receiver cache against a plain-array model of Bro's SerializationCache: two LRU lists
// (cache-stable objects separately under the new strategy), non-BroObj objects dropped after each
// serialization, each list trimmed to capacity oldest first, a back-reference moves an entry to
// the most recent end.

interface ModelEntry {
  pid: number;
  obj: object;
  stable: boolean;
  transient: boolean;
}

class Model {
  lists: { stable: ModelEntry[]; unstable: ModelEntry[] } = { stable: [], unstable: [] };
  registered: ModelEntry[] = [];
  constructor(public capacity: number) {}

  private where(pid: number): [ModelEntry[], number] | undefined {
    for (const list of [this.lists.stable, this.lists.unstable]) {
      const i = list.findIndex((e) => e.pid === pid);
      if (i >= 0) return [list, i];
    }
    return undefined;
  }

  add(pid: number, obj: object, stype: number, newStrategy: boolean): void {
    const old = this.where(pid);
    if (old) old[0].splice(old[1], 1);
    const stable = newStrategy && ((stype & ~0x4000) >> 8) >= 0x89 && ((stype & ~0x4000) >> 8) <= 0x8f;
    const e = { pid, obj, stable, transient: (stype & 0x8000) === 0 };
    (stable ? this.lists.stable : this.lists.unstable).push(e);
    if (e.transient) this.registered.push(e);
  }

  lookup(pid: number): object | undefined {
    const at = this.where(pid);
    if (!at) return undefined;
    const [e] = at[0].splice(at[1], 1);
    at[0].push(e!);
    return e!.obj;
  }

  end(): void {
    for (const e of this.registered) {
      const at = this.where(e.pid);
      if (at && at[0][at[1]] === e) at[0].splice(at[1], 1);
    }
    this.registered = [];
    for (const list of [this.lists.stable, this.lists.unstable]) while (list.length > this.capacity) list.shift();
  }

  get size(): number {
    return this.lists.stable.length + this.lists.unstable.length;
  }

  pids(): number[] {
    return [...this.lists.stable, ...this.lists.unstable].map((e) => e.pid).sort((a, b) => a - b);
  }
}

const STYPES = [SerType.VAL, SerType.RECORD_VAL, SerType.BRO_TYPE, SerType.RECORD_TYPE, SerType.ATTRIBUTES, SerType.LOCATION, SerType.RE_MATCHER];

test('receiver cache: random traffic evicts exactly like the list model (both strategies, re-used pids, hot back-references, 64-bit pids)', () => {
  let seed = 11;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const [capacity, newStrategy, pidBase] of [
    [3, false, 0],
    [3, true, 0],
    [50, true, 0],
    [200, false, 2 ** 40],
    [7, true, 2 ** 52 - 100_000],
  ] as const) {
    const cache = new ReceiverCache(capacity, 100_000);
    const model = new Model(capacity);
    let next = pidBase + 1;
    for (let message = 0; message < 2000; message++) {
      const ops = 1 + rnd(12);
      for (let k = 0; k < ops; k++) {
        const live = model.pids();
        const r = rnd(10);
        if (r < 5 || live.length === 0) {
          // A new object; now and then a pid the sender re-uses (after it evicted it).
          const pid = rnd(20) === 0 && next > pidBase + 10 ? next - 1 - rnd(10) : next++;
          const obj = { pid };
          const stype = STYPES[rnd(STYPES.length)]!;
          model.add(pid, obj, stype, newStrategy);
          cache.add(pid, obj, FAMILY.val, stype, newStrategy, 0);
        } else if (r < 9) {
          // A back-reference: to a recent object most of the time, to the hottest one often.
          const pid = r === 8 ? live[live.length - 1]! : live[rnd(live.length)]!;
          const entry = cache.find(pid);
          assert.ok(entry !== undefined, `pid ${pid} missing`);
          assert.is(entry.obj, model.lookup(pid));
        } else {
          // A pid never registered (or long gone).
          const pid = pidBase + 1 + rnd(next - pidBase);
          if (!live.includes(pid)) assert.is(cache.find(pid), undefined);
        }
      }
      model.end();
      cache.endSerialization();
      assert.is(cache.size, model.size);
      if (message % 97 === 0) {
        for (const pid of model.pids()) assert.ok(cache.has(pid), `pid ${pid} lost`);
      }
    }
    cache.clear();
    assert.is(cache.size, 0);
    assert.not.ok(cache.has(pidBase + 1));
  }
});

test('receiver cache: hot back-references among dropped objects keep one entry; evicted entries are recycled, not kept', () => {
  const cache = new ReceiverCache(3000, 100_000);
  const type = {};
  cache.add(1, type, FAMILY.type, SerType.RECORD_TYPE, true, 0);
  for (let i = 0; i < 20_000; i++) {
    assert.is(cache.find(1)?.obj, type);
    cache.add(2 + i, {}, FAMILY.location, SerType.LOCATION, true, 0);
    cache.endSerialization();
  }
  assert.is(cache.size, 1);
  assert.is(cache.find(2), undefined);
  // The ring of never-used entries did not grow with the dropped ones.
  const lists = cache as unknown as { stable: { mask: number }; unstable: { mask: number } };
  assert.ok(lists.stable.mask < 1024 && lists.unstable.mask < 1024, `rings of ${lists.stable.mask + 1} / ${lists.unstable.mask + 1}`);
});

test('receiver cache: a value registered with a placeholder is filled in wherever its entry went meanwhile', () => {
  const cache = new ReceiverCache(3000, 100_000);
  const pending = {};
  const value = {};
  // Still in the ring.
  let h = cache.add(1, pending, FAMILY.val, SerType.VAL, false, 0);
  cache.settle(h, 1, pending, value);
  assert.is(cache.find(1)?.obj, value);
  // Referenced (moved to the used entries) before it was filled in.
  h = cache.add(2, pending, FAMILY.val, SerType.VAL, false, 0);
  assert.is(cache.find(2)?.obj, pending);
  cache.settle(h, 2, pending, value);
  assert.is(cache.find(2)?.obj, value);
  // Registered out of pid order.
  h = cache.add(1, pending, FAMILY.val, SerType.VAL, false, 0);
  cache.settle(h, 1, pending, value);
  assert.is(cache.find(1)?.obj, value);
  // Replaced by a newer registration of the same pid: the newer one stays.
  const newer = {};
  h = cache.add(5, pending, FAMILY.val, SerType.VAL, false, 0);
  cache.add(5, newer, FAMILY.val, SerType.VAL, false, 0);
  cache.settle(h, 5, pending, value);
  assert.is(cache.find(5)?.obj, newer);
  // The ring was compacted between registration and filling in (positions changed).
  const big = new ReceiverCache(100_000, 100_000);
  const handles: number[] = [];
  for (let pid = 1; pid <= 64; pid++) handles.push(big.add(pid, pending, FAMILY.val, SerType.VAL, false, 0));
  // Holes behind the oldest entry (pid 1), so the next registrations squeeze them out.
  for (let pid = 2; pid <= 41; pid++) big.find(pid);
  for (let pid = 65; pid <= 200; pid++) big.add(pid, {}, FAMILY.val, SerType.VAL, false, 0);
  for (const pid of [1, ...Array.from({ length: 23 }, (_, k) => 42 + k)]) {
    big.settle(handles[pid - 1]!, pid, pending, value);
    assert.is(big.find(pid)?.obj, value, `pid ${pid}`);
  }
});

test('receiver cache: the entry limit is a typed error; pid 0 is never found', () => {
  const cache = new ReceiverCache(3000, 10);
  for (let pid = 1; pid <= 10; pid++) cache.add(pid, {}, FAMILY.val, SerType.VAL, false, 0);
  // Re-registering a live pid replaces it and stays within the limit.
  cache.add(5, {}, FAMILY.val, SerType.VAL, false, 0);
  try {
    cache.add(11, {}, FAMILY.val, SerType.VAL, false, 123);
    assert.unreachable('limit not enforced');
  } catch (err) {
    assert.ok(err instanceof LegacyError && err.code === 'cache_limit' && err.offset === 123);
  }
  assert.is(cache.find(0), undefined);
});

test.run();
