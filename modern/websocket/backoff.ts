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
  get failures(): number {
    return this.attempt;
  }

  /**
   * Records a failed attempt and returns the milliseconds to wait before the next one, or
   * undefined once `max_attempts` failures are reached. The n-th delay is initial × multiplier^n
   * capped at max, minus up to `jitter` of it at random (never below (1 − jitter) of it).
   */
  next(): number | undefined {
    const nominal = Math.min(this.o.max_delay, this.o.initial_delay * this.o.multiplier ** this.attempt);
    this.attempt++;
    if (this.o.max_attempts > 0 && this.attempt >= this.o.max_attempts) return undefined;
    const r = Math.min(1, Math.max(0, this.random()));
    return Math.round(nominal * (1 - this.o.jitter * r) * 1000);
  }

  reset(): void {
    this.attempt = 0;
  }
}
