import type { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import type { Int64 } from './model.ts';

// 64-bit integers as two 32-bit words: a number while the value is exactly representable (the
// common case costs no bigint), a bigint beyond 2^53.

const TWO32 = 4294967296;

export function readI64(r: ByteReader, field: string): Int64 {
  const hi = r.i32(field);
  const lo = r.u32(field);
  if (hi < 0x200000 && (hi > -0x200000 || (hi === -0x200000 && lo !== 0))) return hi * TWO32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function readU64(r: ByteReader, field: string): Int64 {
  const hi = r.u32(field);
  const lo = r.u32(field);
  if (hi < 0x200000) return hi * TWO32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Two's-complement 64-bit write of an Int64 (signed or unsigned: the bits are the same). */
export function writeI64(w: ByteWriter, v: Int64): void {
  if (typeof v === 'number') {
    const hi = Math.floor(v / TWO32);
    w.u32(hi >>> 0);
    w.u32((v - hi * TWO32) >>> 0);
  } else {
    const u = BigInt.asUintN(64, v);
    w.u32(Number(u >> 32n));
    w.u32(Number(u & 0xffffffffn));
  }
}

export function isInt64(v: unknown): v is Int64 {
  return (typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint';
}

/** Normalise a bigint that fits into a number (for comparisons and plain views). */
export function normInt64(v: Int64): Int64 {
  if (typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
  return v;
}
