// Every message the translator refuses is dropped here: counted by reason and direction (for
// `comm-bridge status` and the `comm_bridge_translation_drops_total` metric) and handed to a logger,
// so nothing disappears silently.
import type { TranslationError, TranslationErrorCode } from './errors.ts';

export type TranslationDirection = 'legacy_to_broker' | 'broker_to_legacy' | 'legacy_to_legacy';

export interface DropRecord {
  /** Wall clock, ms since the epoch. */
  readonly at: number;
  readonly direction: TranslationDirection;
  /** Event name or log path. */
  readonly what: string;
  readonly code: TranslationErrorCode;
  readonly message: string;
  /** Peer the message came from (legacy peer name or Broker endpoint id), when known. */
  readonly peer?: string;
}

export interface DropsOptions {
  /** Called once per drop (the daemon writes it to its log). */
  log?: (drop: DropRecord) => void;
  now?: () => number;
  /** How many recent drops `recent()` keeps (default 50). */
  keep?: number;
}

export class TranslationDrops {
  private readonly counters = new Map<string, number>();
  private readonly last: DropRecord[] = [];
  private readonly keep: number;
  private total = 0;

  constructor(private readonly options: DropsOptions = {}) {
    this.keep = options.keep ?? 50;
  }

  record(direction: TranslationDirection, what: string, err: TranslationError, peer?: string): DropRecord {
    const drop: DropRecord = {
      at: this.options.now?.() ?? Date.now(),
      direction,
      what,
      code: err.code,
      message: err.message,
      ...(peer !== undefined ? { peer } : {}),
    };
    const key = `${direction}\u0000${err.code}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
    this.total++;
    this.last.push(drop);
    if (this.last.length > this.keep) this.last.shift();
    this.options.log?.(drop);
    return drop;
  }

  /** All drops, or those of one reason. */
  count(code?: TranslationErrorCode): number {
    if (code === undefined) return this.total;
    let n = 0;
    for (const [key, v] of this.counters) if (key.endsWith(`\u0000${code}`)) n += v;
    return n;
  }

  /** Counts by direction and reason, for metrics: one row per non-zero pair. */
  rows(): { direction: TranslationDirection; reason: TranslationErrorCode; count: number }[] {
    return [...this.counters].map(([key, count]) => {
      const [direction, reason] = key.split('\u0000') as [TranslationDirection, TranslationErrorCode];
      return { direction, reason, count };
    });
  }

  recent(): readonly DropRecord[] {
    return this.last;
  }
}
