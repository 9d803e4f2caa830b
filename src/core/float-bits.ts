// The exact binary value of a double as mantissa × 2^exponent, for formatters that must round the
// way C's printf does (toFixed/toPrecision break ties differently).

const F64 = new DataView(new ArrayBuffer(8));

/** `v` (finite, sign ignored) equals `mantissa * 2 ** exponent` exactly. */
export interface DoubleParts {
  readonly mantissa: bigint;
  readonly exponent: number;
}

export function doubleParts(v: number): DoubleParts {
  F64.setFloat64(0, v);
  const hi = F64.getUint32(0);
  const lo = F64.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}
