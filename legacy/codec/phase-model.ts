import type { Direction } from '../../src/core/capture/types.ts';
import { CapsFlag } from './constants.ts';
import type { LegacyMessage } from './messages.ts';
import type { SerialWriteFormat } from './serial-writer.ts';

// A passive model of both peers' phases (section 6), for observers of a whole connection (the
// capture decoder, tests). It answers how each side writes its SERIALs at any point: cache ids are
// 32-bit until the sender is RUNNING (SYNC included) and 64-bit afterwards only if both peers
// announced PID_64BIT; likewise the new cache strategy. A side sends back-references unless it is
// Broccoli or its peer announced NO_CACHING.

export type Phase = 'setup' | 'handshake' | 'sync' | 'running';

interface Side {
  readonly dir: Direction;
  phase: Phase;
  caps: number;
  versionSeen: boolean;
  runtime: number;
  /** REQUEST_SYNC sent: its authoritative flag. */
  sync: boolean | undefined;
  phaseDones: number;
}

const other = (dir: Direction): Direction => (dir === 'c2s' ? 's2c' : 'c2s');

export class ConnectionPhases {
  private readonly sides: Record<Direction, Side>;

  constructor() {
    const side = (dir: Direction): Side => ({ dir, phase: 'setup', caps: 0, versionSeen: false, runtime: 0, sync: undefined, phaseDones: 0 });
    this.sides = { c2s: side('c2s'), s2c: side('s2c') };
  }

  phaseOf(dir: Direction): Phase {
    return this.sides[dir].phase;
  }

  capsOf(dir: Direction): number {
    return this.sides[dir].caps;
  }

  versionSeen(dir: Direction): boolean {
    return this.sides[dir].versionSeen;
  }

  /** How side `dir` writes SERIALs right now. */
  formatOf(dir: Direction): SerialWriteFormat {
    const x = this.sides[dir];
    const y = this.sides[other(dir)];
    const running = x.phase === 'running';
    const both = (flag: number): boolean => running && (x.caps & flag) !== 0 && (y.caps & flag) !== 0;
    return {
      pid64: both(CapsFlag.PID_64BIT),
      newCacheStrategy: both(CapsFlag.NEW_CACHE_STRATEGY),
      caching: (x.caps & CapsFlag.BROCCOLI_PEER) === 0 && (y.caps & CapsFlag.NO_CACHING) === 0,
    };
  }

  /** Side `dir` sent `msg`. */
  observe(dir: Direction, msg: LegacyMessage): void {
    const x = this.sides[dir];
    const y = this.sides[other(dir)];
    switch (msg.type) {
      case 'VERSION':
        x.versionSeen = true;
        x.runtime = msg.runtime;
        if (y.phase === 'setup') y.phase = 'handshake';
        return;
      case 'CAPS':
        x.caps = msg.flags;
        return;
      case 'REQUEST_SYNC':
        x.sync = msg.authoritative;
        return;
      case 'PHASE_DONE':
        x.phaseDones++;
        if (x.phaseDones === 1) {
          // x has sent its PHASE_DONE and y has received it: whoever now has both is done.
          if (y.phaseDones >= 1) {
            this.handshakeDone(x);
            this.handshakeDone(y);
          }
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

  /** Which side sends its state in the SYNC phase (section 6.3 table), undefined if nobody. */
  stateSender(): Side | undefined {
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
