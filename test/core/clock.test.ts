import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/core/clock.ts';

test('manual clock fires timers in time order and only when advanced', () => {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b@20'), 20);
  clock.setTimeout(() => fired.push('a@10'), 10);
  const cancelled = clock.setTimeout(() => fired.push('never'), 15);
  cancelled.cancel();
  clock.advance(9);
  assert.equal(fired, []);
  clock.advance(11);
  assert.equal(fired, ['a@10', 'b@20']);
  assert.is(clock.now(), 20);
});

test('intervals repeat and a timer scheduled from a timer runs in the same advance', () => {
  const clock = new ManualClock(0);
  const at: number[] = [];
  const h = clock.setInterval(() => at.push(clock.now()), 100);
  clock.setTimeout(() => clock.setTimeout(() => at.push(-clock.now()), 50), 120);
  clock.advance(350);
  h.cancel();
  clock.advance(1000);
  assert.equal(at, [100, -170, 200, 300]);
  assert.is(clock.pendingTimers, 0);
});

test.run();
