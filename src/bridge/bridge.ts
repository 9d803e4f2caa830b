// The bridge: a Communication framework (legacy peers on 47757) and a Broker endpoint (native
// peers on 9999, WebSocket clients on 27759, outbound WebSocket connections) joined through the
// Translator, one PeerRegistry for the peers of both worlds, per-node endpoints for legacy nodes
// that play a cluster role, legacy &synchronized state in a Broker master store, the logs
// (communication.log, cluster.log, broker.log, legacy remote logs) and the status listener.
import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../core/clock.ts';
import { CommunicationFramework, loadTlsMaterials, type NodesReload } from '../../legacy/index.ts';
import { ClusterLayout, CLUSTER_LOG_COLUMNS, type ClusterLogEntry } from '../../modern/cluster/index.ts';
import { CloneStore, createStore, type DataStore, type StoreStatus } from '../../modern/store/index.ts';
import { ConfigError, parseBridgeConfig, stateStorePlacement, type BridgeConfig, type BridgeConfigInput } from '../config/index.ts';
import { isBridgeError } from '../core/errors.ts';
import { StoreSyncState, type SyncProblem } from '../state/store-sync.ts';
import type { DropRecord } from '../translate/drops.ts';
import type { PeerChange } from '../translate/peer-registry.ts';
import { Translator } from '../translate/translator.ts';
import { BrokerLog, BROKER_LOG_COLUMNS } from './broker-log.ts';
import { BrokerSide, endpointOptionsOf } from './broker-side.ts';
import { ClusterNodes } from './cluster-nodes.ts';
import { LegacySide } from './legacy-side.ts';
import { LogFiles, remoteLogName } from './log-files.ts';
import { ReporterLog, REPORTER_LOG_COLUMNS } from './reporter-log.ts';
import { statusDocument, metricsText, legacyTables, type StatusDocument } from './status-document.ts';
import { StatusServer } from './status-server.ts';
import type { ListenerInfo, PeerReport } from './types.ts';

export interface BridgeOptions {
  /** The daemon config, validated here if it is not already. */
  config: BridgeConfig | BridgeConfigInput;
  /** Legacy framework, translator and log time (retry intervals: a ManualClock in tests). */
  clock?: Clock;
  /** Broker endpoints, WebSocket connections and the state store (default: the system clock). */
  brokerClock?: Clock;
  /** Receives every log's text instead of files under log_dir: (log name, text). */
  logSink?: (name: string, text: string) => void;
  /** Names the config in errors (the file name). */
  source?: string;
}

/**
 * Runs a part's constructor; a problem it finds in its section (unreadable TLS files ...) becomes a
 * ConfigError naming the source and the section's path.
 */
function inSection<T>(section: string, source: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!isBridgeError(err) || err instanceof ConfigError || err.field === undefined) throw err;
    const message = err.message.replace(/ \(field [^)]*\)$/, '').replace(new RegExp(`^${err.field}: `), '');
    throw new ConfigError('config_invalid', source, [{ path: `${section}.${err.field}`, message }], { cause: err });
  }
}

export interface BridgeEvents {
  /** A Broker status or error event about a peer of either world (what broker.log records). */
  report: [PeerReport];
  /** A message the translator could not carry across. */
  drop: [DropRecord];
  /** A cluster.log line. */
  cluster: [ClusterLogEntry];
  /** A peer registry change: added, a new PeerStatus, removed. */
  peer: [PeerChange];
  /** Legacy state that could not be mirrored to or from the store. */
  state_problem: [SyncProblem];
}

export interface BridgeReload {
  legacy: NodesReload;
  /** Sections (or legacy options) that changed but only apply after a restart. */
  needsRestart: string[];
}

const RECENT = 100;

export class Bridge extends EventEmitter<BridgeEvents> {
  readonly config: BridgeConfig;
  readonly clock: Clock;
  readonly translator: Translator;
  readonly fw: CommunicationFramework;
  readonly broker: BrokerSide;
  readonly legacy: LegacySide;
  readonly cluster: ClusterNodes | undefined;
  readonly logs: LogFiles;
  readonly startedAt: number;
  /** The most recent peer reports, oldest first. */
  readonly recentReports: PeerReport[] = [];
  readonly stateProblems: SyncProblem[] = [];
  private running: BridgeConfig;
  private readonly brokerLog: BrokerLog;
  private readonly reporter: ReporterLog;
  private readonly clusterLog: { write(e: ClusterLogEntry): void; close(): void };
  private readonly store: { store: DataStore; sync: StoreSyncState } | undefined;
  private statusServer: StatusServer | undefined;
  private stopping: Promise<void> | undefined;

  constructor(options: BridgeOptions) {
    super();
    const source = options.source ?? 'config';
    const c = parseBridgeConfig(options.config, source);
    this.config = c;
    this.running = c;
    const clock = (this.clock = options.clock ?? systemClock);
    const now = (): number => clock.now();
    this.startedAt = now();
    this.logs = new LogFiles({ dir: c.log_dir, format: c.log_format, timezone: c.log_timezone, now, ...(options.logSink !== undefined ? { sink: options.logSink } : {}) });
    this.brokerLog = new BrokerLog(this.logs.writer('broker', 'broker', BROKER_LOG_COLUMNS), now);
    this.reporter = new ReporterLog(this.logs.writer('reporter', 'reporter', REPORTER_LOG_COLUMNS), now, { burst: 20, windowMs: 60_000, location: c.node });
    const clusterWriter = this.logs.writer('cluster', 'cluster', CLUSTER_LOG_COLUMNS);
    this.clusterLog = {
      write: (e) => {
        clusterWriter.write({ ts: e.ts, node: e.node, message: e.message });
        this.emit('cluster', e);
      },
      close: () => clusterWriter.close(),
    };
    this.translator = new Translator(
      { types: c.types, routing: c.routing, logs: c.logs, max_depth: c.max_depth },
      {
        now,
        onDrop: (d) => this.drop(d),
        onPeerChange: (change) => this.emit('peer', change),
        openLocalLog: (path, columns) => {
          const name = remoteLogName(path);
          return this.logs.writer(name, name, columns);
        },
      },
    );
    const report = (r: PeerReport): void => this.report(r);
    const brokerClock = options.brokerClock;
    // Read TLS material before anything that runs timers: a bad file must not leave a process hanging.
    const legacyTls = inSection('legacy', source, () => loadTlsMaterials(c.legacy));
    this.broker = inSection('broker', source, () => new BrokerSide({
      broker: c.broker,
      websocket: c.websocket,
      subscriptions: this.translator.router.subscriptions(),
      registry: this.translator.peers,
      report,
      onData: (topic, value, origin) => this.legacy.fromBroker(topic, value, origin),
      onPeerAdded: () => {
        for (const p of this.translator.logs.creates()) this.broker.publish(p.topic, p.message);
      },
      onWarning: (message) => this.reporter.write('Reporter::WARNING', message.split(':')[0]!, message),
      ...(brokerClock !== undefined ? { clock: brokerClock } : {}),
    }));
    if (c.state.enabled) {
      const { name, persistent, layout, config } = stateStorePlacement(c);
      const store = inSection('state', source, () =>
        createStore(name, persistent, layout, config, { hub: this.broker.endpoint, clock: brokerClock ?? systemClock }),
      );
      if (store instanceof CloneStore) store.onStatus((s) => this.storeStatus(s));
      const sync = new StoreSyncState({ store, types: this.translator.types, globals: c.state.globals, onProblem: (p) => this.stateProblem(p) });
      this.store = { store, sync };
    }
    this.fw = new CommunicationFramework({
      config: { ...c.legacy, log_format: c.log_format },
      clock,
      logSink: this.logs.sink('communication'),
      logTimezone: c.log_timezone,
      ...(legacyTls !== undefined ? { tls: legacyTls } : {}),
      ...(this.store !== undefined ? { store: this.store.sync } : {}),
    });
    // Node patterns (`events = /FX::.*/`) expand against the names the config declares.
    this.fw.add_local_events([...Object.keys(c.types.events), ...Object.keys(c.routing.events)]);
    const layout = new ClusterLayout(c.cluster);
    // Each node endpoint has an id of its own: the broker section's node_id is the bridge's.
    const { node_id: _ownId, ...nodeEndpoint } = endpointOptionsOf(c.broker);
    const clusterNodes = (): ClusterNodes =>
      new ClusterNodes({
        layout,
        endpoint: nodeEndpoint,
        retry: c.broker.default_connect_retry,
        router: this.translator.router,
        registry: this.translator.peers,
        report,
        log: (e) => this.clusterLog.write(e),
        clock: brokerClock ?? systemClock,
        deliver: (peer, topic, value, origin) => this.legacy.fromBroker(topic, value, origin, [peer]),
      });
    this.cluster = Object.keys(c.cluster.nodes).length > 0 ? clusterNodes() : undefined;
    this.legacy = new LegacySide({
      fw: this.fw,
      translator: this.translator,
      publish: this.broker.publish,
      report,
      ...(this.cluster !== undefined ? { cluster: this.cluster } : {}),
    });
  }

  /** Opens every listener, dials the configured peers; on failure closes what was opened and throws. */
  async start(): Promise<ListenerInfo[]> {
    const c = this.config;
    try {
      await this.fw.start();
      this.legacy.syncPending();
      await this.broker.start();
      if (c.status.enabled) this.statusServer = await StatusServer.listen({ status: () => this.status(), metrics: () => this.metrics() }, c.status.address, c.status.port);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.clusterLog.write({ ts: this.clock.now() / 1000, node: c.node, message: `comm-bridge started (${this.listening().map((l) => `${l.kind} ${l.address}:${l.port}`).join(', ')})` });
    return this.listening();
  }

  /** Where the bridge listens, with bound ports. */
  listening(): ListenerInfo[] {
    const out: ListenerInfo[] = [];
    for (const a of this.fw.listening()) out.push({ kind: 'legacy', address: a.address, port: a.port, security: a.ssl ? 'TLS' : 'no TLS' });
    const c = this.config.legacy;
    if (c.listen && out.length === 0) out.push({ kind: 'legacy', address: c.listen_interface, port: 0, waitingFor: c.listen_port, security: c.listen_ssl ? 'TLS' : 'no TLS' });
    out.push(...this.broker.listeners());
    if (this.statusServer !== undefined) {
      const a = this.statusServer.address;
      out.push({ kind: 'status', address: a.address, port: a.port, security: 'no TLS', url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` });
    }
    return out;
  }

  /**
   * SIGHUP: applies the new `legacy.nodes` table (unchanged peers stay connected, removed and
   * changed nodes are dropped, new ones dialled). Everything else that differs is listed in
   * `needsRestart` and keeps its running value. Throws ConfigError / LegacyConfigError (nothing
   * changed) when the new config is invalid.
   */
  reload(input: BridgeConfig | BridgeConfigInput, source = 'config'): BridgeReload {
    const next = parseBridgeConfig(input, source);
    const legacy = this.fw.reload_nodes({ ...next.legacy, log_format: next.log_format }, ['legacy']);
    const dropped = new Set([...legacy.removed, ...legacy.changed]);
    this.legacy.markClosingLocally(this.legacy.list().filter((p) => p.nodeName !== undefined && dropped.has(p.nodeName)).map((p) => p.id));
    this.legacy.prunePending();
    this.legacy.syncPending();
    const needsRestart = legacy.needsRestart.map((k) => `legacy.${k}`);
    for (const k of Object.keys(next) as (keyof BridgeConfig)[]) {
      if (k !== 'legacy' && JSON.stringify(next[k]) !== JSON.stringify(this.running[k])) needsRestart.push(k);
    }
    this.running = { ...this.running, legacy: { ...this.running.legacy, nodes: next.legacy.nodes } };
    return { legacy, needsRestart };
  }

  /** Communication's connected_peers / pending_peers with the Broker and WebSocket peers in them. */
  legacyView(): ReturnType<typeof legacyTables> {
    return legacyTables(this.fw, this.translator.peers);
  }

  /** The /status document. */
  status(): StatusDocument {
    this.syncCounters();
    return statusDocument(this);
  }

  /** The /metrics text (Prometheus). */
  metrics(): string {
    this.syncCounters();
    return metricsText(this);
  }

  private syncCounters(): void {
    this.legacy.syncCounters();
    this.broker.syncCounters();
  }

  private report(r: PeerReport): void {
    this.recentReports.push(r);
    if (this.recentReports.length > RECENT) this.recentReports.shift();
    this.brokerLog.write(r.report, r.protocol, r.name);
    this.emit('report', r);
  }

  private drop(d: DropRecord): void {
    const from = d.peer === undefined ? '' : ` from ${d.peer}`;
    this.reporter.write('Reporter::WARNING', `${d.direction} ${d.code}`, `dropped ${d.direction.replaceAll('_', ' ')} ${d.what}${from}: ${d.code}: ${d.message}`);
    this.emit('drop', d);
  }

  private stateProblem(p: SyncProblem): void {
    this.reporter.write('Reporter::WARNING', `state ${p.reason}`, `state ${p.direction.replace('_', ' ')} ${p.target}: ${p.reason}: ${p.detail}`);
    this.stateProblems.push(p);
    if (this.stateProblems.length > RECENT) this.stateProblems.shift();
    this.emit('state_problem', p);
  }

  /** A clone's link to its master (a Zeek manager's store), for reporter.log. */
  private storeStatus(s: StoreStatus): void {
    const store = this.config.state.store;
    if (s.type === 'attached') this.reporter.write('Reporter::INFO', 'state store attached', `state store ${store} attached to its master (${s.entries} entries)`);
    else if (s.type === 'master_lost') this.reporter.write('Reporter::WARNING', 'state store master lost', `state store ${store} lost its master (${s.reason}); re-attaching`);
    else this.reporter.write('Reporter::WARNING', 'state store write lost', `state store ${store}: ${s.writes.length} write(s) did not reach a master (${s.reason})`);
  }

  /** Graceful stop: legacy peers and cluster endpoints first (peer_removed, BYE), then Broker, then logs (flushed). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.legacy.stopAll();
    await this.cluster?.close();
    await this.fw.stop();
    this.store?.sync.close();
    this.store?.store.close();
    await this.broker.stop();
    await this.statusServer?.close();
    this.clusterLog.write({ ts: this.clock.now() / 1000, node: this.config.node, message: 'comm-bridge stopped' });
    this.translator.logs.close();
    this.brokerLog.close();
    this.reporter.close();
    this.clusterLog.close();
    await this.logs.close();
  }
}
