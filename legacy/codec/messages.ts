import { ByteReader, type ByteWriter } from '../../src/core/bytes.ts';
import type { PeerMessageName } from './constants.ts';
import { legacyError } from './errors.ts';
import { readLogCreateWriter, readLogWrite, writeLogCreateWriter, writeLogWrite, type LogCreateWriter, type LogEntry } from './log-codec.ts';
import type { SerialBody } from './model.ts';
import type { SerialDecoder } from './serial-reader.ts';
import type { SerialEncoder } from './serial-writer.ts';
import { decodeName, writeCString } from './strings.ts';

// The peer messages as typed values, and their argument chunks (section 4). `headerPad` is the
// 3 garbage bytes of the header as a 24-bit number: ignored by every peer, kept only so a decoded
// capture can be re-encoded byte for byte (writers send 0).

interface Envelope {
  headerPad?: number;
}

export interface VersionMessage extends Envelope {
  type: 'VERSION';
  protocol: number;
  cacheSize: number;
  dataFormat: number;
  /** Seconds since the sender started (Broccoli: 0). */
  runtime: number;
  /** Absent = no class bytes (Broccoli default); "" = just the NUL (what Bro always sends). */
  class?: string;
}
export interface SerialMessage extends Envelope {
  type: 'SERIAL';
  body: SerialBody;
}
export interface RequestEventsMessage extends Envelope {
  type: 'REQUEST_EVENTS';
  events: string[];
}
export interface CaptureFilterMessage extends Envelope {
  type: 'CAPTURE_FILTER';
  filter: string;
}
export interface RequestSyncMessage extends Envelope {
  type: 'REQUEST_SYNC';
  authoritative: boolean;
}
export interface PhaseDoneMessage extends Envelope {
  type: 'PHASE_DONE';
}
export interface PingMessage extends Envelope {
  type: 'PING' | 'PONG';
  seq: number;
  /** 4 garbage bytes after seq (32-byte form only); echoed unchanged in the PONG. */
  pad: number;
  time1: number;
  time2: number;
  time3: number;
  /** 32 on 64-bit peers (all seen); 28 from a 32-bit build (tolerated, never seen). */
  size: 28 | 32;
}
export interface CapsMessage extends Envelope {
  type: 'CAPS';
  flags: number;
  /** The two reserved words, always 0 from real peers. */
  reserved: [number, number];
}
export interface CompressMessage extends Envelope {
  type: 'COMPRESS';
  /** zlib level for our own outgoing stream (not on the wire; the encoder uses it, default 6). */
  level?: number;
}
export interface SyncPointMessage extends Envelope {
  type: 'SYNC_POINT';
  /** 0xffffffff = final sync point. */
  point: number;
}
export interface PrintRecord {
  file: string;
  text: string;
}
export interface RemotePrintMessage extends Envelope {
  type: 'REMOTE_PRINT';
  records: PrintRecord[];
}
export interface RequestLogsMessage extends Envelope {
  type: 'REQUEST_LOGS';
}
export interface LogCreateWriterMessage extends Envelope, LogCreateWriter {
  type: 'LOG_CREATE_WRITER';
}
export interface LogWriteMessage extends Envelope {
  type: 'LOG_WRITE';
  entries: LogEntry[];
}

export type LegacyMessage =
  | VersionMessage
  | SerialMessage
  | RequestEventsMessage
  | CaptureFilterMessage
  | RequestSyncMessage
  | PhaseDoneMessage
  | PingMessage
  | CapsMessage
  | CompressMessage
  | SyncPointMessage
  | RemotePrintMessage
  | RequestLogsMessage
  | LogCreateWriterMessage
  | LogWriteMessage;

function fixedLength(name: string, args: Uint8Array, base: number, ...allowed: number[]): void {
  if (!allowed.includes(args.length)) {
    throw legacyError('malformed_message', `${name} argument of ${args.length} bytes (expected ${allowed.join(' or ')})`, {
      field: `${name}.args`,
      offset: base,
    });
  }
}

/** NUL-terminated strings back to back; a missing final NUL is tolerated (Bro would read on). */
function cStrings(args: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < args.length) {
    let end = args.indexOf(0, start);
    if (end === -1) end = args.length;
    out.push(decodeName(args, start, end));
    start = end + 1;
  }
  return out;
}

/** Decode the argument chunk of a message with arguments (SERIAL through the peer's decoder). */
export function decodeArgs(name: PeerMessageName, args: Uint8Array, base: number, serial: SerialDecoder): LegacyMessage {
  switch (name) {
    case 'SERIAL':
      return { type: name, body: serial.decode(args, base) };
    case 'VERSION': {
      if (args.length < 16) fixedLength(name, args, base, 16, 17);
      const r = new ByteReader(args, base);
      const m: VersionMessage = {
        type: name,
        protocol: r.u32('VERSION.protocol'),
        cacheSize: r.u32('VERSION.cache_size'),
        dataFormat: r.u32('VERSION.data_format'),
        runtime: r.u32('VERSION.runtime'),
      };
      if (args.length > 16) {
        const end = args.indexOf(0, 16);
        m.class = decodeName(args, 16, end === -1 ? args.length : end);
      }
      return m;
    }
    case 'CAPS': {
      fixedLength(name, args, base, 12);
      const r = new ByteReader(args, base);
      return { type: name, flags: r.u32('CAPS.flags'), reserved: [r.u32('CAPS.reserved'), r.u32('CAPS.reserved')] };
    }
    case 'REQUEST_EVENTS':
      return { type: name, events: cStrings(args) };
    case 'CAPTURE_FILTER':
      return { type: name, filter: cStrings(args)[0] ?? '' };
    case 'REQUEST_SYNC':
      fixedLength(name, args, base, 4);
      return { type: name, authoritative: new ByteReader(args, base).u32('REQUEST_SYNC.auth') !== 0 };
    case 'SYNC_POINT':
      fixedLength(name, args, base, 4);
      return { type: name, point: new ByteReader(args, base).u32('SYNC_POINT.point') };
    case 'PING':
    case 'PONG': {
      fixedLength(name, args, base, 32, 28);
      const r = new ByteReader(args, base);
      const seq = r.u32(`${name}.seq`);
      const pad = args.length === 32 ? r.u32(`${name}.pad`) : 0;
      return {
        type: name,
        seq,
        pad,
        time1: r.f64(`${name}.time1`),
        time2: r.f64(`${name}.time2`),
        time3: r.f64(`${name}.time3`),
        size: args.length === 32 ? 32 : 28,
      };
    }
    case 'REMOTE_PRINT': {
      const parts = cStrings(args);
      if (parts.length % 2 !== 0) {
        throw legacyError('malformed_message', 'REMOTE_PRINT with a file name but no text', { field: 'REMOTE_PRINT.args', offset: base });
      }
      const records: PrintRecord[] = [];
      for (let i = 0; i < parts.length; i += 2) records.push({ file: parts[i]!, text: parts[i + 1]! });
      return { type: name, records };
    }
    case 'LOG_CREATE_WRITER': {
      const r = new ByteReader(args, base);
      const m: LogCreateWriterMessage = { type: name, ...readLogCreateWriter(r) };
      trailing(r, name);
      return m;
    }
    case 'LOG_WRITE': {
      const r = new ByteReader(args, base);
      return { type: name, entries: readLogWrite(r) };
    }
    default:
      throw legacyError('unexpected_argument_chunk', `${name} takes no argument chunk`, { field: name, offset: base });
  }
}

function trailing(r: ByteReader, name: string): void {
  if (r.remaining !== 0) {
    throw legacyError('malformed_message', `${r.remaining} trailing byte(s)`, { field: `${name}.args`, offset: r.position });
  }
}

/** The message for a header-only type. */
export function headerOnly(name: PeerMessageName): LegacyMessage {
  if (name === 'PHASE_DONE' || name === 'COMPRESS' || name === 'REQUEST_LOGS') return { type: name };
  throw legacyError('malformed_message', `${name} needs an argument chunk`, { field: name });
}

/** Write the argument chunk payload of a message; false for header-only messages. */
export function encodeArgs(m: LegacyMessage, w: ByteWriter, serial: SerialEncoder): boolean {
  switch (m.type) {
    case 'VERSION':
      w.u32(m.protocol).u32(m.cacheSize).u32(m.dataFormat).u32(m.runtime);
      if (m.class !== undefined) writeCString(w, m.class);
      return true;
    case 'SERIAL':
      serial.encode(m.body, w);
      return true;
    case 'CAPS':
      w.u32(m.flags).u32(m.reserved[0]).u32(m.reserved[1]);
      return true;
    case 'REQUEST_EVENTS':
      for (const e of m.events) writeCString(w, e);
      return true;
    case 'CAPTURE_FILTER':
      writeCString(w, m.filter);
      return true;
    case 'REQUEST_SYNC':
      w.u32(m.authoritative ? 1 : 0);
      return true;
    case 'SYNC_POINT':
      w.u32(m.point);
      return true;
    case 'PING':
    case 'PONG':
      w.u32(m.seq);
      if (m.size !== 28) w.u32(m.pad);
      w.f64(m.time1).f64(m.time2).f64(m.time3);
      return true;
    case 'REMOTE_PRINT':
      for (const p of m.records) {
        writeCString(w, p.file);
        writeCString(w, p.text);
      }
      return true;
    case 'LOG_CREATE_WRITER':
      writeLogCreateWriter(w, m);
      return true;
    case 'LOG_WRITE':
      writeLogWrite(w, m.entries);
      return true;
    case 'PHASE_DONE':
    case 'COMPRESS':
    case 'REQUEST_LOGS':
      return false;
  }
}
