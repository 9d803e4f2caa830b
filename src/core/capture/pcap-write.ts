// Writes a libpcap file (Ethernet link type) from the byte streams of TCP connections: each
// connection gets a three-way handshake, data segments with consistent sequence and acknowledgement
// numbers, and FIN or RST at the end, so Wireshark/tshark follow the streams and our own reader
// reassembles exactly the bytes that were written.
import type { Capture, Direction } from './types.ts';
import { parseIp } from './ip.ts';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './packet.ts';
import { captureError } from './errors.ts';
import type { TcpEndpoint } from './tcp-reassembly.ts';

export interface PcapWriterOptions {
  /** Epoch seconds that `t = 0` stands for (default: now). */
  start?: number;
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanos?: boolean;
  /** Largest TCP payload per packet (default 65000, which fits loopback's MTU). */
  maxSegment?: number;
}

interface Side {
  addr: Uint8Array;
  port: number;
  seq: number;
}

interface Conn {
  client: Side;
  server: Side;
  v6: boolean;
}

const SNAPLEN = 262_144;
const LINKTYPE_ETHERNET = 1;

export class PcapWriter {
  private readonly conns = new Map<number, Conn>();
  private readonly start: number;
  private readonly nanos: boolean;
  private readonly maxSegment: number;
  private ipId = 1;

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    options: PcapWriterOptions = {},
  ) {
    this.start = options.start ?? Date.now() / 1000;
    this.nanos = options.nanos ?? false;
    this.maxSegment = Math.max(1, Math.min(options.maxSegment ?? 65_000, 65_000));
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, this.nanos ? 0xa1b23c4d : 0xa1b2c3d4, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setUint32(16, SNAPLEN, true);
    h.setUint32(20, LINKTYPE_ETHERNET, true);
    this.sink(new Uint8Array(h.buffer));
  }

  /** Starts a connection: SYN, SYN-ACK, ACK at time `t`. */
  open(conn: number, client: TcpEndpoint, server: TcpEndpoint, t: number): void {
    let c = parseIp(client.address);
    let s = parseIp(server.address);
    if (!c || !s) throw captureError('usage', `cannot write a pcap for addresses ${client.address} / ${server.address}`);
    if (c.length !== s.length) [c, s] = [toV6(c), toV6(s)];
    // Deterministic initial sequence numbers keep written files reproducible.
    const isn = (0x10000000 * ((conn % 7) + 1) + conn * 0x1000) >>> 0;
    const entry: Conn = {
      client: { addr: c, port: client.port, seq: isn },
      server: { addr: s, port: server.port, seq: (isn ^ 0x5a5a0000) >>> 0 },
      v6: c.length === 16,
    };
    this.conns.set(conn, entry);
    this.packet(entry, 'c2s', TCP_SYN, new Uint8Array(0), t);
    entry.client.seq = (entry.client.seq + 1) >>> 0;
    this.packet(entry, 's2c', TCP_SYN | TCP_ACK, new Uint8Array(0), t);
    entry.server.seq = (entry.server.seq + 1) >>> 0;
    this.packet(entry, 'c2s', TCP_ACK, new Uint8Array(0), t);
  }

  isOpen(conn: number): boolean {
    return this.conns.has(conn);
  }

  data(conn: number, dir: Direction, t: number, bytes: Uint8Array): void {
    const c = this.get(conn);
    const from = dir === 'c2s' ? c.client : c.server;
    for (let off = 0; off < bytes.length; off += this.maxSegment) {
      const piece = bytes.subarray(off, Math.min(bytes.length, off + this.maxSegment));
      const last = off + this.maxSegment >= bytes.length;
      this.packet(c, dir, TCP_ACK | (last ? TCP_PSH : 0), piece, t);
      from.seq = (from.seq + piece.length) >>> 0;
    }
  }

  /** That side closed its half: FIN-ACK. */
  eof(conn: number, dir: Direction, t: number): void {
    const c = this.get(conn);
    this.packet(c, dir, TCP_FIN | TCP_ACK, new Uint8Array(0), t);
    const from = dir === 'c2s' ? c.client : c.server;
    from.seq = (from.seq + 1) >>> 0;
  }

  /** That side aborted the connection: RST-ACK. */
  reset(conn: number, dir: Direction, t: number): void {
    this.packet(this.get(conn), dir, TCP_RST | TCP_ACK, new Uint8Array(0), t);
  }

  private get(conn: number): Conn {
    const c = this.conns.get(conn);
    if (!c) throw captureError('no_such_connection', `pcap writer: connection ${conn} was not opened`);
    return c;
  }

  private packet(c: Conn, dir: Direction, flags: number, payload: Uint8Array, t: number): void {
    const from = dir === 'c2s' ? c.client : c.server;
    const to = dir === 'c2s' ? c.server : c.client;
    const ipLen = c.v6 ? 40 : 20;
    const frameLen = 14 + ipLen + 20 + payload.length;
    const buf = new Uint8Array(16 + frameLen);
    const v = new DataView(buf.buffer);
    const abs = this.start + Math.max(0, t);
    let sec = Math.floor(abs);
    let frac = Math.round((abs - sec) * (this.nanos ? 1e9 : 1e6));
    if (frac >= (this.nanos ? 1e9 : 1e6)) {
      sec += 1;
      frac = 0;
    }
    v.setUint32(0, sec, true);
    v.setUint32(4, frac, true);
    v.setUint32(8, frameLen, true);
    v.setUint32(12, frameLen, true);
    // Ethernet: zero MAC addresses, as tcpdump shows loopback traffic.
    v.setUint16(16 + 12, c.v6 ? 0x86dd : 0x0800);
    const ip = 30;
    const tcp = ip + ipLen;
    if (c.v6) {
      v.setUint32(ip, 0x60000000);
      v.setUint16(ip + 4, 20 + payload.length);
      buf[ip + 6] = 6;
      buf[ip + 7] = 64;
      buf.set(from.addr, ip + 8);
      buf.set(to.addr, ip + 24);
    } else {
      buf[ip] = 0x45;
      v.setUint16(ip + 2, 20 + 20 + payload.length);
      v.setUint16(ip + 4, this.ipId++ & 0xffff);
      v.setUint16(ip + 6, 0x4000); // don't fragment
      buf[ip + 8] = 64;
      buf[ip + 9] = 6;
      buf.set(from.addr, ip + 12);
      buf.set(to.addr, ip + 16);
      v.setUint16(ip + 10, checksum(buf, ip, ip + 20, 0));
    }
    v.setUint16(tcp, from.port);
    v.setUint16(tcp + 2, to.port);
    v.setUint32(tcp + 4, from.seq);
    v.setUint32(tcp + 8, flags & TCP_ACK ? to.seq : 0);
    buf[tcp + 12] = 5 << 4;
    buf[tcp + 13] = flags;
    v.setUint16(tcp + 14, 65535);
    buf.set(payload, tcp + 20);
    v.setUint16(tcp + 16, checksum(buf, tcp, buf.length, pseudoHeaderSum(from.addr, to.addr, 20 + payload.length)));
    this.sink(buf);
  }
}

function toV6(a: Uint8Array): Uint8Array {
  if (a.length === 16) return a;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(a, 12);
  return out;
}

function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, tcpLength: number): number {
  let sum = 0;
  for (const a of [src, dst]) for (let i = 0; i < a.length; i += 2) sum += (a[i]! << 8) | a[i + 1]!;
  return sum + 6 + (tcpLength >>> 16) + (tcpLength & 0xffff);
}

/** Internet checksum of buf[start, end) plus an initial partial sum. */
function checksum(buf: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface CaptureToPcapOptions extends PcapWriterOptions {
  /** Endpoints of each connection; default client 127.0.0.1:(40000+conn), server 127.0.0.1:47757. */
  endpoints?: (conn: number) => { client: TcpEndpoint; server: TcpEndpoint };
}

/** Renders a whole capture (e.g. a transcript) as a pcap file. */
export function captureToPcap(capture: Capture, options: CaptureToPcapOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const writer = new PcapWriter((b) => parts.push(b), options);
  const endpoints =
    options.endpoints ?? ((conn: number) => ({ client: { address: '127.0.0.1', port: 40000 + (conn % 20000) }, server: { address: '127.0.0.1', port: 47757 } }));
  const ended = new Set<string>();
  for (const r of capture.records) {
    if (!writer.isOpen(r.conn)) {
      const e = endpoints(r.conn);
      writer.open(r.conn, e.client, e.server, r.t);
    }
    const key = `${r.conn}/${r.dir}`;
    if (ended.has(key)) continue;
    if (r.kind === 'data') writer.data(r.conn, r.dir, r.t, r.bytes);
    else {
      ended.add(key);
      writer.eof(r.conn, r.dir, r.t);
    }
  }
  return Buffer.concat(parts);
}
