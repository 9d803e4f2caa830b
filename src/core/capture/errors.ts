// Every way reading, writing, recording or replaying a capture can fail, as one code union. The CLI
// prints `code` and exits non-zero; tests and callers branch on `code`, never on message text.
import { BridgeError, type ErrorDetail, type ReaderErrorCode } from '../errors.ts';

export type CaptureErrorCode =
  | ReaderErrorCode
  /** The file does not exist or cannot be read. */
  | 'file_unreadable'
  /** The bytes are neither a JSON Lines transcript, a pcap nor a pcapng. */
  | 'not_a_capture'
  /** A transcript line is not JSON, or has the wrong shape (bad `dir`, `t`, `hex`). */
  | 'bad_transcript_line'
  /** A pcap/pcapng header or block is inconsistent (bad magic, length, interface id). */
  | 'bad_pcap'
  /** No packet of the capture is on a link type we can parse. */
  | 'unsupported_link_type'
  /** A protocol name the tool does not know, or one with no decoder registered. */
  | 'unknown_protocol'
  /** The requested connection is not in the capture. */
  | 'no_such_connection'
  /** Command-line misuse (missing argument, bad number). */
  | 'usage'
  /** A live peer could not be reached or closed unexpectedly (replay/record). */
  | 'peer_unreachable'
  /** A live peer stayed silent longer than the replay allows. */
  | 'peer_timeout';

export class CaptureError extends BridgeError<CaptureErrorCode> {}

export function captureError(code: CaptureErrorCode, message: string, detail: ErrorDetail = {}): CaptureError {
  return new CaptureError(code, message, detail);
}

/**
 * Safety limits for capture input. Every reader checks them so a hostile or corrupt file ends in a
 * `limit_exceeded` error instead of exhausting memory.
 */
export interface CaptureLimits {
  /** Largest capture file read into memory. */
  maxFileBytes: number;
  /** Largest single packet (pcap caplen / pcapng block) or transcript line. */
  maxRecordBytes: number;
  /** Most TCP connections tracked in one capture. */
  maxConnections: number;
  /** Out-of-order bytes held per connection direction before the hole is given up as a gap. */
  maxOutOfOrderBytes: number;
}

export const DEFAULT_CAPTURE_LIMITS: Readonly<CaptureLimits> = {
  maxFileBytes: 1 << 30,
  maxRecordBytes: 64 << 20,
  maxConnections: 1_000_000,
  maxOutOfOrderBytes: 32 << 20,
};

export function captureLimits(overrides: Partial<CaptureLimits> = {}): CaptureLimits {
  return { ...DEFAULT_CAPTURE_LIMITS, ...overrides };
}
