import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { Transport } from '../../src/core/transport.ts';
import { CapsFlag, capsFlagNames } from '../codec/constants.ts';
import { toLegacyError } from '../codec/errors.ts';
import type { LogCreateWriter, LogEntry } from '../codec/log-codec.ts';
import type { LegacyMessage, PingMessage, VersionMessage } from '../codec/messages.ts';
import type { SerialBody, SerialEvent, StateAccess } from '../codec/model.ts';
import type { LegacyLimits } from '../codec/options.ts';
import { sniffPidWidth } from '../codec/pid-width.ts';
import { LegacyStreamDecoder } from '../codec/stream-decoder.ts';
import { LegacyStreamEncoder, type SharedSerial } from '../codec/stream-encoder.ts';
import { checkVersion, makeVersion } from '../codec/version.ts';
import { OutputQueue } from './output.ts';
import { LogBatch } from './log-batch.ts';
import { PrintBuffer } from './print-buffer.ts';
import { BRIDGE_CACHE_SIZE, BRIDGE_CAPS, BRIDGE_WRITE_FORMAT, peerDescriptionId } from './profile.ts';
import { stateSender, SYNC_CONFLICT_REASON } from './sync-role.ts';
import { RemoteLogLevel as L, RemoteLogSrc as S } from './types.ts';
import type { EventPeer, PeerPhase, PeerSessionView, PeerSetup, SessionHost, SessionStats } from './types.ts';

// One connection's protocol state machine (section 6): SETUP -> HANDSHAKE -> (SYNC) -> RUNNING.
// Both sides send VERSION at once; on the peer's VERSION we send CAPS and our requests, then
// PHASE_DONE; when both PHASE_DONEs are in, COMPRESS (if agreed), LOG_CREATE_WRITERs (if the peer
// asked), state (if we are the sync sender) and RUNNING. Only one peer syncs at a time: a session
// whose turn has not come stays in HANDSHAKE and reads nothing more until grantSync() (the
// peer's bytes wait, undecoded, in the decoder). The session never throws at its callers:
// bad input ends in `fail`, which logs, raises remote_connection_error and closes only this
// connection.

export interface PeerSessionOptions {
  id: number;
  transport: Transport;
  clock: Clock;
  host: SessionHost;
  /** We opened the TCP connection. */
  initiator: boolean;
  /** Class in our VERSION ("" = a lone NUL, as Bro always sends). */
  ourClass: string;
  /** Seconds since the framework started, for our VERSION. */
  runtime: number;
  /** The peer's address and port for its event_peer record (default: the transport's). */
  peerHost: string;
  peerPort: number;
  /** Our peer_description, sent after VERSION; undefined sends none (like Broccoli). */
  peerDescription: string | undefined;
  limits?: Partial<LegacyLimits>;
  maxQueuedBytes: number;
  overflow: 'disconnect' | 'drop';
  /** 0 = no limit. */
  handshakeTimeoutMs: number;
}

/** How long a closing connection may wait for the peer's FIN. */
const CLOSE_GRACE_MS = 2000;

export class PeerSession implements PeerSessionView {
  readonly peer: EventPeer;
  readonly initiator: boolean;
  phase: PeerPhase = 'setup';
  nodeName: string | undefined;
  acceptInput = false;
  readonly requested = new Set<string>();
  peerCaps = 0;
  readonly stats: SessionStats = {
    bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, eventsIn: 0, eventsOut: 0, eventsDropped: 0,
    compressingOut: false, compressingIn: false, peerPidWidth: undefined,
  };
  /** Why the session ended, if it failed. */
  failure: string | undefined;

  private readonly o: PeerSessionOptions;
  private readonly decoder: LegacyStreamDecoder;
  private readonly encoder: LegacyStreamEncoder;
  private readonly out: OutputQueue;
  private setup: PeerSetup | undefined;
  private peerRuntime = 0;
  private weDone = false;
  private peerDone = false;
  private peerSync: boolean | undefined;
  private peerWantsLogs = false;
  private syncRole: 'us' | 'peer' | undefined;
  /** Queued for the SYNC phase behind another peer (section 6.3). */
  private syncWaiting = false;
  /** We hold the framework's sync turn until RUNNING. */
  private syncTurn = false;
  private readonly prints = new PrintBuffer();
  private readonly logs: LogBatch;
  private handshakeTimer: TimerHandle | undefined;
  private arrival = 0;
  private closing = false;

  constructor(options: PeerSessionOptions) {
    this.o = options;
    this.initiator = options.initiator;
    this.peer = { id: options.id, host: options.peerHost, p: options.peerPort, is_local: false, descr: '' };
    this.decoder = new LegacyStreamDecoder(options.limits !== undefined ? { limits: options.limits } : {});
    this.decoder.beforeSerial = (payload) => this.pickSerialFormat(payload);
    this.encoder = new LegacyStreamEncoder({
      serial: { format: { ...BRIDGE_WRITE_FORMAT }, cacheSize: BRIDGE_CACHE_SIZE },
      noPartial: options.transport.info.tls,
    });
    this.out = new OutputQueue(options.transport, this.encoder, this.stats);
    this.logs = new LogBatch(options.clock, (entries) => {
      if (this.phase === 'running') this.send({ type: 'LOG_WRITE', entries });
    });
  }

  /** Start reading and send our opening (VERSION, then peer_description). */
  start(): void {
    const o = this.o;
    o.transport.start({ data: (b) => this.onData(b), close: (err) => this.onClose(err) });
    this.send(makeVersion({ runtime: o.runtime, cacheSize: BRIDGE_CACHE_SIZE, class: o.ourClass }));
    if (o.peerDescription !== undefined) this.send({ type: 'SERIAL', body: { kind: 'id', id: peerDescriptionId(o.peerDescription) } });
    if (o.handshakeTimeoutMs > 0) {
      this.handshakeTimer = o.clock.setTimeout(() => this.fail(`no complete handshake within ${o.handshakeTimeoutMs / 1000} s`), o.handshakeTimeoutMs);
    }
  }

  // ---- sending, for the framework ------------------------------------------------------------

  /**
   * Queue an event (the framework has checked RUNNING and REQUEST_EVENTS). False if dropped.
   * `shared` carries the body's bytes between the sessions one send_event goes to.
   */
  sendEvent(body: SerialEvent, shared?: SharedSerial): boolean {
    if (!this.room()) return false;
    if (shared !== undefined) this.out.pushShared(shared);
    else this.send({ type: 'SERIAL', body });
    this.stats.eventsOut++;
    return true;
  }

  /** A state operation towards a peer we sync with. */
  sendState(access: StateAccess): void {
    if (this.phase === 'running' && this.syncing && this.room()) this.send({ type: 'SERIAL', body: { kind: 'state', access } });
  }

  /** Bytes waiting to be written to the peer. */
  get queuedBytes(): number {
    return this.out.queued;
  }

  get syncing(): boolean {
    return this.setup?.sync !== undefined || this.peerSync !== undefined;
  }

  get wantsLogs(): boolean {
    return this.peerWantsLogs;
  }

  sendPing(seq: number): boolean {
    if (this.phase === 'setup' || this.closing) return false;
    const now = this.o.clock.now() / 1000;
    this.send({ type: 'PING', seq: seq >>> 0, pad: 0, time1: now, time2: now, time3: 0, size: 32 });
    return true;
  }

  sendCaptureFilter(filter: string): void {
    if (this.phase !== 'setup' && !this.closing) this.send({ type: 'CAPTURE_FILTER', filter });
  }

  /** A print to a named file, for a peer that requested print_hook (buffered, section 4.10). */
  print(file: string, text: string): void {
    const full = this.prints.add(file, text);
    if (full !== undefined) this.send({ type: 'REMOTE_PRINT', records: full });
  }

  logCreateWriter(w: LogCreateWriter): void {
    if (this.peerWantsLogs && this.phase === 'running') this.send({ type: 'LOG_CREATE_WRITER', ...w });
  }

  writeLog(entry: LogEntry): void {
    if (!this.peerWantsLogs || this.phase !== 'running') return;
    this.logs.add(entry);
  }

  /** Orderly close: buffered prints and logs go out first (Bro's close flush). */
  disconnect(): void {
    if (this.closing) return;
    this.closing = true;
    const prints = this.prints.take();
    if (prints !== undefined && this.phase === 'running') this.send({ type: 'REMOTE_PRINT', records: prints });
    this.logs.flush();
    this.out.flush();
    this.o.transport.end();
    setTimeout(() => this.o.transport.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Immediate close, nothing flushed (a peer that does not finish an orderly close). */
  destroy(): void {
    this.closing = true;
    this.o.transport.destroy();
  }

  /**
   * Close after a problem attributed to the peer: log, remote_connection_error, close. What we
   * already sent goes out first (as when Bro closes its socket), nothing more is read.
   */
  fail(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.failure = reason;
    this.o.host.log(this, L.ERROR, S.CHILD, reason);
    this.o.host.error(this, reason);
    this.out.flush();
    this.o.transport.end();
    // A peer that ignores our FIN must not keep the socket: not protocol timing, so a real timer.
    setTimeout(() => this.o.transport.destroy(), CLOSE_GRACE_MS).unref();
  }

  // ---- receiving ---------------------------------------------------------------------------------

  private onData(bytes: Uint8Array): void {
    if (this.closing) return;
    this.stats.bytesIn += bytes.length;
    this.arrival = this.o.clock.monotonic();
    try {
      this.decoder.push(bytes);
    } catch (err) {
      return this.fail(toLegacyError(err).message);
    }
    this.drain();
  }

  /** Dispatch every complete message, unless closing or waiting for the sync turn. */
  private drain(): void {
    try {
      while (!this.closing && !this.syncWaiting) {
        const m = this.decoder.next();
        if (m === undefined) break;
        this.stats.messagesIn++;
        this.dispatch(m);
      }
    } catch (err) {
      this.fail(toLegacyError(err).message);
    }
  }

  private onClose(err: Error | undefined): void {
    if (this.phase === 'closed') return;
    const established = this.phase !== 'setup';
    if (!this.closing) {
      this.closing = true;
      try {
        // A peer queued for sync may have sent complete messages we have not read yet.
        if (!this.syncWaiting) this.decoder.end();
        this.o.host.log(this, L.INFO, S.CHILD, err !== undefined ? `connection closed by peer (${err.message})` : 'connection closed by peer');
      } catch (e) {
        const reason = toLegacyError(e).message;
        this.failure = reason;
        this.o.host.log(this, L.ERROR, S.CHILD, reason);
        this.o.host.error(this, reason);
      }
    }
    this.phase = 'closed';
    this.handshakeTimer?.cancel();
    this.logs.cancel();
    this.o.host.closed(this, established);
  }

  private dispatch(m: LegacyMessage): void {
    if (this.phase === 'setup') {
      if (m.type !== 'VERSION') return this.fail(`peer did not send version (got ${m.type})`);
      return this.onVersion(m);
    }
    const h = this.o.host;
    switch (m.type) {
      case 'VERSION':
        return this.fail('peer sent a second VERSION');
      case 'CAPS':
        this.peerCaps = m.flags;
        // Broccoli cannot reassemble PARTIAL chunks; Bro's TLS writer never sends them either.
        this.encoder.noPartial = this.o.transport.info.tls || (m.flags & CapsFlag.BROCCOLI_PEER) !== 0;
        h.log(this, L.INFO, S.CHILD, `peer caps: ${capsFlagNames(m.flags).join('|') || 'none'}`);
        return;
      case 'REQUEST_EVENTS':
        for (const name of m.events) {
          if (name === '') continue;
          if (!h.knowsEvent(name)) {
            h.log(this, L.ERROR, S.CHILD, `request for unknown event ${name}`);
            continue;
          }
          this.requested.add(name);
          h.log(this, L.INFO, S.CHILD, `registered for event ${name}`);
          h.eventRegistered(this, name);
        }
        return;
      case 'REQUEST_SYNC':
        if (this.phase !== 'handshake') return h.log(this, L.ERROR, S.CHILD, 'REQUEST_SYNC outside the handshake ignored');
        this.peerSync = m.authoritative;
        return h.log(this, L.INFO, S.CHILD, `peer requested synchronized state${m.authoritative ? ' (authoritative)' : ''}`);
      case 'REQUEST_LOGS':
        if (this.phase !== 'handshake') return h.log(this, L.ERROR, S.CHILD, 'REQUEST_LOGS outside the handshake ignored');
        this.peerWantsLogs = true;
        return h.log(this, L.INFO, S.CHILD, 'peer requested logs');
      case 'CAPTURE_FILTER':
        return h.captureFilter(this, m.filter);
      case 'PHASE_DONE':
        return this.onPhaseDone();
      case 'PING':
        return this.onPing(m);
      case 'PONG': {
        const now = this.o.clock.now() / 1000;
        return h.pong(this, m.seq, now - m.time1, now - m.time2, m.time3);
      }
      case 'SERIAL':
        return this.onSerial(m.body);
      case 'COMPRESS':
        this.stats.compressingIn = true;
        return h.log(this, L.INFO, S.CHILD, 'peer compresses its stream');
      case 'REMOTE_PRINT':
        if (this.acceptInput) h.print(this, m.records);
        return;
      case 'LOG_CREATE_WRITER':
      case 'LOG_WRITE':
        if (this.setup?.requestLogs !== true || !this.acceptInput) return h.log(this, L.ERROR, S.CHILD, `unrequested ${m.type} dropped`);
        if (m.type === 'LOG_WRITE') return h.logWrite(this, m.entries);
        return h.logCreateWriter(this, m);
      case 'SYNC_POINT':
        return;
    }
  }

  private onVersion(v: VersionMessage): void {
    const problem = checkVersion(v);
    // Bro's own wording, without the codec's "(field ...)" suffix.
    if (problem !== undefined) return this.fail(problem.message.replace(/ \((field|offset) [^)]*\)$/, ''));
    this.peerRuntime = v.runtime;
    this.decoder.serial.cache.capacity = v.cacheSize;
    if (v.class !== undefined && v.class !== '') this.peer.class = v.class;
    this.phase = 'handshake';
    this.send({ type: 'CAPS', flags: BRIDGE_CAPS, reserved: [0, 0] });
    const setup = this.o.host.established(this);
    if (this.closing) return;
    this.setup = setup;
    this.nodeName = setup.node;
    this.acceptInput = setup.acceptInput;
    if (setup.requestEvents.length > 0) this.send({ type: 'REQUEST_EVENTS', events: setup.requestEvents });
    if (setup.captureFilter !== undefined && setup.captureFilter !== '') this.send({ type: 'CAPTURE_FILTER', filter: setup.captureFilter });
    if (setup.sync !== undefined) this.send({ type: 'REQUEST_SYNC', authoritative: setup.sync.auth });
    if (setup.requestLogs) this.send({ type: 'REQUEST_LOGS' });
    this.send({ type: 'PHASE_DONE' });
    this.weDone = true;
    this.handshakeDone();
  }

  private onPhaseDone(): void {
    if (this.phase === 'handshake') {
      if (this.peerDone) return this.fail('peer sent PHASE_DONE twice in the handshake');
      this.peerDone = true;
      return this.handshakeDone();
    }
    if (this.phase === 'sync') {
      if (this.syncRole !== 'peer') return this.fail('PHASE_DONE from the peer that was to receive our state');
      this.o.host.log(this, L.INFO, S.CHILD, 'state received');
      return this.enterRunning();
    }
    this.o.host.log(this, L.ERROR, S.CHILD, 'unexpected PHASE_DONE after the handshake ignored');
  }

  private handshakeDone(): void {
    if (!this.weDone || !this.peerDone || this.phase !== 'handshake' || this.closing) return;
    const setup = this.setup!;
    const h = this.o.host;
    if ((this.peerCaps & CapsFlag.COMPRESSION) !== 0 && setup.compression > 0) {
      this.send({ type: 'COMPRESS', level: setup.compression });
      this.stats.compressingOut = true;
      h.log(this, L.INFO, S.CHILD, `compressing at level ${setup.compression}`);
    }
    if (this.peerWantsLogs) for (const w of h.logWriters()) this.send({ type: 'LOG_CREATE_WRITER', ...w });
    const role = stateSender({
      ours: setup.sync?.auth,
      theirs: this.peerSync,
      ourRuntime: this.o.runtime,
      theirRuntime: this.peerRuntime,
      initiator: this.initiator,
    });
    if (role === undefined) return this.enterRunning();
    if (role === 'conflict') return this.fail(SYNC_CONFLICT_REASON);
    this.syncRole = role;
    if (!h.syncTurn(this)) {
      this.syncWaiting = true;
      return h.log(this, L.INFO, S.CHILD, 'another sync in progress, waiting');
    }
    this.syncTurn = true;
    this.startSync(role);
  }

  /** Our turn for the SYNC phase has come (the framework, after syncTurn returned false). */
  grantSync(): void {
    if (!this.syncWaiting || this.closing) return;
    this.syncWaiting = false;
    this.syncTurn = true;
    this.o.host.log(this, L.INFO, S.CHILD, 'sync turn granted');
    this.startSync(this.syncRole!);
    // What the peer sent while we waited (its state, if it is the sender).
    this.drain();
  }

  private startSync(role: 'us' | 'peer'): void {
    const h = this.o.host;
    this.phase = 'sync';
    if (role === 'peer') return h.log(this, L.INFO, S.CHILD, 'phase: sync, waiting for the peer\'s state');
    let n = 0;
    for (const [target, value] of h.stateSnapshot()) {
      this.send({ type: 'SERIAL', body: { kind: 'state', access: { op: 1, target, op1: value, op2: null, op3: null } } });
      n++;
    }
    this.send({ type: 'PHASE_DONE' });
    h.log(this, L.INFO, S.CHILD, `phase: sync, sent ${n} state value(s)`);
    this.enterRunning();
  }

  private enterRunning(): void {
    this.phase = 'running';
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
    this.o.host.log(this, L.INFO, S.CHILD, 'phase: running');
    this.o.host.handshakeDone(this);
    if (this.syncTurn) {
      this.syncTurn = false;
      this.o.host.syncDone(this);
    }
  }

  private onPing(m: PingMessage): void {
    // Bro's turnaround: time from reading the PING to writing the PONG, carried in time3.
    const turnaround = (this.o.clock.monotonic() - this.arrival) / 1000;
    this.send({ type: 'PONG', seq: m.seq, pad: m.pad, time1: m.time1, time2: m.time2, time3: turnaround, size: m.size });
  }

  private onSerial(body: SerialBody): void {
    const h = this.o.host;
    if (body.kind === 'event') {
      this.stats.eventsIn++;
      if (this.acceptInput) h.event(this, body);
      return;
    }
    if (body.kind === 'id') {
      const v = body.id.value;
      if (body.id.name === 'peer_description' && v?.kind === 'string') {
        this.peer.descr = v.value;
        return;
      }
      return h.log(this, L.INFO, S.CHILD, `ID ${body.id.name} from peer ignored`);
    }
    if (!this.syncing || !this.acceptInput) return;
    h.stateAccess(this, body.access);
  }

  /** Set how the peer's next SERIAL is read, from its own first object header (pid-width.ts). */
  private pickSerialFormat(payload: Uint8Array): void {
    const width = sniffPidWidth(payload);
    if (width === undefined) return;
    const f = this.decoder.serial.format;
    f.pid64 = width === 64;
    f.newCacheStrategy = f.pid64 && this.phase === 'running' && (this.peerCaps & CapsFlag.NEW_CACHE_STRATEGY) !== 0;
    if (this.phase === 'running') this.stats.peerPidWidth = width;
  }

  // ---- output ----------------------------------------------------------------------------------

  private send(m: LegacyMessage): void {
    if (this.closing && this.phase === 'closed') return;
    this.out.push(m);
  }

  /** Apply the output bound (max_queued_bytes, queue_overflow) before a droppable message. */
  private room(): boolean {
    if (this.closing) return false;
    const state = this.out.bound(this.o.maxQueuedBytes);
    if (state === 'ok') return true;
    if (this.o.overflow === 'disconnect') {
      this.fail(`output queue over ${this.o.maxQueuedBytes} bytes (peer is not reading); disconnecting`);
      return false;
    }
    this.stats.eventsDropped++;
    if (state === 'overflow-start') this.o.host.log(this, L.ERROR, S.CHILD, `output queue over ${this.o.maxQueuedBytes} bytes (peer is not reading); dropping events`);
    return false;
  }
}
