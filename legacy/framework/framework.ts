import { systemClock, type Clock } from '../../src/core/clock.ts';
import { BridgeError } from '../../src/core/errors.ts';
import type { Transport } from '../../src/core/transport.ts';
import { eventBody } from '../codec/builders.ts';
import { SharedSerial } from '../codec/stream-encoder.ts';
import type { LogCreateWriter, LogEntry } from '../codec/log-codec.ts';
import type { BroVal } from '../codec/model.ts';
import type { LegacyLimits } from '../codec/options.ts';
import { addrToUri, canonicalAddress } from '../config/address.ts';
import { parseLegacyConfig } from '../config/index.ts';
import type { LegacyConfig } from '../config/schema.ts';
import { PeerSession } from '../peer/session.ts';
import { MemorySyncStore, type SyncStore } from '../peer/state-store.ts';
import { RemoteLogLevel as L, RemoteLogSrc as S, type EventPeer, type PeerPhase, type SessionStats } from '../peer/types.ts';
import { CommunicationLog } from './comm-log.ts';
import { socketDialer, type Dialer } from './dial.ts';
import { TypedEmitter, type CommunicationEvents } from './events.ts';
import { Listener, type ListeningAddress } from './listener.ts';
import { resolveNode, type Node } from './nodes.ts';
import { changedOptions, planReload, type NodesReload } from './reload.ts';
import { SessionHostImpl, type Outbound } from './session-host.ts';
import { SyncTurns } from './sync-turns.ts';
import { loadTlsMaterials, type TlsMaterials } from './tls.ts';

// Bro's Communication framework for one process: the nodes table, the listener, connect_peer,
// pending_peers / connected_peers with the transitions of Bro 2.5's communication/main.bro, and
// the seed's events. Each connection is a PeerSession; this class only does the bookkeeping
// around them (session-host.ts has the per-session callbacks).

export type FrameworkErrorCode = 'unknown_node' | 'unknown_peer' | 'stopped';

export interface CommunicationFrameworkOptions {
  /** The `legacy` config section (validated here if it has not been). */
  config: unknown;
  clock?: Clock;
  /** Receives communication.log text (Zeek TSV or JSON lines); omitted = no log. */
  logSink?: (text: string) => void;
  logTimezone?: 'local' | 'utc';
  /** Our synchronized state; a Broker-backed store can replace the in-memory default. */
  store?: SyncStore;
  /** Outbound connections (default: TCP / TLS sockets). */
  dialer?: Dialer;
  /** TLS material instead of the files named in the config. */
  tls?: TlsMaterials;
}

export interface PeerInfo {
  peer: EventPeer;
  node: string | undefined;
  phase: PeerPhase;
  initiator: boolean;
  requested: string[];
  stats: SessionStats;
  /** Bytes encoded for the peer and not yet taken by the socket (the output queue's depth). */
  queuedBytes: number;
}

export interface SendOptions {
  /** Never send to this peer (the event's source). */
  exceptPeer?: number;
  /** Network time stamped on the event, seconds (default: now). */
  time?: number;
  /**
   * Send to these peers (if RUNNING) whether or not they sent REQUEST_EVENTS for the name: a bridge
   * also routes by the node's `events` pattern. Default: every peer that requested the name.
   */
  to?: Iterable<number>;
}

function limitsOf(c: LegacyConfig['limits']): Partial<LegacyLimits> {
  const out: Partial<LegacyLimits> = {};
  if (c.max_chunk_size !== undefined) out.maxChunkSize = c.max_chunk_size;
  if (c.max_message_size !== undefined) out.maxMessageSize = c.max_message_size;
  if (c.max_decompressed_size !== undefined) out.maxDecompressedSize = c.max_decompressed_size;
  if (c.max_nesting_depth !== undefined) out.maxNestingDepth = c.max_nesting_depth;
  if (c.max_cache_entries !== undefined) out.maxCacheEntries = c.max_cache_entries;
  return out;
}

export class CommunicationFramework extends TypedEmitter<CommunicationEvents> {
  readonly clock: Clock;
  /** Nodes we issued a connect for, not (or no longer) connected: waiting or retrying. */
  readonly pending_peers = new Map<number, Node>();
  /** Nodes with an established connection (peer VERSION accepted). */
  readonly connected_peers = new Map<number, Node>();
  readonly state: SyncStore;
  readonly localEvents: Set<string>;
  readonly logWriters: LogCreateWriter[] = [];

  /** @internal shared with session-host.ts */
  readonly sessions = new Map<number, PeerSession>();
  /** @internal */
  readonly outbound = new Map<number, Outbound>();
  /** @internal */
  readonly commLog: CommunicationLog | undefined;
  /** @internal */
  readonly limits: Partial<LegacyLimits>;
  /** @internal */
  stopped = false;

  private readonly dialer: Dialer;
  private readonly tls: TlsMaterials | undefined;
  private readonly startedAt: number;
  private readonly closing = new Map<number, () => void>();
  private readonly syncTurns = new SyncTurns((id) => {
    const s = this.sessions.get(id);
    s?.grantSync();
    return s !== undefined;
  });
  private listener: Listener | undefined;
  private nextId = 10_000;
  private current: LegacyConfig;
  private table: Map<string, Node>;

  constructor(options: CommunicationFrameworkOptions) {
    super();
    this.current = parseLegacyConfig(options.config);
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.state = options.store ?? new MemorySyncStore();
    this.dialer = options.dialer ?? socketDialer;
    this.tls = options.tls ?? loadTlsMaterials(this.config);
    this.limits = limitsOf(this.config.limits);
    this.localEvents = new Set(this.config.local_events);
    this.table = this.resolveNodes(this.config);
    if (options.logSink !== undefined) {
      this.commLog = new CommunicationLog(options.logSink, {
        format: this.config.log_format,
        peerDescription: this.config.peer_description,
        now: () => this.clock.now(),
        ...(options.logTimezone !== undefined ? { timezone: options.logTimezone } : {}),
      });
    }
    this.onListenerError = (event, err) => this.logLine(L.ERROR, S.PARENT, `a listener for ${String(event)} threw: ${err instanceof Error ? err.message : String(err)}`);
    this.state.onChange((access, origin) => {
      if (origin !== undefined && !this.config.forward_remote_state_changes) return;
      for (const s of this.sessions.values()) if (s.peer.id !== origin) s.sendState(access);
    });
  }

  /** The running configuration (`nodes` replaced by reload_nodes). */
  get config(): LegacyConfig {
    return this.current;
  }

  /** `Communication::nodes`. */
  get nodes(): ReadonlyMap<string, Node> {
    return this.table;
  }

  private resolveNodes(c: LegacyConfig): Map<string, Node> {
    const nodes = new Map<string, Node>();
    for (const [name, n] of Object.entries(c.nodes)) nodes.set(name, resolveNode(name, n, this.current));
    return nodes;
  }

  /**
   * Reload the nodes table from a new `legacy` section (the daemon's SIGHUP). Unchanged nodes keep
   * their connections; removed and changed nodes are disconnected (their outbound attempts
   * cancelled); new and changed nodes with connect = T are dialled. Other options only apply at
   * start: those that differ are listed in `needsRestart` and keep their running values. Throws
   * LegacyConfigError (nothing changed) when the section is invalid.
   */
  reload_nodes(config: unknown, prefix: readonly PropertyKey[] = []): NodesReload {
    const next = parseLegacyConfig(config, prefix);
    const needsRestart = changedOptions(this.current, next);
    const nextNodes = this.resolveNodes(next);
    const plan = planReload(this.table, nextNodes);
    for (const name of [...plan.removed, ...plan.changed]) this.dropNode(name);
    // Unchanged nodes keep their Node objects: connected_peers / pending_peers hold them.
    for (const name of plan.unchanged) nextNodes.set(name, this.table.get(name)!);
    this.table = nextNodes;
    this.current = { ...this.current, nodes: next.nodes };
    if (!this.stopped) for (const name of [...plan.added, ...plan.changed]) if (nextNodes.get(name)!.connect) this.connect_peer(name);
    const parts = (['added', 'removed', 'changed'] as const).filter((k) => plan[k].length > 0).map((k) => `${k} ${plan[k].join(',')}`);
    this.logLine(L.INFO, S.PARENT, `nodes reloaded: ${parts.length > 0 ? parts.join('; ') : 'no change'}${needsRestart.length > 0 ? ` (needs a restart: ${needsRestart.join(',')})` : ''}`);
    return { ...plan, needsRestart };
  }

  /** Disconnect every connection of a node (outbound slots and matched inbound sessions). */
  private dropNode(name: string): void {
    for (const slot of [...this.outbound.values()]) if (slot.node.name === name) this.disconnect(slot.id);
    for (const s of [...this.sessions.values()]) if (s.nodeName === name) this.disconnect(s.peer.id);
  }

  /** Listen (if configured) and connect to every node with connect = T. */
  async start(): Promise<void> {
    if (this.stopped) throw new BridgeError<FrameworkErrorCode>('stopped', 'the framework was stopped');
    const c = this.config;
    if (c.listen) {
      const needsTls = c.listen_ssl;
      this.listener = new Listener({
        interface: c.listen_interface,
        port: c.listen_port,
        ipv6: c.listen_ipv6,
        zoneId: c.listen_ipv6_zone_id,
        retrySeconds: c.listen_retry,
        tls: needsTls ? this.tls : undefined,
        clock: this.clock,
        onConnection: (t) => void this.accept(t),
        log: (level, msg) => this.logLine(level, S.PARENT, msg),
      });
      await this.listener.start();
    }
    for (const node of this.nodes.values()) if (node.connect) this.connect_peer(node.name);
  }

  /** Where the listener accepts connections. */
  listening(): ListeningAddress[] {
    return this.listener?.addresses() ?? [];
  }

  /** Bro's connect_peer: connect to nodes[name] whatever its connect flag. Returns the peer id. */
  connect_peer(name: string): number {
    const node = this.nodes.get(name);
    if (node === undefined) throw new BridgeError<FrameworkErrorCode>('unknown_node', `no node "${name}" in Communication::nodes`, { field: 'nodes' });
    if (this.stopped) throw new BridgeError<FrameworkErrorCode>('stopped', 'the framework was stopped');
    const slot: Outbound = { id: this.nextId++, node, timer: undefined, cancelled: false };
    this.outbound.set(slot.id, slot);
    this.pending_peers.set(slot.id, node);
    this.dial(slot);
    return slot.id;
  }

  /** Take an inbound connection (the listener's; tests pass in-memory transports). */
  accept(t: Transport): number | undefined {
    const from = `${addrToUri(canonicalAddress(t.info.remoteAddress))}:${t.info.remotePort}`;
    if (this.stopped) {
      t.destroy();
      return undefined;
    }
    if (this.sessions.size >= this.config.max_peers) {
      this.logLine(L.ERROR, S.PARENT, `refusing connection from ${from}: max_peers (${this.config.max_peers}) reached`);
      t.destroy();
      return undefined;
    }
    this.logLine(L.INFO, S.PARENT, `accepted ${t.info.tls ? 'SSL ' : ''}connection from ${from}`);
    return this.startSession(t, undefined).peer.id;
  }

  /** Close the connection to a peer; an outbound node is not retried afterwards. */
  disconnect(peer: number | EventPeer): boolean {
    const id = typeof peer === 'number' ? peer : peer.id;
    const slot = this.outbound.get(id);
    if (slot !== undefined) {
      slot.cancelled = true;
      slot.timer?.cancel();
      this.outbound.delete(id);
      this.pending_peers.delete(id);
    }
    const s = this.sessions.get(id);
    s?.disconnect();
    return s !== undefined || slot !== undefined;
  }

  /**
   * Raise an event towards the legacy peers: sent to every RUNNING peer that requested `name`,
   * except `exceptPeer`. Returns how many peers it went to. Throws LegacyError for a value that
   * cannot be put on the wire. Do not change `args` afterwards.
   */
  send_event(name: string, args: BroVal[], options: SendOptions = {}): number {
    const body = eventBody(name, args, options.time ?? this.clock.now() / 1000);
    // Encoded once per serial format, not once per peer (peers without caching share the bytes).
    const shared = new SharedSerial(body);
    let n = 0;
    if (options.to !== undefined) {
      for (const id of options.to) {
        const s = this.sessions.get(id);
        if (s === undefined || s.phase !== 'running' || id === options.exceptPeer) continue;
        if (s.sendEvent(body, shared)) n++;
      }
      return n;
    }
    for (const s of this.sessions.values()) {
      if (s.phase !== 'running' || s.peer.id === options.exceptPeer || !s.requested.has(name)) continue;
      if (s.sendEvent(body, shared)) n++;
    }
    return n;
  }

  /** Bro's send_ping; the answer arrives as remote_pong. */
  send_ping(peer: number | EventPeer, seq: number): boolean {
    return this.sessions.get(typeof peer === 'number' ? peer : peer.id)?.sendPing(seq) ?? false;
  }

  send_capture_filter(peer: number | EventPeer, filter: string): boolean {
    const s = this.sessions.get(typeof peer === 'number' ? peer : peer.id);
    s?.sendCaptureFilter(filter);
    return s !== undefined;
  }

  /** A print to a named file: forwarded (buffered) to RUNNING peers that requested print_hook. */
  print(file: string, text: string): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.phase === 'running' && s.requested.has('print_hook')) {
        s.print(file, text);
        n++;
      }
    }
    return n;
  }

  /** Announce a log stream to peers that sent REQUEST_LOGS (now and at their handshake). */
  add_log_writer(w: LogCreateWriter): void {
    this.logWriters.push(w);
    for (const s of this.sessions.values()) s.logCreateWriter(w);
  }

  /** One log entry for every RUNNING peer that requested logs (batched per peer). */
  write_log(entry: LogEntry): void {
    for (const s of this.sessions.values()) s.writeLog(entry);
  }

  /** Names this side knows (node patterns are expanded against them). */
  add_local_events(names: Iterable<string>): void {
    for (const n of names) this.localEvents.add(n);
  }

  peers(): PeerInfo[] {
    return [...this.sessions.values()].map((s) => ({
      peer: s.peer,
      node: s.nodeName,
      phase: s.phase,
      initiator: s.initiator,
      requested: [...s.requested],
      stats: { ...s.stats },
      queuedBytes: s.queuedBytes,
    }));
  }

  /** Stop listening, stop retrying, close every connection (flushing prints and logs). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const slot of this.outbound.values()) {
      slot.cancelled = true;
      slot.timer?.cancel();
      if (!this.sessions.has(slot.id)) this.pending_peers.delete(slot.id);
    }
    // server.close() only calls back once every accepted connection is gone: close both together.
    const listenerClosed = this.listener?.close();
    const waits = [...this.sessions.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          // A peer that never answers our FIN must not hold stop() up.
          const t = setTimeout(() => s.destroy(), 1000);
          t.unref();
          this.closing.set(s.peer.id, () => {
            clearTimeout(t);
            resolve();
          });
          s.disconnect();
        }),
    );
    await Promise.all([...waits, listenerClosed]);
    this.commLog?.close();
  }

  // ---- internals shared with session-host.ts ------------------------------------------------

  /** @internal A log line not tied to a peer (remote_log). */
  logLine(level: number, src: number, msg: string): void {
    this.commLog?.write(level, src, msg);
    this.emit('remote_log', level, src, msg);
  }

  /** @internal */
  raise<K extends keyof CommunicationEvents>(event: K, ...args: CommunicationEvents[K]): void {
    this.emit(event, ...args);
  }

  /** @internal Section 6.3: one peer syncs at a time. True = go now; false = queued. */
  syncTurn(id: number): boolean {
    return this.syncTurns.take(id);
  }

  /** @internal The holder's SYNC phase is over (RUNNING): next in line. */
  syncDone(id: number): void {
    this.syncTurns.release(id);
  }

  /** @internal A session is gone. */
  sessionClosed(id: number): void {
    this.sessions.delete(id);
    this.syncTurns.leave(id);
    const done = this.closing.get(id);
    this.closing.delete(id);
    done?.();
  }

  /** @internal Schedule the next connection attempt of an outbound node. */
  retryLater(slot: Outbound): void {
    if (slot.cancelled || this.stopped) return;
    slot.timer = this.clock.setTimeout(() => this.dial(slot), slot.node.retry * 1000);
  }

  private dial(slot: Outbound): void {
    slot.timer = undefined;
    if (slot.cancelled || this.stopped) return;
    const node = slot.node;
    const where = `${addrToUri(node.host)}:${node.p}`;
    this.logLine(L.INFO, S.PARENT, `connecting to ${where}${node.ssl ? ' (ssl)' : ''}`);
    this.dialer({ host: node.host, zoneId: node.zone_id, port: node.p, tls: node.ssl ? this.tls : undefined }).then(
      (t) => {
        if (slot.cancelled || this.stopped) t.destroy();
        else this.startSession(t, slot);
      },
      (err: Error) => {
        if (slot.cancelled || this.stopped) return;
        const p: EventPeer = { id: slot.id, host: node.host, p: node.p, is_local: false, descr: '' };
        const reason = `can't connect to ${where}: ${err.message}`;
        this.commLog?.write(L.ERROR, S.CHILD, reason, p);
        this.emit('remote_log_peer', p, L.ERROR, S.CHILD, reason);
        this.emit('remote_connection_error', p, reason);
        if (node.retry > 0) {
          this.logLine(L.INFO, S.PARENT, `retrying ${where} in ${node.retry} s`);
          this.retryLater(slot);
        } else {
          this.outbound.delete(slot.id);
          this.pending_peers.delete(slot.id);
        }
      },
    );
  }

  private startSession(t: Transport, slot: Outbound | undefined): PeerSession {
    const c = this.config;
    const session = new PeerSession({
      id: slot?.id ?? this.nextId++,
      transport: t,
      clock: this.clock,
      host: new SessionHostImpl(this, slot),
      initiator: slot !== undefined,
      ourClass: slot?.node.class ?? '',
      runtime: Math.max(0, Math.floor((this.clock.now() - this.startedAt) / 1000)),
      peerHost: slot?.node.host ?? canonicalAddress(t.info.remoteAddress),
      peerPort: slot?.node.p ?? t.info.remotePort,
      peerDescription: c.send_peer_description ? c.peer_description : undefined,
      limits: this.limits,
      maxQueuedBytes: c.max_queued_bytes,
      overflow: c.queue_overflow,
      handshakeTimeoutMs: c.handshake_timeout * 1000,
    });
    this.sessions.set(session.peer.id, session);
    session.start();
    return session;
  }
}
