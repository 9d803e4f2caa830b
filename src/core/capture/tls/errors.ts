// Every way reading a key log or decrypting a recorded TLS stream can fail, as one code union, and
// the limits that keep a hostile capture or key log from exhausting memory.
import { BridgeError, type ErrorDetail, type ReaderErrorCode } from '../../errors.ts';

export type TlsErrorCode =
  | ReaderErrorCode
  /** A key-log line is not `LABEL <client random hex> <secret hex>`, or a known secret has the wrong length. */
  | 'keylog_malformed'
  /** A record header is impossible (content type, version, length). */
  | 'record_malformed'
  /** A record or its plaintext is longer than the protocol allows (RFC 8446 5.2, RFC 5246 6.2). */
  | 'record_overflow'
  /** A handshake message is cut short or inconsistent. */
  | 'handshake_malformed'
  /** A message arrived where the protocol does not allow it (encrypted data before any hello, ...). */
  | 'unexpected_message'
  /** The session uses something this decoder does not decrypt (suite, version, compression, 0-RTT). */
  | 'unsupported'
  /** Authentication of a record failed: wrong key, or corrupted bytes. */
  | 'decrypt_failed';

export class TlsError extends BridgeError<TlsErrorCode> {}

export function tlsError(code: TlsErrorCode, message: string, detail: ErrorDetail = {}): TlsError {
  return new TlsError(code, message, detail);
}

export interface TlsLimits {
  /**
   * Largest record body accepted from the wire. RFC 5246 allows 2^14 + 2048 for TLS 1.2;
   * TLS 1.3 records are held to 2^14 + 256 on top of this (RFC 8446 5.2).
   */
  maxRecordBytes: number;
  /** Largest handshake message reassembled (certificate chains are the big ones). */
  maxHandshakeMessageBytes: number;
  /** Most secrets kept from key logs. */
  maxKeyLogEntries: number;
  /** Longest key-log line. */
  maxKeyLogLineBytes: number;
}

export const TLS13_MAX_CIPHERTEXT = 16384 + 256;
export const MAX_PLAINTEXT = 16384;

export const DEFAULT_TLS_LIMITS: Readonly<TlsLimits> = {
  maxRecordBytes: 16384 + 2048,
  maxHandshakeMessageBytes: 1 << 20,
  maxKeyLogEntries: 1_000_000,
  maxKeyLogLineBytes: 4096,
};

export function tlsLimits(overrides: Partial<TlsLimits> = {}): TlsLimits {
  return { ...DEFAULT_TLS_LIMITS, ...overrides };
}
