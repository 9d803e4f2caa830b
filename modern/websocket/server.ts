// The WebSocket JSON v1 server (`Cluster::listen_websocket`): an HTTP(S) listener that upgrades
// exactly `/v1/messages/json`, one ClientSession per connection, pings that drop dead clients.
// Every client is a local participant of the MessageHub, so WebSocket clients and native peers
// share one topic space.
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer as WsServer, type WebSocket } from 'ws';
import { systemClock, type Clock, type TimerHandle } from '../../src/core/clock.ts';
import { BridgeError } from '../../src/core/errors.ts';
import type { Data } from '../data/index.ts';
import { dataMessageToJson, errorToJson } from '../data/json-encode.ts';
import type { MessageHub } from '../hub.ts';
import { resolveServerOptions, type ResolvedServerOptions, type WebSocketServerOptions } from './options.ts';
import { ClientSession, type ClientLink, type SessionConfig, type SessionCounters, type WebSocketClientInfo } from './session.ts';
import { serverTlsOptions } from './tls.ts';
import { tickCorker } from './cork.ts';
import {
  APPLICATION_NAME_HEADER,
  APPLICATION_NAME_PATTERN,
  BROKER_BAD_PATH_BODY,
  CloseCode,
  INVALID_APPLICATION_NAME_BODY,
  JSON_V1_PATH,
  ZEEK_INVALID_URI,
} from './wire.ts';

export interface WebSocketServerEvents {
  /** `Cluster::websocket_client_added`: the client's subscriptions were acked. */
  websocket_client_added: [endpoint: WebSocketClientInfo, subscriptions: readonly string[]];
  /** `Cluster::websocket_client_lost`: an acked client went away (any reason). */
  websocket_client_lost: [endpoint: WebSocketClientInfo];
  /** The overflow policy acted on a client that does not keep up. */
  overflow: [endpoint: WebSocketClientInfo, detail: { policy: string; disconnected: boolean; dropped: number }];
  /** A client was dropped for not answering a ping within `ping_interval`. */
  ping_timeout: [endpoint: WebSocketClientInfo];
  /** Failures that are not a client's fault (socket errors, encoder failures); never thrown. */
  error: [err: Error];
}

export interface WebSocketServerStats {
  connections: number;
  refusedUpgrades: number;
  dropped: number;
  pingTimeouts: number;
}

export interface ClientStats extends SessionCounters {
  queued: number;
  state: string;
  /** Answered the last ping (or sent anything since). */
  alive: boolean;
}

export interface WebSocketServerDeps {
  clock?: Clock;
}

function httpRefusal(status: string, body: string, bodyCopies: number): string {
  const len = Buffer.byteLength(body);
  return `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${len}\r\n\r\n${body.repeat(bodyCopies)}`;
}

export class WebSocketServer extends EventEmitter<WebSocketServerEvents> {
  readonly options: ResolvedServerOptions;
  readonly stats: WebSocketServerStats = { connections: 0, refusedUpgrades: 0, dropped: 0, pingTimeouts: 0 };
  private readonly http: HttpServer;
  private readonly wss: WsServer;
  private readonly sessions = new Map<ClientSession, { ws: WebSocket; socket: Socket }>();
  private readonly clock: Clock;
  private pingTimer: TimerHandle | undefined;
  private readonly sessionConfig: SessionConfig;
  private closing: Promise<void> | undefined;
  // One-entry encoding cache: a message fanned out to many clients is encoded once.
  private lastTopic: string | undefined;
  private lastValue: Data | undefined;
  private lastText: Uint8Array = new Uint8Array(0);

  /** Binds and listens; resolves once the port is bound (listen_port 0 = ephemeral). */
  static async listen(hub: MessageHub, options?: WebSocketServerOptions, deps: WebSocketServerDeps = {}): Promise<WebSocketServer> {
    const server = new WebSocketServer(hub, resolveServerOptions(options), deps);
    await server.start();
    return server;
  }

  private constructor(
    private readonly hub: MessageHub,
    options: ResolvedServerOptions,
    deps: WebSocketServerDeps,
  ) {
    super();
    this.options = options;
    this.clock = deps.clock ?? systemClock;
    const tls = serverTlsOptions(options);
    this.http = tls ? createHttpsServer(tls) : createHttpServer();
    this.wss = new WsServer({ noServer: true, perMessageDeflate: false, maxPayload: options.max_message_size, clientTracking: false });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket as Socket, head));
    this.http.on('request', (_req, res) => {
      res.writeHead(400, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end(`expected a WebSocket upgrade on ${JSON_V1_PATH}`);
    });
    this.http.on('clientError', (_err, socket) => socket.destroy());
    this.http.on('tlsClientError', (err) => this.emitError(err));
    this.sessionConfig = {
      flavor: options.flavor,
      version: options.version,
      maxQueue: options.max_event_queue_size,
      overflow: options.overflow_policy,
      encode: (topic, value) => this.encode(topic, value),
      events: {
        added: (s) => this.emit('websocket_client_added', s.info, s.info.subscriptions),
        lost: (s) => this.emit('websocket_client_lost', s.info),
        overflow: (s, disconnected) => {
          this.stats.dropped = this.stats.dropped + (disconnected ? s.counters.dropped : 1);
          this.emit('overflow', s.info, { policy: options.overflow_policy, disconnected, dropped: s.counters.dropped });
        },
        internalError: (_s, err) => this.emitError(err),
      },
    };
  }

  /** The bound address; `port` is the real port when listen_port was 0. */
  get address(): AddressInfo {
    return this.http.address() as AddressInfo;
  }

  get tls(): boolean {
    return this.options.tls_options.cert_file !== undefined;
  }

  /** `ws://` or `wss://` URL of the JSON endpoint. */
  get url(): string {
    const a = this.address;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.tls ? 'wss' : 'ws'}://${host}:${a.port}${JSON_V1_PATH}`;
  }

  /** Acked clients. */
  get clients(): WebSocketClientInfo[] {
    return [...this.sessions.keys()].filter((s) => s.state === 'active').map((s) => s.info);
  }

  /** Per-client counters and queue depth, keyed by client id. */
  clientStats(): Map<string, ClientStats> {
    const out = new Map<string, ClientStats>();
    for (const s of this.sessions.keys()) out.set(s.id, { ...s.counters, queued: s.queued, state: s.state, alive: s.alive });
    return out;
  }

  private async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new BridgeError('listen_failed', `cannot listen on ${this.options.listen_addr}:${this.options.listen_port}: ${err.message}`, { cause: err, retriable: true }));
      this.http.once('error', onError);
      this.http.listen(this.options.listen_port, this.options.listen_addr, () => {
        this.http.off('error', onError);
        this.http.on('error', (err) => this.emitError(err));
        resolve();
      });
    });
    if (this.options.ping_interval > 0) this.pingTimer = this.clock.setInterval(() => this.pingAll(), this.options.ping_interval * 1000);
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', (err) => this.emitError(err));
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (req.url !== JSON_V1_PATH && this.options.flavor === 'broker') {
      // Broker writes the body twice although Content-Length covers one copy; byte-exact here.
      this.refuse(socket, httpRefusal('400 Bad Request', BROKER_BAD_PATH_BODY, 2));
      return;
    }
    const appName = req.headers[APPLICATION_NAME_HEADER];
    if (appName !== undefined && (typeof appName !== 'string' || !APPLICATION_NAME_PATTERN.test(appName))) {
      this.refuse(socket, httpRefusal('400 Bad Request', INVALID_APPLICATION_NAME_BODY, 1));
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (req.url !== JSON_V1_PATH) {
        // Zeek 8: upgrade, an error message, then Close 1008.
        ws.send(errorToJson(ZEEK_INVALID_URI.code, ZEEK_INVALID_URI.reason));
        this.closeLink(ws, socket, ZEEK_INVALID_URI.closeCode, ZEEK_INVALID_URI.reason);
        this.stats.refusedUpgrades++;
        return;
      }
      this.connection(ws, socket, typeof appName === 'string' ? appName : undefined);
    });
  }

  private refuse(socket: Socket, response: string): void {
    this.stats.refusedUpgrades++;
    socket.once('finish', () => socket.destroy());
    socket.end(response);
  }

  private closeLink(ws: WebSocket, socket: Socket, code: number, reason: string): void {
    ws.close(code, reason);
    // The Close frame is queued; end TCP after it instead of waiting for the client's Close.
    socket.once('finish', () => socket.destroy());
    socket.end();
  }

  private connection(ws: WebSocket, socket: Socket, applicationName: string | undefined): void {
    this.stats.connections++;
    const cork = tickCorker(socket);
    const link: ClientLink = {
      sendText: (text) => {
        // Payload bytes: a string's UTF-8 length is computed without encoding it here.
        session.counters.bytesOut += typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
        cork();
        ws.send(text, { binary: false });
      },
      get congested() {
        return socket.writableNeedDrain;
      },
      close: (code, reason) => this.closeLink(ws, socket, code, reason),
      drop: () => socket.destroy(),
    };
    const session = new ClientSession(this.hub, link, this.sessionConfig, { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }, applicationName);
    this.sessions.set(session, { ws, socket });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      session.counters.bytesIn += data.length;
      if (isBinary) session.onBinary();
      else session.onText(data);
    });
    ws.on('pong', () => {
      session.alive = true;
    });
    // Protocol violations (oversize message → 1009, invalid UTF-8 → 1007) are closed by ws itself.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      session.onClosed();
      this.sessions.delete(session);
    });
    socket.on('drain', () => session.onDrain());
  }

  private pingAll(): void {
    for (const [s, { ws }] of this.sessions) {
      if (!s.alive) {
        this.stats.pingTimeouts++;
        this.emit('ping_timeout', s.info);
        ws.terminate();
        s.onClosed();
        continue;
      }
      s.alive = false;
      ws.ping();
    }
  }

  private encode(topic: string, value: Data): Uint8Array {
    if (value !== this.lastValue || topic !== this.lastTopic) {
      this.lastText = Buffer.from(dataMessageToJson(topic, value), 'utf8');
      this.lastTopic = topic;
      this.lastValue = value;
    }
    return this.lastText;
  }

  private emitError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  /** Stops listening, sends Close 1001 `Terminating` to every client and waits for the sockets. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.pingTimer?.cancel();
    const gone = [...this.sessions.values()].map(({ socket }) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))));
    for (const s of [...this.sessions.keys()]) s.terminate(CloseCode.GOING_AWAY, 'Terminating');
    const listenerClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    // A client that does not read cannot take its Close frame; do not wait for it for long.
    const grace = setTimeout(() => {
      for (const { socket } of this.sessions.values()) socket.destroy();
    }, 500);
    grace.unref();
    await Promise.all(gone);
    clearTimeout(grace);
    this.sessions.clear();
    await listenerClosed;
  }
}

/** Zeek's `Cluster::listen_websocket(options)`. */
export function listenWebSocket(hub: MessageHub, options?: WebSocketServerOptions, deps?: WebSocketServerDeps): Promise<WebSocketServer> {
  return WebSocketServer.listen(hub, options, deps);
}
