// What the status listener serves: the /status JSON document (`comm-bridge status` renders it) and
// the /metrics families, built from the bridge's parts. Also the legacy connected_peers /
// pending_peers tables with the Broker and WebSocket peers in them.
import type { CommunicationFramework } from '../../legacy/index.ts';
import type { DropRecord } from '../translate/drops.ts';
import { prometheusText, type MetricFamily } from '../translate/metrics.ts';
import type { LegacyPeerEntry, PeerRecord, PeerRegistry } from '../translate/peer-registry.ts';
import type { Bridge } from './bridge.ts';
import type { ListenerInfo } from './types.ts';

/** An entry of Communication's connected_peers / pending_peers, for peers of every protocol. */
export interface LegacyTableEntry extends LegacyPeerEntry {
  /** The `nodes` entry (legacy peers). */
  readonly node?: string;
}

export interface LegacyTables {
  connected_peers: LegacyTableEntry[];
  pending_peers: LegacyTableEntry[];
}

export function legacyTables(fw: CommunicationFramework, registry: PeerRegistry): LegacyTables {
  const connected_peers: LegacyTableEntry[] = [...fw.connected_peers].map(([id, n]) => ({
    id,
    host: n.peer?.host ?? n.host,
    p: n.peer?.p ?? n.p,
    descr: n.peer?.descr !== undefined && n.peer.descr !== '' ? n.peer.descr : n.name,
    ...(n.peer?.class !== undefined ? { class: n.peer.class } : n.class !== undefined ? { class: n.class } : {}),
    connected: true,
    protocol: 'legacy',
    node: n.name,
  }));
  const pending_peers: LegacyTableEntry[] = [...fw.pending_peers].map(([id, n]) => ({
    id, host: n.host, p: n.p, descr: n.name, ...(n.class !== undefined ? { class: n.class } : {}), connected: false, protocol: 'legacy', node: n.name,
  }));
  const modern = registry.legacyView();
  return { connected_peers: [...connected_peers, ...modern.connected_peers], pending_peers: [...pending_peers, ...modern.pending_peers] };
}

export interface StatusPeer extends PeerRecord {
  /** PeerStatus name (`peered`, `reconnecting` ...). */
  readonly status_name: string;
  /** Bytes waiting for a legacy peer's socket. */
  readonly queuedBytes?: number;
}

export interface StatusDocument {
  node: string;
  pid: number;
  /** Seconds since the epoch. */
  started: number;
  uptime: number;
  listeners: ListenerInfo[];
  peers: StatusPeer[];
  legacy: LegacyTables;
  cluster: ReturnType<NonNullable<Bridge['cluster']>['snapshot']>;
  drops: { total: number; by_reason: { direction: string; reason: string; count: number }[]; recent: readonly DropRecord[] };
  /** The latest peer status / error events (what broker.log holds). */
  reports: { protocol: string; name: string | undefined; kind: string; event: string; message: string }[];
  state: { store: string; entries: number; problems: number } | undefined;
}

const STATUS_NAMES = ['initializing', 'connecting', 'connected', 'peered', 'disconnected', 'reconnecting'];

export function statusDocument(b: Bridge): StatusDocument {
  const now = b.clock.now();
  const queued = b.legacy.queuedBytes();
  return {
    node: b.config.node,
    pid: process.pid,
    started: b.startedAt / 1000,
    uptime: (now - b.startedAt) / 1000,
    listeners: b.listening(),
    peers: b.translator.peers.list().map((p) => ({ ...p, status_name: STATUS_NAMES[p.status] ?? String(p.status), ...(queued.has(p.key) ? { queuedBytes: queued.get(p.key)! } : {}) })),
    legacy: b.legacyView(),
    cluster: b.cluster?.snapshot() ?? [],
    drops: { total: b.translator.drops.count(), by_reason: b.translator.drops.rows(), recent: b.translator.drops.recent().slice(-20) },
    reports: b.recentReports.slice(-20).map((r) => ({ protocol: r.protocol, name: r.name, kind: r.report.kind, event: r.report.name, message: r.report.message })),
    state: b.config.state.enabled ? { store: b.config.state.store, entries: [...b.fw.state.entries()].length, problems: b.stateProblems.length } : undefined,
  };
}

export function metricsText(b: Bridge): string {
  const families: MetricFamily[] = [
    ...b.translator.metrics(),
    {
      name: 'comm_bridge_legacy_queued_bytes',
      help: 'Bytes waiting in each legacy peer\'s output queue.',
      type: 'gauge',
      samples: [...b.legacy.queuedBytes()].map(([key, value]) => ({ labels: { peer: b.translator.peers.get(key)?.name ?? key }, value })),
    },
    {
      name: 'comm_bridge_websocket_server_dropped_total',
      help: 'Messages the WebSocket server\'s overflow policy discarded.',
      type: 'counter',
      samples: b.broker.server === undefined ? [] : [{ labels: {}, value: b.broker.server.stats.dropped }],
    },
    {
      name: 'comm_bridge_uptime_seconds',
      help: 'Seconds since the bridge started.',
      type: 'gauge',
      samples: [{ labels: { node: b.config.node }, value: (b.clock.now() - b.startedAt) / 1000 }],
    },
  ];
  return prometheusText(families);
}
