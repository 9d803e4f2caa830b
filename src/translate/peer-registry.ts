// One registry of every peer of both worlds: legacy peers (Broccoli, Bro 2.5), native Broker peers
// and WebSocket clients, with their status as Broker's PeerStatus, traffic counters and last error.
// It answers `comm-bridge status`, feeds the Prometheus metrics, reports every status change (for
// broker.log), and renders the Broker side as the legacy `connected_peers` / `pending_peers` tables
// so a legacy operator's view shows the modern peers too.
import { PeerStatus, peerStatusName } from '../../modern/constants.ts';
import type { MetricFamily } from './metrics.ts';

export type PeerProtocol = 'legacy' | 'broker' | 'websocket';

export interface PeerError {
  readonly code: string;
  readonly message: string;
  /** ms since the epoch. */
  readonly at: number;
}

export interface PeerRecord {
  /** Unique key, e.g. `legacy:10000`, `broker:<endpoint id>`, `websocket:<client id>`. */
  readonly key: string;
  readonly protocol: PeerProtocol;
  /** Node name, peer description or endpoint id: what an operator recognises. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly status: PeerStatus;
  /** ms since the epoch of the last status change. */
  readonly since: number;
  readonly eventsIn: number;
  readonly eventsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Messages waiting to be written to the peer. */
  readonly queueDepth: number;
  readonly lastError?: PeerError;
  /** Bro's peer_id for the legacy view (legacy peers: the framework's own id). */
  readonly peerId: number;
  /** Broker endpoint id (Broker peers, and legacy peers with a cluster endpoint). */
  readonly endpointId?: string;
  /** The peer's class (legacy VERSION) or application name (WebSocket). */
  readonly class?: string;
  /** We dialled. */
  readonly outbound: boolean;
}

export interface PeerInit {
  protocol: PeerProtocol;
  name: string;
  address: string;
  port: number;
  status?: PeerStatus;
  peerId?: number;
  endpointId?: string;
  class?: string;
  outbound?: boolean;
}

export type PeerChange =
  | { readonly kind: 'added'; readonly peer: PeerRecord }
  | { readonly kind: 'status'; readonly peer: PeerRecord; readonly previous: PeerStatus; readonly message?: string }
  | { readonly kind: 'removed'; readonly peer: PeerRecord };

/** An entry of the legacy `connected_peers` / `pending_peers` tables (Communication::Node + event_peer). */
export interface LegacyPeerEntry {
  /** Bro's peer_id. */
  readonly id: number;
  readonly host: string;
  readonly p: number;
  /** event_peer$descr: `broker:<endpoint id>` / `websocket:<id>` for modern peers. */
  readonly descr: string;
  readonly class?: string;
  readonly connected: boolean;
  readonly protocol: PeerProtocol;
}

export interface PeerRegistryOptions {
  now?: () => number;
  onChange?: (change: PeerChange) => void;
  /** First peer_id given to peers that bring none (Broker, WebSocket); legacy ids stay below it. */
  firstModernPeerId?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const PENDING: ReadonlySet<PeerStatus> = new Set([PeerStatus.INITIALIZING, PeerStatus.CONNECTING, PeerStatus.CONNECTED, PeerStatus.RECONNECTING]);

export class PeerRegistry {
  private readonly peers = new Map<string, Mutable<PeerRecord>>();
  private readonly now: () => number;
  private nextPeerId: number;

  constructor(private readonly options: PeerRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.nextPeerId = options.firstModernPeerId ?? 1_000_000;
  }

  /** Adds a peer, or updates the identity fields of a known one (counters and status are kept). */
  upsert(key: string, init: PeerInit): PeerRecord {
    const known = this.peers.get(key);
    if (known !== undefined) {
      Object.assign(known, {
        name: init.name,
        address: init.address,
        port: init.port,
        ...(init.endpointId !== undefined ? { endpointId: init.endpointId } : {}),
        ...(init.class !== undefined ? { class: init.class } : {}),
      });
      if (init.status !== undefined) this.setStatus(key, init.status);
      return known;
    }
    const rec: Mutable<PeerRecord> = {
      key,
      protocol: init.protocol,
      name: init.name,
      address: init.address,
      port: init.port,
      status: init.status ?? PeerStatus.INITIALIZING,
      since: this.now(),
      eventsIn: 0,
      eventsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      queueDepth: 0,
      peerId: init.peerId ?? this.nextPeerId++,
      outbound: init.outbound ?? false,
      ...(init.endpointId !== undefined ? { endpointId: init.endpointId } : {}),
      ...(init.class !== undefined ? { class: init.class } : {}),
    };
    this.peers.set(key, rec);
    this.options.onChange?.({ kind: 'added', peer: rec });
    return rec;
  }

  setStatus(key: string, status: PeerStatus, message?: string): void {
    const rec = this.peers.get(key);
    if (rec === undefined || rec.status === status) return;
    const previous = rec.status;
    rec.status = status;
    rec.since = this.now();
    this.options.onChange?.({ kind: 'status', peer: rec, previous, ...(message !== undefined ? { message } : {}) });
  }

  /** Adds to the traffic counters; `queueDepth` replaces the current depth. */
  traffic(key: string, delta: { eventsIn?: number; eventsOut?: number; bytesIn?: number; bytesOut?: number; queueDepth?: number }): void {
    const rec = this.peers.get(key);
    if (rec === undefined) return;
    rec.eventsIn += delta.eventsIn ?? 0;
    rec.eventsOut += delta.eventsOut ?? 0;
    rec.bytesIn += delta.bytesIn ?? 0;
    rec.bytesOut += delta.bytesOut ?? 0;
    if (delta.queueDepth !== undefined) rec.queueDepth = delta.queueDepth;
  }

  setError(key: string, code: string, message: string): void {
    const rec = this.peers.get(key);
    if (rec !== undefined) rec.lastError = { code, message, at: this.now() };
  }

  remove(key: string): void {
    const rec = this.peers.get(key);
    if (rec === undefined) return;
    this.peers.delete(key);
    this.options.onChange?.({ kind: 'removed', peer: rec });
  }

  get(key: string): PeerRecord | undefined {
    return this.peers.get(key);
  }

  /** All peers: legacy first, then Broker, then WebSocket; by name within each. */
  list(): PeerRecord[] {
    const order: Record<PeerProtocol, number> = { legacy: 0, broker: 1, websocket: 2 };
    return [...this.peers.values()].sort((a, b) => order[a.protocol] - order[b.protocol] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Number of peers per protocol and status name. */
  countByStatus(): { protocol: PeerProtocol; status: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const p of this.peers.values()) {
      const k = `${p.protocol}\u0000${peerStatusName(p.status)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts].map(([k, count]) => {
      const [protocol, status] = k.split('\u0000') as [PeerProtocol, string];
      return { protocol, status, count };
    });
  }

  /**
   * The Broker and WebSocket peers as legacy table entries: PEERED ones in `connected_peers`, those
   * still connecting in `pending_peers`, disconnected ones in neither. `includeLegacy` adds the
   * legacy peers too (the framework's own tables hold those already).
   */
  legacyView(includeLegacy = false): { connected_peers: LegacyPeerEntry[]; pending_peers: LegacyPeerEntry[] } {
    const connected_peers: LegacyPeerEntry[] = [];
    const pending_peers: LegacyPeerEntry[] = [];
    for (const p of this.list()) {
      if (p.protocol === 'legacy' && !includeLegacy) continue;
      const entry: LegacyPeerEntry = {
        id: p.peerId,
        host: p.address,
        p: p.port,
        descr: p.protocol === 'legacy' ? p.name : `${p.protocol}:${p.endpointId ?? p.name}`,
        ...(p.class !== undefined ? { class: p.class } : {}),
        connected: p.status === PeerStatus.PEERED,
        protocol: p.protocol,
      };
      if (p.status === PeerStatus.PEERED) connected_peers.push(entry);
      else if (PENDING.has(p.status)) pending_peers.push(entry);
    }
    return { connected_peers, pending_peers };
  }

  /** Plain-text table for `comm-bridge status`. */
  statusTable(): string {
    const rows = [['NAME', 'PROTOCOL', 'ADDRESS', 'STATUS', 'EVENTS IN/OUT', 'BYTES IN/OUT', 'LAST ERROR']];
    for (const p of this.list()) {
      const addr = p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
      rows.push([
        p.name,
        p.protocol,
        addr,
        peerStatusName(p.status),
        `${p.eventsIn}/${p.eventsOut}`,
        `${p.bytesIn}/${p.bytesOut}`,
        p.lastError === undefined ? '-' : `${p.lastError.code}: ${p.lastError.message}`,
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
  }

  /** Metric families: peers by status, events, bytes and queue depth per peer. */
  metrics(): MetricFamily[] {
    const peers = this.list();
    const labels = (p: PeerRecord, extra: Record<string, string> = {}) => ({ peer: p.name, protocol: p.protocol, ...extra });
    return [
      {
        name: 'comm_bridge_peers',
        help: 'Peers by protocol and Broker peer status.',
        type: 'gauge',
        samples: this.countByStatus().map((c) => ({ labels: { protocol: c.protocol, status: c.status }, value: c.count })),
      },
      {
        name: 'comm_bridge_peer_events_total',
        help: 'Events received from (in) and sent to (out) each peer.',
        type: 'counter',
        samples: peers.flatMap((p) => [
          { labels: labels(p, { direction: 'in' }), value: p.eventsIn },
          { labels: labels(p, { direction: 'out' }), value: p.eventsOut },
        ]),
      },
      {
        name: 'comm_bridge_peer_bytes_total',
        help: 'Bytes received from (in) and sent to (out) each peer.',
        type: 'counter',
        samples: peers.flatMap((p) => [
          { labels: labels(p, { direction: 'in' }), value: p.bytesIn },
          { labels: labels(p, { direction: 'out' }), value: p.bytesOut },
        ]),
      },
      {
        name: 'comm_bridge_peer_queue_depth',
        help: 'Messages queued towards each peer.',
        type: 'gauge',
        samples: peers.map((p) => ({ labels: labels(p), value: p.queueDepth })),
      },
    ];
  }
}
