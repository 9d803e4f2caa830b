// Test helpers: load a legacy capture and replay it through the codec the way a passive observer
// does (both directions in capture order, SERIAL format following both peers' phases).
import { readFileSync } from 'node:fs';
import type { Direction } from '../../src/core/capture/types.ts';
import { readCapture } from '../../src/core/capture/read.ts';
import { ConnectionPhases } from '../../legacy/codec/phase-model.ts';
import { LegacyStreamDecoder, type MessageWireInfo } from '../../legacy/codec/stream-decoder.ts';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import type { SerialWriteFormat } from '../../legacy/codec/serial-writer.ts';

export const FIXTURES = new URL('../../fixtures/legacy/', import.meta.url);

export const CAPTURES = [
  'bro-bro-class-mismatch',
  'bro-bro-compress-oneway',
  'bro-bro-logs',
  'bro-bro-print',
  'bro-bro-retry',
  'bro-bro-sync-runtime',
  'bro-bro-types',
  'broccoli-v6addrs-v4',
  'broccoli-vectors',
  'broenum',
  'brohose',
  'broping',
  'broping-record',
  'dataformat-mismatch',
  'version-mismatch',
  'tls/bro-bro-tls.decrypted',
  'tls/broping-tls.decrypted',
] as const;

export interface Stream {
  conn: number;
  dir: Direction;
  /** The whole byte stream of this direction. */
  bytes: Uint8Array;
  /** The recv() pieces, in order. */
  pieces: Uint8Array[];
}

export function loadCapture(name: string): ReturnType<typeof readCapture> {
  return readCapture(new Uint8Array(readFileSync(new URL(`${name}.jsonl`, FIXTURES))));
}

/** Per connection and direction, the bytes that side sent. */
export function streams(name: string): Stream[] {
  const out = new Map<string, Stream>();
  for (const r of loadCapture(name).records) {
    if (r.kind !== 'data') continue;
    const key = `${r.conn}/${r.dir}`;
    let s = out.get(key);
    if (s === undefined) out.set(key, (s = { conn: r.conn, dir: r.dir, bytes: new Uint8Array(0), pieces: [] }));
    s.pieces.push(r.bytes);
  }
  for (const s of out.values()) s.bytes = new Uint8Array(Buffer.concat(s.pieces));
  return [...out.values()];
}

export interface Replayed {
  conn: number;
  dir: Direction;
  msg: LegacyMessage;
  /** The message's bytes exactly as they were on the wire. */
  wire: Uint8Array;
  /** How the sender wrote SERIALs when it sent this message. */
  format: SerialWriteFormat;
  info: MessageWireInfo;
}

/** Every message of a capture in capture order, with its wire bytes and the sender's format. */
export function replay(name: string): Replayed[] {
  const out: Replayed[] = [];
  const conns = new Map<number, { phases: ConnectionPhases; dec: Record<Direction, LegacyStreamDecoder>; seen: Record<Direction, Uint8Array[]> }>();
  for (const r of loadCapture(name).records) {
    if (r.kind !== 'data') continue;
    let c = conns.get(r.conn);
    if (c === undefined) {
      c = { phases: new ConnectionPhases(), dec: { c2s: new LegacyStreamDecoder(), s2c: new LegacyStreamDecoder() }, seen: { c2s: [], s2c: [] } };
      conns.set(r.conn, c);
    }
    const dec = c.dec[r.dir];
    c.seen[r.dir].push(r.bytes);
    dec.push(r.bytes);
    for (;;) {
      const format = c.phases.formatOf(r.dir);
      dec.serial.format = format;
      const msg = dec.next();
      if (msg === undefined) break;
      if (msg.type === 'VERSION') dec.serial.cache.capacity = msg.cacheSize;
      const stream = Buffer.concat(c.seen[r.dir]);
      out.push({ conn: r.conn, dir: r.dir, msg, wire: new Uint8Array(stream.subarray(dec.info.offset, dec.info.end)), format, info: { ...dec.info } });
      c.phases.observe(r.dir, msg);
    }
  }
  return out;
}

// A compact one-line rendering in the spirit of the README's "Expected decoded content".
import type { BroVal } from '../../legacy/codec/model.ts';
import { recordFieldNames } from '../../legacy/codec/plain.ts';

export function show(v: BroVal | null): string {
  if (v === null) return '<unset>';
  switch (v.kind) {
    case 'bool':
      return v.value ? 'T' : 'F';
    case 'string':
      return JSON.stringify(v.value);
    case 'port':
      return `${v.port}/${v.proto}`;
    case 'enum':
      return `${v.name ?? '?'}(${v.value})`;
    case 'pattern':
      return `pattern/${v.matcher.exact}/`;
    case 'record': {
      const names = recordFieldNames(v.type);
      return `[${v.fields.map((f, i) => (names ? `${names[i]}=` : '') + show(f)).join(', ')}]`;
    }
    case 'set':
      return `set{${v.entries.map((e) => e.index.elements.map(show).join(',')).join(', ')}}`;
    case 'table':
      return `table{${v.entries.map((e) => `${e.index.elements.map(show).join(',')}->${show(e.value)}`).join(', ')}}`;
    case 'vector':
      return `vector(${v.elements.map(show).join(', ')})`;
    case 'list':
      return `list(${v.elements.map(show).join(', ')})`;
    default:
      return `${v.kind}:${String(v.value)}`;
  }
}

export function describe(m: LegacyMessage): string {
  switch (m.type) {
    case 'VERSION':
      return `VERSION ${m.protocol} ${m.cacheSize} ${m.dataFormat} ${m.runtime} ${m.class === undefined ? '-' : `'${m.class}'`}`;
    case 'CAPS':
      return `CAPS 0x${m.flags.toString(16)}`;
    case 'REQUEST_EVENTS':
      return `REQUEST_EVENTS ${m.events.join(',')}`;
    case 'CAPTURE_FILTER':
      return `CAPTURE_FILTER '${m.filter}'`;
    case 'REQUEST_SYNC':
      return `REQUEST_SYNC ${m.authoritative ? 1 : 0}`;
    case 'PING':
    case 'PONG':
      return `${m.type} ${m.seq} ${m.time1.toFixed(6)} ${m.time2.toFixed(6)} ${m.time3.toFixed(6)} pad=${m.pad.toString(16).padStart(8, '0')}`;
    case 'REMOTE_PRINT':
      return `REMOTE_PRINT ${m.records.length}`;
    case 'LOG_CREATE_WRITER':
      return `LOG_CREATE_WRITER ${m.stream} ${m.writer} ${m.path} ${m.fields.map((f) => `${f.name}:${f.type}${f.optional ? '?' : ''}`).join(',')}`;
    case 'LOG_WRITE':
      return `LOG_WRITE ${m.entries.map((e) => `${e.path}(${e.stream},${e.writer})`).join(' ')}`;
    case 'SYNC_POINT':
      return `SYNC_POINT ${m.point}`;
    case 'SERIAL': {
      const b = m.body;
      if (b.kind === 'event') return `event ${b.name}(${b.args.map(show).join(', ')})`;
      if (b.kind === 'id') return `ID ${b.id.name} = ${show(b.id.value)}`;
      const a = b.access;
      return `STATE op=${a.op} ${a.target} ${show(a.op1)}${a.op2 ? ` op2=${show(a.op2)}` : ''}${a.op3 ? ` op3=${show(a.op3)}` : ''}`;
    }
    default:
      return m.type;
  }
}

export function lines(name: string, dir?: Direction, conn = 0): string[] {
  return replay(name)
    .filter((r) => r.conn === conn && (dir === undefined || r.dir === dir))
    .map((r) => `${dir === undefined ? `${r.dir} ` : ''}${describe(r.msg)}`);
}
