// IP addresses as Broker keeps them: always 16 bytes, IPv4 v4-mapped (::ffff:a.b.c.d). Text forms
// follow CAF's ip_address, which Broker uses for printing and parsing: dotted quad for v4-mapped
// addresses, otherwise lowercase IPv6 with the longest run (>= 2) of zero groups shortened to `::`
// (the first run on a tie) and no embedded-IPv4 notation.

import { ipv6GroupsText } from '../../src/core/capture/ip.ts';

export function isV4Mapped(b: Uint8Array): boolean {
  return (
    b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] === 0 && b[5] === 0 &&
    b[6] === 0 && b[7] === 0 && b[8] === 0 && b[9] === 0 && b[10] === 0xff && b[11] === 0xff
  );
}

export function v4MappedBytes(a: number, b: number, c: number, d: number): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = a;
  out[13] = b;
  out[14] = c;
  out[15] = d;
  return out;
}

export function formatAddress(b: Uint8Array): string {
  if (isV4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return ipv6GroupsText(b);
}

function parseIPv4Parts(text: string): [number, number, number, number] | undefined {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || part > 3) return undefined;
      out[part++] = value;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      value = value * 10 + c - 0x30;
      digits++;
    } else return undefined;
  }
  return part === 4 ? out : undefined;
}

function parseIPv6(text: string): Uint8Array | undefined {
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (part: string, allowV4: boolean): number[] | undefined => {
    if (part === '') return [];
    const items = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (allowV4 && i === items.length - 1 && item.includes('.')) {
        const v4 = parseIPv4Parts(item);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const front = groups(head, dbl < 0);
  const back = dbl >= 0 ? groups(tail, true) : [];
  if (!front || !back) return undefined;
  const total = front.length + back.length;
  if (dbl < 0 ? total !== 8 : total > 7) return undefined;
  const all = [...front, ...new Array<number>(8 - total).fill(0), ...back];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i]! >> 8;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  return out;
}

/** Parses `1.2.3.4` (stored v4-mapped) or an IPv6 address; undefined when the text is neither. */
export function parseAddress(text: string): Uint8Array | undefined {
  if (!text.includes(':')) {
    const v4 = parseIPv4Parts(text);
    return v4 ? v4MappedBytes(v4[0], v4[1], v4[2], v4[3]) : undefined;
  }
  return parseIPv6(text);
}

/** A copy of `bytes` with all but the top `bits` bits cleared. */
export function maskAddress(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out[i] = out[i]! & (keep === 8 ? 0xff : (0xff00 >> keep) & 0xff);
  }
  return out;
}

/**
 * Broker's subnet constructor: IPv4 prefixes (0..32) are stored +96, the network is masked to the
 * prefix. Returns undefined for a prefix out of range for the family (Broker then yields ::/0).
 */
export function makeSubnet(address: Uint8Array, prefix: number): { address: Uint8Array; length: number } | undefined {
  if (!Number.isInteger(prefix) || prefix < 0) return undefined;
  const raw = isV4Mapped(address) ? prefix + 96 : prefix;
  if (raw > 128 || (isV4Mapped(address) && prefix > 32)) return undefined;
  return { address: maskAddress(address, raw), length: raw };
}

/** The prefix length as people write it (IPv4 /8, not the stored 104), as Broker's subnet::length(). */
export function subnetPrefix(address: Uint8Array, rawLength: number): number {
  return isV4Mapped(address) ? (rawLength - 96) & 0xff : rawLength;
}

export function formatSubnet(address: Uint8Array, rawLength: number): string {
  return `${formatAddress(address)}/${subnetPrefix(address, rawLength)}`;
}
