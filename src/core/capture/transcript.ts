// JSON Lines transcripts, the format of ../shared/fixtures: a header object on line 1, then one
// line per recv() with {dir, t, conn?, hex}, plus lines that carry no input — relay events
// (`accepted`, `target-unreachable`, `proxy-exit`), `eof`/`error` lines that end one direction, and
// the WebSocket recorder's annotations (`http`, `ws_opcode`), which repeat bytes already given by a
// `hex` line and must not be fed twice.
import { fromHex, toHex } from '../json.ts';
import type { Capture, CaptureRecord, Direction } from './types.ts';
import { captureError, captureLimits, type CaptureLimits } from './errors.ts';

const ANNOTATION_KEYS = ['ws_opcode', 'http', 'event'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lineError(line: number, message: string, cause?: unknown) {
  return captureError('bad_transcript_line', `transcript line ${line}: ${message}`, {
    field: `line ${line}`,
    ...(cause !== undefined ? { cause } : {}),
  });
}

function directionOf(obj: Record<string, unknown>, line: number): Direction {
  const dir = obj['dir'];
  if (dir !== 'c2s' && dir !== 's2c') throw lineError(line, `"dir" must be "c2s" or "s2c", got ${JSON.stringify(dir)}`);
  return dir;
}

function timeOf(obj: Record<string, unknown>, line: number): number {
  const t = obj['t'];
  if (typeof t !== 'number' || !Number.isFinite(t)) throw lineError(line, `"t" must be a number of seconds`);
  return t;
}

function connOf(obj: Record<string, unknown>, line: number): number {
  const conn = obj['conn'];
  if (conn === undefined) return 0;
  if (typeof conn !== 'number' || !Number.isSafeInteger(conn) || conn < 0) throw lineError(line, `"conn" must be a non-negative integer`);
  return conn;
}

/** True when the bytes look like a transcript: the first non-blank character opens a JSON object. */
export function looksLikeTranscript(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0; // UTF-8 byte order mark
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  return head[i] === 0x7b; // '{'
}

/** Parses a JSON Lines transcript into records in line order. */
export function readTranscript(input: string | Uint8Array, limitOverrides: Partial<CaptureLimits> = {}): Capture {
  const limits = captureLimits(limitOverrides);
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  const records: CaptureRecord[] = [];
  let header: Record<string, unknown> | undefined;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    if (end - start > limits.maxRecordBytes) {
      throw captureError('limit_exceeded', `transcript line ${lineNo} is longer than ${limits.maxRecordBytes} characters`, { field: `line ${lineNo}` });
    }
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '' || (lineNo === 1 && raw === '\ufeff')) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw);
    } catch (err) {
      throw lineError(lineNo, 'not valid JSON', err);
    }
    if (!isObject(obj)) throw lineError(lineNo, 'not a JSON object');
    if (header === undefined && records.length === 0 && !('dir' in obj) && !('event' in obj)) {
      header = obj;
      continue;
    }
    const record = recordOf(obj, lineNo);
    if (record) records.push(record);
  }
  return { header: header ?? {}, records };
}

function recordOf(obj: Record<string, unknown>, line: number): CaptureRecord | undefined {
  if (ANNOTATION_KEYS.some((k) => k in obj)) return undefined;
  if ('hex' in obj) {
    const hex = obj['hex'];
    if (typeof hex !== 'string') throw lineError(line, '"hex" must be a string');
    let bytes: Uint8Array;
    try {
      bytes = fromHex(hex);
    } catch (err) {
      throw lineError(line, '"hex" is not a hex string', err);
    }
    return { kind: 'data', conn: connOf(obj, line), dir: directionOf(obj, line), t: timeOf(obj, line), bytes };
  }
  // An `error` line is the relay's failed recv/send on that side: that direction carries no more bytes.
  if (obj['eof'] === true || ('error' in obj && 'dir' in obj)) {
    return { kind: 'eof', conn: connOf(obj, line), dir: directionOf(obj, line), t: timeOf(obj, line) };
  }
  return undefined;
}

/** Seconds rounded to microseconds, the precision of the fixtures. */
function roundT(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}

/**
 * Writes a transcript one line at a time through `sink` (which receives each line with its
 * newline). Lines use the compact key order of the Broker fixtures: dir, t, conn, then payload.
 */
export class TranscriptWriter {
  constructor(
    private readonly sink: (line: string) => void,
    header: Record<string, unknown>,
  ) {
    this.sink(JSON.stringify(header) + '\n');
  }

  data(conn: number, dir: Direction, t: number, bytes: Uint8Array): void {
    this.sink(`{"dir":"${dir}","t":${roundT(t)},"conn":${conn},"hex":"${toHex(bytes)}"}\n`);
  }

  eof(conn: number, dir: Direction, t: number): void {
    this.sink(`{"dir":"${dir}","t":${roundT(t)},"conn":${conn},"eof":true}\n`);
  }

  /** A failed read or write on one side (reset, broken pipe): ends that direction like `eof`. */
  error(conn: number, dir: Direction, t: number, message: string): void {
    this.sink(`{"dir":"${dir}","t":${roundT(t)},"conn":${conn},"error":${JSON.stringify(message)}}\n`);
  }

  /** A relay event (`accepted`, `target-unreachable`, `proxy-exit`) with optional extra fields. */
  event(t: number, event: string, fields: { conn?: number; [key: string]: unknown } = {}): void {
    const { conn, ...rest } = fields;
    const head = conn !== undefined ? `{"t":${roundT(t)},"conn":${conn},"event":${JSON.stringify(event)}` : `{"t":${roundT(t)},"event":${JSON.stringify(event)}`;
    const tail = JSON.stringify(rest);
    this.sink(tail === '{}' ? `${head}}\n` : `${head},${tail.slice(1)}\n`);
  }

  record(r: CaptureRecord): void {
    if (r.kind === 'data') this.data(r.conn, r.dir, r.t, r.bytes);
    else this.eof(r.conn, r.dir, r.t);
  }
}

/** A whole capture as transcript text (e.g. to turn a pcap into the fixtures' format). */
export function formatTranscript(capture: Capture): string {
  const lines: string[] = [];
  const writer = new TranscriptWriter((line) => lines.push(line), capture.header);
  for (const r of capture.records) writer.record(r);
  return lines.join('');
}
