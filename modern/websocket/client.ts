// Client of a WebSocket JSON v1 server (Zeek 8's `Cluster::listen_websocket`, or Broker's own
// server, or ours): subscribe by connecting, publish, and Broker-style status events about the
// server endpoint. v1 has no in-band subscribe, so changing subscriptions reconnects. Lost
// connections are re-dialled at once, then with capped exponential backoff and jitter; like
// Broker, publications made while disconnected are not buffered.
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { systemClock, type Clock, type TimerHandle } from '../../src/core/clock.ts';
import { BridgeError } from '../../src/core/errors.ts';
import { ErrorCode, PeerStatus, ERROR_CODE_NAMES } from '../constants.ts';
import type { Data } from '../data/index.ts';
import { dataMessageToJson } from '../data/json-encode.ts';
import { parseDataMessage } from '../data/json-decode.ts';
import { makeEvent, type EventOptions } from '../data/zeek-messages.ts';
import { errorEvent, statusEvent, TypedEmitter, PEER_UNAVAILABLE_TEXT, type EndpointInfo, type PeerInfo, type StatusName } from '../endpoint/events.ts';
import type { MessageOrigin } from '../hub.ts';
import { isBrokerError } from '../errors.ts';
import { NIL_ENDPOINT } from '../native/endpoint-id.ts';
import { Backoff } from './backoff.ts';
import { parseControlMessage, startsLikeDataMessage, subscriptionsToJson, type ControlMessage } from './control.ts';
import { resolveClientOptions, type ResolvedClientOptions, type WebSocketClientOptions } from './options.ts';
import { clientTlsOptions } from './tls.ts';
import { tickCorker } from './cork.ts';
import { APPLICATION_NAME_HEADER, CloseCode, DEFAULT_WEBSOCKET_PORT, JSON_V1_PATH } from './wire.ts';

import type { WebSocketClientDeps, WebSocketClientEvents, WebSocketClientStats, WebSocketErrorEvent } from './client-events.ts';

export type { WebSocketClientDeps, WebSocketClientEvents, WebSocketClientStats, WebSocketErrorEvent } from './client-events.ts';

interface Conn {
  readonly ws: WebSocket;
  socket: Socket | undefined;
  cork: (() => void) | undefined;
  acked: boolean;
  /** Subscriptions this connection announced. */
  readonly sent: readonly string[];
  /** Closed on purpose to reconnect with new subscriptions: no status events. */
  resubscribing: boolean;
  timer: TimerHandle | undefined;
  pinger: TimerHandle | undefined;
  /** Heard from the server since the last ping. */
  alive: boolean;
  failure: WebSocketErrorEvent | undefined;
  /** Messages handed to the socket whose write has not completed yet (the client's send queue). */
  unflushed: number;
  /** Write callback shared by every send on this connection (no closure per message). */
  readonly written: () => void;
}

/** An explicit `:PORT` in the authority (URL() forgets one that equals the scheme's 80/443). */
const EXPLICIT_PORT = /^wss?:\/\/(?:[^@/?#]*@)?(?:\[[^\]/?#]*\]|[^:/?#]*):\d/i;

/** The URL dialled: Zeek 8's port 27759 unless one is given, `/v1/messages/json` unless a path is. */
function normalizeClientUrl(url: string): string {
  const u = new URL(url);
  if (u.port === '' && !EXPLICIT_PORT.test(url)) u.port = String(DEFAULT_WEBSOCKET_PORT);
  if (u.pathname === '' || u.pathname === '/') u.pathname = JSON_V1_PATH;
  return u.toString();
}

export class WebSocketClient extends TypedEmitter<WebSocketClientEvents> {
  readonly options: ResolvedClientOptions;
  readonly url: string;
  readonly stats: WebSocketClientStats = { published: 0, unsent: 0, received: 0, errors: 0, connects: 0, pingTimeouts: 0, bytesIn: 0, bytesOut: 0 };
  private readonly clock: Clock;
  private readonly backoff: Backoff | undefined;
  private topics: string[];
  private conn: Conn | undefined;
  private retryTimer: TimerHandle | undefined;
  private announced: EndpointInfo | undefined;
  private _status: PeerStatus = PeerStatus.INITIALIZING;
  private closed = false;
  private started = false;
  private waiters: { resolve(p: EndpointInfo): void; reject(e: Error): void }[] = [];
  private resubscribeQueued = false;
  private origin: MessageOrigin = { hop: NIL_ENDPOINT };
  /** Where the server is reached, as NetworkInfo (retry = the first backoff delay, seconds). */
  readonly network: EndpointInfo['network'] & object;

  constructor(options: WebSocketClientOptions, deps: WebSocketClientDeps = {}) {
    super();
    this.options = resolveClientOptions(options);
    this.url = normalizeClientUrl(this.options.url);
    this.clock = deps.clock ?? systemClock;
    this.backoff = this.options.reconnect === false ? undefined : new Backoff(this.options.reconnect, deps.random);
    this.topics = [...new Set(this.options.subscriptions)];
    const u = new URL(this.url);
    const r = this.options.reconnect;
    this.network = { address: u.hostname.replace(/^\[|\]$/g, ''), bound_port: Number(u.port || (u.protocol === 'wss:' ? 443 : 80)), retry: r === false ? 0 : r.initial_delay };
  }

  /** Context of errors before the server's id is known. */
  private get unknownPeer(): EndpointInfo {
    return { id: NIL_ENDPOINT, network: this.network };
  }

  /** PeerStatus of the connection to the server (CONNECTING, PEERED, RECONNECTING, DISCONNECTED …). */
  get status(): PeerStatus {
    return this._status;
  }

  /** The server endpoint, once an ack has been received. */
  get peer(): EndpointInfo | undefined {
    return this.announced;
  }

  /** Like Endpoint.peers(): the server, when there is one (always outbound). */
  peers(): PeerInfo[] {
    const peer = this.announced ?? (this.started && !this.closed ? { id: NIL_ENDPOINT, network: this.network } : undefined);
    return peer ? [{ peer, status: this._status, outbound: true }] : [];
  }

  get subscriptions(): readonly string[] {
    return this.topics;
  }

  /**
   * Messages waiting to be written towards the server: published (or the subscription message)
   * but not yet flushed by the socket. The client keeps no queue of its own, so this is the
   * socket's backlog in messages; 0 while not connected.
   */
  get queued(): number {
    return this.conn?.unflushed ?? 0;
  }

  /** True when the socket wants the caller to wait for the `drain` event before publishing more. */
  get congested(): boolean {
    return this.conn?.socket?.writableNeedDrain ?? false;
  }

  /** Calls `fn` once the socket has drained (at once when it is not congested). */
  onDrain(fn: () => void): void {
    const socket = this.conn?.socket;
    if (socket && socket.writableNeedDrain) socket.once('drain', fn);
    else queueMicrotask(fn);
  }

  /** Starts connecting (once); resolves with the server endpoint after the first ack. */
  connect(): Promise<EndpointInfo> {
    if (this.closed) return Promise.reject(new BridgeError('closed', 'client is closed'));
    if (this._status === PeerStatus.PEERED && this.announced) return Promise.resolve(this.announced);
    const p = new Promise<EndpointInfo>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.started) {
      this.started = true;
      this.attempt();
    }
    return p;
  }

  /**
   * Publishes a data message; like Endpoint.publish returns the number of peers it went to: 1, or
   * 0 (nothing sent, not buffered) while not connected.
   */
  publish(topic: string, value: Data): number {
    const c = this.conn;
    if (!c || !c.acked || c.resubscribing) {
      this.stats.unsent++;
      return 0;
    }
    this.send(c, dataMessageToJson(topic, value));
    this.stats.published++;
    return 1;
  }

  /** A Zeek event `[1, 1, [name, args, metadata?]]` on `topic`. */
  publishEvent(topic: string, name: string, args: readonly Data[], options: EventOptions = {}): number {
    return this.publish(topic, makeEvent(name, args, options));
  }

  /** Adds topic prefixes; reconnects to announce them (v1 has no in-band subscribe). */
  subscribe(prefixes: string | readonly string[]): boolean {
    const add = (typeof prefixes === 'string' ? [prefixes] : prefixes).filter((p) => !this.topics.includes(p));
    if (add.length === 0) return false;
    this.topics = [...this.topics, ...add];
    this.queueResubscribe();
    return true;
  }

  /** Removes topic prefixes (reconnecting); false when none of them was subscribed. */
  unsubscribe(prefixes: string | readonly string[]): boolean {
    const drop = new Set(typeof prefixes === 'string' ? [prefixes] : prefixes);
    const next = this.topics.filter((p) => !drop.has(p));
    if (next.length === this.topics.length) return false;
    this.topics = next;
    this.queueResubscribe();
    return true;
  }

  /** Endpoint-style name for close(). */
  shutdown(): Promise<void> {
    return this.close();
  }

  /** Closes with 1000 (peer_removed + endpoint_unreachable when peered); no more reconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retryTimer?.cancel();
    const c = this.conn;
    this.conn = undefined;
    this.rejectWaiters(new BridgeError('closed', 'client closed before the server acknowledged'));
    if (c) {
      c.timer?.cancel();
      c.pinger?.cancel();
      await new Promise<void>((resolve) => {
        if (c.ws.readyState === WebSocket.CLOSED) return resolve();
        c.ws.once('close', () => resolve());
        if (c.ws.readyState === WebSocket.CONNECTING) c.ws.terminate();
        else c.ws.close(CloseCode.NORMAL);
        // Do not wait for a server that never answers the Close frame.
        const t = setTimeout(() => c.ws.terminate(), 1000);
        t.unref();
      });
    }
    this._status = PeerStatus.DISCONNECTED;
    const peer = this.announced;
    if (peer) {
      this.announced = undefined;
      this.emitStatus('peer_removed', peer);
      this.emitStatus('endpoint_unreachable', peer);
    }
  }

  private queueResubscribe(): void {
    if (this.resubscribeQueued) return;
    this.resubscribeQueued = true;
    queueMicrotask(() => {
      this.resubscribeQueued = false;
      const c = this.conn;
      // Not acked yet: the ack handler notices the difference and resubscribes then.
      if (this.closed || !c || !c.acked || c.resubscribing || sameTopics(c.sent, this.topics)) return;
      c.resubscribing = true;
      c.ws.close(CloseCode.NORMAL, 'resubscribe');
    });
  }

  private attempt(): void {
    if (this.closed) return;
    this.retryTimer = undefined;
    this._status = this.announced || this.stats.connects > 0 ? PeerStatus.RECONNECTING : PeerStatus.CONNECTING;
    const o = this.options;
    const ws = new WebSocket(this.url, {
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload: o.max_message_size,
      headers: { [APPLICATION_NAME_HEADER]: o.application_name },
      ...(this.url.startsWith('wss:') ? clientTlsOptions(o) : {}),
    });
    const c: Conn = {
      ws,
      socket: undefined,
      cork: undefined,
      acked: false,
      sent: [...this.topics],
      resubscribing: false,
      timer: undefined,
      pinger: undefined,
      alive: true,
      failure: undefined,
      unflushed: 0,
      written: () => {
        c.unflushed--;
      },
    };
    this.conn = c;
    c.timer = this.clock.setTimeout(() => {
      c.failure ??= errorEvent(ErrorCode.PEER_UNAVAILABLE, `${PEER_UNAVAILABLE_TEXT}: no ack within connect_timeout`, this.unknownPeer);
      ws.terminate();
    }, o.connect_timeout * 1000);
    ws.on('upgrade', (res) => {
      c.socket = res.socket as Socket;
      c.cork = tickCorker(c.socket);
    });
    ws.on('open', () => this.send(c, subscriptionsToJson(c.sent)));
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      c.alive = true;
      this.stats.bytesIn += data.length;
      if (this.conn !== c || isBinary) return;
      if (c.acked) this.onMessage(data);
      else this.onFirstMessage(c, data);
    });
    ws.on('error', (err) => {
      c.failure ??= errorEvent(ErrorCode.PEER_UNAVAILABLE, `${PEER_UNAVAILABLE_TEXT}: ${err.message}`, this.unknownPeer, err);
    });
    ws.on('close', (code, reason) => this.onClose(c, code, reason.toString('utf8')));
  }

  /** One text message; its write callback keeps `queued` (c.unflushed) up to date. */
  private send(c: Conn, text: string): void {
    c.cork?.();
    c.unflushed++;
    this.stats.bytesOut += Buffer.byteLength(text);
    c.ws.send(text, c.written);
  }

  private onFirstMessage(c: Conn, data: Buffer): void {
    let msg: ControlMessage;
    try {
      msg = parseControlMessage(data);
    } catch (err) {
      c.failure = errorEvent(ErrorCode.PEER_INCOMPATIBLE, `expected an ack: ${(err as Error).message}`, this.unknownPeer, err);
      c.ws.close(CloseCode.POLICY_VIOLATION, 'expected an ack');
      return;
    }
    if (msg.type !== 'ack') {
      const remote = msg.type === 'error' ? { code: msg.code, context: msg.context } : undefined;
      c.failure = { ...errorEvent(ErrorCode.PEER_INCOMPATIBLE, remote ? `server refused the connection: ${remote.context}` : 'expected an ack', this.unknownPeer), ...(remote ? { remote } : {}) };
      c.ws.close(CloseCode.NORMAL);
      return;
    }
    c.acked = true;
    c.timer?.cancel();
    if (this.options.ping_interval > 0) c.pinger = this.clock.setInterval(() => this.ping(c), this.options.ping_interval * 1000);
    this.stats.connects++;
    this.backoff?.reset();
    this._status = PeerStatus.PEERED;
    const peer: EndpointInfo = { id: msg.endpoint, network: this.network };
    const prev = this.announced;
    if (!prev || prev.id !== peer.id) {
      if (prev) this.lost(prev);
      this.announced = peer;
      this.origin = { hop: peer.id };
      this.emitStatus('endpoint_discovered', peer);
      this.emitStatus('peer_added', peer);
    }
    for (const w of this.waiters.splice(0)) w.resolve(peer);
    if (!sameTopics(c.sent, this.topics)) this.queueResubscribe();
  }

  private onMessage(data: Buffer): void {
    this.stats.received++;
    if (startsLikeDataMessage(data)) {
      this.dataMessage(data);
      return;
    }
    let msg: ControlMessage;
    try {
      msg = parseControlMessage(data);
    } catch (err) {
      this.emitError(errorEvent(ErrorCode.DESERIALIZATION_FAILED, `unreadable message from the server: ${(err as Error).message}`, this.announced, err));
      return;
    }
    if (msg.type === 'data-message') this.dataMessage(data);
    else if (msg.type === 'error') {
      const idx = ERROR_CODE_NAMES.indexOf(msg.code);
      const code = (idx >= 0 ? idx : ErrorCode.UNSPECIFIED) as ErrorCode;
      this.emitError({ ...errorEvent(code, msg.context, this.announced), remote: { code: msg.code, context: msg.context } });
    }
  }

  private dataMessage(data: Buffer): void {
    try {
      const m = parseDataMessage(data);
      if (m.topic === undefined) return;
      this.emit('data', typeof m.topic === 'string' ? m.topic : Buffer.from(m.topic).toString('utf8'), m.value, this.origin);
    } catch (err) {
      const code = isBrokerError(err) ? err.ec : ErrorCode.DESERIALIZATION_FAILED;
      this.emitError(errorEvent(code, `invalid data message from the server: ${(err as Error).message}`, this.announced, err));
    }
  }

  private ping(c: Conn): void {
    if (!c.alive) {
      this.stats.pingTimeouts++;
      c.ws.terminate();
      return;
    }
    c.alive = false;
    c.ws.ping();
  }

  private onClose(c: Conn, code: number, reason: string): void {
    c.timer?.cancel();
    c.pinger?.cancel();
    if (this.conn !== c || this.closed) return;
    this.conn = undefined;
    if (c.resubscribing) {
      this.attempt();
      return;
    }
    if (c.acked) {
      // An established connection broke: report it, then re-dial at once (Broker's behaviour).
      if (this.announced) this.lost(this.announced, `connection closed (${code}${reason ? ` ${reason}` : ''})`);
      this.announced = undefined;
      this.backoff?.reset();
      this.schedule(0);
      return;
    }
    this.emitError(c.failure ?? errorEvent(ErrorCode.PEER_UNAVAILABLE, `${PEER_UNAVAILABLE_TEXT} (close ${code})`, this.unknownPeer));
    if (this.announced) {
      // A resubscribe's new connection failed: the peering we had is gone.
      this.lost(this.announced);
      this.announced = undefined;
    }
    const delay = this.backoff?.next();
    if (delay === undefined) {
      this._status = PeerStatus.DISCONNECTED;
      this.rejectWaiters(new BridgeError('peer_unavailable', c.failure?.message ?? 'unable to connect to remote peer', { retriable: true }));
      return;
    }
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    this._status = PeerStatus.RECONNECTING;
    this.retryTimer = this.clock.setTimeout(() => this.attempt(), ms);
  }

  private lost(peer: EndpointInfo, message?: string): void {
    this.emitStatus('peer_lost', peer, message);
    this.emitStatus('endpoint_unreachable', peer);
  }

  private rejectWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private emitStatus(name: StatusName, peer: EndpointInfo, message?: string): void {
    const e = message === undefined ? statusEvent(name, peer) : { ...statusEvent(name, peer), message };
    this.emit(name, e);
    this.emit('status', e);
  }

  private emitError(e: WebSocketErrorEvent): void {
    this.stats.errors++;
    this.emit('error', e);
  }
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
