// The Broker half of the bridge: the bridge's endpoint (listening for Zeek's Broker::peer and
// dialling the configured peers), the WebSocket JSON server on the same endpoint (one topic space
// with the native peers), and outbound WebSocket connections to Zeek 8 `Cluster::listen_websocket`
// servers. One main participant on the endpoint publishes legacy events and receives the routing's
// topics; every peer of this side is tracked in the peer registry and reported (broker.log).
import type { Clock } from '../core/clock.ts';
import { BridgeError } from '../core/errors.ts';
import type { Data } from '../../modern/data/index.ts';
import type { MessageOrigin, ParticipantHandle } from '../../modern/hub.ts';
import { PeerStatus, StatusCode } from '../../modern/constants.ts';
import { Endpoint, type ErrorEvent, type StatusEvent } from '../../modern/endpoint/index.ts';
import { WebSocketClient, WebSocketServer, type WebSocketClientInfo } from '../../modern/websocket/index.ts';
import type { BrokerSection, WebSocketSection } from '../config/schema.ts';
import type { PeerRegistry } from '../translate/peer-registry.ts';
import type { BrokerReport } from '../translate/status.ts';
import type { ListenerInfo, Publisher, Reporter } from './types.ts';

export type BrokerSideErrorCode = 'listen_failed';

export interface BrokerSideOptions {
  broker: BrokerSection;
  websocket: WebSocketSection;
  /** Topic prefixes the main participant (and each outbound WebSocket connection) receives. */
  subscriptions: readonly string[];
  registry: PeerRegistry;
  report: Reporter;
  /** A data message for the legacy side (from a native peer, a WebSocket client, an outbound connection). */
  onData: (topic: string, value: Data, origin: MessageOrigin) => void;
  /** A Broker peer arrived: it gets the LogCreates of the legacy log streams. */
  onPeerAdded?: () => void;
  /** Something worth logging that is no peer's status (a rejected connection, a server error). */
  onWarning?: (message: string) => void;
  clock?: Clock;
}

/** Endpoint options of the broker section (what Endpoint itself understands). */
export function endpointOptionsOf(b: BrokerSection): Omit<BrokerSection, 'listen' | 'peers'> {
  const { listen: _l, peers: _p, ...rest } = b;
  return rest;
}

/** Registry key of a configured peering that is not (or no longer) established. */
const dialKey = (address: string, port: number): string => `broker-out:${address}:${port}`;

function statusReport(s: StatusEvent): BrokerReport {
  return { kind: 'status', code: s.code, name: s.name, context: s.context, message: s.message };
}

function errorReport(e: ErrorEvent): BrokerReport {
  return { kind: 'error', code: e.code, name: e.name, message: e.message, ...(e.context !== undefined ? { context: e.context } : {}) };
}

export class BrokerSide {
  readonly endpoint: Endpoint;
  server: WebSocketServer | undefined;
  readonly clients: WebSocketClient[] = [];
  private readonly o: BrokerSideOptions;
  private readonly main: ParticipantHandle;
  private brokerPort = 0;
  private readonly lastStats = new Map<string, { eventsIn: number; eventsOut: number; bytesIn: number; bytesOut: number }>();

  constructor(options: BrokerSideOptions) {
    this.o = options;
    this.endpoint = new Endpoint({ ...endpointOptionsOf(options.broker), ...(options.clock !== undefined ? { clock: options.clock } : {}) });
    this.main = this.endpoint.attach({ id: 'comm-bridge', onData: (topic, value, origin) => options.onData(topic, value, origin) }, options.subscriptions);
    this.endpoint.on('status', (s) => this.nativeStatus(s));
    this.endpoint.on('error', (e) => {
      this.syncDialers();
      const net = e.context?.network;
      const dialing = net === undefined ? undefined : options.registry.get(dialKey(net.address, net.bound_port));
      const key = dialing?.key ?? (e.context !== undefined ? `broker:${e.context.id}` : 'broker');
      if (e.context !== undefined) options.registry.setError(key, e.name, e.message);
      options.report({ protocol: 'broker', key, name: dialing?.name ?? e.context?.id, report: errorReport(e) });
    });
    this.endpoint.on('listening', (l) => (this.brokerPort = l.port));
    this.endpoint.on('warning', (w) => options.onWarning?.(`Broker: ${w.message}`));
  }

  /** Publishes as the main participant and on every connected outbound WebSocket. */
  readonly publish: Publisher = (topic, message) => {
    this.main.publish(topic, message);
    for (const c of this.clients) if (c.status === PeerStatus.PEERED) c.publish(topic, message);
  };

  /** Listens (native, WebSocket), then dials the peers. Throws when a port cannot be bound and no retry is configured. */
  async start(): Promise<void> {
    const b = this.o.broker;
    if (b.listen) {
      const port = await this.endpoint.listen(b.default_listen_address, b.default_port, b.default_listen_retry);
      if (port === 0 && b.default_listen_retry === 0) {
        throw new BridgeError<BrokerSideErrorCode>('listen_failed', `Broker: can't listen on ${b.default_listen_address}:${b.default_port} (in use? set broker.default_listen_retry to keep trying)`, { field: 'broker.default_port', retriable: true });
      }
      if (port !== 0) this.brokerPort = port;
    }
    const ws = this.o.websocket;
    if (ws.listen) {
      const { listen: _l, clients: _c, ...serverOptions } = ws;
      try {
        this.server = await WebSocketServer.listen(this.endpoint, serverOptions, this.o.clock !== undefined ? { clock: this.o.clock } : {});
      } catch (err) {
        throw new BridgeError<BrokerSideErrorCode>('listen_failed', `WebSocket: can't listen on ${ws.listen_addr}:${ws.listen_port}: ${(err as Error).message}`, { field: 'websocket.listen_port', cause: err, retriable: true });
      }
      this.server.on('websocket_client_added', (info) => this.wsClient(info, true));
      this.server.on('websocket_client_lost', (info) => this.wsClient(info, false));
      this.server.on('error', (err) => this.o.onWarning?.(`WebSocket server: ${err.message}`));
    }
    for (const p of b.peers) void this.endpoint.peer(p.address, p.port ?? b.default_port, p.retry ?? b.default_connect_retry);
    this.syncDialers();
    ws.clients.forEach((c, i) => this.startClient(c, i));
  }

  /**
   * Configured peerings not established (yet, or again) appear as `broker-out:<address>:<port>`
   * with Broker's CONNECTING / CONNECTED / RECONNECTING (the legacy pending_peers view shows them);
   * an established one is `broker:<endpoint id>`.
   */
  private syncDialers(): void {
    const reg = this.o.registry;
    const live = new Set<string>();
    for (const p of this.endpoint.peers()) {
      const net = p.peer.network;
      if (!p.outbound || p.status === PeerStatus.PEERED || net === undefined) continue;
      const key = dialKey(net.address, net.bound_port);
      live.add(key);
      reg.upsert(key, { protocol: 'broker', name: `${net.address}:${net.bound_port}`, address: net.address, port: net.bound_port, status: p.status, outbound: true });
    }
    for (const rec of reg.list()) if (rec.key.startsWith('broker-out:') && !live.has(rec.key)) reg.remove(rec.key);
  }

  listeners(): ListenerInfo[] {
    const out: ListenerInfo[] = [];
    const b = this.o.broker;
    if (b.listen) {
      const security = this.endpoint.tlsMode === 'none' ? 'no TLS' : this.endpoint.tlsMode === 'anonymous' ? 'anonymous TLS' : 'TLS with certificates';
      const address = b.default_listen_address === '' ? '0.0.0.0' : b.default_listen_address;
      out.push({ kind: 'broker', address, port: this.brokerPort, ...(this.brokerPort === 0 ? { waitingFor: b.default_port } : {}), security });
    }
    if (this.server !== undefined) {
      const a = this.server.address;
      out.push({ kind: 'websocket', address: a.address, port: a.port, security: this.server.tls ? 'TLS' : 'no TLS', url: this.server.url });
    }
    return out;
  }

  private nativeStatus(s: StatusEvent): void {
    // The dialer's own state changes right after its status event: look again once it has.
    queueMicrotask(() => this.syncDialers());
    const key = `broker:${s.context.id}`;
    const net = s.context.network;
    const reg = this.o.registry;
    if (s.name === 'peer_added') {
      if (net !== undefined) reg.remove(dialKey(net.address, net.bound_port));
      const outbound = net !== undefined && this.endpoint.isOutboundPeering(net.address, net.bound_port);
      reg.upsert(key, { protocol: 'broker', name: s.context.id, address: net?.address ?? '', port: net?.bound_port ?? 0, status: PeerStatus.PEERED, endpointId: s.context.id, outbound });
      this.o.onPeerAdded?.();
    } else if (s.name === 'peer_lost' || s.name === 'peer_removed') {
      reg.setStatus(key, PeerStatus.DISCONNECTED, s.message);
      reg.remove(key);
      this.lastStats.delete(key);
    }
    this.o.report({ protocol: 'broker', key, name: s.context.id, report: statusReport(s) });
  }

  private wsClient(info: WebSocketClientInfo, added: boolean): void {
    const key = `websocket:${info.id}`;
    const name = info.application_name ?? info.id;
    const context = { id: info.id, network: { address: info.network.address, bound_port: info.network.bound_port, retry: 0 } };
    const reg = this.o.registry;
    if (added) {
      reg.upsert(key, { protocol: 'websocket', name, address: info.network.address, port: info.network.bound_port, status: PeerStatus.PEERED, endpointId: info.id, ...(info.application_name !== undefined ? { class: info.application_name } : {}) });
      this.o.report({ protocol: 'websocket', key, name, report: { kind: 'status', code: StatusCode.PEER_ADDED, name: 'peer_added', context, message: `WebSocket client subscribed to ${info.subscriptions.join(', ') || 'nothing'}` } });
      this.o.onPeerAdded?.();
    } else {
      reg.setStatus(key, PeerStatus.DISCONNECTED);
      reg.remove(key);
      this.lastStats.delete(key);
      this.o.report({ protocol: 'websocket', key, name, report: { kind: 'status', code: StatusCode.PEER_LOST, name: 'peer_lost', context, message: 'WebSocket client went away' } });
    }
  }

  private startClient(options: WebSocketSection['clients'][number], index: number): void {
    const subscriptions = [...new Set([...this.o.subscriptions, ...options.subscriptions])];
    const client = new WebSocketClient({ ...options, subscriptions }, this.o.clock !== undefined ? { clock: this.o.clock } : {});
    this.clients.push(client);
    const key = `websocket-out:${index}`;
    const reg = this.o.registry;
    reg.upsert(key, { protocol: 'websocket', name: client.url, address: client.network.address, port: client.network.bound_port, status: PeerStatus.CONNECTING, outbound: true });
    client.on('status', (s) => {
      if (s.name === 'peer_added') {
        reg.upsert(key, { protocol: 'websocket', name: client.url, address: client.network.address, port: client.network.bound_port, status: PeerStatus.PEERED, endpointId: s.context.id });
        this.o.onPeerAdded?.();
      } else if (s.name === 'peer_lost') reg.setStatus(key, PeerStatus.RECONNECTING, s.message);
      else if (s.name === 'peer_removed') reg.setStatus(key, PeerStatus.DISCONNECTED, s.message);
      this.o.report({ protocol: 'websocket', key, name: client.url, report: statusReport(s) });
    });
    client.on('error', (e) => {
      reg.setError(key, e.name, e.message);
      if (client.status !== PeerStatus.PEERED && client.status !== PeerStatus.DISCONNECTED) reg.setStatus(key, PeerStatus.RECONNECTING);
      this.o.report({ protocol: 'websocket', key, name: client.url, report: errorReport(e) });
    });
    // Data from the Zeek side: a participant id of its own, so it is never mistaken for the bridge's.
    client.on('data', (topic, value, origin) => this.o.onData(topic, value, { hop: origin.hop, participant: key }));
    client.connect().catch(() => undefined);
  }

  /** Copies traffic counters of native peers and WebSocket clients into the registry. */
  syncCounters(): void {
    this.syncDialers();
    const reg = this.o.registry;
    const apply = (key: string, now: { eventsIn: number; eventsOut: number; bytesIn: number; bytesOut: number }, queueDepth: number): void => {
      const last = this.lastStats.get(key) ?? { eventsIn: 0, eventsOut: 0, bytesIn: 0, bytesOut: 0 };
      reg.traffic(key, { eventsIn: now.eventsIn - last.eventsIn, eventsOut: now.eventsOut - last.eventsOut, bytesIn: now.bytesIn - last.bytesIn, bytesOut: now.bytesOut - last.bytesOut, queueDepth });
      this.lastStats.set(key, now);
    };
    for (const [id, s] of this.endpoint.peeringStats()) {
      apply(`broker:${id}`, { eventsIn: s.messages_in, eventsOut: s.messages_out, bytesIn: s.bytes_in, bytesOut: s.bytes_out }, s.num_queued);
    }
    for (const [id, s] of this.server?.clientStats() ?? []) apply(`websocket:${id}`, { eventsIn: s.published, eventsOut: s.sent, bytesIn: s.bytesIn, bytesOut: s.bytesOut }, s.queued);
    this.clients.forEach((c, i) => apply(`websocket-out:${i}`, { eventsIn: c.stats.received, eventsOut: c.stats.published, bytesIn: c.stats.bytesIn, bytesOut: c.stats.bytesOut }, c.queued));
  }

  /** Closes outbound WebSockets, the WebSocket server, the main participant, then the endpoint (BYE to every peer). */
  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await this.server?.close();
    this.main.close();
    await this.endpoint.shutdown();
  }
}
