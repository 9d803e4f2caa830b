// One WebSocket client of the server, as a state machine independent of the socket library:
// AWAITING_SUBSCRIPTIONS --first text--> ACTIVE (acked, attached to the hub) or REFUSED; any state
// --socket gone--> CLOSED. Text in, text out; the socket side is the small `ClientLink` seam.
//
// Outgoing data goes straight to the socket while it accepts more; once the socket asks to wait,
// messages queue here (at most `maxQueue`), and a full queue applies the overflow policy.
import { randomUUID } from 'node:crypto';
import type { Data } from '../data/index.ts';
import { parseDataMessage, parseSubscriptions, webSocketErrorContext } from '../data/json-decode.ts';
import { ackToJson, errorToJson } from '../data/json-encode.ts';
import { BrokerError, isBrokerError } from '../errors.ts';
import type { MessageHub, MessageOrigin, ParticipantHandle } from '../hub.ts';
import type { OverflowPolicy, WebSocketFlavor } from './options.ts';
import {
  BROKER_BAD_SUBSCRIPTION_CLOSE,
  DESERIALIZATION_FAILED,
  ZEEK_NO_TOPIC,
  ZEEK_SUBSCRIPTION_NOT_STRING,
  ZEEK_SUBSCRIPTIONS_NOT_ARRAY,
} from './wire.ts';

/** What a session needs from its connection. */
export interface ClientLink {
  /** Queue one text frame (the bytes are valid UTF-8 JSON). */
  sendText(text: Uint8Array | string): void;
  /** True while the socket wants the sender to wait for `drain`. */
  readonly congested: boolean;
  /** Close frame with `code`/`reason`, then end TCP without waiting for the client's Close. */
  close(code: number, reason: string): void;
  /** End TCP at once: no Close frame (Broker's answer to a binary frame). */
  drop(): void;
}

export const SessionState = {
  AWAITING_SUBSCRIPTIONS: 'awaiting_subscriptions',
  ACTIVE: 'active',
  /** Zeek 8 after a bad subscription message: error sent, no ack, later input ignored. */
  REFUSED: 'refused',
  CLOSED: 'closed',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** `Cluster::EndpointInfo` of a WebSocket client, plus what it announced. */
export interface WebSocketClientInfo {
  /** The client's own endpoint id (a fresh UUID; its participant id on the hub). */
  readonly id: string;
  readonly network: { readonly address: string; readonly bound_port: number };
  readonly application_name: string | undefined;
  subscriptions: readonly string[];
}

export interface SessionCounters {
  /** Text messages after the subscription message (Broker's input #N). */
  inputs: number;
  published: number;
  errors: number;
  sent: number;
  /** Messages discarded by the overflow policy. */
  dropped: number;
  /** Payload bytes of the messages received from the client (frame headers and control frames not counted). */
  bytesIn: number;
  /** Payload bytes of the messages handed to the client's socket: ack, errors and data. */
  bytesOut: number;
}

export interface SessionConfig {
  flavor: WebSocketFlavor;
  version: string;
  maxQueue: number;
  overflow: OverflowPolicy;
  /** Data message → UTF-8 JSON, shared by all sessions so a fan-out encodes once. */
  encode(topic: string, value: Data): Uint8Array;
  events: SessionEvents;
}

export interface SessionEvents {
  added(s: ClientSession): void;
  lost(s: ClientSession): void;
  /** The overflow policy acted; `disconnected` for the disconnect policy. */
  overflow(s: ClientSession, disconnected: boolean): void;
  /** A failure inside the server that is not the client's input (logged, never thrown). */
  internalError(s: ClientSession, err: unknown): void;
}

const utf8Lossy = new TextDecoder('utf-8');

export class ClientSession {
  state: SessionState = SessionState.AWAITING_SUBSCRIPTIONS;
  readonly info: WebSocketClientInfo;
  readonly counters: SessionCounters = { inputs: 0, published: 0, errors: 0, sent: 0, dropped: 0, bytesIn: 0, bytesOut: 0 };
  /** Set by any traffic from the client; the ping timer clears it. */
  alive = true;
  private handle: ParticipantHandle | undefined;
  private readonly queue: (Uint8Array | string)[] = [];

  constructor(
    private readonly hub: MessageHub,
    private readonly link: ClientLink,
    private readonly config: SessionConfig,
    remote: { address: string; port: number },
    applicationName: string | undefined,
  ) {
    this.info = { id: randomUUID(), network: { address: remote.address, bound_port: remote.port }, application_name: applicationName, subscriptions: [] };
  }

  get id(): string {
    return this.info.id;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The endpoint id announced in the ack (Zeek 8 gives each client `<node>-websocket-<id>`). */
  get ackEndpoint(): string {
    return this.config.flavor === 'zeek' ? `${this.hub.nodeId}-websocket-${this.info.id}` : this.hub.nodeId;
  }

  onText(bytes: Uint8Array): void {
    this.alive = true;
    switch (this.state) {
      case SessionState.AWAITING_SUBSCRIPTIONS:
        this.subscribe(bytes);
        return;
      case SessionState.ACTIVE:
        this.input(bytes);
        return;
      default:
        return;
    }
  }

  /** Broker drops the TCP connection on a binary frame: no Close frame, no error message. */
  onBinary(): void {
    if (this.state === SessionState.CLOSED) return;
    this.link.drop();
    this.onClosed();
  }

  /** The socket accepts more: move queued messages to it. */
  onDrain(): void {
    const q = this.queue;
    let i = 0;
    while (i < q.length && !this.link.congested) this.write(q[i++]!);
    if (i > 0) q.splice(0, i);
  }

  onClosed(): void {
    if (this.state === SessionState.CLOSED) return;
    const wasActive = this.state === SessionState.ACTIVE;
    this.state = SessionState.CLOSED;
    this.queue.length = 0;
    this.handle?.close();
    this.handle = undefined;
    if (wasActive) this.config.events.lost(this);
  }

  /** Server shutdown: Close frame 1001 like Zeek's `Terminating`, then TCP end. */
  terminate(code: number, reason: string): void {
    if (this.state === SessionState.CLOSED) return;
    this.link.close(code, reason);
    this.onClosed();
  }

  private subscribe(bytes: Uint8Array): void {
    let topics: string[];
    try {
      topics = parseSubscriptions(bytes);
    } catch (err) {
      if (this.config.flavor === 'zeek') {
        const notString = isBrokerError(err) && err.reason === ZEEK_SUBSCRIPTION_NOT_STRING;
        this.state = SessionState.REFUSED;
        this.sendError(DESERIALIZATION_FAILED, notString ? ZEEK_SUBSCRIPTION_NOT_STRING : ZEEK_SUBSCRIPTIONS_NOT_ARRAY);
      } else {
        this.link.close(BROKER_BAD_SUBSCRIPTION_CLOSE.code, BROKER_BAD_SUBSCRIPTION_CLOSE.reason);
        this.onClosed();
      }
      return;
    }
    this.info.subscriptions = topics;
    this.state = SessionState.ACTIVE;
    // The ack goes out before the hub can deliver anything to this client.
    this.link.sendText(ackToJson(this.ackEndpoint, this.config.version));
    const origin = this.info.id;
    this.handle = this.hub.attach({ id: origin, onData: (topic, value, from) => this.deliver(topic, value, from) }, topics);
    this.config.events.added(this);
  }

  private input(bytes: Uint8Array): void {
    const n = ++this.counters.inputs;
    let topic: string | Uint8Array | undefined;
    let value: Data;
    try {
      const msg = parseDataMessage(bytes);
      topic = msg.topic;
      value = msg.value;
    } catch (err) {
      const e = isBrokerError(err) ? err : new BrokerError('invalid_data', 'unexpected failure', { cause: err });
      if (e !== err) this.config.events.internalError(this, err);
      this.sendError(e.ecName, webSocketErrorContext(e, n));
      return;
    }
    if (topic === undefined) {
      // Broker publishes it on the empty topic, where nobody receives it; Zeek 8 refuses it.
      if (this.config.flavor === 'zeek') this.sendError(DESERIALIZATION_FAILED, ZEEK_NO_TOPIC);
      return;
    }
    this.counters.published++;
    this.handle!.publish(typeof topic === 'string' ? topic : utf8Lossy.decode(topic), value);
  }

  private deliver(topic: string, value: Data, origin: MessageOrigin): void {
    // The hub already never returns a participant's own publications; this guards a faulty hub.
    if (origin.participant === this.info.id || this.state !== SessionState.ACTIVE) return;
    let text: Uint8Array;
    try {
      text = this.config.encode(topic, value);
    } catch (err) {
      this.config.events.internalError(this, err);
      return;
    }
    this.enqueue(text);
  }

  /** Everything after the ack goes through here, so errors and data keep their order and bound. */
  private enqueue(text: Uint8Array | string): void {
    if (this.queue.length === 0 && !this.link.congested) {
      this.write(text);
      return;
    }
    if (this.queue.length < this.config.maxQueue) {
      this.queue.push(text);
      return;
    }
    switch (this.config.overflow) {
      case 'disconnect':
        this.counters.dropped += this.queue.length + 1;
        this.config.events.overflow(this, true);
        this.link.drop();
        this.onClosed();
        return;
      case 'drop_oldest':
        this.queue.shift();
        this.queue.push(text);
        break;
      case 'drop_newest':
        break;
    }
    this.counters.dropped++;
    this.config.events.overflow(this, false);
  }

  private write(text: Uint8Array | string): void {
    this.counters.sent++;
    this.link.sendText(text);
  }

  private sendError(code: string, context: string): void {
    this.counters.errors++;
    this.enqueue(errorToJson(code, context));
  }
}
