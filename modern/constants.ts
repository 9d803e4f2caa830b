// Broker's numbered enums (spec §4): error codes (`ec`), status codes (`sc`) and peer states. Keys
// use Zeek's script spelling (ErrorCode.PEER_INCOMPATIBLE, PeerStatus.PEERED); the lowercase names
// Broker prints (JSON `code` fields, drop_conn logs, status enums) come from the `*_NAMES` tables.

export const ErrorCode = {
  NONE: 0,
  UNSPECIFIED: 1,
  PEER_INCOMPATIBLE: 2,
  PEER_INVALID: 3,
  PEER_UNAVAILABLE: 4,
  PEER_DISCONNECT_DURING_HANDSHAKE: 5,
  PEER_TIMEOUT: 6,
  MASTER_EXISTS: 7,
  NO_SUCH_MASTER: 8,
  NO_SUCH_KEY: 9,
  REQUEST_TIMEOUT: 10,
  TYPE_CLASH: 11,
  INVALID_DATA: 12,
  BACKEND_FAILURE: 13,
  STALE_DATA: 14,
  CANNOT_OPEN_FILE: 15,
  CANNOT_WRITE_FILE: 16,
  INVALID_TOPIC_KEY: 17,
  END_OF_FILE: 18,
  INVALID_TAG: 19,
  INVALID_MESSAGE: 20,
  INVALID_STATUS: 21,
  CONVERSION_FAILED: 22,
  CONSUMER_EXISTS: 23,
  CONNECTION_TIMEOUT: 24,
  BAD_MEMBER_FUNCTION_CALL: 25,
  REPEATED_REQUEST_ID: 26,
  BROKEN_CLONE: 27,
  SHUTTING_DOWN: 28,
  INVALID_PEERING_REQUEST: 29,
  REPEATED_PEERING_HANDSHAKE_REQUEST: 30,
  UNEXPECTED_HANDSHAKE_MESSAGE: 31,
  INVALID_HANDSHAKE_STATE: 32,
  NO_PATH_TO_PEER: 33,
  NO_CONNECTOR_AVAILABLE: 34,
  CANNOT_OPEN_RESOURCE: 35,
  SERIALIZATION_FAILED: 36,
  DESERIALIZATION_FAILED: 37,
  WRONG_MAGIC_NUMBER: 38,
  REDUNDANT_CONNECTION: 39,
  LOGIC_ERROR: 40,
  INVALID_JSON: 41,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Broker's own spelling of each `ec` value, indexed by number. */
export const ERROR_CODE_NAMES: readonly string[] = Object.entries(ErrorCode)
  .sort((a, b) => a[1] - b[1])
  .map(([key]) => key.toLowerCase());

export function errorCodeName(code: number): string {
  return ERROR_CODE_NAMES[code] ?? 'unspecified';
}

/** A drop_conn code outside the table is read as `unspecified` (spec §1.3). */
export function toErrorCode(code: number): ErrorCode {
  return (code >= 0 && code < ERROR_CODE_NAMES.length ? code : ErrorCode.UNSPECIFIED) as ErrorCode;
}

export const StatusCode = {
  UNSPECIFIED: 0,
  PEER_ADDED: 1,
  PEER_REMOVED: 2,
  PEER_LOST: 3,
  ENDPOINT_DISCOVERED: 4,
  ENDPOINT_UNREACHABLE: 5,
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export const STATUS_CODE_NAMES: readonly string[] = ['unspecified', 'peer_added', 'peer_removed', 'peer_lost', 'endpoint_discovered', 'endpoint_unreachable'];

export function statusCodeName(code: number): string {
  return STATUS_CODE_NAMES[code] ?? 'unspecified';
}

/** Broker's internal peer states; Zeek's Broker::PeerStatus uses the same order (INITIALIZING = 0). */
export const PeerStatus = {
  INITIALIZING: 0,
  CONNECTING: 1,
  CONNECTED: 2,
  PEERED: 3,
  DISCONNECTED: 4,
  RECONNECTING: 5,
  UNKNOWN: 6,
} as const;
export type PeerStatus = (typeof PeerStatus)[keyof typeof PeerStatus];

/** Broker's lowercase names; index 0 is `initialized` in Broker, `INITIALIZING` in Zeek scripts. */
export const PEER_STATUS_NAMES: readonly string[] = ['initialized', 'connecting', 'connected', 'peered', 'disconnected', 'reconnecting', 'unknown'];

export function peerStatusName(status: number): string {
  return PEER_STATUS_NAMES[status] ?? 'unknown';
}
