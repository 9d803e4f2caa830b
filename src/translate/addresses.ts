// Address forms: the legacy codec keeps addresses as text (dotted quad = one word on the wire,
// IPv6 text = four words), Broker as 16 bytes with IPv4 v4-mapped. IPv4 stays IPv4 both ways.
import { formatV4, formatV6 } from '../../legacy/codec/index.ts';
import { isV4Mapped } from '../../modern/data/index.ts';

/** 16 Broker address bytes from a legacy address's words (one word = IPv4, stored v4-mapped). */
export function addrBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(16);
  if (words.length === 1) {
    out[10] = 0xff;
    out[11] = 0xff;
  }
  const first = words.length === 1 ? 3 : 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const o = (first + i) * 4;
    out[o] = w >>> 24;
    out[o + 1] = (w >>> 16) & 0xff;
    out[o + 2] = (w >>> 8) & 0xff;
    out[o + 3] = w & 0xff;
  }
  return out;
}

function word(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** Legacy address text: dotted quad (one word) for v4-mapped addresses, so v4 stays v4. */
export function addrText(b: Uint8Array): string {
  return isV4Mapped(b) ? formatV4(word(b, 12)) : formatV6(word(b, 0), word(b, 4), word(b, 8), word(b, 12));
}

