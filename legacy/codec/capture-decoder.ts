import type { DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from '../../src/core/capture/types.ts';
import { CapsFlag } from './constants.ts';
import { peerAction, toLegacyError, type LegacyError } from './errors.ts';
import type { LegacyMessage } from './messages.ts';
import type { LegacyLimits } from './options.ts';
import { renderMessage } from './capture-render.ts';
import type { SerialFormat } from './serial-reader.ts';
import { LegacyStreamDecoder } from './stream-decoder.ts';
import { checkVersion } from './version.ts';

// Decodes a captured legacy connection (both directions) for `comm-bridge decode`. A passive
// observer has to follow both peers' phases to know how each side writes its SERIALs: cache ids
// are 32-bit until the sender is RUNNING (SYNC included) and 64-bit afterwards only if both peers
// announced PID_64BIT; likewise the new cache strategy. Compression switches inside the stream
// decoder. Malformed input becomes an `error` line and stops that direction only.

type Phase = 'setup' | 'handshake' | 'sync' | 'running';

interface Side {
  readonly dir: Direction;
  readonly decoder: LegacyStreamDecoder;
  phase: Phase;
  caps: number;
  versionSeen: boolean;
  runtime: number;
  /** REQUEST_SYNC sent: its authoritative flag. */
  sync: boolean | undefined;
  phaseDones: number;
  failed: boolean;
}

const other = (dir: Direction): Direction => (dir === 'c2s' ? 's2c' : 'c2s');

export interface LegacySessionOptions {
  /** Also report protocol-rule violations (messages before VERSION) as errors. */
  strict?: boolean;
  limits?: Partial<LegacyLimits>;
}

export class LegacySessionDecoder implements StreamDecoder {
  private readonly sides: Record<Direction, Side>;
  private readonly strict: boolean;

  constructor(options: LegacySessionOptions = {}) {
    this.strict = options.strict ?? false;
    const side = (dir: Direction): Side => ({
      dir,
      decoder: new LegacyStreamDecoder(options.limits !== undefined ? { limits: options.limits } : {}),
      phase: 'setup',
      caps: 0,
      versionSeen: false,
      runtime: 0,
      sync: undefined,
      phaseDones: 0,
      failed: false,
    });
    this.sides = { c2s: side('c2s'), s2c: side('s2c') };
  }

  /** The SERIAL format side `dir` writes with, given both sides' phases and capabilities. */
  formatOf(dir: Direction): SerialFormat {
    const x = this.sides[dir];
    const y = this.sides[other(dir)];
    const running = x.phase === 'running';
    const both = (flag: number): boolean => running && (x.caps & flag) !== 0 && (y.caps & flag) !== 0;
    return { pid64: both(CapsFlag.PID_64BIT), newCacheStrategy: both(CapsFlag.NEW_CACHE_STRATEGY) };
  }

  phaseOf(dir: Direction): Phase {
    return this.sides[dir].phase;
  }

  push(dir: Direction, bytes: Uint8Array): DecodedMessage[] {
    const x = this.sides[dir];
    if (x.failed) return [];
    const out: DecodedMessage[] = [];
    try {
      x.decoder.push(bytes);
      for (;;) {
        x.decoder.serial.format = this.formatOf(dir);
        const msg = x.decoder.next();
        if (msg === undefined) break;
        out.push(renderMessage(msg, x.decoder.info));
        this.observe(x, msg, out);
      }
    } catch (err) {
      out.push(this.fail(x, toLegacyError(err)));
    }
    return out;
  }

  end(dir: Direction): DecodedMessage[] {
    const x = this.sides[dir];
    if (x.failed) return [];
    try {
      x.decoder.end();
    } catch (err) {
      return [this.fail(x, toLegacyError(err))];
    }
    return [];
  }

  private fail(x: Side, err: LegacyError): DecodedMessage {
    x.failed = true;
    return errorLine(err);
  }

  private observe(x: Side, msg: LegacyMessage, out: DecodedMessage[]): void {
    const y = this.sides[other(x.dir)];
    if (!x.versionSeen && msg.type !== 'VERSION' && this.strict) {
      out.push({ type: 'error', code: 'malformed_message', message: `${msg.type} before VERSION (peer did not send version)`, action: 'close connection' });
    }
    switch (msg.type) {
      case 'VERSION': {
        x.versionSeen = true;
        x.runtime = msg.runtime;
        // The receiver mirrors the sender's cache with the sender's announced capacity.
        x.decoder.serial.cache.capacity = msg.cacheSize;
        if (y.phase === 'setup') y.phase = 'handshake';
        const problem = checkVersion(msg);
        if (problem !== undefined) out.push(errorLine(problem));
        return;
      }
      case 'CAPS':
        x.caps = msg.flags;
        return;
      case 'REQUEST_SYNC':
        x.sync = msg.authoritative;
        return;
      case 'PHASE_DONE':
        x.phaseDones++;
        if (x.phaseDones === 1) {
          // x has now sent its PHASE_DONE; y has received it.
          if (y.phaseDones >= 1) this.handshakeDone(x);
          if (y.phaseDones >= 1) this.handshakeDone(y);
        } else if (x.phaseDones === 2 && x.phase === 'sync' && this.stateSender() === x) {
          x.phase = 'running';
          if (y.phase === 'sync') y.phase = 'running';
        }
        return;
      default:
        return;
    }
  }

  private handshakeDone(s: Side): void {
    if (s.phase === 'running' || s.phase === 'sync') return;
    const { c2s, s2c } = this.sides;
    s.phase = c2s.sync !== undefined || s2c.sync !== undefined ? 'sync' : 'running';
  }

  /** Which side sends its state in the SYNC phase (section 6.3), or undefined if nobody does. */
  private stateSender(): Side | undefined {
    const { c2s, s2c } = this.sides;
    if (c2s.sync === undefined) return s2c.sync === undefined ? undefined : c2s;
    if (s2c.sync === undefined) return s2c;
    if (c2s.sync && s2c.sync) return undefined;
    if (c2s.sync) return c2s;
    if (s2c.sync) return s2c;
    if (c2s.runtime !== s2c.runtime) return c2s.runtime > s2c.runtime ? c2s : s2c;
    // Equal runtimes: the TCP initiator sends.
    return c2s;
  }
}

function errorLine(err: LegacyError): DecodedMessage {
  const line: DecodedMessage = { type: 'error', code: err.code, message: err.message, action: peerAction(err.code) };
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
    return looksLegacy(c2s) && looksLegacy(s2c);
  },
  session(options?: { strict?: boolean }): StreamDecoder {
    return new LegacySessionDecoder(options?.strict !== undefined ? { strict: options.strict } : {});
  },
};
