// Scalar text forms of Broker's JSON encoder (spec §3.3), byte for byte: reals as C printf("%f"),
// timestamps in milliseconds without zone (including Broker's pre-epoch quirk), timespans in the
// largest exact unit, ports as `80/tcp`, and its string escaping.
import { doubleParts } from '../../src/core/float-bits.ts';
import type { Int64, PortProtocol } from './types.ts';

/** C's printf("%f"): fixed notation, 6 decimals, exact binary value rounded half-to-even. */
export function formatRealF(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  // toFixed is exact below 1e21 but breaks ties upwards; a tie at the 7th decimal happens exactly
  // when a = t/128 for an odd integer t.
  const t = a * 128;
  if (a < 1e21 && !(Number.isInteger(t) && t % 2 === 1)) {
    const s = a.toFixed(6);
    return negative ? `-${s}` : s;
  }
  return (negative ? '-' : '') + exactFixed6(a);
}

function exactFixed6(a: number): string {
  const { mantissa, exponent: exp } = doubleParts(a);
  let q: bigint;
  if (exp >= 0) q = (mantissa * 1_000_000n) << BigInt(exp);
  else {
    const shift = BigInt(-exp);
    const num = mantissa * 1_000_000n;
    q = num >> shift;
    const rem = num - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const s = q.toString().padStart(7, '0');
  return `${s.slice(0, -6)}.${s.slice(-6)}`;
}

/**
 * `YYYY-MM-DDThh:mm:ss.mmm` in UTC. Like Broker, seconds and milliseconds are both truncated toward
 * zero separately and a non-positive millisecond part prints as `000`, so −1.5 s renders as
 * `1969-12-31T23:59:59.000`.
 */
export function formatTimestamp(ns: Int64): string {
  const v = typeof ns === 'bigint' ? ns : BigInt(ns);
  const secs = v / 1_000_000_000n;
  const ms = Number((v / 1_000_000n) % 1000n);
  const iso = new Date(Number(secs) * 1000).toISOString();
  // toISOString writes ±YYYYYY outside years 0..9999; int64 nanoseconds stay within 1677..2262.
  const date = iso.length === 24 ? iso.slice(0, 19) : iso.slice(0, iso.indexOf('.'));
  return `${date}.${ms > 0 ? String(ms).padStart(3, '0') : '000'}`;
}

/** The largest of s, ms, us, ns that represents the value exactly; zero is `0s`. */
export function formatTimespan(ns: Int64): string {
  if (typeof ns === 'number') {
    if (ns === 0) return '0s';
    if (ns % 1000 !== 0) return `${ns}ns`;
    const us = ns / 1000;
    if (us % 1000 !== 0) return `${us}us`;
    const ms = us / 1000;
    if (ms % 1000 !== 0) return `${ms}ms`;
    return `${ms / 1000}s`;
  }
  if (ns === 0n) return '0s';
  if (ns % 1000n !== 0n) return `${ns}ns`;
  const us = ns / 1000n;
  if (us % 1000n !== 0n) return `${us}us`;
  const ms = us / 1000n;
  if (ms % 1000n !== 0n) return `${ms}ms`;
  return `${ms / 1000n}s`;
}

export function formatPort(num: number, protocol: PortProtocol): string {
  return `${num}/${protocol === 'unknown' ? '?' : protocol}`;
}

const ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function needsEscape(c: number): boolean {
  return c === 0x22 || c === 0x5c || (c >= 0x08 && c <= 0x0d);
}

/** A quoted JSON string with exactly Broker's escapes (\\ \" \b \f \n \r \t \v); all else raw. */
export function quoteJson(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n && !needsEscape(s.charCodeAt(i))) i++;
  if (i === n) return `"${s}"`;
  let out = `"${s.slice(0, i)}`;
  let from = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (needsEscape(c)) {
      out += s.slice(from, i) + ESCAPES[c]!;
      from = i + 1;
    }
  }
  return `${out}${s.slice(from)}"`;
}

/** The same escaping for raw bytes (not valid UTF-8), quotes included. */
export function quoteJsonBytes(b: Uint8Array): Uint8Array {
  let extra = 2;
  for (const c of b) if (needsEscape(c)) extra++;
  const out = new Uint8Array(b.length + extra);
  let j = 0;
  out[j++] = 0x22;
  for (const c of b) {
    if (needsEscape(c)) {
      out[j++] = 0x5c;
      out[j++] = ESCAPES[c]!.charCodeAt(1);
    } else out[j++] = c;
  }
  out[j] = 0x22;
  return out;
}
