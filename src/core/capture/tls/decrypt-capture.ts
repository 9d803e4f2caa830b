// A whole capture with its TLS connections replaced by the plaintext each side sent: every
// decrypted record becomes one data record at the place (and capture time) of the TLS record, so
// protocol decoders see the same input as from a capture of the unencrypted protocol. What cannot
// be shown as plaintext (missing keys, alerts, failures) comes back as notes: output lines placed
// before a record index.
import type { Capture, CaptureRecord, DecodedMessage, Direction } from '../types.ts';
import type { TlsLimits } from './errors.ts';
import type { KeyLog } from './keylog.ts';
import { TlsSession, type TlsEvent } from './session.ts';
import { alertName } from './alerts.ts';

export interface TlsNote {
  /** Emit before the output record with this index (records.length: after the last). */
  at: number;
  conn: number;
  dir: Direction;
  t: number;
  message: DecodedMessage;
}

export interface TlsConnection {
  /** `TLS 1.3 TLS_AES_256_GCM_SHA384`, as far as the hellos were seen. */
  description: string;
  clientRandom?: string;
  /** Plaintext application bytes recovered, both directions. */
  plaintextBytes: number;
}

export interface DecryptedCapture {
  capture: Capture;
  notes: TlsNote[];
  /** The connections that were TLS. */
  connections: Map<number, TlsConnection>;
}

export interface DecryptCaptureOptions {
  keyLog?: KeyLog;
  limits?: Partial<TlsLimits>;
}

/** A TLS record header carrying a ClientHello: how every TLS connection opens. */
export function looksLikeClientHello(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x16 && b[1] === 0x03 && b[2]! <= 0x04 && (b.length < 6 || b[5] === 0x01);
}

interface ConnState {
  session: TlsSession;
  firstAt: number;
  firstT: number;
  firstDir: Direction;
  plaintextBytes: number;
  /** First reason a direction could not be decrypted, or failure, for the connection's summary line. */
  undecrypted: TlsNote[];
  ended: Set<Direction>;
  lastT: number;
}

/** Connections whose client opens with a TLS ClientHello. */
function tlsConnections(records: readonly CaptureRecord[]): Set<number> {
  const seen = new Map<number, Uint8Array>();
  const tls = new Set<number>();
  for (const r of records) {
    if (r.kind !== 'data' || r.dir !== 'c2s') continue;
    const have = seen.get(r.conn);
    if (have && have.length >= 6) continue;
    const head = have ? Buffer.concat([have, r.bytes.subarray(0, 6)]) : r.bytes.subarray(0, 6);
    seen.set(r.conn, head);
    if (looksLikeClientHello(head)) tls.add(r.conn);
    else tls.delete(r.conn);
  }
  return tls;
}

export function decryptCapture(capture: Capture, options: DecryptCaptureOptions = {}): DecryptedCapture {
  const tlsConns = tlsConnections(capture.records);
  if (tlsConns.size === 0) return { capture, notes: [], connections: new Map() };
  const records: CaptureRecord[] = [];
  const notes: TlsNote[] = [];
  const states = new Map<number, ConnState>();
  const sessionOptions = { ...(options.keyLog ? { keyLog: options.keyLog } : {}), ...(options.limits ? { limits: options.limits } : {}) };

  const take = (state: ConnState, conn: number, events: TlsEvent[]) => {
    for (const e of events) {
      const at = records.length;
      if (e.kind === 'data') {
        state.plaintextBytes += e.bytes.length;
        records.push({ kind: 'data', conn, dir: e.dir, t: e.t, bytes: e.bytes });
      } else if (e.kind === 'alert') {
        // close_notify is the normal end of a session, not worth a line.
        if (e.description !== 0) {
          notes.push({ at, conn, dir: e.dir, t: e.t, message: { type: 'tls-alert', level: e.level === 2 ? 'fatal' : e.level === 1 ? 'warning' : e.level, description: e.description, name: alertName(e.description) } });
        }
      } else if (e.kind === 'undecrypted') {
        state.undecrypted.push({ at, conn, dir: e.dir, t: e.t, message: { type: 'undecoded', reason: e.reason, tls: true } });
      } else {
        notes.push({ at, conn, dir: e.dir, t: e.t, message: { type: 'error', code: e.error.code, message: e.error.message, tls: true } });
      }
    }
  };

  for (const r of capture.records) {
    if (!tlsConns.has(r.conn)) {
      records.push(r);
      continue;
    }
    let state = states.get(r.conn);
    if (!state) {
      state = { session: new TlsSession(sessionOptions), firstAt: records.length, firstT: r.t, firstDir: r.dir, plaintextBytes: 0, undecrypted: [], ended: new Set(), lastT: r.t };
      states.set(r.conn, state);
    }
    state.lastT = r.t;
    if (r.kind === 'data') {
      take(state, r.conn, state.session.push(r.dir, r.bytes, r.t));
    } else {
      if (!state.ended.has(r.dir)) take(state, r.conn, state.session.end(r.dir, r.t));
      state.ended.add(r.dir);
      records.push(r);
    }
  }
  const connections = new Map<number, TlsConnection>();
  const connLines: TlsNote[] = [];
  // A side still open when the capture stops may be inside a record: that is the capture's end,
  // not a fault of the peer, so only a real close reports an unfinished record.
  for (const [conn, state] of states) {
    const info = state.session.info;
    const description = state.session.describe();
    connections.set(conn, {
      description,
      ...(info.clientRandom ? { clientRandom: Buffer.from(info.clientRandom).toString('hex') } : {}),
      plaintextBytes: state.plaintextBytes,
    });
    if (state.plaintextBytes > 0) {
      notes.push(...state.undecrypted);
    } else {
      // Nothing to decode: one line for the connection, where it starts, saying why.
      const reason = state.undecrypted[0]?.message['reason'] ?? `${description}: no application data`;
      connLines.push({ at: state.firstAt, conn, dir: state.firstDir, t: state.firstT, message: { type: 'undecoded', reason, tls: true } });
    }
  }
  // Stable: a connection's summary line comes before what happened at the same place, and notes
  // for one place otherwise keep the order they were produced in.
  const all = [...connLines, ...notes].sort((a, b) => a.at - b.at);
  return { capture: { header: capture.header, records }, notes: all, connections };
}
