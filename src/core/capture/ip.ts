// IP address text <-> bytes for the capture tools (pcap writing needs bytes, logs need text).

/** RFC 5952 text of the IPv6 address at `off` (lowercase, longest run of two or more zero groups as ::). */
export function ipv6Text(bytes: Uint8Array, off = 0): string {
  let mapped = bytes[off + 10] === 0xff && bytes[off + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) mapped = bytes[off + i] === 0;
  if (mapped) return `::ffff:${bytes[off + 12]}.${bytes[off + 13]}.${bytes[off + 14]}.${bytes[off + 15]}`;
  return ipv6GroupsText(bytes, off);
}

/**
 * The eight groups of the IPv6 address at `off` in lowercase hex, the longest run (>= 2) of zero
 * groups shortened to `::` (the first one on a tie), never an embedded IPv4 part.
 */
export function ipv6GroupsText(bytes: Uint8Array, off = 0): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (group(bytes, off, i) !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && group(bytes, off, j) === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += group(bytes, off, i).toString(16);
  }
  return out;
}

function group(bytes: Uint8Array, off: number, i: number): number {
  return (bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!;
}

export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const out = new Uint8Array(16);
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + rest.length > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Address bytes (4 or 16); IPv4-mapped IPv6 (`::ffff:a.b.c.d`, as Node reports dual-stack peers) becomes IPv4. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (v6 && v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return v6.slice(12);
  return v6;
}

/** Canonical text: dotted quad for IPv4 (and IPv4-mapped IPv6), RFC 5952 for IPv6. */
export function normalizeIp(text: string): string | undefined {
  const b = parseIp(text);
  if (!b) return undefined;
  return b.length === 4 ? b.join('.') : ipv6Text(b);
}
