// Limits every legacy decoder enforces. Defaults are sized for real Bro traffic: the largest
// captured single event is ~300 KB (a `connection` record sent to a no-caching peer), Bro's own
// caches hold 3000 entries, and Bro's deepest types nest well under 20 levels.

export interface LegacyLimits {
  /** Largest physical chunk payload accepted (Bro writes at most 1 MiB - 4; Broccoli never splits). */
  maxChunkSize: number;
  /** Largest logical chunk after reassembling PARTIAL pieces. */
  maxMessageSize: number;
  /** Largest original length a compressed chunk may announce (decompression-bomb guard). */
  maxDecompressedSize: number;
  /** Deepest nesting of objects (types, values, attributes) inside one serialization. */
  maxNestingDepth: number;
  /** Most entries the receiver cache may hold at any time. */
  maxCacheEntries: number;
}

export const DEFAULT_LIMITS: Readonly<LegacyLimits> = Object.freeze({
  maxChunkSize: 16 * 1024 * 1024,
  maxMessageSize: 64 * 1024 * 1024,
  maxDecompressedSize: 16 * 1024 * 1024,
  maxNestingDepth: 64,
  maxCacheEntries: 100_000,
});

export function resolveLimits(partial: Partial<LegacyLimits> | undefined): LegacyLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
