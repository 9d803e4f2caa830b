// Peer status translation: a legacy peer's state as Broker's PeerStatus, and the legacy framework's
// events (remote_connection_*) as the Broker status and error events Zeek scripts know
// (Broker::peer_added, peer_lost, peer_removed, Broker::error with an ErrorCode). The shapes match
// what the Broker endpoint reports for its own peerings, so one consumer (broker.log, the status
// endpoint, `<$>/local/data/statuses` subscribers) handles both worlds.
import { ErrorCode, PeerStatus, StatusCode, errorCodeName } from '../../modern/constants.ts';

/** The legacy framework's view of a peer: pending (dialling, or waiting to retry), then the protocol phases. */
export type LegacyPeerState = 'pending' | 'setup' | 'handshake' | 'sync' | 'running' | 'closed';

/** Legacy state -> PeerStatus. `pending` is RECONNECTING instead when the node had a session before. */
export const LEGACY_STATE_STATUS: Readonly<Record<LegacyPeerState, PeerStatus>> = {
  pending: PeerStatus.CONNECTING,
  // TCP (and TLS) is up and the protocol handshake is running: Broker's `connected`.
  setup: PeerStatus.CONNECTED,
  handshake: PeerStatus.CONNECTED,
  sync: PeerStatus.CONNECTED,
  running: PeerStatus.PEERED,
  closed: PeerStatus.DISCONNECTED,
};

export function legacyPeerStatus(state: LegacyPeerState, reconnecting = false): PeerStatus {
  return state === 'pending' && reconnecting ? PeerStatus.RECONNECTING : LEGACY_STATE_STATUS[state];
}

/** Zeek's Broker::NetworkInfo plus the retry interval (seconds; 0 = none). */
export interface NetworkInfo {
  readonly address: string;
  readonly bound_port: number;
  readonly retry: number;
}

/** Zeek's Broker::EndpointInfo. */
export interface EndpointInfo {
  readonly id: string;
  readonly network?: NetworkInfo;
}

export type StatusName = 'endpoint_discovered' | 'peer_added' | 'peer_removed' | 'peer_lost' | 'endpoint_unreachable';

export interface BrokerStatusReport {
  readonly kind: 'status';
  readonly code: StatusCode;
  readonly name: StatusName;
  readonly context: EndpointInfo;
  readonly message: string;
}

export interface BrokerErrorReport {
  readonly kind: 'error';
  readonly code: ErrorCode;
  /** Broker's lowercase name, e.g. `peer_incompatible`. */
  readonly name: string;
  readonly message: string;
  readonly context?: EndpointInfo;
}

export type BrokerReport = BrokerStatusReport | BrokerErrorReport;

/** Broker's own status texts. */
export const STATUS_TEXT: Readonly<Record<StatusName, string>> = {
  endpoint_discovered: 'found a new peer in the network',
  peer_added: 'handshake successful',
  peer_removed: 'removed connection to remote peer',
  peer_lost: 'lost connection to remote peer',
  endpoint_unreachable: 'lost the last path',
};

const STATUS_CODES: Readonly<Record<StatusName, StatusCode>> = {
  endpoint_discovered: StatusCode.ENDPOINT_DISCOVERED,
  peer_added: StatusCode.PEER_ADDED,
  peer_removed: StatusCode.PEER_REMOVED,
  peer_lost: StatusCode.PEER_LOST,
  endpoint_unreachable: StatusCode.ENDPOINT_UNREACHABLE,
};

/** Endpoint id used for a legacy peer that has no Broker endpoint of its own. */
export const NIL_ENDPOINT_ID = '00000000-0000-0000-0000-000000000000';

/** A legacy peer as a Broker status context. */
export interface LegacyPeerRef {
  /** The Broker endpoint standing for this peer, if any (its cluster endpoint); NIL otherwise. */
  readonly endpointId?: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Seconds between reconnect attempts (the node's `retry`), 0 = none. */
  readonly retry?: number | undefined;
}

export type LegacyConnectionEvent =
  | { readonly type: 'remote_connection_established'; readonly peer: LegacyPeerRef }
  | { readonly type: 'remote_connection_handshake_done'; readonly peer: LegacyPeerRef }
  | {
      readonly type: 'remote_connection_closed';
      readonly peer: LegacyPeerRef;
      /** Who ended the connection: we (disconnect(), shutdown) or the peer / the network. */
      readonly closedBy: 'local' | 'remote';
      /** Had the peer reached RUNNING (was a peer_added reported)? */
      readonly wasRunning: boolean;
    }
  | {
      readonly type: 'remote_connection_error';
      readonly peer: LegacyPeerRef;
      readonly reason: string;
      /** The framework's error code (a LegacyErrorCode, a Node errno like ECONNREFUSED), if any. */
      readonly code?: string | undefined;
    };

/**
 * Legacy error reasons -> Broker ErrorCode, first match wins. Each pattern is tried against the
 * error code and the reason text (Bro's messages and the codec's error codes).
 */
export const LEGACY_ERROR_TABLE: readonly { readonly match: RegExp; readonly code: ErrorCode; readonly why: string }[] = [
  { match: /version.?mismatch|protocol version/i, code: ErrorCode.PEER_INCOMPATIBLE, why: 'VERSION names another protocol version' },
  { match: /data.?format/i, code: ErrorCode.PEER_INCOMPATIBLE, why: 'VERSION names another serialization format' },
  { match: /certificate|\bssl\b|\btls\b|handshake failure|ERR_SSL/i, code: ErrorCode.PEER_INVALID, why: 'TLS setup or peer authentication failed' },
  { match: /did not send version|unexpected (message|msg)|in phase|unexpected_argument_chunk/i, code: ErrorCode.UNEXPECTED_HANDSHAKE_MESSAGE, why: 'a message the protocol phase does not allow' },
  { match: /authoritative|misconfigur/i, code: ErrorCode.INVALID_PEERING_REQUEST, why: 'both sides claim authoritative state (REQUEST_SYNC)' },
  { match: /oversize|too large|zero_length_chunk|unknown_message_type|limit_exceeded|cache_limit/i, code: ErrorCode.INVALID_MESSAGE, why: 'a chunk or message beyond the limits, or of an unknown type' },
  {
    match: /unserializ|malformed|unknown_serial|unknown_type|bad_value|cache_miss|truncated|unsupported_object|nesting|zlib|decompress/i,
    code: ErrorCode.DESERIALIZATION_FAILED,
    why: 'bytes that do not decode (Bro: "unserialization error")',
  },
  { match: /connect\S*\s.*(timed out|timeout)|ETIMEDOUT/i, code: ErrorCode.CONNECTION_TIMEOUT, why: 'the TCP connect did not complete' },
  { match: /timed out|timeout/i, code: ErrorCode.PEER_TIMEOUT, why: 'the peer stopped answering (handshake timeout, no PONG)' },
  { match: /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|can'?t connect|cannot connect|connect failed|connection refused/i, code: ErrorCode.PEER_UNAVAILABLE, why: 'nobody to connect to (Broker: "unable to connect to remote peer")' },
  { match: /during handshake|before (running|version)/i, code: ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE, why: 'the connection ended before RUNNING' },
  { match: /shutting down|terminat/i, code: ErrorCode.SHUTTING_DOWN, why: 'the bridge or the peer is terminating' },
];

export function errorCodeForLegacyReason(reason: string, code?: string): ErrorCode {
  for (const row of LEGACY_ERROR_TABLE) {
    if ((code !== undefined && row.match.test(code)) || row.match.test(reason)) return row.code;
  }
  return ErrorCode.UNSPECIFIED;
}

export function legacyContext(peer: LegacyPeerRef): EndpointInfo {
  return { id: peer.endpointId ?? NIL_ENDPOINT_ID, network: { address: peer.host, bound_port: peer.port, retry: peer.retry ?? 0 } };
}

export function statusReport(name: StatusName, context: EndpointInfo): BrokerStatusReport {
  const idOnly = name === 'endpoint_discovered' || name === 'endpoint_unreachable';
  return { kind: 'status', code: STATUS_CODES[name], name, context: idOnly ? { id: context.id } : context, message: STATUS_TEXT[name] };
}

export function errorReport(code: ErrorCode, message: string, context?: EndpointInfo): BrokerErrorReport {
  return { kind: 'error', code, name: errorCodeName(code), message, ...(context !== undefined ? { context } : {}) };
}

/**
 * What Broker would report for a legacy connection event, in Broker's order:
 * - established: nothing yet (Broker reports a peering only once its handshake is done);
 * - handshake_done: endpoint_discovered, peer_added;
 * - closed: peer_removed when we closed it, peer_lost when the peer or the network did, then
 *   endpoint_unreachable; a peer that never reached RUNNING gets no status but, when it went away by
 *   itself, the error peer_disconnect_during_handshake;
 * - error: Broker::error with the ErrorCode of LEGACY_ERROR_TABLE.
 */
export function legacyEventToBrokerReports(ev: LegacyConnectionEvent): BrokerReport[] {
  const ctx = legacyContext(ev.peer);
  switch (ev.type) {
    case 'remote_connection_established':
      return [];
    case 'remote_connection_handshake_done':
      return [statusReport('endpoint_discovered', ctx), statusReport('peer_added', ctx)];
    case 'remote_connection_closed':
      if (!ev.wasRunning) {
        return ev.closedBy === 'remote' ? [errorReport(ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE, 'peer disconnected during the handshake', ctx)] : [];
      }
      return [statusReport(ev.closedBy === 'local' ? 'peer_removed' : 'peer_lost', ctx), statusReport('endpoint_unreachable', ctx)];
    case 'remote_connection_error':
      return [errorReport(errorCodeForLegacyReason(ev.reason, ev.code), ev.reason, ctx)];
  }
}
