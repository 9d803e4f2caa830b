// Legacy nodes that play a cluster role (a legacy node whose name is a WORKER or PROXY of the
// cluster layout): each gets a Broker endpoint of its own — own endpoint id, own peerings with the
// layout's nodes for its role (its manager, proxies, loggers) — brought up when the legacy peer
// reaches RUNNING and shut down (BYE) when it goes away. Zeek's Cluster framework then sees the
// legacy node like any other: Cluster::hello from the node's endpoint (node_up), its departure as
// peer_lost (node_down). The node's endpoint subscribes to its type topic, node topic, node-id topic
// and the routing's topics; what arrives there goes to that legacy peer only, and its events are
// published from there.
import type { Clock } from '../core/clock.ts';
import type { Data } from '../../modern/data/index.ts';
import type { MessageOrigin, ParticipantHandle } from '../../modern/hub.ts';
import { ClusterView, type ClusterLayout, type ClusterLogEntry } from '../../modern/cluster/index.ts';
import { Endpoint, type EndpointOptions, type StatusEvent } from '../../modern/endpoint/index.ts';
import { PeerStatus } from '../../modern/constants.ts';
import type { EventRouter } from '../translate/router.ts';
import type { PeerRegistry } from '../translate/peer-registry.ts';
import type { ClusterRoles, LegacyPeerState } from './legacy-side.ts';
import type { Publisher, Reporter } from './types.ts';

export interface ClusterNodesOptions {
  layout: ClusterLayout;
  /** Options for each node's endpoint (the broker section's TLS, limits, retry; no node_id). */
  endpoint: EndpointOptions;
  /** Seconds between peering attempts (Zeek's Cluster::retry_interval role). */
  retry: number;
  router: EventRouter;
  registry: PeerRegistry;
  report: Reporter;
  /** cluster.log lines. */
  log: (entry: ClusterLogEntry) => void;
  clock: Clock;
  /** A message for the legacy peer behind a node endpoint. */
  deliver: (peer: LegacyPeerState, topic: string, value: Data, origin: MessageOrigin) => void;
}

interface Running {
  readonly peer: LegacyPeerState;
  readonly endpoint: Endpoint;
  readonly view: ClusterView;
  readonly handle: ParticipantHandle;
  readonly participant: string;
  closing: Promise<void> | undefined;
}

export class ClusterNodes implements ClusterRoles {
  private readonly running = new Map<number, Running>();
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly o: ClusterNodesOptions) {}

  has(nodeName: string): boolean {
    const n = this.o.layout.node(nodeName);
    return n !== undefined && (n.node_type === 'WORKER' || n.node_type === 'PROXY');
  }

  up(peer: LegacyPeerState): { publisher: Publisher; endpointId: string } | undefined {
    const name = peer.nodeName;
    if (name === undefined || !this.has(name)) return undefined;
    const o = this.o;
    const endpoint = new Endpoint({ ...o.endpoint, clock: o.clock });
    const view = new ClusterView({
      layout: o.layout,
      node: name,
      hub: endpoint,
      now: () => o.clock.now(),
      log: o.log,
      extraSubscriptions: o.router.subscriptions(),
      events: { error: (message) => o.log({ ts: o.clock.now() / 1000, node: name, message }) },
      onMessage: (topic, value, origin) => o.deliver(peer, topic, value, origin),
    });
    const participant = `legacy:${name}:${peer.id}`;
    const handle = endpoint.attach({ id: participant }, []);
    o.router.bindParticipant(participant, peer.id);
    const r: Running = { peer, endpoint, view, handle, participant, closing: undefined };
    this.running.set(peer.id, r);
    endpoint.on('status', (s) => this.status(r, s));
    endpoint.on('error', (e) => {
      const key = e.context === undefined ? undefined : this.peerKey(r, e.context.id);
      o.report({ protocol: 'broker', key: key ?? `cluster:${name}`, name: `${name} (cluster endpoint)`, report: { kind: 'error', code: e.code, name: e.name, message: e.message, ...(e.context !== undefined ? { context: e.context } : {}) } });
    });
    view.start();
    view.log(`legacy node ${name} joins as ${view.local_node_type()} with endpoint ${endpoint.nodeId}`);
    for (const target of o.layout.peersToConnect(name)) {
      if (target.node.p === 0) continue;
      void endpoint.peer(target.node.ip, target.node.p, o.retry);
    }
    return { publisher: (topic, message) => handle.publish(topic, message), endpointId: endpoint.nodeId };
  }

  private peerKey(r: Running, id: string): string {
    return `broker:${r.peer.nodeName}:${id}`;
  }

  private status(r: Running, s: StatusEvent): void {
    const o = this.o;
    r.view.handleStatus(s);
    const id = s.context.id;
    const key = this.peerKey(r, id);
    const node = r.view.nodeid_to_node(id).name;
    const name = `${r.peer.nodeName}->${node !== '' ? node : id}`;
    const net = s.context.network;
    if (s.name === 'peer_added') {
      o.registry.upsert(key, { protocol: 'broker', name, address: net?.address ?? '', port: net?.bound_port ?? 0, status: PeerStatus.PEERED, endpointId: id, outbound: true });
    } else if (s.name === 'peer_lost' || s.name === 'peer_removed') {
      o.registry.setStatus(key, PeerStatus.DISCONNECTED);
      o.registry.remove(key);
    }
    o.report({ protocol: 'broker', key, name, report: { kind: 'status', code: s.code, name: s.name, context: s.context, message: s.message } });
  }

  /** The legacy peer went away: its endpoint says BYE (the manager sees peer_lost -> node_down). */
  down(peerId: number): void {
    const r = this.running.get(peerId);
    if (r === undefined) return;
    this.running.delete(peerId);
    this.o.router.unbindParticipant(r.participant);
    r.view.log(`legacy node ${r.peer.nodeName} left`);
    r.handle.close();
    r.view.stop();
    const p = r.endpoint.shutdown();
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }

  /** Every node endpoint with its layout name and id (for the status output). */
  snapshot(): { node: string; endpoint: string; peer: number; active: { name: string; node_type: string; id?: string }[] }[] {
    return [...this.running.values()].map((r) => ({ node: r.peer.nodeName ?? '', endpoint: r.endpoint.nodeId, peer: r.peer.id, active: r.view.snapshot() }));
  }

  /** Shuts every node endpoint down and waits for the BYEs. */
  async close(): Promise<void> {
    for (const id of [...this.running.keys()]) this.down(id);
    await Promise.all([...this.closing]);
  }
}
