// Captures: the JSON Lines transcripts of ../shared/fixtures and pcap/pcapng files, reduced to the
// bytes each side of each TCP connection sent, in order. Protocol decoders consume these.

export type Direction = 'c2s' | 's2c';

/** One read of bytes from one side of one connection, in capture order. */
export interface CaptureData {
  kind: 'data';
  conn: number;
  dir: Direction;
  /** Seconds since the start of the capture. */
  t: number;
  bytes: Uint8Array;
}

/** One side closed its half of the connection (FIN/RST, or an `eof` transcript line). */
export interface CaptureEof {
  kind: 'eof';
  conn: number;
  dir: Direction;
  t: number;
}

export type CaptureRecord = CaptureData | CaptureEof;

export interface Capture {
  /** The transcript's header line, or a synthesised one for pcaps. */
  header: Record<string, unknown>;
  records: CaptureRecord[];
}

/** One decoded protocol message, before `conn`/`dir` are added by the caller. */
export interface DecodedMessage {
  /** Message name as the protocol spec spells it (VERSION, SERIAL, hello, data, ...) or `error`. */
  type: string;
  [field: string]: unknown;
}

/** Decodes both directions of one connection. */
export interface StreamDecoder {
  /** Feed bytes one side sent; returns the messages they completed, in order. */
  push(dir: Direction, bytes: Uint8Array, t: number): DecodedMessage[];
  /** That side closed; returns anything left (e.g. an error line for a truncated message). */
  end(dir: Direction): DecodedMessage[];
}

export type ProtocolName = 'legacy' | 'broker' | 'websocket';

export interface ProtocolDecoder {
  readonly protocol: ProtocolName;
  /** Given the first bytes of each direction, is this plausibly our protocol? */
  detect(c2s: Uint8Array, s2c: Uint8Array): boolean;
  session(options?: { strict?: boolean }): StreamDecoder;
  /**
   * For `comm-bridge replay`: the part of a message that must be equal between a capture and a live
   * peer (leave out timestamps, runtimes, padding, random ids). Without it only `type` is compared.
   */
  comparable?(message: DecodedMessage): unknown;
}
