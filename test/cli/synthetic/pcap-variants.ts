// SYNTHETIC packet captures of transcript content in the containers and link layers tcpdump and
// friends write: pcap in either byte order with micro- or nanosecond stamps, pcapng with a
// nanosecond interface, Ethernet with 802.1Q/QinQ tags, Linux cooked (SLL, SLL2), BSD loopback
// (DLT_NULL), raw IP; and TCP misbehaviour (retransmitted and reordered segments).
import { readTranscript } from '../../../src/core/capture/transcript.ts';
import { captureToPcap } from '../../../src/core/capture/pcap-write.ts';
import type { TcpEndpoint } from '../../../src/core/capture/tcp-reassembly.ts';

interface Packet {
  sec: number;
  nsec: number;
  /** Ethernet frame as PcapWriter wrote it. */
  frame: Uint8Array;
}

export interface PcapVariant {
  container: 'pcap' | 'pcapng';
  /** pcap only: big-endian file. */
  bigEndian?: boolean;
  nanos?: boolean;
  link: 'ethernet' | 'vlan' | 'qinq' | 'sll' | 'sll2' | 'null' | 'raw';
  ipv6?: boolean;
  /** Largest TCP payload per packet. */
  maxSegment?: number;
  /** Every `n`th data packet is sent twice (a retransmission). */
  retransmitEvery?: number;
  /** Every `n`th data packet swaps places with the next one of the same connection. */
  reorderEvery?: number;
}

const LINKTYPE = { ethernet: 1, vlan: 1, qinq: 1, sll: 113, sll2: 276, null: 0, raw: 101 } as const;

function packets(pcap: Uint8Array): Packet[] {
  const v = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const nanos = v.getUint32(0, true) === 0xa1b23c4d;
  const out: Packet[] = [];
  for (let off = 24; off + 16 <= pcap.length; ) {
    const len = v.getUint32(off + 8, true);
    out.push({ sec: v.getUint32(off, true), nsec: v.getUint32(off + 4, true) * (nanos ? 1 : 1000), frame: pcap.subarray(off + 16, off + 16 + len) });
    off += 16 + len;
  }
  return out;
}

function relink(frame: Uint8Array, link: PcapVariant['link']): Uint8Array {
  const etherType = (frame[12]! << 8) | frame[13]!;
  const ip = frame.subarray(14);
  const head = (bytes: number[]) => Buffer.concat([Buffer.from(bytes), ip]);
  const et = [etherType >> 8, etherType & 255];
  switch (link) {
    case 'ethernet':
      return frame;
    case 'vlan':
      return Buffer.concat([frame.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64, ...et]), ip]);
    case 'qinq':
      return Buffer.concat([frame.subarray(0, 12), Buffer.from([0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, ...et]), ip]);
    case 'sll':
      // packet type 0 (to us), ARPHRD_LOOPBACK, no address, protocol
      return head([0, 0, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...et]);
    case 'sll2':
      return head([...et, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    case 'null':
      // AF_INET (2) / macOS AF_INET6 (30), in the capturing host's (little-endian) order
      return head(etherType === 0x86dd ? [30, 0, 0, 0] : [2, 0, 0, 0]);
    case 'raw':
      return ip;
  }
}

function isData(frame: Uint8Array): boolean {
  const v6 = frame[12] === 0x86;
  const tcp = 14 + (v6 ? 40 : 20);
  const payload = frame.length - tcp - (frame[tcp + 12]! >> 4) * 4;
  return payload > 0;
}

function shuffle(list: Packet[], v: PcapVariant): Packet[] {
  const out: Packet[] = [];
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    if (!isData(p.frame)) {
      out.push(p);
      continue;
    }
    n++;
    const next = list[i + 1];
    if (v.reorderEvery !== undefined && n % v.reorderEvery === 0 && next !== undefined && isData(next.frame)) {
      out.push(next, p);
      i++;
      continue;
    }
    out.push(p);
    if (v.retransmitEvery !== undefined && n % v.retransmitEvery === 0) out.push(p);
  }
  return out;
}

function writePcap(list: Packet[], linkType: number, v: PcapVariant): Uint8Array {
  const le = !v.bigEndian;
  const parts: Uint8Array[] = [];
  const h = new DataView(new ArrayBuffer(24));
  h.setUint32(0, v.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  h.setUint16(4, 2, le);
  h.setUint16(6, 4, le);
  h.setUint32(16, 262144, le);
  h.setUint32(20, linkType, le);
  parts.push(new Uint8Array(h.buffer));
  for (const p of list) {
    const r = new DataView(new ArrayBuffer(16));
    r.setUint32(0, p.sec, le);
    r.setUint32(4, v.nanos ? p.nsec : Math.round(p.nsec / 1000), le);
    r.setUint32(8, p.frame.length, le);
    r.setUint32(12, p.frame.length, le);
    parts.push(new Uint8Array(r.buffer), p.frame);
  }
  return Buffer.concat(parts);
}

function block(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const b = new DataView(new ArrayBuffer(12 + padded));
  b.setUint32(0, type, true);
  b.setUint32(4, 12 + padded, true);
  new Uint8Array(b.buffer).set(body, 8);
  b.setUint32(8 + padded, 12 + padded, true);
  return new Uint8Array(b.buffer);
}

function writePcapng(list: Packet[], linkType: number): Uint8Array {
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, true);
  shb.setUint16(4, 1, true);
  shb.setBigInt64(8, -1n, true);
  // Interface with if_tsresol = 9 (nanoseconds), then the end-of-options marker.
  const idb = new DataView(new ArrayBuffer(20));
  idb.setUint16(0, linkType, true);
  idb.setUint32(4, 262144, true);
  idb.setUint16(8, 9, true);
  idb.setUint16(10, 1, true);
  idb.setUint8(12, 9);
  const parts = [block(0x0a0d0d0a, new Uint8Array(shb.buffer)), block(1, new Uint8Array(idb.buffer))];
  for (const p of list) {
    const units = BigInt(p.sec) * 1_000_000_000n + BigInt(p.nsec);
    const epb = new DataView(new ArrayBuffer(20 + p.frame.length));
    epb.setUint32(0, 0, true);
    epb.setUint32(4, Number(units >> 32n), true);
    epb.setUint32(8, Number(units & 0xffffffffn), true);
    epb.setUint32(12, p.frame.length, true);
    epb.setUint32(16, p.frame.length, true);
    new Uint8Array(epb.buffer).set(p.frame, 20);
    parts.push(block(6, new Uint8Array(epb.buffer)));
  }
  return Buffer.concat(parts);
}

/** The transcript's connections as a packet capture of the given kind. */
export function transcriptToPcap(transcript: string, v: PcapVariant): Uint8Array {
  const capture = readTranscript(transcript);
  const endpoints = (conn: number): { client: TcpEndpoint; server: TcpEndpoint } =>
    v.ipv6 ? { client: { address: `2001:db8::${conn + 10}`, port: 40000 + conn }, server: { address: '2001:db8::1', port: 47757 } } : { client: { address: `10.0.0.${conn + 10}`, port: 40000 + conn }, server: { address: '10.0.0.1', port: 47757 } };
  const eth = captureToPcap(capture, { start: 1795318400, nanos: true, endpoints, ...(v.maxSegment !== undefined ? { maxSegment: v.maxSegment } : {}) });
  const list = shuffle(packets(eth), v).map((p) => ({ ...p, frame: relink(p.frame, v.link) }));
  return v.container === 'pcapng' ? writePcapng(list, LINKTYPE[v.link]) : writePcap(list, LINKTYPE[v.link], v);
}
