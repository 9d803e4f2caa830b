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

const TIMESTAMP = /^([0-9]+)-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/;

/** ISO 8601 `YYYY-MM-DDThh:mm:ss[.f{1,9}][Z|±hh[[:]mm]]`, no zone = UTC, as nanoseconds since the epoch. */
export function parseTimestampText(text: string): Int64 | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (!Number.isSafeInteger(year) || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offset = Number(digits.slice(0, 2)) * 3600 + (digits.length > 2 ? Number(digits.slice(2)) * 60 : 0);
    if (zone[0] === '-') offset = -offset;
  }
  const frac = m[7] ?? '';
  const fracNs = frac === '' ? 0n : BigInt(frac.padEnd(9, '0'));
  const secs = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + minute * 60 + second - offset);
  const ns = secs * 1_000_000_000n + fracNs;
  if (ns < I64_MIN || ns > I64_MAX) return undefined;
  return int64(ns);
}
