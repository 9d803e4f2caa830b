import { Address4, Address6 } from 'ip-address';

// Addresses as the Communication framework compares them: Bro's `addr` type, where an IPv4
// address is the same value whether it arrived as 127.0.0.1 or as ::ffff:127.0.0.1 (what a
// dual-stack socket reports), and IPv6 text is compared in its canonical (RFC 5952) form.
// Zone ids (RFC 4007) belong to non-global IPv6 addresses only; they are kept beside the
// address, never inside it.

export interface ParsedHost {
  family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (an IPv4-mapped IPv6 address becomes IPv4). */
  address: string;
  /** IPv6 with a scope below global (link-local unicast, non-global multicast). */
  scoped: boolean;
}

/** Parse an address literal ("10.0.0.1", "2001:db8::1", "[::1]"); undefined if it is not one. */
export function parseHost(text: string): ParsedHost | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t.includes('%') || t.includes('/')) return undefined;
  if (Address4.isValid(t) && /^\d+\.\d+\.\d+\.\d+$/.test(t)) return { family: 4, address: new Address4(t).correctForm(), scoped: false };
  if (!Address6.isValid(t)) return undefined;
  const a = new Address6(t);
  if (a.is4()) return { family: 4, address: a.to4().correctForm(), scoped: false };
  const first = parseInt(a.parsedAddress[0] ?? '0', 16);
  const linkLocal = (first & 0xffc0) === 0xfe80;
  const multicastScope = (first & 0xff00) === 0xff00 ? first & 0x000f : -1;
  const scoped = linkLocal || (multicastScope >= 0 && multicastScope < 0xe);
  return { family: 6, address: a.correctForm(), scoped };
}

/** Canonical form of a socket's address (strips a zone and the IPv4-mapped prefix). */
export function canonicalAddress(text: string): string {
  const bare = text.split('%')[0] ?? text;
  return parseHost(bare)?.address ?? bare.toLowerCase();
}

/** Why `zone` cannot be used with `host`, or undefined if it can. */
export function zoneProblem(host: ParsedHost, zone: string): string | undefined {
  if (host.family === 4) return `zone id "${zone}" needs an IPv6 address, ${host.address} is IPv4`;
  if (!host.scoped) return `zone id "${zone}" only applies to non-global (e.g. link-local fe80::/10) IPv6 addresses, ${host.address} is global`;
  if (!/^[A-Za-z0-9_.\-:]{1,64}$/.test(zone)) return `zone id "${zone}" is not an interface name or index`;
  if (!Address6.isValid(`${host.address}%${zone}`)) return `"${host.address}%${zone}" is not a valid scoped address`;
  return undefined;
}

/** Text for a socket call: "fe80::1%eth0" when a zone applies. */
export function withZone(address: string, zone: string | undefined): string {
  return zone !== undefined && zone !== '' ? `${address}%${zone}` : address;
}

/** Bro's addr_to_uri: IPv6 in brackets. */
export function addrToUri(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
