// `comm-bridge decode FILE [--protocol legacy|broker|websocket] [--strict] [--conn N] [--keylog FILE]...`
// Prints one JSON object per decoded message: conn, dir, t first, then the decoder's fields.
// TLS connections are decrypted first when a key log holds their secrets.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Capture, CaptureRecord, DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from '../core/capture/types.ts';
import { readCaptureFile } from '../core/capture/read.ts';
import { captureError } from '../core/capture/errors.ts';
import { stringifyJson } from '../core/json.ts';
import { DECODERS, decoderByName, detectDecoder } from './protocols.ts';
import { cliError, createOutput, type CliIo, defaultIo, parseConn } from './io.ts';
import { decryptCapture } from '../core/capture/tls/decrypt-capture.ts';
import { KeyLog, parseKeyLog } from '../core/capture/tls/keylog.ts';
import type { TlsLimits } from '../core/capture/tls/errors.ts';

/** Bytes of each direction given to `detect`. */
const DETECT_BYTES = 4096;

export interface DecodeOptions {
  /** Decode every connection with this decoder instead of detecting one. */
  decoder?: ProtocolDecoder;
  decoders?: readonly ProtocolDecoder[];
  strict?: boolean;
  /** Only this connection. */
  conn?: number;
  /** Secrets for decrypting TLS connections; without it they are reported undecoded, with why. */
  keyLog?: KeyLog;
  tlsLimits?: Partial<TlsLimits>;
}

/** One output line before serialisation. */
export interface DecodedLine extends DecodedMessage {
  conn: number;
  dir: Direction;
  t: number;
}

export interface DecodeSummary {
  messages: number;
  errors: number;
  connections: number;
}

/** The opening bytes of each direction of every connection (one pass over the records). */
export function openingBytesByConn(records: readonly CaptureRecord[], limit = DETECT_BYTES): Map<number, { c2s: Uint8Array; s2c: Uint8Array }> {
  const acc = new Map<number, { parts: Record<Direction, Uint8Array[]>; have: Record<Direction, number> }>();
  for (const r of records) {
    if (r.kind !== 'data') continue;
    let a = acc.get(r.conn);
    if (!a) acc.set(r.conn, (a = { parts: { c2s: [], s2c: [] }, have: { c2s: 0, s2c: 0 } }));
    if (a.have[r.dir] >= limit) continue;
    const piece = r.bytes.subarray(0, limit - a.have[r.dir]);
    a.parts[r.dir].push(piece);
    a.have[r.dir] += piece.length;
  }
  return new Map([...acc].map(([conn, a]) => [conn, { c2s: Buffer.concat(a.parts.c2s), s2c: Buffer.concat(a.parts.s2c) }]));
}

const NOTHING = { c2s: new Uint8Array(0), s2c: new Uint8Array(0) };

/** The opening bytes of each direction of one connection. */
export function openingBytes(records: readonly CaptureRecord[], conn: number, limit = DETECT_BYTES): { c2s: Uint8Array; s2c: Uint8Array } {
  return openingBytesByConn(
    records.filter((r) => r.conn === conn),
    limit,
  ).get(conn) ?? NOTHING;
}

/** Any TLS record header: a connection caught after its handshake still shows these. */
function looksLikeTls(b: Uint8Array): boolean {
  return b.length >= 3 && b[0]! >= 20 && b[0]! <= 23 && b[1] === 0x03 && b[2]! <= 0x04;
}

interface ConnState {
  session: StreamDecoder | undefined;
  ended: Set<Direction>;
  failed: Set<Direction>;
  lastT: number;
}

/**
 * Decodes every connection of a capture, each with its own session, feeding records in capture
 * order and calling `emit` for each message. Decoder exceptions become `error` lines.
 */
export function decodeCapture(capture: Capture, options: DecodeOptions, emit: (line: DecodedLine) => void): DecodeSummary {
  const decoders = options.decoders ?? DECODERS;
  const summary: DecodeSummary = { messages: 0, errors: 0, connections: 0 };
  const states = new Map<number, ConnState>();
  const seen = new Set<number>();
  // TLS connections become the plaintext each side sent, decoded like any other connection.
  const tls = decryptCapture(capture, { ...(options.keyLog ? { keyLog: options.keyLog } : {}), ...(options.tlsLimits ? { limits: options.tlsLimits } : {}) });
  const records = tls.capture.records;
  const openings = openingBytesByConn(records);
  let nextNote = 0;
  const notesUpTo = (index: number) => {
    for (; nextNote < tls.notes.length && tls.notes[nextNote]!.at <= index; nextNote++) {
      const note = tls.notes[nextNote]!;
      if (options.conn !== undefined && note.conn !== options.conn) continue;
      if (!seen.has(note.conn)) {
        seen.add(note.conn);
        summary.connections++;
      }
      // Like the undecoded line of an unknown protocol, the TLS one is not a message.
      if (note.message.type === 'undecoded') emit({ conn: note.conn, dir: note.dir, t: note.t, ...note.message });
      else out(note.conn, note.dir, note.t, [note.message]);
    }
  };
  const out = (conn: number, dir: Direction, t: number, msgs: DecodedMessage[]) => {
    for (const m of msgs) {
      summary.messages++;
      if (m.type === 'error') summary.errors++;
      emit({ conn, dir, t, ...m });
    }
  };
  const run = (state: ConnState, conn: number, dir: Direction, t: number, step: (s: StreamDecoder) => DecodedMessage[]) => {
    if (!state.session || state.failed.has(dir)) return;
    try {
      out(conn, dir, t, step(state.session));
    } catch (err) {
      state.failed.add(dir);
      const e = err as { code?: unknown; message?: unknown };
      out(conn, dir, t, [{ type: 'error', code: typeof e.code === 'string' ? e.code : 'decoder_failure', message: String(e.message ?? err) }]);
    }
  };
  for (let i = 0; i < records.length; i++) {
    notesUpTo(i);
    const r = records[i]!;
    if (options.conn !== undefined && r.conn !== options.conn) continue;
    let state = states.get(r.conn);
    if (!state) {
      if (!seen.has(r.conn)) {
        seen.add(r.conn);
        summary.connections++;
      }
      const opening = openings.get(r.conn) ?? NOTHING;
      const tlsConn = tls.connections.get(r.conn);
      // A TLS connection without plaintext already has its undecoded line (with the reason).
      const decoder = tlsConn && tlsConn.plaintextBytes === 0 ? undefined : (options.decoder ?? detectDecoder(opening.c2s, opening.s2c, decoders));
      state = { session: decoder?.session({ strict: options.strict ?? false }), ended: new Set(), failed: new Set(), lastT: r.t };
      states.set(r.conn, state);
      if (!decoder && !(tlsConn && tlsConn.plaintextBytes === 0)) {
        const looksTls = !tlsConn && (looksLikeTls(opening.c2s) || looksLikeTls(opening.s2c));
        const reason = tlsConn ? `${tlsConn.description}: no protocol detected in the plaintext` : looksTls ? 'TLS without its handshake (the capture starts after the ClientHello)' : 'no protocol detected';
        emit({ conn: r.conn, dir: r.dir, t: r.t, type: 'undecoded', reason, ...(tlsConn || looksTls ? { tls: true } : {}) });
      }
    }
    state.lastT = r.t;
    if (state.ended.has(r.dir)) continue;
    if (r.kind === 'data') {
      const bytes = r.bytes;
      run(state, r.conn, r.dir, r.t, (s) => s.push(r.dir, bytes, r.t));
    } else {
      state.ended.add(r.dir);
      run(state, r.conn, r.dir, r.t, (s) => s.end(r.dir));
    }
  }
  notesUpTo(Infinity);
  // The capture stopped: whatever a side left unfinished is reported as if it had closed.
  for (const [conn, state] of states) {
    for (const dir of ['c2s', 's2c'] as const) {
      if (!state.ended.has(dir)) run(state, conn, dir, state.lastT, (s) => s.end(dir));
    }
  }
  return summary;
}

export function formatLine(line: DecodedLine): string {
  const { conn, dir, t, ...rest } = line;
  return stringifyJson({ conn, dir, t, ...rest });
}

const USAGE = `usage: comm-bridge decode FILE [--protocol legacy|broker|websocket] [--strict] [--conn N] [--keylog FILE]...
  --keylog FILE   NSS key log (SSLKEYLOGFILE format) with the secrets of TLS connections in FILE;
                  repeatable. TLS 1.3 (AES-GCM, ChaCha20-Poly1305) and TLS 1.2 (AES-GCM,
                  ChaCha20-Poly1305, AES-CBC with HMAC) connections are decrypted and decoded;
                  without a key they print one undecoded line naming what is missing`;

/** Reads and merges the key logs named by --keylog. */
export async function readKeyLogs(paths: readonly string[], limits?: Partial<TlsLimits>): Promise<KeyLog> {
  const log = new KeyLog(limits);
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw captureError('file_unreadable', `cannot read key log ${path}: ${(cause as Error).message}`, { field: '--keylog', cause });
    }
    parseKeyLog(text, { name: path, into: log, ...(limits ? { limits } : {}) });
  }
  return log;
}

/** Why a capture printed nothing: say so rather than exit silently (e.g. packets on a link layer we skip). */
function noConnectionReason(capture: Capture): string {
  const h = capture.header;
  const skipped = h['skipped'] as Record<string, number> | undefined;
  const detail = skipped ? ` (skipped: ${Object.entries(skipped).map(([why, n]) => `${n} ${why}`).join(', ')})` : '';
  if (typeof h['packets'] === 'number') return `no TCP connection with data in ${h['packets']} packet(s)${detail}`;
  return 'no connection with data in the capture';
}

export async function decodeMain(args: string[], io: CliIo = defaultIo()): Promise<number> {
  const output = createOutput(io.stdout);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { protocol: { type: 'string' }, strict: { type: 'boolean' }, conn: { type: 'string' }, keylog: { type: 'string', multiple: true } } });
    } catch (err) {
      throw captureError('usage', `${(err as Error).message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw captureError('usage', USAGE);
    const decoder = values.protocol !== undefined ? decoderByName(values.protocol) : undefined;
    const conn = values.conn !== undefined ? parseConn(values.conn) : undefined;
    const keyLog = values.keylog !== undefined ? await readKeyLogs(values.keylog) : undefined;
    const capture = await readCaptureFile(positionals[0]!);
    if (conn !== undefined && !capture.records.some((r) => r.conn === conn)) {
      throw captureError('no_such_connection', `connection ${conn} is not in ${positionals[0]}`, { field: '--conn' });
    }
    const summary = decodeCapture(
      capture,
      { ...(decoder ? { decoder } : {}), strict: values.strict ?? false, ...(conn !== undefined ? { conn } : {}), ...(keyLog ? { keyLog } : {}) },
      (line) => output.line(formatLine(line)),
    );
    await output.close();
    await io.flush();
    if (summary.connections === 0) io.stderr(`comm-bridge decode: warning: ${noConnectionReason(capture)}\n`);
    if (values.strict && summary.errors > 0) {
      io.stderr(`comm-bridge decode: ${summary.errors} error message(s) in strict mode\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    await output.close();
    return cliError('decode', err, io);
  }
}
