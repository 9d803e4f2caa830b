// TCP stream reassembly for captures: per connection and direction, segments are placed by sequence
// number, so retransmissions and overlaps are delivered once (first copy wins), out-of-order
// segments wait for the hole before them, and FIN/RST become eof records once the stream before
// them is complete. A hole that never fills (packet loss in the capture, a cut snapshot) is skipped
// and reported as a gap rather than stalling the rest of the stream.
import type { CaptureRecord, Direction } from './types.ts';
import { captureError, type CaptureLimits } from './errors.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './packet.ts';

export interface TcpEndpoint {
  address: string;
  port: number;
}

export interface ConnectionInfo {
  conn: number;
  client: TcpEndpoint;
  server: TcpEndpoint;
  /** The client's SYN was seen (false for connections already running when the capture started). */
  syn: boolean;
}

export interface StreamGap {
  conn: number;
  dir: Direction;
  /** Stream offset where bytes are missing, and how many. */
  offset: number;
  length: number;
}

interface Pending {
  rel: number;
  bytes: Uint8Array;
  /** Length on the wire; more than `bytes.length` when the snapshot cut the segment. */
  wire: number;
}

class Flow {
  started = false;
  /** Sequence number (mod 2^32) of stream offset 0. */
  base = 0;
  next = 0;
  finAt: number | undefined;
  ended = false;
  pending: Pending[] = [];
  pendingBytes = 0;

  constructor(readonly dir: Direction) {}

  /** Stream offset of a sequence number, unwrapped around the next expected byte. */
  rel(seq: number): number {
    const expected = (this.base + this.next) >>> 0;
    return this.next + ((seq - expected) | 0);
  }
}

class Connection {
  index = -1;
  synSeen = false;
  synAckSeen = false;
  hasData = false;
  clientIsn: number | undefined;
  readonly c2s = new Flow('c2s');
  readonly s2c = new Flow('s2c');

  constructor(
    readonly client: TcpEndpoint,
    readonly server: TcpEndpoint,
  ) {}

  get counted(): boolean {
    // A SYN answered only by RST (port closed, proxy target down) never became a connection.
    return this.synAckSeen || this.hasData;
  }
}

interface Pinned {
  conn: Connection;
  record: CaptureRecord;
}

export class TcpReassembler {
  private readonly byKey = new Map<string, Connection>();
  private readonly order: Connection[] = [];
  private readonly out: Pinned[] = [];
  private readonly gapList: { conn: Connection; dir: Direction; offset: number; length: number }[] = [];

  constructor(private readonly limits: CaptureLimits) {}

  push(seg: TcpSegment, t: number): void {
    const a = `${seg.src}|${seg.srcPort}`;
    const b = `${seg.dst}|${seg.dstPort}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let conn = this.byKey.get(key);
    const pureSyn = (seg.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (conn && pureSyn && conn.clientIsn !== seg.seq) conn = undefined; // port reuse: a new connection
    if (!conn) {
      const src = { address: seg.src, port: seg.srcPort };
      const dst = { address: seg.dst, port: seg.dstPort };
      // The SYN sender is the client; without a SYN, the SYN-ACK's receiver or else the first sender.
      const synAck = (seg.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
      conn = synAck ? new Connection(dst, src) : new Connection(src, dst);
      if (this.order.length >= this.limits.maxConnections) {
        throw captureError('limit_exceeded', `capture has more than ${this.limits.maxConnections} TCP connections`, { field: 'connections' });
      }
      this.order.push(conn);
      this.byKey.set(key, conn);
    }
    const fromClient = seg.src === conn.client.address && seg.srcPort === conn.client.port;
    const flow = fromClient ? conn.c2s : conn.s2c;
    if (seg.flags & TCP_SYN) {
      if (fromClient) {
        conn.synSeen = true;
        conn.clientIsn = seg.seq;
      } else if (seg.flags & TCP_ACK) {
        conn.synAckSeen = true;
      }
      if (!flow.started) {
        flow.started = true;
        flow.base = (seg.seq + 1) >>> 0;
      }
    }
    const seq = seg.flags & TCP_SYN ? (seg.seq + 1) >>> 0 : seg.seq;
    if (seg.wireLength > 0) {
      if (!flow.started) {
        flow.started = true;
        flow.base = seq;
      }
      conn.hasData = true;
      this.accept(conn, flow, flow.rel(seq), seg.payload, seg.wireLength, t);
    }
    if (seg.flags & TCP_FIN && flow.started && flow.finAt === undefined) {
      flow.finAt = flow.rel(seq) + seg.wireLength;
      this.settle(conn, flow, t);
    } else if (seg.flags & TCP_FIN && !flow.started) {
      flow.started = true;
      flow.base = seq;
      flow.finAt = 0;
      this.settle(conn, flow, t);
    }
    if (seg.flags & TCP_RST) {
      const other = flow === conn.c2s ? conn.s2c : conn.c2s;
      for (const f of [flow, other]) {
        this.flush(conn, f, t);
        this.end(conn, f, t);
      }
    }
  }

  private accept(conn: Connection, flow: Flow, rel: number, payload: Uint8Array, wireLength: number, t: number): void {
    if (flow.ended || rel + wireLength <= flow.next) return; // retransmission of bytes already delivered
    const piece = { rel, bytes: payload, wire: wireLength };
    if (rel > flow.next) {
      this.hold(conn, flow, piece, t);
      return;
    }
    this.place(conn, flow, piece, t);
    this.drain(conn, flow, t);
    this.settle(conn, flow, t);
  }

  /** Delivers the part of a piece that starts at or before the next expected byte. */
  private place(conn: Connection, flow: Flow, p: Pending, t: number): void {
    const end = p.rel + p.bytes.length;
    if (end > flow.next) {
      this.emit(conn, flow, p.bytes.subarray(flow.next - p.rel), t);
      flow.next = end;
    }
    if (p.rel + p.wire > flow.next) {
      // The snapshot length cut this segment: its tail is lost for good.
      this.gap(conn, flow, flow.next, p.rel + p.wire - flow.next);
      flow.next = p.rel + p.wire;
    }
  }

  private hold(conn: Connection, flow: Flow, p: Pending, t: number): void {
    let i = flow.pending.length;
    while (i > 0 && flow.pending[i - 1]!.rel > p.rel) i--;
    flow.pending.splice(i, 0, p);
    flow.pendingBytes += p.bytes.length;
    if (flow.pendingBytes > this.limits.maxOutOfOrderBytes) {
      this.skipHole(conn, flow, t);
      this.settle(conn, flow, t);
    }
  }

  private drain(conn: Connection, flow: Flow, t: number): void {
    while (flow.pending.length > 0 && flow.pending[0]!.rel <= flow.next) {
      const p = flow.pending.shift()!;
      flow.pendingBytes -= p.bytes.length;
      this.place(conn, flow, p, t);
    }
  }

  /** Gives up on the hole before the first held segment. */
  private skipHole(conn: Connection, flow: Flow, t: number): void {
    const first = flow.pending[0];
    if (!first) return;
    if (first.rel > flow.next) {
      this.gap(conn, flow, flow.next, first.rel - flow.next);
      flow.next = first.rel;
    }
    this.drain(conn, flow, t); // always consumes `first`, so flush() terminates
  }

  private flush(conn: Connection, flow: Flow, t: number): void {
    while (flow.pending.length > 0) this.skipHole(conn, flow, t);
  }

  private settle(conn: Connection, flow: Flow, t: number): void {
    if (flow.finAt !== undefined && flow.next >= flow.finAt) this.end(conn, flow, t);
  }

  private end(conn: Connection, flow: Flow, t: number): void {
    if (flow.ended) return;
    flow.ended = true;
    this.out.push({ conn, record: { kind: 'eof', conn: -1, dir: flow.dir, t } });
  }

  private emit(conn: Connection, flow: Flow, bytes: Uint8Array, t: number): void {
    if (bytes.length === 0) return;
    this.out.push({ conn, record: { kind: 'data', conn: -1, dir: flow.dir, t, bytes } });
  }

  private gap(conn: Connection, flow: Flow, offset: number, length: number): void {
    this.gapList.push({ conn, dir: flow.dir, offset, length });
  }

  /** Ends the capture: fills what can be filled, numbers the connections, returns everything. */
  finish(t: number): { records: CaptureRecord[]; connections: ConnectionInfo[]; gaps: StreamGap[]; refused: number } {
    for (const conn of this.order) {
      for (const flow of [conn.c2s, conn.s2c]) {
        this.flush(conn, flow, t);
        this.settle(conn, flow, t);
      }
    }
    const connections: ConnectionInfo[] = [];
    let refused = 0;
    for (const conn of this.order) {
      if (!conn.counted) {
        refused++;
        continue;
      }
      conn.index = connections.length;
      connections.push({ conn: conn.index, client: conn.client, server: conn.server, syn: conn.synSeen });
    }
    const records: CaptureRecord[] = [];
    for (const { conn, record } of this.out) {
      if (conn.index < 0) continue;
      record.conn = conn.index;
      records.push(record);
    }
    const gaps = this.gapList.filter((g) => g.conn.index >= 0).map((g) => ({ conn: g.conn.index, dir: g.dir, offset: g.offset, length: g.length }));
    return { records, connections, gaps, refused };
  }
}
