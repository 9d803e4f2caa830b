import type { DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from '../../src/core/capture/types.ts';
import { CapsFlag } from './constants.ts';
import { peerAction, toLegacyError, type LegacyError } from './errors.ts';
import { sniffPidWidth } from './pid-width.ts';
import { readSerialPacket, type SerialPacket } from './packet-serial.ts';
import { toHex } from '../../src/core/json.ts';
import type { LegacyLimits } from './options.ts';
import { renderMessage } from './capture-render.ts';
import { ConnectionPhases } from './phase-model.ts';
import { LegacyStreamDecoder } from './stream-decoder.ts';
import { checkVersion } from './version.ts';

// Decodes a captured legacy connection (both directions) for `comm-bridge decode`, following both
// peers' phases (phase-model.ts) so each side's SERIALs are read with the right cache-id width and
// cache strategy; compression switches inside the stream decoder. A message that cannot be decoded
// becomes an `error` line naming what was skipped (`skipped`) and decoding goes on with the next
// chunk; broken framing or zlib data becomes an `error` line that stops that direction only. A
// VERSION the receiver would reject is followed by an `error` line saying so.

export interface LegacySessionOptions {
  /** Also report protocol-rule violations (messages before VERSION) as errors. */
  strict?: boolean;
  limits?: Partial<LegacyLimits>;
}

export class LegacySessionDecoder implements StreamDecoder {
  readonly phases = new ConnectionPhases();
  private readonly decoders: Record<Direction, LegacyStreamDecoder>;
  private readonly failed = new Set<Direction>();
  /** A SERIAL 'p' (packet) being decoded in each direction, read by packet-serial.ts (null: it did not fit). */
  private readonly packet: Record<Direction, SerialPacket | null | undefined> = { c2s: undefined, s2c: undefined };
  /** Whether each direction's first bytes were a TLS record header (a TLS peer on a plain port). */
  private readonly tlsStart: Partial<Record<Direction, boolean>> = {};
  private readonly strict: boolean;

  constructor(options: LegacySessionOptions = {}) {
    this.strict = options.strict ?? false;
    // A message that cannot be decoded is reported and skipped (its chunk boundaries are known);
    // only framing and zlib errors stop a direction.
    const make = (): LegacyStreamDecoder => new LegacyStreamDecoder({ skipBadMessages: true, ...(options.limits !== undefined ? { limits: options.limits } : {}) });
    this.decoders = { c2s: make(), s2c: make() };
    for (const dir of ['c2s', 's2c'] as const) {
      // The phase model says what a peer *should* write; a Bro replayed against a peer that did not
      // announce PID_64BIT (the bridge) still writes 64-bit ids, which its bytes show (pid-width.ts).
      const d = this.decoders[dir];
      d.beforeSerial = (payload) => {
        // The serial decoder handles 'e', 'i' and 's'; a packet is read here when it fails on it.
        this.packet[dir] = payload[0] === 0x70 ? (readSerialPacket(payload) ?? null) : undefined;
        const w = sniffPidWidth(payload);
        const f = d.serial.format;
        if (w === undefined || (w === 64) === f.pid64) return;
        f.pid64 = w === 64;
        f.newCacheStrategy = f.pid64 && this.phases.phaseOf(dir) === 'running' && (this.phases.capsOf(dir) & CapsFlag.NEW_CACHE_STRATEGY) !== 0;
      };
    }
  }

  push(dir: Direction, bytes: Uint8Array): DecodedMessage[] {
    if (this.failed.has(dir)) return [];
    const out: DecodedMessage[] = [];
    const decoder = this.decoders[dir];
    if (this.tlsStart[dir] === undefined && bytes.length >= 3) this.tlsStart[dir] = bytes[0]! >= 20 && bytes[0]! <= 23 && bytes[1] === 3 && bytes[2]! <= 4;
    try {
      decoder.push(bytes);
      for (;;) {
        decoder.serial.format = this.phases.formatOf(dir);
        let msg;
        try {
          msg = decoder.next();
        } catch (err) {
          if (decoder.error !== undefined) throw err;
          const e = toLegacyError(err);
          const packet = this.packet[dir];
          if (packet !== undefined && decoder.skippedType === 'SERIAL' && e.code === 'unknown_serial_kind') {
            if (packet !== null) out.push(packetLine(packet));
            else out.push({ ...errorLine(e, 'SERIAL'), message: "SERIAL 'p' (packet) that does not fit: seconds, microseconds, length, link type, tag, data" });
          } else out.push(errorLine(e, decoder.skippedType ?? 'chunk'));
          this.packet[dir] = undefined;
          continue;
        }
        if (msg === undefined) break;
        out.push(renderMessage(msg, decoder.info));
        if (this.strict && msg.type !== 'VERSION' && !this.phases.versionSeen(dir)) {
          out.push({ type: 'error', code: 'malformed_message', message: `${msg.type} before VERSION (peer did not send version)`, action: 'close connection' });
        }
        if (msg.type === 'VERSION') {
          // The receiver mirrors the sender's cache with the sender's announced capacity.
          decoder.serial.cache.capacity = msg.cacheSize;
          const problem = checkVersion(msg);
          if (problem !== undefined) out.push(errorLine(problem));
        }
        this.phases.observe(dir, msg);
      }
    } catch (err) {
      this.failed.add(dir);
      const line = errorLine(toLegacyError(err));
      if (this.tlsStart[dir] === true) line['note'] = 'this side starts with a TLS record: a TLS peer talking to a plaintext one';
      out.push(line);
    }
    return out;
  }

  end(dir: Direction): DecodedMessage[] {
    if (this.failed.has(dir)) return [];
    try {
      this.decoders[dir].end();
    } catch (err) {
      this.failed.add(dir);
      return [errorLine(toLegacyError(err))];
    }
    return [];
  }
}

function packetLine(p: SerialPacket): DecodedMessage {
  return { type: 'SERIAL', kind: 'packet', time: p.time, wire_length: p.wireLength, link_type: p.linkType, tag: p.tag, captured: p.data.length, data_hex: toHex(p.data) };
}

function errorLine(err: LegacyError, skipped?: string): DecodedMessage {
  const line: DecodedMessage = { type: 'error', code: err.code, message: err.message, action: peerAction(err.code) };
  // The decoder went on after it: name what was skipped (a message, or a stray chunk).
  if (skipped !== undefined) line['skipped'] = skipped;
  if (err.field !== undefined) line['field'] = err.field;
  if (err.offset !== undefined) line['offset'] = err.offset;
  return line;
}

/** Does a stream start like a legacy peer's: an 8-byte VERSION header chunk (peer id 0)? */
function looksLegacy(b: Uint8Array): boolean {
  if (b.length < 5) return b.length === 0 || [0, 0, 0, 8, 1].slice(0, b.length).every((v, i) => b[i] === v);
  if (b[0] !== 0 || b[1] !== 0 || b[2] !== 0 || b[3] !== 8 || b[4] !== 1) return false;
  if (b.length >= 12 && (b[8] !== 0 || b[9] !== 0 || b[10] !== 0 || b[11] !== 0)) return false;
  if (b.length >= 16) {
    const len = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
    if (len < 16 || len > 16 + 4096) return false;
  }
  return true;
}

export const legacyCaptureDecoder: ProtocolDecoder = {
  protocol: 'legacy',
  detect(c2s: Uint8Array, s2c: Uint8Array): boolean {
    if (c2s.length < 5 && s2c.length < 5) return false;
    if (looksLegacy(c2s) && looksLegacy(s2c)) return true;
    // One side clearly opens with a VERSION header while the other sends something else (a TLS
    // alert from a listener that expected TLS, garbage): decode it anyway, the other side then
    // shows as an error line instead of the whole connection going undecoded.
    return (c2s.length >= 12 && looksLegacy(c2s)) || (s2c.length >= 12 && looksLegacy(s2c));
  },
  session(options?: { strict?: boolean }): StreamDecoder {
    return new LegacySessionDecoder(options?.strict !== undefined ? { strict: options.strict } : {});
  },
};
