// Why a value, event or log record could not cross between the legacy and the Broker world. The
// translator never mangles what it cannot express: it throws a TranslationError, and the caller drops
// the message and counts the drop under the error's code (see drops.ts).
import { BridgeError, type ErrorDetail } from '../core/errors.ts';

export type TranslationErrorCode =
  /** The Broker value has no legacy counterpart where it stands (none as an argument, a table as an index ...). */
  | 'no_legacy_type'
  /** The value does not fit the declared type (count where the signature says string ...). */
  | 'type_mismatch'
  /** Record field count, multi-index key width or event argument count differ from the declaration. */
  | 'arity_mismatch'
  /** Set elements or table keys of different types, and no declared type to say what they are. */
  | 'heterogeneous_container'
  /** An enum name the declared enum type does not have. */
  | 'unknown_enum_name'
  /** A legacy enum that came without its name table (Broccoli) and no declared enum resolves the number. */
  | 'unresolved_enum'
  /** A type referenced by name that the type registry does not declare. */
  | 'unknown_type'
  /** A type the other side cannot carry at all (file, func, opaque, pattern log columns ...). */
  | 'unsupported_type'
  /** A number outside what the other side can hold (non-finite time, ns beyond int64, bad prefix). */
  | 'value_out_of_range'
  | 'depth_exceeded'
  /** A Broker message on an event topic that is not a Zeek event (log writes, garbage). */
  | 'not_an_event'
  /** A log stream whose enum name is not configured and may not be guessed. */
  | 'unknown_log_stream'
  /** An event that came back from the peer it was just sent to (a forwarding loop). */
  | 'echo_suppressed';

export class TranslationError extends BridgeError<TranslationErrorCode> {}

export function translationError(code: TranslationErrorCode, message: string, detail: ErrorDetail = {}): TranslationError {
  return new TranslationError(code, message, detail);
}

export function isTranslationError(err: unknown): err is TranslationError {
  return err instanceof TranslationError;
}
