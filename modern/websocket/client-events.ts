// The client's public types: the native Endpoint's event surface (EndpointEvents) as far as one
// server peer has it, its error event with the server's reply, injectable time and randomness.
import type { Clock } from '../../src/core/clock.ts';
import type { Data } from '../data/index.ts';
import type { ErrorEvent, PeerStatusEvents } from '../endpoint/events.ts';
import type { MessageOrigin } from '../hub.ts';

/** The endpoint's ErrorEvent, plus the server's `{"type":"error"}` reply when that is the cause. */
export interface WebSocketErrorEvent extends ErrorEvent {
  readonly remote?: { readonly code: string; readonly context: string };
}

/** The native Endpoint's event surface (EndpointEvents), as far as a single server peer has it. */
export interface WebSocketClientEvents extends PeerStatusEvents {
  error: (e: WebSocketErrorEvent) => void;
  /** A data message on a subscribed topic; `origin.hop` is the server's endpoint id. */
  data: (topic: string, value: Data, origin: MessageOrigin) => void;
}

export interface WebSocketClientDeps {
  clock?: Clock;
  /** Uniform [0, 1) source for backoff jitter. */
  random?: () => number;
}

export interface WebSocketClientStats {
  published: number;
  /** publish() calls while not connected (not buffered, as in Broker). */
  unsent: number;
  received: number;
  errors: number;
  connects: number;
  /** Connections given up because the server stopped answering pings. */
  pingTimeouts: number;
  /** Payload bytes of the messages received from the server, over all connections (ack included). */
  bytesIn: number;
  /** Payload bytes of the messages sent to the server, over all connections (subscriptions included). */
  bytesOut: number;
}
