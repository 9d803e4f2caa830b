// Every failure of the Broker codecs is a BrokerError with a stable `code` from the union below and
// the Broker ErrorCode (`ec`) the failure corresponds to, so an endpoint can answer a bad handshake
// with the right drop_conn code and a WebSocket server can report the right context text.
import { BridgeError, isBridgeError, type ErrorDetail, type ReaderErrorCode } from '../src/core/errors.ts';
import { ErrorCode, errorCodeName } from './constants.ts';

export type BrokerErrorCode =
  | ReaderErrorCode
  // binary data (bin v1)
  | 'invalid_tag'
  | 'invalid_value'
  | 'duplicate_element'
  | 'trailing_bytes'
  // JSON (WebSocket v1)
  | 'malformed_json'
  | 'not_an_object'
  | 'invalid_data'
  // native framing / handshake / envelopes / store commands
  | 'empty_frame'
  | 'frame_too_large'
  | 'invalid_message_type'
  | 'wrong_magic_number'
  | 'unsupported_version'
  | 'message_too_short'
  | 'invalid_topic'
  | 'invalid_command'
  // Zeek message convention (§2.4)
  | 'invalid_zeek_message'
  // building values / messages from bad arguments
  | 'invalid_argument';

/** The `ec` Broker would use for each failure; codes raised in several contexts can override it. */
const DEFAULT_EC: Record<BrokerErrorCode, ErrorCode> = {
  truncated: ErrorCode.DESERIALIZATION_FAILED,
  limit_exceeded: ErrorCode.DESERIALIZATION_FAILED,
  invalid_tag: ErrorCode.DESERIALIZATION_FAILED,
  invalid_value: ErrorCode.DESERIALIZATION_FAILED,
  duplicate_element: ErrorCode.DESERIALIZATION_FAILED,
  trailing_bytes: ErrorCode.DESERIALIZATION_FAILED,
  // Broker's WebSocket server reports every JSON failure as deserialization_failed.
  malformed_json: ErrorCode.DESERIALIZATION_FAILED,
  not_an_object: ErrorCode.DESERIALIZATION_FAILED,
  invalid_data: ErrorCode.DESERIALIZATION_FAILED,
  empty_frame: ErrorCode.INVALID_MESSAGE,
  frame_too_large: ErrorCode.INVALID_MESSAGE,
  invalid_message_type: ErrorCode.INVALID_MESSAGE,
  wrong_magic_number: ErrorCode.WRONG_MAGIC_NUMBER,
  unsupported_version: ErrorCode.PEER_INCOMPATIBLE,
  message_too_short: ErrorCode.INVALID_MESSAGE,
  invalid_topic: ErrorCode.INVALID_TOPIC_KEY,
  invalid_command: ErrorCode.DESERIALIZATION_FAILED,
  invalid_zeek_message: ErrorCode.INVALID_DATA,
  invalid_argument: ErrorCode.SERIALIZATION_FAILED,
};

export interface BrokerErrorDetail extends ErrorDetail {
  /** Overrides the default Broker error code for `code`. */
  ec?: ErrorCode;
}

export class BrokerError extends BridgeError<BrokerErrorCode> {
  /** The Broker ErrorCode (`ec`, spec §4.3) this failure corresponds to. */
  readonly ec: ErrorCode;
  /** The message without the location suffix, e.g. `wrong magic number` (the text a drop_conn carries). */
  readonly reason: string;

  constructor(code: BrokerErrorCode, reason: string, detail: BrokerErrorDetail = {}) {
    super(code, reason, detail);
    this.ec = detail.ec ?? DEFAULT_EC[code];
    this.reason = reason;
  }

  /** Broker's lowercase name of `ec`, e.g. `deserialization_failed`. */
  get ecName(): string {
    return errorCodeName(this.ec);
  }
}

/** CAF parser error codes (`caf::pec`) that a JSON syntax error can report. */
export type CafParserError =
  | 'unexpected_eof'
  | 'unexpected_character'
  | 'trailing_character'
  | 'integer_overflow'
  | 'integer_underflow'
  | 'nested_too_deeply'
  | 'invalid_escape_sequence';

/** A JSON syntax error located like CAF's parser does (1-based line and column of the offending byte). */
export class MalformedJsonError extends BrokerError {
  readonly pec: CafParserError;
  readonly line: number;
  readonly column: number;

  constructor(pec: CafParserError, line: number, column: number, offset: number) {
    super('malformed_json', `malformed JSON: ${pec} at line ${line}, column ${column}`, { offset, field: 'json' });
    this.pec = pec;
    this.line = line;
    this.column = column;
  }

  /** CAF's rendering of the error, e.g. `caf::pec::unexpected_character(1, 1)`. */
  get cafText(): string {
    return `caf::pec::${this.pec}(${this.line}, ${this.column})`;
  }
}

export function isBrokerError(err: unknown): err is BrokerError {
  return err instanceof BrokerError;
}

/**
 * Rewraps an error thrown below a codec entry point (the shared ByteReader raises plain BridgeErrors)
 * as a BrokerError; `ec` replaces the default code for context-dependent failures (e.g. a truncated
 * handshake message is `invalid_message`, a truncated value `deserialization_failed`).
 */
export function asBrokerError(err: unknown, ec?: ErrorCode): BrokerError {
  if (err instanceof BrokerError) {
    if (ec === undefined || err.ec === ec || err.code !== 'truncated') return err;
  }
  if (isBridgeError(err) && (err.code === 'truncated' || err.code === 'limit_exceeded')) {
    const reason = err instanceof BrokerError ? err.reason : err.message.replace(/ \((field|offset) [^)]*\)$/, '');
    return new BrokerError(err.code, reason, {
      ...(err.field !== undefined ? { field: err.field } : {}),
      ...(err.offset !== undefined ? { offset: err.offset } : {}),
      ...(ec !== undefined ? { ec } : {}),
      cause: err,
    });
  }
  if (err instanceof RangeError) {
    // Deep recursion on hostile input ends here instead of escaping as a bare RangeError.
    return new BrokerError('limit_exceeded', `input nested too deeply: ${err.message}`, { cause: err, ...(ec !== undefined ? { ec } : {}) });
  }
  throw err;
}
