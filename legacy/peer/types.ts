import type { LogCreateWriter, LogEntry } from '../codec/log-codec.ts';
import type { PrintRecord } from '../codec/messages.ts';
import type { BroVal, SerialEvent, StateAccess } from '../codec/model.ts';

// What one connection's state machine shares with the framework above it.

/** Bro's `event_peer` record. */
export interface EventPeer {
  /** Bro's peer_id; stays the same across the reconnects of one outbound node. */
  id: number;
  host: string;
  /** TCP port: the node's port when we connected, the peer's source port when it connected. */
  p: number;
  is_local: boolean;
  /** The peer's `peer_description` (Bro sends it after VERSION; empty for Broccoli). */
  descr: string;
  /** The class from the peer's VERSION, when non-empty. */
  class?: string;
}

/** SETUP -> HANDSHAKE -> (SYNC) -> RUNNING, then closed. */
export type PeerPhase = 'setup' | 'handshake' | 'sync' | 'running' | 'closed';

/** REMOTE_LOG_INFO / REMOTE_LOG_ERROR. */
export const RemoteLogLevel = { INFO: 1, ERROR: 2 } as const;
/** REMOTE_SRC_CHILD / PARENT / SCRIPT: where a log line comes from (communication.log src_name). */
export const RemoteLogSrc = { CHILD: 1, PARENT: 2, SCRIPT: 3 } as const;
export type RemoteLogLevelCode = (typeof RemoteLogLevel)[keyof typeof RemoteLogLevel];
export type RemoteLogSrcCode = (typeof RemoteLogSrc)[keyof typeof RemoteLogSrc];

/** What the node table decides for a peer whose VERSION was accepted (Bro's setup_peer). */
export interface PeerSetup {
  /** The `Communication::nodes` entry that applies, if any. */
  node: string | undefined;
  /** Concrete names for REQUEST_EVENTS; none sent when empty. */
  requestEvents: string[];
  /** Sent as CAPTURE_FILTER when set and non-empty. */
  captureFilter: string | undefined;
  /** set_accept_state: events/state from this peer are delivered (else parsed and dropped). */
  acceptInput: boolean;
  /** zlib level for our direction, used only if the peer announced COMPRESSION. */
  compression: number;
  /** REQUEST_SYNC with this authoritative flag; undefined = no sync requested by us. */
  sync: { auth: boolean } | undefined;
  requestLogs: boolean;
}

export interface StateInconsistency {
  operation: string;
  id: string;
  expectedOld: string;
  realOld: string;
}

/** The framework side of a session. Calls arrive in wire order; none may throw. */
export interface SessionHost {
  /** Peer's VERSION accepted: do the node-table bookkeeping, raise remote_connection_established. */
  established(s: PeerSessionView): PeerSetup;
  /** Is `name` an event this side knows (REQUEST_EVENTS filter)? */
  knowsEvent(name: string): boolean;
  eventRegistered(s: PeerSessionView, name: string): void;
  handshakeDone(s: PeerSessionView): void;
  /** An event from an accepting peer. */
  event(s: PeerSessionView, e: SerialEvent): void;
  captureFilter(s: PeerSessionView, filter: string): void;
  pong(s: PeerSessionView, seq: number, d1: number, d2: number, d3: number): void;
  print(s: PeerSessionView, records: PrintRecord[]): void;
  logCreateWriter(s: PeerSessionView, w: LogCreateWriter): void;
  logWrite(s: PeerSessionView, entries: LogEntry[]): void;
  /**
   * SYNC is one peer at a time (section 6.3, Bro's "another sync in progress, waiting..."):
   * true = this session may sync now; false = it is queued and the framework calls its
   * grantSync() when the peer ahead of it is RUNNING or gone.
   */
  syncTurn(s: PeerSessionView): boolean;
  /** The session that had the turn is RUNNING: the next queued one goes. */
  syncDone(s: PeerSessionView): void;
  /** Our synchronized state, for the SYNC phase when we are the sender. */
  stateSnapshot(): Iterable<readonly [string, BroVal]>;
  /** A state operation from an accepting peer with sync on; returns an inconsistency if checked. */
  stateAccess(s: PeerSessionView, access: StateAccess): void;
  /** Writers that a peer which sent REQUEST_LOGS gets a LOG_CREATE_WRITER for. */
  logWriters(): Iterable<LogCreateWriter>;
  log(s: PeerSessionView, level: RemoteLogLevelCode, src: RemoteLogSrcCode, msg: string): void;
  /** An error attributed to the peer (remote_connection_error); the session closes afterwards. */
  error(s: PeerSessionView, reason: string): void;
  /** The transport is gone. `established` says whether remote_connection_closed applies. */
  closed(s: PeerSessionView, established: boolean): void;
}

/** Read-only view of a session for hosts and status output. */
export interface PeerSessionView {
  readonly peer: EventPeer;
  readonly phase: PeerPhase;
  readonly initiator: boolean;
  readonly nodeName: string | undefined;
  readonly acceptInput: boolean;
  /** Event names the peer asked for via REQUEST_EVENTS. */
  readonly requested: ReadonlySet<string>;
  /** The peer's CAPS flags (0 until received). */
  readonly peerCaps: number;
  readonly stats: SessionStats;
}

export interface SessionStats {
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  eventsIn: number;
  eventsOut: number;
  /** Events not sent because the output queue was full (queue_overflow = drop). */
  eventsDropped: number;
  /** We compress what we send (sent COMPRESS). */
  compressingOut: boolean;
  /** The peer compresses what it sends (received COMPRESS). */
  compressingIn: boolean;
  /** Cache-id width the peer writes SERIALs with in RUNNING (detected from its bytes). */
  peerPidWidth: 32 | 64 | undefined;
}
