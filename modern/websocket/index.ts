// WebSocket JSON API v1 (spec §3): the server Zeek 8 calls `Cluster::listen_websocket`, and a
// client for it. Both sit on the Broker JSON codec in ../data; the server attaches each client to
// a MessageHub as a local participant.
export { WebSocketServer, listenWebSocket, type WebSocketServerEvents, type WebSocketServerStats, type WebSocketServerDeps, type ClientStats } from './server.ts';
export { WebSocketClient, type WebSocketClientDeps, type WebSocketClientEvents, type WebSocketClientStats, type WebSocketErrorEvent } from './client.ts';
export { ClientSession, SessionState, type ClientLink, type SessionConfig, type SessionCounters, type SessionEvents, type WebSocketClientInfo } from './session.ts';
export {
  OverflowPolicy,
  WebSocketFlavor,
  resolveClientOptions,
  resolveServerOptions,
  ZEEK_VERSION,
  type ResolvedClientOptions,
  type ResolvedServerOptions,
  type WebSocketClientOptions,
  type WebSocketServerOptions,
} from './options.ts';
export { Backoff } from './backoff.ts';
export { parseControlMessage, startsLikeDataMessage, subscriptionsToJson, type ControlMessage } from './control.ts';
export * from './wire.ts';
