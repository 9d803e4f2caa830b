// Key derivation for record protection: TLS 1.3's HKDF-Expand-Label (RFC 8446 7.1) and TLS 1.2's
// PRF (RFC 5246 5). node:crypto's hkdfSync always runs Extract first, so Expand is spelled out.
import { createHmac } from 'node:crypto';
import type { HashName } from './suites.ts';

const HASH_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48 };

export function hashLength(hash: HashName): number {
  return HASH_LENGTH[hash];
}

function hmac(hash: string, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** RFC 5869 HKDF-Expand. */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let block: Uint8Array = new Uint8Array(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    block = hmac(hash, prk, block, info, Uint8Array.of(i));
    out.set(block.subarray(0, length - filled), filled);
    filled += block.length;
  }
  return out;
}

/** RFC 8446 HKDF-Expand-Label(secret, label, context, length). */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  return hkdfExpand(hash, secret, info, length);
}

/** Record key and IV from a TLS 1.3 traffic secret. */
export function trafficKeys(hash: HashName, secret: Uint8Array, keyLength: number): { key: Uint8Array; iv: Uint8Array } {
  const empty = new Uint8Array(0);
  return { key: hkdfExpandLabel(hash, secret, 'key', empty, keyLength), iv: hkdfExpandLabel(hash, secret, 'iv', empty, 12) };
}

/** The next traffic secret after a KeyUpdate (RFC 8446 7.2). */
export function nextTrafficSecret(hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, 'traffic upd', new Uint8Array(0), hashLength(hash));
}

/** RFC 5246 PRF(secret, label, seed) with P_<hash>. */
export function tls12Prf(hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out = new Uint8Array(length);
  let a: Uint8Array = labelSeed;
  let filled = 0;
  while (filled < length) {
    a = hmac(hash, secret, a);
    const block = hmac(hash, secret, a, labelSeed);
    out.set(block.subarray(0, length - filled), filled);
    filled += block.length;
  }
  return out;
}
