// A Broker endpoint (spec §1, §4, §5, §6) with the API of Zeek's Broker:: functions: listen, peer,
// unpeer, peers, subscribe/forward, publish, auto-publish; status and error events in Broker's
// order. It is also the MessageHub local participants (WebSocket clients, stores, the bridge)
// attach to. Several endpoints can live in one process; nothing here is global.
import type { Server } from 'node:net';
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import { ErrorCode } from '../constants.ts';
import { makeEvent, toZeekData, type Data, type EventOptions } from '../data/index.ts';
import type { LocalParticipant, MessageHub, MessageOrigin, ParticipantHandle } from '../hub.ts';
import type { EndpointId } from '../native/endpoint-id.ts';
import { Connections, type PeeringStats } from './connections.ts';
import {
  ERRORS_TOPIC,
  STATUSES_TOPIC,
  TypedEmitter,
  errorEvent,
  errorToData,
  statusEvent,
  statusToData,
  type EndpointEvents,
  type EndpointInfo,
  type PeerInfo,
  type StatusName,
} from './events.ts';
import type { Member } from './local-routes.ts';
import { resolveOptions, type EndpointOptions, type ResolvedOptions } from './options.ts';
import { Router } from './router.ts';
import { bind, createListener, socketSetup, type SocketSetup } from './tls.ts';

export type { PeeringStats } from './connections.ts';

export class Endpoint extends TypedEmitter<EndpointEvents> implements MessageHub {
  readonly nodeId: EndpointId;
  readonly options: ResolvedOptions;
  private readonly clock: Clock;
  private readonly setup: SocketSetup;
  private readonly router: Router;
  private readonly connections: Connections;
  private readonly self: Member;
  private readonly subscriptions = new Set<string>();
  private readonly servers = new Set<Server>();
  private readonly timers = new Set<TimerHandle>();
  private readonly autoPublished = new Map<string, Set<string>>();
  private readonly localOrigin: MessageOrigin;
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
      { dropped: (p, err) => this.connections.dropped(p, err) },
    );
    this.self = this.router.attach({ id: `endpoint:${this.nodeId}`, onData: (topic, value, origin) => this.emitData(topic, value, origin) }, []);
    const endpoint = this;
    this.connections = new Connections(this.options, this.setup, this.router, {
      status: (name, info, message) => this.status(name, info, message),
      error: (code, message, context, cause) => this.reportError(code, message, context, cause),
      warn: (message, context, cause) => this.warn(message, context, cause),
      get shuttingDown() {
        return endpoint.shuttingDown;
      },
    });
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
      connection: (t) => (this.shuttingDown ? t.destroy() : this.connections.accept(t)),
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
    return this.connections.dial(address, port, retry);
  }

  /**
   * Broker::unpeer by the address given to peer() (or a peering's remote address), or by peer id:
   * cancels reconnecting and removes the peering gracefully (BYE). Resolves once it is closed;
   * false (and a peer_invalid error) when nothing matched.
   */
  unpeer(addressOrId: string, port?: number): Promise<boolean> {
    return this.connections.unpeer(addressOrId, port);
  }

  /** Peerings (PEERED, or closing) and pending peer() requests (CONNECTING, CONNECTED, RECONNECTING). */
  peers(): PeerInfo[] {
    return this.connections.peers();
  }

  /** Broker::is_outbound_peering: whether this endpoint dialled (or is dialling) address:port. */
  isOutboundPeering(address: string, port: number): boolean {
    return this.connections.isOutboundPeering(address, port);
  }

  /** Per established peer: its output buffer and traffic; max_queued_recently restarts after each call. */
  peeringStats(): Map<EndpointId, PeeringStats> {
    return this.connections.peeringStats();
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
    await Promise.all([...closing, this.connections.closeAll()]);
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
    return this.connections.hasRemoteSubscriber(topic);
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

  // -- reporting ---------------------------------------------------------------------------------

  /** `emit('data', ...)` without the argument array: once per received message. */
  private emitData(topic: string, value: Data, origin: MessageOrigin): void {
    const list = this.listenersOf('data');
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i]!(topic, value, origin);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

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
}
