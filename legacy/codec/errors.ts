import { BridgeError, type ErrorDetail, type ReaderErrorCode } from '../../src/core/errors.ts';

// Every way legacy bytes can be wrong, as one literal union. Each code maps to what a Bro peer does
// about it (see `peerAction`): almost everything is fatal for the connection, because Bro's reader
// has no way to resynchronise a stream.

export type LegacyErrorCode =
  | ReaderErrorCode
  /** A physical chunk longer than `maxChunkSize`, or a chunk too big to send to this peer. */
  | 'oversize_chunk'
  /** PARTIAL pieces reassembling to more than `maxMessageSize`. */
  | 'oversize_message'
  | 'zero_length_chunk'
  /** A header naming a type that is not exchanged between peers (internal types, > 0x20). */
  | 'unknown_message_type'
  /** Where a header chunk (8 bytes) was due, a chunk of another length arrived. */
  | 'unexpected_argument_chunk'
  /** An argument chunk whose layout does not fit its message type. */
  | 'malformed_message'
  /** First byte of a SERIAL is not 'e', 'i' or 's' ('c', 't', 'p' are not supported). */
  | 'unknown_serial_kind'
  /** A serial type code that is unknown or not allowed where it appears. */
  | 'unknown_serial_type'
  | 'unknown_type_tag'
  /** Expressions, functions, files, opaques: valid Bro, but not decodable without desyncing. */
  | 'unsupported_object'
  /** A type sent by name that must be known to read the value (no `typeByName` resolver knew it). */
  | 'unknown_type_name'
  /** A value inconsistent with its type or with itself (stype vs type tag, address width, ...). */
  | 'bad_value'
  | 'nesting_too_deep'
  /** A back-reference to a pid the receiver cache does not hold ("unknown object N referenced"). */
  | 'cache_miss'
  | 'cache_limit'
  | 'zlib_garbage'
  | 'decompression_bomb'
  | 'version_mismatch'
  | 'data_format_mismatch'
  /** Encoder input that cannot be put on the wire (bad address text, out-of-range numbers ...). */
  | 'invalid_value';

export class LegacyError extends BridgeError<LegacyErrorCode> {}

export function legacyError(code: LegacyErrorCode, message: string, detail: ErrorDetail = {}): LegacyError {
  return new LegacyError(code, message, detail);
}

/** Normalise anything thrown while decoding into a LegacyError (reader errors keep their code). */
export function toLegacyError(err: unknown, field = 'stream'): LegacyError {
  if (err instanceof LegacyError) return err;
  if (err instanceof BridgeError) {
    const detail: ErrorDetail = { cause: err };
    if (err.field !== undefined) detail.field = err.field;
    if (err.offset !== undefined) detail.offset = err.offset;
    // BridgeError already appended "(field .., offset ..)" to its message; do not repeat it.
    const message = err.message.replace(/ \((field|offset) [^)]*\)$/, '');
    return new LegacyError(err.code as LegacyErrorCode, message, detail);
  }
  // A RangeError from a typed array or similar: still bad input, never an untyped escape.
  const message = err instanceof Error ? err.message : String(err);
  return new LegacyError('malformed_message', `malformed input: ${message}`, { field, cause: err });
}

/** What a Bro 2.5 receiver does on this error (for decoded-capture output and state machines). */
export function peerAction(code: LegacyErrorCode): string {
  switch (code) {
    case 'version_mismatch':
    case 'data_format_mismatch':
      return 'close connection (logged as version mismatch, nothing sent to the peer)';
    case 'unknown_message_type':
      return 'close connection (garbage message type)';
    case 'invalid_value':
      return 'refuse to send';
    default:
      return 'close connection';
  }
}
