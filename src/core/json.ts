// JSON output that keeps 64-bit integers exact: bigints are written as bare JSON numbers, so a
// count of 2^64-1 prints as 18446744073709551615 rather than being rounded or quoted.

const BIG = '\u0000big:';

export function stringifyJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${BIG}${v.toString()}` : v), indent);
  return text.includes('\\u0000big:') ? text.replace(/"\\u0000big:(-?\d+)"/g, '$1') : text;
}

/** Hex of bytes, lowercase, no separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new TypeError(`not a hex string: ${hex.slice(0, 32)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
