// How Zeek prints floating-point values in its logs, reproduced digit for digit:
//  - ASCII time/interval: six decimals always ("1500000000.250000"), C printf %e style beyond 2^31-1;
//  - ASCII double: up to six decimals without trailing zeros, never an exponent, ".0" added when
//    the value is (within 1e-9 of) an integer;
//  - JSON: shortest round-trip digits, ".0" on integers, exponent without "+", null for NaN/Inf.
// Zeek computes the fixed-point digits with double arithmetic (whole part, then fraction * 10^6
// with round-half-even on an exact .5), so the same IEEE operations are used here.

import { doubleParts } from './float-bits.ts';

const INT_MAX = 2147483647;

/** Digits of `whole` and six-decimal `frac` the way Zeek's fixed-point formatter rounds them. */
function fixed6(value: number): { whole: number; frac: number } {
  let whole = Math.trunc(value);
  const tmp = (value - whole) * 1e6;
  let frac = Math.trunc(tmp);
  const diff = tmp - frac;
  if (diff > 0.5) {
    frac++;
    if (frac >= 1e6) {
      frac = 0;
      whole++;
    }
  } else if (diff === 0.5 && (frac === 0 || frac & 1)) {
    frac++;
  }
  return { whole, frac };
}

/** Exact decimal expansion of a finite non-negative double: integer digits and fraction digits. */
function exactDecimal(v: number): { int: string; frac: string } {
  const { mantissa, exponent: exp } = doubleParts(v);
  if (exp >= 0) return { int: (mantissa << BigInt(exp)).toString(), frac: '' };
  const digits = (mantissa * 5n ** BigInt(-exp)).toString().padStart(-exp + 1, '0');
  return { int: digits.slice(0, exp), frac: digits.slice(exp).replace(/0+$/, '') };
}

/** Rounds a digit string at `keep` digits, half to even (glibc printf), returning the kept digits and carry. */
function roundDigits(digits: string, keep: number): { digits: string; carry: boolean } {
  if (digits.length <= keep) return { digits: digits.padEnd(keep, '0'), carry: false };
  const kept = digits.slice(0, keep);
  const rest = digits.slice(keep);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const lastOdd = keep > 0 && (kept.charCodeAt(keep - 1) - 48) % 2 === 1;
  const up = first > 5 || (first === 5 && (tail || lastOdd));
  if (!up) return { digits: kept, carry: false };
  const n = (BigInt(kept || '0') + 1n).toString().padStart(keep, '0');
  return n.length > keep ? { digits: n.slice(1), carry: true } : { digits: n, carry: false };
}

/** C printf("%.*f", prec, v) for finite v. */
export function printfFixed(v: number, prec: number): string {
  const neg = v < 0 || Object.is(v, -0);
  const { int, frac } = exactDecimal(Math.abs(v));
  const r = roundDigits(frac, prec);
  const whole = r.carry ? (BigInt(int) + 1n).toString() : int;
  return `${neg ? '-' : ''}${whole}${prec > 0 ? `.${r.digits}` : ''}`;
}

/** C printf("%.*e", prec, v) for finite v. */
export function printfExp(v: number, prec: number): string {
  const neg = v < 0 || Object.is(v, -0);
  const { int, frac } = exactDecimal(Math.abs(v));
  const all = (int + frac).replace(/^0+/, '');
  if (all === '') return `${neg ? '-' : ''}0${prec > 0 ? `.${'0'.repeat(prec)}` : ''}e+00`;
  let e = int.replace(/^0+/, '').length - 1;
  if (e < 0) e = -(frac.length - frac.replace(/^0+/, '').length) - 1;
  const r = roundDigits(all, prec + 1);
  let digits = r.digits;
  if (r.carry) {
    digits = `1${digits.slice(0, -1)}`;
    e++;
  }
  const mant = prec > 0 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${neg ? '-' : ''}${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Zeek ASCII log text of a `time` or `interval`. */
export function zeekTimeText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  const a = Math.abs(v);
  if (a >= INT_MAX) {
    if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
    // 17 significant digits in %e form, trailing mantissa zeros (and a bare '.') removed.
    return printfExp(v, 16).replace(/\.?0+e/, 'e');
  }
  const { whole, frac } = fixed6(a);
  return `${v < 0 ? '-' : ''}${whole}.${String(frac).padStart(6, '0')}`;
}

/** Zeek ASCII log text of a `double`. */
export function zeekDoubleText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  let text: string;
  if (a >= INT_MAX) {
    text = printfFixed(v, 6).replace(/0+$/, '').replace(/\.$/, '');
  } else {
    const { whole, frac } = fixed6(a);
    text = frac === 0 ? `${sign}${whole}` : `${sign}${whole}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  }
  // Zeek appends ".0" to tell an integral double from a count.
  if (Math.abs(v - Math.round(v)) < 1e-9 && !text.includes('e')) text += '.0';
  return text;
}

/** Zeek JSON log number for a double/time/interval (NaN and infinities are null). */
export function zeekJsonNumber(v: number): string {
  if (!Number.isFinite(v)) return 'null';
  if (Object.is(v, -0)) return '-0.0';
  const s = String(v);
  if (s.includes('e')) return s.replace('e+', 'e');
  return Number.isInteger(v) ? `${s}.0` : s;
}
