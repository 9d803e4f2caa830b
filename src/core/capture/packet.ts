// From a captured frame to its TCP segment: link layer (Ethernet with VLAN tags, Linux cooked
// SLL/SLL2, raw IP, BSD loopback/null), then IPv4 or IPv6 (extension headers skipped), then TCP.
// Anything that is not an unfragmented TCP segment is reported as skipped, never thrown.
import { ipv6Text } from './ip.ts';

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_OPENBSD: 12,
  RAW_BSDOS: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const SUPPORTED_LINK_TYPES: ReadonlySet<number> = new Set(Object.values(LinkType));

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface TcpSegment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** TCP payload as captured (may be shorter than `wireLength` when the snapshot cut it). */
  payload: Uint8Array;
  /** Payload length on the wire according to the IP header. */
  wireLength: number;
}

export type SkipReason = 'link' | 'not-ip' | 'not-tcp' | 'fragment' | 'truncated';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = [0x8100, 0x88a8, 0x9100];

/** Returns the TCP segment in `frame`, or the reason it has none. */
export function decodeFrame(linkType: number, frame: Uint8Array): TcpSegment | SkipReason {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let off: number;
  let etherType: number | undefined;
  switch (linkType) {
    case LinkType.ETHERNET: {
      if (frame.length < 14) return 'truncated';
      off = 12;
      etherType = view.getUint16(off);
      off += 2;
      while (ETH_VLAN.includes(etherType) && off + 4 <= frame.length) {
        etherType = view.getUint16(off + 2);
        off += 4;
      }
      break;
    }
    case LinkType.LINUX_SLL:
      if (frame.length < 16) return 'truncated';
      etherType = view.getUint16(14);
      off = 16;
      break;
    case LinkType.LINUX_SLL2:
      if (frame.length < 20) return 'truncated';
      etherType = view.getUint16(0);
      off = 20;
      break;
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (frame.length < 4) return 'truncated';
      // NULL stores the address family in the capturing host's byte order, LOOP in network order.
      let family = view.getUint32(0, linkType === LinkType.NULL);
      if (linkType === LinkType.NULL && family > 0xffff) family = view.getUint32(0, false);
      off = 4;
      if (family === 2) etherType = ETH_IPV4;
      else if (family === 10 || family === 24 || family === 28 || family === 30) etherType = ETH_IPV6;
      else return 'not-ip';
      break;
    }
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
    case LinkType.IPV4:
    case LinkType.IPV6:
      off = 0;
      break;
    default:
      return 'link';
  }
  if (etherType === undefined) {
    if (frame.length < 1) return 'truncated';
    const version = frame[0]! >> 4;
    etherType = version === 4 ? ETH_IPV4 : version === 6 ? ETH_IPV6 : 0;
  }
  if (etherType === ETH_IPV4) return decodeIpv4(frame, view, off);
  if (etherType === ETH_IPV6) return decodeIpv6(frame, view, off);
  return 'not-ip';
}

function decodeIpv4(frame: Uint8Array, view: DataView, off: number): TcpSegment | SkipReason {
  if (frame.length - off < 20) return 'truncated';
  const ihl = (frame[off]! & 0x0f) * 4;
  if (frame[off]! >> 4 !== 4 || ihl < 20) return 'not-ip';
  const totalLength = view.getUint16(off + 2);
  const fragment = view.getUint16(off + 6);
  if (fragment & 0x3fff) return 'fragment'; // more-fragments bit or a non-zero offset
  if (frame[off + 9] !== 6) return 'not-tcp';
  if (frame.length - off < ihl) return 'truncated';
  const src = `${frame[off + 12]}.${frame[off + 13]}.${frame[off + 14]}.${frame[off + 15]}`;
  const dst = `${frame[off + 16]}.${frame[off + 17]}.${frame[off + 18]}.${frame[off + 19]}`;
  // TSO captures can carry total length 0; trust the frame then. Otherwise trim link-layer padding.
  const end = totalLength === 0 ? frame.length : Math.min(frame.length, off + totalLength);
  const wireEnd = totalLength === 0 ? frame.length : off + totalLength;
  return decodeTcp(frame, view, off + ihl, end, wireEnd, src, dst);
}

const IPV6_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);
const IPV6_FRAGMENT = 44;

function decodeIpv6(frame: Uint8Array, view: DataView, off: number): TcpSegment | SkipReason {
  if (frame.length - off < 40) return 'truncated';
  if (frame[off]! >> 4 !== 6) return 'not-ip';
  const payloadLength = view.getUint16(off + 4);
  let next = frame[off + 6]!;
  const src = ipv6Text(frame, off + 8);
  const dst = ipv6Text(frame, off + 24);
  const wireEnd = payloadLength === 0 ? frame.length : off + 40 + payloadLength;
  const end = Math.min(frame.length, wireEnd);
  let p = off + 40;
  while (IPV6_EXTENSIONS.has(next) || next === IPV6_FRAGMENT) {
    if (end - p < 8) return 'truncated';
    if (next === IPV6_FRAGMENT) {
      if (view.getUint16(p + 2) & 0xfff9) return 'fragment';
      next = frame[p]!;
      p += 8;
      continue;
    }
    const len = (frame[p + 1]! + 1) * 8;
    next = frame[p]!;
    p += len;
  }
  if (next !== 6) return 'not-tcp';
  return decodeTcp(frame, view, p, end, wireEnd, src, dst);
}

function decodeTcp(frame: Uint8Array, view: DataView, off: number, end: number, wireEnd: number, src: string, dst: string): TcpSegment | SkipReason {
  if (end - off < 20) return 'truncated';
  const dataOffset = (frame[off + 12]! >> 4) * 4;
  if (dataOffset < 20) return 'not-tcp';
  if (end - off < dataOffset) return 'truncated';
  return {
    src,
    dst,
    srcPort: view.getUint16(off),
    dstPort: view.getUint16(off + 2),
    seq: view.getUint32(off + 4),
    ack: view.getUint32(off + 8),
    flags: frame[off + 13]!,
    payload: frame.subarray(off + dataOffset, end),
    wireLength: Math.max(0, wireEnd - off - dataOffset),
  };
}
