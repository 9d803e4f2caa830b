// Legacy time/interval values are IEEE doubles in seconds; Broker timestamps/timespans are int64
// nanoseconds. The rule, chosen so that both directions are exact wherever the target can hold the
// value at all:
//
//   seconds -> ns: take the shortest decimal that reads back as the same double (JavaScript's
//                  Number#toString), scale it by 10^9 exactly, round half to even to whole ns.
//   ns -> seconds: the double nearest to ns / 10^9 (correctly rounded).
//
// Consequences:
// - legacy -> Broker -> legacy is exact for every double whose shortest decimal has at most nine
//   fractional digits: all of Bro's network times (microseconds), typed-in intervals (90 secs, 0.1),
//   every integer. Only sub-nanosecond detail (1e-10 s) is lost, which Broker cannot hold.
// - Broker -> legacy -> Broker is exact for every ns value a double can tell apart from its
//   neighbours: all timespans below ~52 days (2^52 ns), and timestamps with up to microsecond
//   precision for the next ~140 years. A nanosecond-precise epoch timestamp comes back rounded to the
//   double's resolution (< 120 ns today): Bro's time type cannot hold more.
// Zeek's own double->ns conversion truncates after a floating-point multiply (1795318587.194254 s
// becomes ...194253824 ns); the rule above gives ...194254000, which is what the sender meant.
import { translationError } from './errors.ts';
import type { Int64 } from '../../modern/data/index.ts';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const SAFE = 9007199254740991;
const POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= 400; i++, p *= 10n) POW10.push(p);

function canonical(v: bigint): Int64 {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Whole nanoseconds for a time or interval in seconds; throws `value_out_of_range` if not finite or beyond int64. */
export function secondsToNs(seconds: number, field = 'time'): Int64 {
  if (!Number.isFinite(seconds)) throw translationError('value_out_of_range', `${seconds} seconds has no nanosecond value`, { field });
  // Integers up to 9e6 s: the product is an exact safe integer.
  if (Number.isInteger(seconds) && Math.abs(seconds) <= 9_007_199) return seconds * 1e9 + 0;
  const text = String(seconds);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (m === null) throw translationError('value_out_of_range', `cannot scale ${text}`, { field });
  const frac = m[3] ?? '';
  const mantissa = BigInt(m[2]! + frac);
  const exp = Number(m[4] ?? 0) - frac.length + 9;
  let ns: bigint;
  if (exp >= 0) ns = mantissa * POW10[Math.min(exp, 400)]!;
  else if (-exp > 400) ns = 0n;
  else {
    const div = POW10[-exp]!;
    ns = mantissa / div;
    const rem = mantissa - ns * div;
    const twice = rem * 2n;
    if (twice > div || (twice === div && (ns & 1n) === 1n)) ns += 1n;
  }
  if (m[1] === '-') ns = -ns;
  if (ns < I64_MIN || ns > I64_MAX) throw translationError('value_out_of_range', `${text} seconds is beyond int64 nanoseconds`, { field });
  return canonical(ns);
}

/** The double nearest to ns / 10^9. */
export function nsToSeconds(ns: Int64): number {
  // IEEE division of two exact operands is correctly rounded.
  if (typeof ns === 'number' && ns >= -SAFE && ns <= SAFE) return ns / 1e9;
  const v = BigInt(ns);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = abs / 1_000_000_000n;
  const part = (abs % 1_000_000_000n).toString().padStart(9, '0');
  // At most 19 significant digits: Number() parsing is required to round correctly here.
  return Number(`${neg ? '-' : ''}${whole}.${part}`);
}
