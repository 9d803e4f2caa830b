// A Broker endpoint (spec §1, §4, §5, §6) with the API of Zeek's Broker:: functions: listen, peer,
// unpeer, peers, subscribe/forward, publish, auto-publish; status and error events in Broker's
// order. It is also the MessageHub local participants (WebSocket clients, stores, the bridge)
// attach to. Several endpoints can live in one process; nothing here is global.
import type { Server } from 'node:net';
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { Transport } from '../../src/core/transport.ts';
import { ErrorCode, PeerStatus } from '../constants.ts';
import { makeEvent, toZeekData, type Data, type EventOptions } from '../data/index.ts';
import type { BrokerError } from '../errors.ts';
import type { LocalParticipant, MessageHub, MessageOrigin, ParticipantHandle } from '../hub.ts';
import { NIL_ENDPOINT, isEndpointId, type EndpointId } from '../native/endpoint-id.ts';
import { Peering, type PeeringHost } from '../native/peering.ts';
import { Dialer, type DialerHost } from './dialer.ts';
import {
  CANNOT_UNPEER_TEXT,
  ERRORS_TOPIC,
  PEER_UNAVAILABLE_TEXT,
  STATUSES_TOPIC,
  STATUS_TEXT,
  TypedEmitter,
  errorEvent,
  errorToData,
  statusEvent,
  statusToData,
  type EndpointEvents,
  type EndpointInfo,
  type NetworkInfo,
  type PeerInfo,
  type StatusName,
} from './events.ts';
import type { Member } from './local-routes.ts';
import { resolveOptions, type EndpointOptions, type ResolvedOptions } from './options.ts';
import { PeerRegistry, type Link } from './peer-registry.ts';
import { Router } from './router.ts';
import { bind, createListener, dial, socketSetup, type SocketSetup } from './tls.ts';

/** Zeek's BrokerPeeringStats plus traffic counters. */
export interface PeeringStats {
  num_queued: number;
  max_queued_recently: number;
  num_overflows: number;
  messages_in: number;
  messages_out: number;
  bytes_in: number;
  bytes_out: number;
  dropped_in: number;
}

const BACKPRESSURE_TEXT = `${STATUS_TEXT.peer_removed} (caf::sec::backpressure_overflow)`;
/** Broker's BYE tokens look like CAF ids: a counter under a fixed high byte. */
const BYE_TOKEN_BASE = 0x10n << 56n;

export class Endpoint extends TypedEmitter<EndpointEvents> implements MessageHub {
  readonly nodeId: EndpointId;
  readonly options: ResolvedOptions;
  private readonly clock: Clock;
  private readonly setup: SocketSetup;
  private readonly registry = new PeerRegistry();
  private readonly router: Router;
  private readonly self: Member;
  private readonly subscriptions = new Set<string>();
  private readonly dialers = new Set<Dialer>();
  private readonly servers = new Set<Server>();
  private readonly timers = new Set<TimerHandle>();
  private readonly autoPublished = new Map<string, Set<string>>();
  private readonly closeWaiters = new Map<Peering, (() => void)[]>();
  private readonly localOrigin: MessageOrigin;
  private readonly peeringHost: PeeringHost;
  private readonly dialerHost: DialerHost;
  private byeSeq = 0n;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: EndpointOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.nodeId = this.options.node_id;
    this.clock = this.options.clock;
    this.setup = socketSetup(this.options);
    this.localOrigin = { hop: this.nodeId };
    this.router = new Router(
      { nodeId: this.nodeId, ttl: this.options.ttl, limits: this.options.limits, forwardMessages: this.options.forward_messages },
      { dropped: (p, err) => this.dropped(p, err) },
    );
    this.self = this.router.attach({ id: `endpoint:${this.nodeId}`, onData: (topic, value, origin) => this.emit('data', topic, value, origin) }, []);
    this.peeringHost = {
      nodeId: this.nodeId,
      clock: this.clock,
      localFilter: () => this.router.announced,
      admit: (p, id, originator) => this.registry.admit(p, id, originator, this.shuttingDown),
      knowsPeer: (id) => this.registry.knowsPeer(id),
      byeToken: () => BYE_TOKEN_BASE | ++this.byeSeq,
      established: (p) => this.onEstablished(p),
      received: (p, view, payload) => this.router.received(p, view, payload),
      dropped: (p, err) => this.dropped(p, err),
      closed: (p) => this.onClosed(p),
    };
    this.dialerHost = {
      clock: this.clock,
      connect: (address, port) =>
        dial(address, port, this.setup, this.clock, this.options.connect_timeout * 1000, this.options.handshake_timeout * 1000),
      startPeering: (d, t) => this.startPeering(t, { address: d.address, bound_port: d.port, retry: d.retry }, d),
      attemptFailed: (d, cause, p) => this.attemptFailed(d, cause, p),
      finished: (d) => this.dialers.delete(d),
    };
  }

  get shuttingDown(): boolean {
    return this.shutdownPromise !== undefined;
  }

  /** TLS mode of native peerings: none (disable_ssl), anonymous or certificates. */
  get tlsMode(): SocketSetup['mode'] {
    return this.setup.mode;
  }

  // -- listening and peering ---------------------------------------------------------------------

  /** Broker::listen: the bound port, or 0 when binding failed (retried every `retry` seconds then). */
  async listen(address?: string, port?: number, retry?: number): Promise<number> {
    const o = this.options;
    return this.tryListen(address ?? o.default_listen_address, port ?? o.default_port, o.listen_retry_override ?? retry ?? o.default_listen_retry);
  }

  private async tryListen(address: string, port: number, retry: number): Promise<number> {
    if (this.shuttingDown) return 0;
    const server = createListener(this.setup, {
      connection: (t) => this.accept(t),
      rejected: (err, remote) => this.warn(`rejected connection from ${remote.address}:${remote.port}: ${err.message}`, undefined, err),
    });
    try {
      const bound = await bind(server, address, port);
      if (this.shuttingDown) {
        server.close();
        return 0;
      }
      this.servers.add(server);
      server.on('error', (err) => this.warn(`listener error: ${err.message}`, undefined, err));
      this.emit('listening', { address, port: bound });
      return bound;
    } catch (err) {
      server.close();
      this.reportError(ErrorCode.CANNOT_OPEN_RESOURCE, `failed to listen on ${address || 'INADDR_ANY'}:${port}: ${(err as Error).message}`, undefined, err);
      if (retry > 0) {
        const t = this.clock.setTimeout(() => {
          this.timers.delete(t);
          void this.tryListen(address, port, retry);
        }, retry * 1000);
        this.timers.add(t);
      }
      return 0;
    }
  }

  /**
   * Broker::peer: dials and keeps the peering up (re-dial after loss, retry every `retry` seconds;
   * ZEEK_DEFAULT_CONNECT_RETRY overrides it). Resolves true once peered, false if it gave up or
   * was cancelled by unpeer/shutdown.
   */
  peer(address: string, port?: number, retry?: number): Promise<boolean> {
    const o = this.options;
    return this.dialWith(address, port ?? o.default_port, o.connect_retry_override ?? retry ?? o.default_connect_retry);
  }

  /** Zeek's PeerNoRetry: a single attempt, no reconnect after a loss. */
  peerNoRetry(address: string, port?: number): Promise<boolean> {
    return this.dialWith(address, port ?? this.options.default_port, 0);
  }

  private dialWith(address: string, port: number, retry: number): Promise<boolean> {
    if (this.shuttingDown) return Promise.resolve(false);
    for (const d of this.dialers) if (d.matches(address, port)) return d.settled;
    const d = new Dialer(this.dialerHost, address, port, retry);
    this.dialers.add(d);
    d.start();
    return d.settled;
  }

  /**
   * Broker::unpeer by the address given to peer() (or a peering's remote address), or by peer id:
   * cancels reconnecting and removes the peering gracefully (BYE). Resolves once it is closed;
   * false (and a peer_invalid error) when nothing matched.
   */
  async unpeer(addressOrId: string, port?: number): Promise<boolean> {
    const id = port === undefined && isEndpointId(addressOrId.toLowerCase()) ? addressOrId.toLowerCase() : undefined;
    const p0 = port ?? this.options.default_port;
    const targets = new Set<Peering>();
    let matched = false;
    if (id === undefined) {
      for (const d of [...this.dialers]) {
        if (!d.matches(addressOrId, p0)) continue;
        matched = true;
        if (d.peering?.established) targets.add(d.peering);
        d.stop();
      }
    }
    for (const [p, link] of this.registry.links) {
      if (!link.added || p.state === 'closed') continue;
      if (id !== undefined ? p.peerId === id : link.network.address === addressOrId && link.network.bound_port === p0) {
        matched = true;
        targets.add(p);
        if (link.dialer?.peering === p) link.dialer.stop();
      }
    }
    if (!matched) {
      const context: EndpointInfo = id !== undefined ? { id } : { id: NIL_ENDPOINT, network: { address: addressOrId, bound_port: p0, retry: 0 } };
      this.reportError(ErrorCode.PEER_INVALID, CANNOT_UNPEER_TEXT, context);
      return false;
    }
    await Promise.all([...targets].map((p) => this.removePeering(p)));
    return true;
  }

  /** Peerings (PEERED, or closing) and pending peer() requests (CONNECTING, CONNECTED, RECONNECTING). */
  peers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const [p, link] of this.registry.links) {
      if (!link.added || p.state === 'closed') continue;
      const id = p.peerId!;
      out.push({ peer: { id, network: link.network }, status: this.registry.statuses.get(id) ?? PeerStatus.PEERED, outbound: link.outbound });
    }
    for (const d of this.dialers) {
      if (d.state === 'peered' || d.state === 'adopting' || d.state === 'stopped') continue;
      const network: NetworkInfo = { address: d.address, bound_port: d.port, retry: d.retry };
      const status = d.state === 'handshake' ? PeerStatus.CONNECTED : d.everPeered ? PeerStatus.RECONNECTING : PeerStatus.CONNECTING;
      out.push({ peer: { id: d.peering?.handshake.peerId ?? d.lastPeerId ?? NIL_ENDPOINT, network }, status, outbound: true });
    }
    return out;
  }

  /** Broker::is_outbound_peering: whether this endpoint dialled (or is dialling) address:port. */
  isOutboundPeering(address: string, port: number): boolean {
    for (const d of this.dialers) if (d.active && d.matches(address, port)) return true;
    for (const link of this.registry.links.values()) {
      if (link.outbound && link.added && link.network.address === address && link.network.bound_port === port) return true;
    }
    return false;
  }

  /** Per established peer: its output buffer and traffic; max_queued_recently restarts after each call. */
  peeringStats(): Map<EndpointId, PeeringStats> {
    const out = new Map<EndpointId, PeeringStats>();
    for (const [id, p] of this.registry.established) {
      const s = p.out.stats();
      out.set(id, {
        num_queued: s.queued,
        max_queued_recently: s.maxQueuedRecently,
        num_overflows: s.overflows,
        messages_in: p.messagesIn,
        messages_out: s.messages,
        bytes_in: p.bytesIn,
        bytes_out: s.bytes,
        dropped_in: p.droppedIn,
      });
      p.out.resetRecent();
    }
    return out;
  }

  /** Graceful shutdown: stop listening and dialling, unpeer everyone (BYE), wait for the closes. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  private async doShutdown(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    const closing = [...this.servers].map((s) => new Promise<void>((r) => s.close(() => r())));
    this.servers.clear();
    for (const d of [...this.dialers]) d.stop();
    const peerings = [...this.registry.links.keys()];
    for (const p of peerings) if (!p.established) p.destroy();
    await Promise.all([...closing, ...peerings.filter((p) => p.established).map((p) => this.removePeering(p))]);
  }

  // -- topics and publishing ---------------------------------------------------------------------

  /** Broker::subscribe: deliver matching messages as `data` events and announce the prefix to peers. */
  subscribe(prefix: string): boolean {
    this.subscriptions.add(prefix);
    this.router.setFilter(this.self, [...this.subscriptions]);
    return true;
  }

  /** Broker::unsubscribe: stops local delivery (peers keep the prefix: filters only grow). */
  unsubscribe(prefix: string): boolean {
    const had = this.subscriptions.delete(prefix);
    this.router.setFilter(this.self, [...this.subscriptions]);
    return had;
  }

  /** Broker::forward: ask peers for these messages (to relay them) without local delivery. */
  forward(prefix: string): boolean {
    this.router.forward([prefix]);
    return true;
  }

  /** Whether some established peer's filter matches `topic` (Broker's has_remote_subscriber). */
  hasRemoteSubscriber(topic: string): boolean {
    for (const p of this.registry.established.values()) if (p.matches(topic)) return true;
    return false;
  }

  /** The filter announced to peers. */
  get filter(): readonly string[] {
    return this.router.announced;
  }

  /** Broker::publish: to matching peers and local participants; returns the number of peers. */
  publish(topic: string, value: Data): number {
    return this.router.publish(this.self, topic, value, this.localOrigin);
  }

  /** A Zeek event `[1, 1, [name, args, metadata?]]` on `topic`. */
  publishEvent(topic: string, name: string, args: readonly Data[], options: EventOptions = {}): number {
    return this.publish(topic, makeEvent(name, args, options));
  }

  /** Broker::publish_id: an IdentifierUpdate `[1, 4, [name, value]]`. */
  publishId(topic: string, id: string, value: Data): number {
    return this.publish(topic, toZeekData({ kind: 'identifier_update', name: id, value }));
  }

  /** Broker::auto_publish: raising `event` locally (raiseEvent) also publishes it on `topic`. */
  autoPublish(topic: string, event: string): boolean {
    let topics = this.autoPublished.get(event);
    if (!topics) this.autoPublished.set(event, (topics = new Set()));
    topics.add(topic);
    return true;
  }

  autoUnpublish(topic: string, event: string): boolean {
    const topics = this.autoPublished.get(event);
    if (!topics?.delete(topic)) return false;
    if (topics.size === 0) this.autoPublished.delete(event);
    return true;
  }

  /** Raises a local event: publishes it on every topic registered with autoPublish; returns how many. */
  raiseEvent(name: string, args: readonly Data[], options: EventOptions = {}): number {
    const topics = this.autoPublished.get(name);
    if (!topics) return 0;
    const value = makeEvent(name, args, options);
    for (const t of topics) this.publish(t, value);
    return topics.size;
  }

  // -- MessageHub --------------------------------------------------------------------------------

  attach(participant: LocalParticipant, filter: readonly string[]): ParticipantHandle {
    const m = this.router.attach(participant, filter);
    return {
      publish: (topic, value) => {
        if (m.open) this.router.publish(m, topic, value, m.origin);
      },
      sendCommand: (topic, command, receiver) => {
        if (m.open) this.router.command(m, topic, command, receiver, m.origin);
      },
      setFilter: (prefixes) => {
        if (m.open) this.router.setFilter(m, prefixes);
      },
      close: () => this.router.routes.remove(m),
    };
  }

  // -- connections -------------------------------------------------------------------------------

  private accept(t: Transport): void {
    if (this.shuttingDown) return t.destroy();
    const address = t.info.remoteAddress.startsWith('::ffff:') ? t.info.remoteAddress.slice(7) : t.info.remoteAddress;
    this.startPeering(t, { address, bound_port: t.info.remotePort, retry: 0 }, undefined);
  }

  private startPeering(t: Transport, network: NetworkInfo, dialer: Dialer | undefined): Peering {
    const o = this.options;
    const p = new Peering(this.peeringHost, t, {
      role: dialer ? 'connector' : 'acceptor',
      capacity: o.peer_buffer_size,
      policy: o.peer_overflow_policy,
      ttl: o.ttl,
      unpeerTimeoutMs: o.unpeer_timeout * 1000,
      handshakeTimeoutMs: o.handshake_timeout * 1000,
      maxFrameSize: o.max_frame_size,
    });
    const link: Link = { peering: p, network, dialer, outbound: dialer !== undefined, added: false };
    this.registry.add(link);
    p.start();
    return p;
  }

  private onEstablished(p: Peering): void {
    const link = this.registry.link(p);
    if (!link || !this.registry.markEstablished(p)) {
      // Broker: repeated_peering_handshake_request; the first peering stays.
      p.destroy();
      return;
    }
    link.added = true;
    this.router.addPeer(p);
    for (const f of p.waiting.splice(0)) f.resolvePaused();
    const info: EndpointInfo = { id: p.peerId!, network: link.network };
    this.status('endpoint_discovered', info);
    this.status('peer_added', info);
    link.dialer?.onEstablished(p);
    for (const d of this.dialers) {
      if (d.state !== 'adopting' || d.lastPeerId !== p.peerId) continue;
      link.dialer ??= d;
      d.onEstablished(p);
    }
  }

  private onClosed(p: Peering): void {
    const link = this.registry.remove(p);
    this.router.removePeer(p);
    const waiters = this.closeWaiters.get(p);
    this.closeWaiters.delete(p);
    if (link) {
      if (link.added) this.peeringEnded(p, link);
      else this.handshakeEnded(p, link);
    }
    for (const w of waiters ?? []) w();
  }

  private peeringEnded(p: Peering, link: Link): void {
    const info: EndpointInfo = { id: p.peerId!, network: link.network };
    if (p.end === 'error' && p.error) {
      const ec = (p.error as Partial<BrokerError>).ec ?? ErrorCode.INVALID_MESSAGE;
      this.reportError(ec, p.error.message, info, p.error);
    }
    if (p.end === 'removed') this.status('peer_removed', info);
    else if (p.end === 'overflow') this.status('peer_removed', info, BACKPRESSURE_TEXT);
    else this.status('peer_lost', info);
    this.status('endpoint_unreachable', info);
    const d = link.dialer;
    if (d && d.peering === p && p.end !== 'removed' && !this.shuttingDown) d.onLost(p.end === 'overflow');
  }

  private handshakeEnded(p: Peering, link: Link): void {
    const hs = p.handshake;
    for (const f of p.waiting.splice(0)) f.abandonPaused();
    if (hs.peerId !== undefined && !this.registry.established.has(hs.peerId)) {
      for (const d of this.dialers) if (d.state === 'adopting' && d.lastPeerId === hs.peerId) d.onAdoptionFailed();
    }
    if (link.dialer) {
      if (link.dialer.peering !== p) return;
      if (hs.step === 'redundant') link.dialer.onRedundant(hs.peerId, hs.peerId !== undefined ? this.registry.established.get(hs.peerId) : undefined);
      else link.dialer.onAttemptFailed(hs.failure?.cause ?? p.error, p);
      return;
    }
    const f = hs.failure;
    if (hs.step !== 'failed' || !f || this.shuttingDown) return;
    const context: EndpointInfo = { id: hs.peerId ?? NIL_ENDPOINT, network: link.network };
    if (f.garbage || f.dropConnSent || f.remote) this.reportError(f.code, f.message, context, f.cause);
    else this.warn(`incoming peering failed: ${f.message}`, context, f.cause);
  }

  private attemptFailed(d: Dialer, cause: unknown, p: Peering | undefined): void {
    if (this.shuttingDown) return;
    const network: NetworkInfo = { address: d.address, bound_port: d.port, retry: d.retry };
    const f = p?.handshake.failure;
    if (f && f.code !== ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE) {
      this.reportError(f.code, f.message, { id: p!.handshake.peerId ?? NIL_ENDPOINT, network }, f.cause);
    } else {
      this.reportError(ErrorCode.PEER_UNAVAILABLE, PEER_UNAVAILABLE_TEXT, { id: NIL_ENDPOINT, network }, cause);
    }
  }

  private removePeering(p: Peering): Promise<void> {
    if (p.state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const list = this.closeWaiters.get(p);
      if (list) list.push(resolve);
      else this.closeWaiters.set(p, [resolve]);
    });
    p.unpeer();
    return done;
  }

  // -- reporting ---------------------------------------------------------------------------------

  private status(name: StatusName, info: EndpointInfo, message?: string): void {
    const e = message === undefined ? statusEvent(name, info) : { ...statusEvent(name, info), message };
    this.emit(name, e);
    this.emit('status', e);
    if (this.router.wantsLocal(STATUSES_TOPIC)) this.router.deliverLocal(undefined, STATUSES_TOPIC, statusToData(e), this.localOrigin);
  }

  private reportError(code: ErrorCode, message: string, context?: EndpointInfo, cause?: unknown): void {
    const e = errorEvent(code, message, context, cause);
    this.emit('error', e);
    if (this.router.wantsLocal(ERRORS_TOPIC)) this.router.deliverLocal(undefined, ERRORS_TOPIC, errorToData(e), this.localOrigin);
  }

  private warn(message: string, context?: EndpointInfo, cause?: unknown): void {
    this.emit('warning', { message, ...(context ? { context } : {}), ...(cause !== undefined ? { cause } : {}) });
  }

  private dropped(p: Peering, err: BrokerError): void {
    const link = this.registry.link(p);
    this.warn(`dropped a message from ${p.peerId ?? 'an unknown peer'}: ${err.message}`, { id: p.peerId ?? NIL_ENDPOINT, ...(link ? { network: link.network } : {}) }, err);
  }
}
