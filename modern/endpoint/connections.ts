// The native connections of one endpoint: accepted and dialled connections become peerings, peer()
// requests (dialers) keep them up, and every start and end of a peering is reported in Broker's
// order (endpoint_discovered, peer_added … peer_removed | peer_lost, endpoint_unreachable).
import type { Clock } from '../../src/core/clock.ts';
import type { Transport } from '../../src/core/transport.ts';
import { ErrorCode, PeerStatus } from '../constants.ts';
import type { BrokerError } from '../errors.ts';
import { NIL_ENDPOINT, isEndpointId, type EndpointId } from '../native/endpoint-id.ts';
import { Peering, type PeeringHost } from '../native/peering.ts';
import { Dialer, type DialerHost } from './dialer.ts';
import { CANNOT_UNPEER_TEXT, PEER_UNAVAILABLE_TEXT, STATUS_TEXT, type EndpointInfo, type NetworkInfo, type PeerInfo, type StatusName } from './events.ts';
import type { ResolvedOptions } from './options.ts';
import { PeerRegistry, type Link } from './peer-registry.ts';
import type { Router } from './router.ts';
import { dial, type SocketSetup } from './tls.ts';

/** Where the connections report to (the endpoint's events). */
export interface Reporter {
  status(name: StatusName, info: EndpointInfo, message?: string): void;
  error(code: ErrorCode, message: string, context?: EndpointInfo, cause?: unknown): void;
  warn(message: string, context?: EndpointInfo, cause?: unknown): void;
  readonly shuttingDown: boolean;
}

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

export class Connections {
  private readonly registry = new PeerRegistry();
  private readonly dialers = new Set<Dialer>();
  private readonly closeWaiters = new Map<Peering, (() => void)[]>();
  private readonly peeringHost: PeeringHost;
  private readonly dialerHost: DialerHost;
  private byeSeq = 0n;

  constructor(
    private readonly options: ResolvedOptions,
    setup: SocketSetup,
    private readonly router: Router,
    private readonly report: Reporter,
  ) {
    const clock: Clock = options.clock;
    this.peeringHost = {
      nodeId: options.node_id,
      clock,
      localFilter: () => router.announced,
      admit: (p, id, originator) => this.registry.admit(p, id, originator, report.shuttingDown),
      knowsPeer: (id) => this.registry.knowsPeer(id),
      byeToken: () => BYE_TOKEN_BASE | ++this.byeSeq,
      established: (p) => this.onEstablished(p),
      received: (p, view) => router.received(p, view),
      dropped: (p, err) => this.dropped(p, err),
      closed: (p) => this.onClosed(p),
    };
    this.dialerHost = {
      clock,
      connect: (address, port) => dial(address, port, setup, clock, options.connect_timeout * 1000, options.handshake_timeout * 1000),
      startPeering: (d, t) => this.startPeering(t, { address: d.address, bound_port: d.port, retry: d.retry }, d),
      attemptFailed: (d, cause, p) => this.attemptFailed(d, cause, p),
      finished: (d) => this.dialers.delete(d),
    };
  }

  /** A peer() request; an existing request for the same address and port is shared. */
  dial(address: string, port: number, retry: number): Promise<boolean> {
    for (const d of this.dialers) if (d.matches(address, port)) return d.settled;
    const d = new Dialer(this.dialerHost, address, port, retry);
    this.dialers.add(d);
    d.start();
    return d.settled;
  }

  /** An accepted connection (after TLS): the acceptor's side of a handshake. */
  accept(t: Transport): void {
    const address = t.info.remoteAddress.startsWith('::ffff:') ? t.info.remoteAddress.slice(7) : t.info.remoteAddress;
    this.startPeering(t, { address, bound_port: t.info.remotePort, retry: 0 }, undefined);
  }

  /** See Endpoint.unpeer. */
  async unpeer(addressOrId: string, port: number | undefined): Promise<boolean> {
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
      this.report.error(ErrorCode.PEER_INVALID, CANNOT_UNPEER_TEXT, context);
      return false;
    }
    await Promise.all([...targets].map((p) => this.remove(p)));
    return true;
  }

  /** Stops every request, drops pending handshakes, unpeers every peering; resolves when all closed. */
  async closeAll(): Promise<void> {
    for (const d of [...this.dialers]) d.stop();
    const peerings = [...this.registry.links.keys()];
    for (const p of peerings) if (!p.established) p.destroy();
    await Promise.all(peerings.filter((p) => p.established).map((p) => this.remove(p)));
  }

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

  isOutboundPeering(address: string, port: number): boolean {
    for (const d of this.dialers) if (d.active && d.matches(address, port)) return true;
    for (const link of this.registry.links.values()) {
      if (link.outbound && link.added && link.network.address === address && link.network.bound_port === port) return true;
    }
    return false;
  }

  hasRemoteSubscriber(topic: string): boolean {
    for (const p of this.registry.established.values()) if (p.matches(topic)) return true;
    return false;
  }

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
    this.report.status('endpoint_discovered', info);
    this.report.status('peer_added', info);
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
      this.report.error(ec, p.error.message, info, p.error);
    }
    if (p.end === 'removed') this.report.status('peer_removed', info);
    else if (p.end === 'overflow') this.report.status('peer_removed', info, BACKPRESSURE_TEXT);
    else this.report.status('peer_lost', info);
    this.report.status('endpoint_unreachable', info);
    const d = link.dialer;
    if (d && d.peering === p && p.end !== 'removed' && !this.report.shuttingDown) d.onLost(p.end === 'overflow');
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
    if (hs.step !== 'failed' || !f || this.report.shuttingDown) return;
    const context: EndpointInfo = { id: hs.peerId ?? NIL_ENDPOINT, network: link.network };
    if (f.garbage || f.dropConnSent || f.remote) this.report.error(f.code, f.message, context, f.cause);
    else this.report.warn(`incoming peering failed: ${f.message}`, context, f.cause);
  }

  /** One failed attempt of a peer() request: the handshake's own code, else peer_unavailable. */
  private attemptFailed(d: Dialer, cause: unknown, p: Peering | undefined): void {
    if (this.report.shuttingDown) return;
    const network: NetworkInfo = { address: d.address, bound_port: d.port, retry: d.retry };
    const f = p?.handshake.failure;
    if (f && f.code !== ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE) {
      this.report.error(f.code, f.message, { id: p!.handshake.peerId ?? NIL_ENDPOINT, network }, f.cause);
    } else {
      this.report.error(ErrorCode.PEER_UNAVAILABLE, PEER_UNAVAILABLE_TEXT, { id: NIL_ENDPOINT, network }, cause);
    }
  }

  /** Graceful removal (BYE); resolves once the connection is closed. */
  private remove(p: Peering): Promise<void> {
    if (p.state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const list = this.closeWaiters.get(p);
      if (list) list.push(resolve);
      else this.closeWaiters.set(p, [resolve]);
    });
    p.unpeer();
    return done;
  }

  /** A message from `p` that could not be used (Broker drops and logs it). */
  dropped(p: Peering, err: BrokerError): void {
    const link = this.registry.link(p);
    this.report.warn(`dropped a message from ${p.peerId ?? 'an unknown peer'}: ${err.message}`, { id: p.peerId ?? NIL_ENDPOINT, ...(link ? { network: link.network } : {}) }, err);
  }
}
