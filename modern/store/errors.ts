// Every failure a data store reports to its caller is a StoreError with a stable `code` and the
// Broker ErrorCode (`ec`) Zeek would see for it, so a caller can branch on `code` and the bridge
// can answer a WebSocket or Zeek-side request with Broker's own error name.
import { BridgeError, type ErrorDetail } from '../../src/core/errors.ts';
import { ErrorCode, errorCodeName } from '../constants.ts';

export type StoreErrorCode =
  /** The key does not exist (get, subtract on a missing key). */
  | 'no_such_key'
  /** add/subtract with a value whose type does not fit the stored value. */
  | 'type_clash'
  /** A value that cannot be used the way it was asked (e.g. a table insert that is not [key, value]). */
  | 'invalid_data'
  /** A clone refuses a write: no master is reachable and buffering is disabled (mutation buffer <= 0). */
  | 'no_master'
  /** A clone refuses a write: the bounded queue of writes waiting for a master is full. */
  | 'queue_full'
  /** A write that was accepted but can no longer reach a master (queued too long, or in flight when the master changed). */
  | 'write_lost'
  /** A clone read while the clone has been without a master for longer than its stale interval. */
  | 'stale_data'
  /** The clone lost an action from its master that the master can no longer retransmit. */
  | 'broken_clone'
  /** A put_unique request id that is already pending. */
  | 'repeated_request_id'
  /** The backend failed to read or write (SQLite error, missing binding). */
  | 'backend_failure'
  /** The store was closed. */
  | 'closed'
  /** Bad store configuration (Cluster::stores, backend options). */
  | 'invalid_config';

const EC: Record<StoreErrorCode, ErrorCode> = {
  no_such_key: ErrorCode.NO_SUCH_KEY,
  type_clash: ErrorCode.TYPE_CLASH,
  invalid_data: ErrorCode.INVALID_DATA,
  no_master: ErrorCode.NO_SUCH_MASTER,
  queue_full: ErrorCode.NO_SUCH_MASTER,
  write_lost: ErrorCode.NO_SUCH_MASTER,
  stale_data: ErrorCode.STALE_DATA,
  broken_clone: ErrorCode.BROKEN_CLONE,
  repeated_request_id: ErrorCode.REPEATED_REQUEST_ID,
  backend_failure: ErrorCode.BACKEND_FAILURE,
  closed: ErrorCode.SHUTTING_DOWN,
  invalid_config: ErrorCode.INVALID_DATA,
};

const RETRIABLE: ReadonlySet<StoreErrorCode> = new Set(['no_master', 'queue_full', 'write_lost', 'stale_data']);

export class StoreError extends BridgeError<StoreErrorCode> {
  /** The Broker ErrorCode this failure corresponds to. */
  readonly ec: ErrorCode;
  /** Store name. */
  readonly store: string;

  constructor(code: StoreErrorCode, store: string, message: string, detail: ErrorDetail = {}) {
    super(code, `store ${JSON.stringify(store)}: ${message}`, { retriable: RETRIABLE.has(code), ...detail });
    this.ec = EC[code];
    this.store = store;
  }

  get ecName(): string {
    return errorCodeName(this.ec);
  }
}

/** An add/subtract failure before the store name is known (pure value arithmetic). */
export class ApplyError extends Error {
  constructor(
    readonly code: 'type_clash' | 'invalid_data' | 'no_such_key',
    message: string,
  ) {
    super(message);
  }
}
