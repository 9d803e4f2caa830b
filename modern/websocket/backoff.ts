// Capped exponential backoff with jitter for reconnects. The random source is injected so tests
// can predict every delay.
import type { ReconnectOptions } from './options.ts';

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly o: ReconnectOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.attempt;
  }

  /** True when max_attempts is set and used up. */
  get exhausted(): boolean {
    return this.o.max_attempts > 0 && this.attempt >= this.o.max_attempts;
  }

  /**
   * Milliseconds before the next attempt: initial × multiplier^n capped at max, minus up to
   * `jitter` of it at random ("equal jitter": never below (1 − jitter) of the nominal delay).
   */
  next(): number {
    const nominal = Math.min(this.o.max_delay, this.o.initial_delay * this.o.multiplier ** this.attempt);
    this.attempt++;
    const r = Math.min(1, Math.max(0, this.random()));
    return Math.round(nominal * (1 - this.o.jitter * r) * 1000);
  }

  reset(): void {
    this.attempt = 0;
  }
}
