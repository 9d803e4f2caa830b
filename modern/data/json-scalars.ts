// Text -> value conversions Broker applies to JSON input strings (spec §3.3): addresses and subnets
// via Broker's convert(), ports with strtoul semantics (`8080` is tcp, unknown protocol names are
// `?`), ISO 8601 timestamps with fractions up to nanoseconds and `Z`/±hh:mm zones, and timespans
// with the units ns, us, ms, s, min, h (decimals allowed, `d` rejected). Each returns undefined for
// text Broker rejects.
import { makeSubnet, parseAddress } from './address.ts';
import type { Int64, PortProtocol, SubnetData } from './types.ts';
import { int64 } from './values.ts';

const I64_MIN = -0x8000_0000_0000_0000n;
const I64_MAX = 0x7fff_ffff_ffff_ffffn;
const U64_MOD = 0x1_0000_0000_0000_0000n;

export { parseAddress };

/** C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** C strings end at NUL; Broker hands std::string::data() to C functions. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** strtoul(s, &end, 10): value modulo 2^64, end index, and whether it overflowed (ERANGE). */
function strtoul(s: string): { value: bigint; end: number; overflow: boolean } {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  const digitsStart = i;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === digitsStart) return { value: 0n, end: 0, overflow: false };
  const magnitude = BigInt(s.slice(digitsStart, i));
  if (magnitude >= U64_MOD) return { value: U64_MOD - 1n, end: i, overflow: true };
  return { value: negative ? (U64_MOD - magnitude) % U64_MOD : magnitude, end: i, overflow: false };
}

/** Broker's convert(string, port). */
export function parsePortText(text: string): { number: number; protocol: PortProtocol } | undefined {
  const slash = text.indexOf('/');
  const c = cString(text);
  const { value, end, overflow } = strtoul(c);
  if (overflow) return undefined;
  const number = Number(value & 0xffffn);
  if (slash < 0) return { number, protocol: 'tcp' };
  const slashInC = c.indexOf('/', end);
  if (slashInC < 0) return undefined;
  const name = c.slice(slashInC + 1);
  const protocol: PortProtocol = name === 'tcp' || name === 'udp' || name === 'icmp' ? name : 'unknown';
  return { number, protocol };
}

/** std::stoi: leading whitespace, optional sign, digits, anything after is ignored. */
function stoi(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(s);
  if (!m) return undefined;
  const v = Number(m[1]);
  return v >= -2147483648 && v <= 2147483647 ? v : undefined;
}

/**
 * Broker's convert(string, subnet): `addr/len` with 0 <= len <= 255; a length that is out of range
 * for the address family yields Broker's default subnet ::/0 rather than an error.
 */
export function parseSubnetText(text: string): Omit<SubnetData, 'type'> | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  if (!address) return undefined;
  const len = stoi(text.slice(slash + 1));
  if (len === undefined || len < 0 || len > 255) return undefined;
  return makeSubnet(address, len) ?? { address: new Uint8Array(16), length: 0 };
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  min: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** `<signed number><unit>`; a decimal fraction is exact, digits below a nanosecond are truncated. */
export function parseTimespanText(text: string): Int64 | undefined {
  const m = /^([+-]?)([0-9]+)(?:\.([0-9]+))?(ns|us|ms|s|min|h)$/.exec(text);
  if (!m) return undefined;
  const unit = UNIT_NS[m[4]!]!;
  const frac = m[3] ?? '';
  const scale = 10n ** BigInt(frac.length);
  let ns = (BigInt(m[2]!) * scale + BigInt(frac || '0')) * unit;
  ns /= scale;
  if (m[1] === '-') ns = -ns;
  if (ns < I64_MIN || ns > I64_MAX) return undefined;
  return int64(ns);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Digits of `text` from `at`: their value and where they end (`end === at` when there are none). */
function digitsAt(text: string, at: number, max: number): { value: number; end: number } {
  let value = 0;
  let i = at;
  while (i < text.length && i - at < max) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
    i++;
  }
  return { value, end: i };
}

/** Exactly two digits at `at`, or -1. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 0x30;
  const b = text.charCodeAt(at + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** ISO 8601 `YYYY-MM-DDThh:mm:ss[.f{1,9}][Z|±hh[[:]mm]]`, no zone = UTC, as nanoseconds since the epoch. */
export function parseTimestampText(text: string): Int64 | undefined {
  const y = digitsAt(text, 0, 9);
  if (y.end === 0 || text[y.end] !== '-' || text[y.end + 3] !== '-' || text[y.end + 6] !== 'T' || text[y.end + 9] !== ':' || text[y.end + 12] !== ':') return undefined;
  const year = y.value;
  const month = twoDigits(text, y.end + 1);
  const day = twoDigits(text, y.end + 4);
  const hour = twoDigits(text, y.end + 7);
  const minute = twoDigits(text, y.end + 10);
  const second = twoDigits(text, y.end + 13);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let i = y.end + 15;
  let fracNs = 0;
  if (text[i] === '.') {
    const f = digitsAt(text, i + 1, 9);
    if (f.end === i + 1) return undefined;
    fracNs = f.value * 10 ** (9 - (f.end - i - 1));
    i = f.end;
  }
  let offset = 0;
  if (text[i] === 'Z') i++;
  else if (text[i] === '+' || text[i] === '-') {
    const sign = text[i] === '-' ? -1 : 1;
    const hh = twoDigits(text, i + 1);
    if (hh < 0) return undefined;
    i += 3;
    let mm = 0;
    if (text[i] === ':') {
      mm = twoDigits(text, i + 1);
      if (mm < 0) return undefined;
      i += 3;
    } else if (i < text.length) {
      mm = twoDigits(text, i);
      if (mm < 0) return undefined;
      i += 2;
    }
    offset = sign * (hh * 3600 + mm * 60);
  }
  if (i !== text.length) return undefined;
  const secs = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  const ns = BigInt(secs) * 1_000_000_000n + BigInt(fracNs);
  if (ns < I64_MIN || ns > I64_MAX) return undefined;
  return int64(ns);
}
