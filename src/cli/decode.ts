// `comm-bridge decode FILE [--protocol legacy|broker|websocket] [--strict] [--conn N]`
// Prints one JSON object per decoded message: conn, dir, t first, then the decoder's fields.
import { parseArgs } from 'node:util';
import type { Capture, CaptureRecord, DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from '../core/capture/types.ts';
import { readCaptureFile } from '../core/capture/read.ts';
import { captureError } from '../core/capture/errors.ts';
import { stringifyJson } from '../core/json.ts';
import { DECODERS, decoderByName, detectDecoder } from './protocols.ts';
import { cliError, createOutput, type CliIo, defaultIo, parseConn } from './io.ts';

/** Bytes of each direction given to `detect`. */
const DETECT_BYTES = 4096;

export interface DecodeOptions {
  /** Decode every connection with this decoder instead of detecting one. */
  decoder?: ProtocolDecoder;
  decoders?: readonly ProtocolDecoder[];
  strict?: boolean;
  /** Only this connection. */
  conn?: number;
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

function looksLikeTls(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x16 && b[1] === 0x03 && b[2]! <= 0x04;
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
  const openings = openingBytesByConn(capture.records);
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
  for (const r of capture.records) {
    if (options.conn !== undefined && r.conn !== options.conn) continue;
    let state = states.get(r.conn);
    if (!state) {
      summary.connections++;
      const opening = openings.get(r.conn) ?? NOTHING;
      const decoder = options.decoder ?? detectDecoder(opening.c2s, opening.s2c, decoders);
      state = { session: decoder?.session({ strict: options.strict ?? false }), ended: new Set(), failed: new Set(), lastT: r.t };
      states.set(r.conn, state);
      if (!decoder) {
        const tls = looksLikeTls(opening.c2s) || looksLikeTls(opening.s2c);
        emit({ conn: r.conn, dir: r.dir, t: r.t, type: 'undecoded', reason: tls ? 'TLS (decrypt the capture first)' : 'no protocol detected', ...(tls ? { tls: true } : {}) });
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

const USAGE = 'usage: comm-bridge decode FILE [--protocol legacy|broker|websocket] [--strict] [--conn N]';

export async function decodeMain(args: string[], io: CliIo = defaultIo()): Promise<number> {
  const output = createOutput(io.stdout);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { protocol: { type: 'string' }, strict: { type: 'boolean' }, conn: { type: 'string' } } });
    } catch (err) {
      throw captureError('usage', `${(err as Error).message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw captureError('usage', USAGE);
    const decoder = values.protocol !== undefined ? decoderByName(values.protocol) : undefined;
    const conn = values.conn !== undefined ? parseConn(values.conn) : undefined;
    const capture = await readCaptureFile(positionals[0]!);
    if (conn !== undefined && !capture.records.some((r) => r.conn === conn)) {
      throw captureError('no_such_connection', `connection ${conn} is not in ${positionals[0]}`, { field: '--conn' });
    }
    const summary = decodeCapture(
      capture,
      { ...(decoder ? { decoder } : {}), strict: values.strict ?? false, ...(conn !== undefined ? { conn } : {}) },
      (line) => output.line(formatLine(line)),
    );
    await output.close();
    await io.flush();
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
