// The seam between the Broker endpoint's routing core and everything that lives *inside* the
// endpoint process: WebSocket clients, data stores, the bridge's translator. Each of them attaches as
// a local participant with its own topic filter; the endpoint delivers matching messages from native
// peers and from other local participants, and forwards what a participant publishes to native
// peers whose filters match. A participant never receives its own publications.
import type { Data } from './data/index.ts';
import type { CommandMessage } from './native/index.ts';

/** Where a message came from, as far as a local participant needs to know. */
export interface MessageOrigin {
  /** Endpoint id of the previous hop (a native peer), or the endpoint's own id for local publications. */
  hop: string;
  /** Id of the local participant that published it, when it was published locally. */
  participant?: string;
}

export interface LocalParticipant {
  /** Stable id, unique within the endpoint (WebSocket clients use a fresh UUID each). */
  readonly id: string;
  /** Data message on a topic matching the participant's filter. */
  onData?(topic: string, value: Data, origin: MessageOrigin): void;
  /**
   * Data-store command on a topic matching the participant's filter (`<store>/<$>/data/...`). The
   * whole command payload (seq, sender and receiver entities, command): stores need all of it.
   * `receiver` is the envelope's receiver endpoint (undefined for nil = broadcast).
   */
  onCommand?(topic: string, command: CommandMessage, origin: MessageOrigin, receiver: string | undefined): void;
}

export interface ParticipantHandle {
  /** Publish a data message as this participant (never delivered back to it). */
  publish(topic: string, value: Data): void;
  /** Send a store command; `receiver` = endpoint id for unicast, undefined for broadcast. */
  sendCommand(topic: string, command: CommandMessage, receiver?: string): void;
  /** Replace this participant's topic prefixes; new prefixes are announced to native peers. */
  setFilter(prefixes: readonly string[]): void;
  /** Detach; the participant receives nothing afterwards. */
  close(): void;
}

export interface MessageHub {
  /** The endpoint's own id (UUID text). */
  readonly nodeId: string;
  attach(participant: LocalParticipant, filter: readonly string[]): ParticipantHandle;
}
