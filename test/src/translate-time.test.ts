// The double seconds <-> int64 nanoseconds rule of time.ts, its exactness claims checked over
// many values (a fixed-seed generator, so a failure reproduces).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nsToSeconds, secondsToNs } from '../../src/translate/time.ts';

test('seconds -> ns uses the shortest decimal of the double, not a floating multiply', () => {
  assert.is(secondsToNs(1795318587.194254), 1_795_318_587_194_254_000n);
  // A float multiply would give ...194253824 (what Zeek's duration_cast produces).
  assert.is.not(BigInt(Math.trunc(1795318587.194254 * 1e9)), 1_795_318_587_194_254_000n);
  assert.is(secondsToNs(0.1), 100_000_000);
  assert.is(secondsToNs(90), 90_000_000_000);
  assert.is(secondsToNs(-1.5), -1_500_000_000);
  assert.is(secondsToNs(1e-9), 1);
  assert.is(secondsToNs(1e-10), 0);
  assert.is(secondsToNs(1.5e-9), 2); // half to even
  assert.is(secondsToNs(2.5e-9), 2);
  assert.is(secondsToNs(-0), 0);
});

test('ns -> seconds is the nearest double', () => {
  assert.is(nsToSeconds(1_500_000_000_500_000_000n), 1500000000.5);
  assert.is(nsToSeconds(100_000_000), 0.1);
  assert.is(nsToSeconds(-1), -1e-9);
  assert.is(nsToSeconds(1_700_000_000_123_456_000n), 1700000000.123456);
});

test('range: non-finite and beyond-int64 seconds are refused', () => {
  for (const s of [Infinity, -Infinity, NaN, 9.3e9, -9.3e9]) {
    let code = '';
    try {
      secondsToNs(s);
    } catch (err) {
      code = (err as { code: string }).code;
    }
    assert.is(code, 'value_out_of_range', String(s));
  }
  assert.is(secondsToNs(9.2e9), 9_200_000_000_000_000_000n);
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('legacy -> Broker -> legacy is exact for doubles with at most 9 fractional digits', () => {
  const r = rng(7);
  for (let i = 0; i < 20000; i++) {
    const digits = Math.floor(r() * 10);
    const whole = Math.floor(r() * 2e9) * (r() < 0.1 ? -1 : 1);
    const frac = Math.floor(r() * 10 ** digits);
    const d = Number(`${whole}.${String(frac).padStart(digits, '0')}`);
    assert.is(nsToSeconds(secondsToNs(d)), d, `${d}`);
  }
});

test('Broker -> legacy -> Broker is exact for timespans below 2^52 ns and microsecond timestamps', () => {
  const r = rng(11);
  for (let i = 0; i < 20000; i++) {
    const span = Math.floor(r() * 2 ** 52) * (r() < 0.5 ? -1 : 1);
    assert.is(secondsToNs(nsToSeconds(span)), span === 0 ? 0 : span, `${span}`);
    const us = BigInt(Math.floor(r() * 4e15)); // up to ~2096 in microseconds
    const ts = us * 1000n;
    const back = secondsToNs(nsToSeconds(ts));
    assert.is(BigInt(back), ts, `${ts}`);
  }
});

test('nanosecond epoch timestamps come back within half a double step', () => {
  const ts = 1_700_000_000_123_456_789n;
  const back = BigInt(secondsToNs(nsToSeconds(ts)));
  assert.ok(back - ts < 120n && ts - back < 120n, `${back}`);
});

test.run();
