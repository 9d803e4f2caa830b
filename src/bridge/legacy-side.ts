// The legacy half of the bridge: the Communication framework's events turned into routing, peer
// status and logs.
// - remote_event -> Broker publications (the router's topics, NetworkTimestamp from the event
//   time) through the peer's publisher (the main participant, or its cluster endpoint), and legacy
//   forwards when routing.forward_remote_events is on;
// - Broker routes -> send_event to the chosen peers (REQUEST_EVENTS or the node's events pattern);
// - connection events -> the peer registry (PeerStatus) and Broker status/error reports, closes
//   told apart by who closed (peer_removed for us, peer_lost for the peer or the network);
// - LOG_CREATE_WRITER / LOG_WRITE -> zeek/logs/<stream> publications and local logs.
import type { Data } from '../../modern/data/index.ts';
import type { MessageOrigin } from '../../modern/hub.ts';
import { PeerStatus } from '../../modern/constants.ts';
import type { SerialEvent } from '../../legacy/codec/index.ts';
import type { CommunicationFramework, EventPeer } from '../../legacy/index.ts';
import { translationError } from '../translate/errors.ts';
import type { BrokerRoute, LegacyPeerView } from '../translate/router.ts';
import { legacyEventToBrokerReports, type LegacyConnectionEvent, type LegacyPeerRef } from '../translate/status.ts';
import type { Translator } from '../translate/translator.ts';
import type { Publisher, Reporter } from './types.ts';

/** A legacy peer as the bridge tracks it (also the router's view of it). */
export interface LegacyPeerState extends LegacyPeerView {
  readonly id: number;
  readonly key: string;
  /** Node name, else the peer's description, else host:port: what topics and the status table use. */
  readonly node: string;
  /** The `nodes` entry it matched. */
  readonly nodeName: string | undefined;
  running: boolean;
  readonly requested: Set<string>;
  readonly eventsPattern: RegExp | undefined;
  readonly peer: EventPeer;
  /** Where its events go: the main participant, or its cluster endpoint once up. */
  publisher: Publisher;
  /** Has a cluster endpoint of its own (Broker events reach it through that endpoint only). */
  clustered: boolean;
}

/** A legacy node that plays a cluster role (implemented by ClusterNodes). */
export interface ClusterRoles {
  has(nodeName: string): boolean;
  up(peer: LegacyPeerState): { publisher: Publisher; endpointId: string } | undefined;
  down(peerId: number): void;
}

export interface LegacySideOptions {
  fw: CommunicationFramework;
  translator: Translator;
  /** Publishes as the bridge's main participant (native peers, WebSocket clients, outbound WebSocket). */
  publish: Publisher;
  report: Reporter;
  cluster?: ClusterRoles;
}

const keyOf = (id: number): string => `legacy:${id}`;

export class LegacySide {
  private readonly fw: CommunicationFramework;
  private readonly t: Translator;
  private readonly o: LegacySideOptions;
  private readonly peers = new Map<number, LegacyPeerState>();
  /** Peers we are disconnecting (reload, stop): their close is ours (peer_removed). */
  private readonly closingLocally = new Set<number>();
  private readonly lastStats = new Map<string, { eventsIn: number; eventsOut: number; bytesIn: number; bytesOut: number }>();
  private queued = new Map<string, number>();
  private stopping = false;
  /** mainViews() between peer changes (it is asked for every Broker message). */
  private mainCache: LegacyPeerState[] | undefined;

  constructor(options: LegacySideOptions) {
    this.o = options;
    this.fw = options.fw;
    this.t = options.translator;
    const fw = this.fw;
    fw.on('remote_connection_established', (p) => this.established(p));
    fw.on('remote_connection_handshake_done', (p) => this.handshakeDone(p));
    fw.on('remote_event_registered', (p, name) => this.peers.get(p.id)?.requested.add(name));
    fw.on('remote_connection_closed', (p) => this.closed(p));
    fw.on('remote_connection_error', (p, reason) => this.error(p, reason));
    fw.on('remote_event', (e) => this.event({ kind: 'event', name: e.name, args: e.args, time: e.time }, e.peer));
    fw.on('remote_log_create_writer', (p, w) => this.publishAll(p, this.t.logs.create(this.nameOf(p), w)));
    fw.on('remote_log_write', (p, entries) => this.publishAll(p, this.t.logs.write(this.nameOf(p), entries)));
  }

  /** Every legacy peer past VERSION. */
  list(): LegacyPeerState[] {
    return [...this.peers.values()];
  }

  /** Peers that get Broker events through the main participant (those without a cluster endpoint). */
  mainViews(): LegacyPeerState[] {
    this.mainCache ??= this.list().filter((p) => !p.clustered);
    return this.mainCache;
  }

  get(id: number): LegacyPeerState | undefined {
    return this.peers.get(id);
  }

  /** Registers nodes the framework is dialling (after start and reload): CONNECTING. */
  syncPending(): void {
    for (const [id, node] of this.fw.pending_peers) {
      if (this.t.peers.get(keyOf(id)) !== undefined) continue;
      this.t.peers.upsert(keyOf(id), { protocol: 'legacy', name: node.name, address: node.host, port: node.p, status: PeerStatus.CONNECTING, peerId: id, outbound: true });
    }
  }

  /** Forgets registry entries of outbound nodes that are no longer dialled nor connected (reload removed them). */
  prunePending(): void {
    for (const rec of this.t.peers.list()) {
      if (rec.protocol !== 'legacy' || this.peers.has(rec.peerId) || this.fw.pending_peers.has(rec.peerId)) continue;
      this.t.peers.setStatus(rec.key, PeerStatus.DISCONNECTED);
      this.t.peers.remove(rec.key);
      this.lastStats.delete(rec.key);
    }
  }

  /** These peers are being closed by us (reload dropped their node). */
  markClosingLocally(ids: Iterable<number>): void {
    for (const id of ids) this.closingLocally.add(id);
  }

  /** From now on every close is ours (graceful stop). */
  stopAll(): void {
    this.stopping = true;
  }

  /**
   * A Broker message for legacy peers: routed to `views` (default: the peers without a cluster
   * endpoint). Returns how many legacy sends it made.
   */
  fromBroker(topic: string, value: Data, origin: MessageOrigin, views: Iterable<LegacyPeerView> = this.mainViews()): number {
    let n = 0;
    for (const route of this.t.router.fromBroker(topic, value, origin, views)) n += this.send(route);
    return n;
  }

  private send(route: BrokerRoute): number {
    const ev = route.event;
    try {
      return this.fw.send_event(ev.name, ev.args, { to: route.targets.map((t) => t.id as number), time: ev.time });
    } catch (err) {
      // The translator produced a value the legacy encoder refuses: count it as a drop, never throw.
      this.t.drops.record('broker_to_legacy', ev.name, translationError('unsupported_type', `${ev.name}: the legacy encoder refused it: ${(err as Error).message}`, { cause: err }));
      return 0;
    }
  }

  private nameOf(p: EventPeer): string {
    return this.peers.get(p.id)?.node ?? (p.descr !== '' ? p.descr : `${p.host}:${p.p}`);
  }

  private ref(p: EventPeer): LegacyPeerRef {
    const rec = this.t.peers.get(keyOf(p.id));
    const retry = this.fw.nodes.get(this.peers.get(p.id)?.nodeName ?? '')?.retry;
    return { host: p.host, port: p.p, ...(rec?.endpointId !== undefined ? { endpointId: rec.endpointId } : {}), ...(retry !== undefined ? { retry } : {}) };
  }

  private reportAll(p: EventPeer, ev: LegacyConnectionEvent): void {
    const name = this.nameOf(p);
    for (const report of legacyEventToBrokerReports(ev)) this.o.report({ protocol: 'legacy', key: keyOf(p.id), name, report });
  }

  private established(p: EventPeer): void {
    const nodeName = this.fw.connected_peers.get(p.id)?.name;
    const node = nodeName === undefined ? undefined : this.fw.nodes.get(nodeName);
    const state: LegacyPeerState = {
      id: p.id,
      key: keyOf(p.id),
      node: nodeName ?? (p.descr !== '' ? p.descr : `${p.host}:${p.p}`),
      nodeName,
      running: false,
      requested: new Set(),
      eventsPattern: node?.events?.regexp,
      peer: p,
      publisher: this.o.publish,
      clustered: false,
    };
    this.peers.set(p.id, state);
    this.mainCache = undefined;
    const outbound = this.fw.peers().find((x) => x.peer.id === p.id)?.initiator ?? false;
    this.t.peers.upsert(state.key, {
      protocol: 'legacy',
      name: state.node,
      address: p.host,
      port: p.p,
      status: PeerStatus.CONNECTED,
      peerId: p.id,
      outbound,
      ...(p.class !== undefined ? { class: p.class } : {}),
    });
    this.reportAll(p, { type: 'remote_connection_established', peer: this.ref(p) });
  }

  private handshakeDone(p: EventPeer): void {
    const state = this.peers.get(p.id);
    if (state === undefined) return;
    state.running = true;
    if (state.nodeName !== undefined && this.o.cluster?.has(state.nodeName)) {
      const up = this.o.cluster.up(state);
      if (up !== undefined) {
        state.publisher = up.publisher;
        state.clustered = true;
        this.mainCache = undefined;
        this.t.peers.upsert(state.key, { protocol: 'legacy', name: state.node, address: p.host, port: p.p, endpointId: up.endpointId });
      }
    }
    this.t.peers.setStatus(state.key, PeerStatus.PEERED);
    this.reportAll(p, { type: 'remote_connection_handshake_done', peer: this.ref(p) });
  }

  private closed(p: EventPeer): void {
    const state = this.peers.get(p.id);
    const key = keyOf(p.id);
    const local = this.stopping || this.closingLocally.delete(p.id);
    this.reportAll(p, { type: 'remote_connection_closed', peer: this.ref(p), closedBy: local ? 'local' : 'remote', wasRunning: state?.running ?? false });
    if (state?.clustered) this.o.cluster?.down(p.id);
    this.t.logs.forgetPeer(this.nameOf(p));
    this.peers.delete(p.id);
    this.mainCache = undefined;
    if (this.fw.pending_peers.has(p.id)) {
      this.t.peers.setStatus(key, PeerStatus.RECONNECTING);
    } else {
      this.t.peers.setStatus(key, PeerStatus.DISCONNECTED);
      this.t.peers.remove(key);
      this.lastStats.delete(key);
    }
  }

  private error(p: EventPeer, reason: string): void {
    const reports = legacyEventToBrokerReports({ type: 'remote_connection_error', peer: this.ref(p), reason });
    const first = reports[0];
    if (first !== undefined) this.t.peers.setError(keyOf(p.id), first.name, reason);
    this.reportAll(p, { type: 'remote_connection_error', peer: this.ref(p), reason });
  }

  private event(ev: SerialEvent, p: EventPeer): void {
    const state = this.peers.get(p.id);
    if (state === undefined) return;
    const route = this.t.router.fromLegacy(state, ev, this.t.router.config.forward_remote_events ? this.peers.values() : []);
    if (route === undefined) return;
    for (const pub of route.publications) state.publisher(pub.topic, pub.message);
    if (route.forwards.length > 0) this.fw.send_event(ev.name, ev.args, { to: route.forwards.map((f) => f.id as number), exceptPeer: p.id, time: ev.time });
  }

  private publishAll(p: EventPeer, pubs: readonly { topic: string; message: Data }[]): void {
    const publish = this.peers.get(p.id)?.publisher ?? this.o.publish;
    for (const pub of pubs) publish(pub.topic, pub.message);
  }

  /** Copies the sessions' traffic counters into the registry (deltas since the last call). */
  syncCounters(): void {
    const queued = new Map<string, number>();
    for (const info of this.fw.peers()) {
      const key = keyOf(info.peer.id);
      const s = info.stats;
      const last = this.lastStats.get(key) ?? { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 };
      // A reconnect of an outbound node starts a new session with the same id and fresh counters.
      const base = s.bytesIn < last.bytesIn || s.bytesOut < last.bytesOut ? { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 } : last;
      this.t.peers.traffic(key, { eventsIn: s.eventsIn - base.eventsIn, eventsOut: s.eventsOut - base.eventsOut, bytesIn: s.bytesIn - base.bytesIn, bytesOut: s.bytesOut - base.bytesOut });
      this.lastStats.set(key, { eventsIn: s.eventsIn, eventsOut: s.eventsOut, bytesIn: s.bytesIn, bytesOut: s.bytesOut });
      queued.set(key, info.queuedBytes);
    }
    this.queued = queued;
  }

  /** Bytes waiting in each legacy peer's output queue (as of the last syncCounters). */
  queuedBytes(): ReadonlyMap<string, number> {
    return this.queued;
  }
}
