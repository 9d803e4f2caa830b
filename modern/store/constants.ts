// Names and timing of Broker data stores (spec §2.7). The timing values are Broker's defaults
// (`broker.store.*`); the ones marked UNCONFIRMED were read from Broker's source, not captured.

/** Store `S` receives on `S/<$>/data/master` (commands for the master). */
export function masterTopic(store: string): string {
  return `${store}/<$>/data/master`;
}

/** Store `S` broadcasts on `S/<$>/data/clone` (commands for clones). */
export function cloneTopic(store: string): string {
  return `${store}/<$>/data/clone`;
}

export interface ChannelTiming {
  /** Milliseconds per tick: masters and clones run their channels and expiry on this tick (captured: 100 ms). */
  tickIntervalMs: number;
  /** Ticks between keepalives / cumulative acks (captured: 5, i.e. 500 ms). */
  heartbeatInterval: number;
  /** Ticks without progress before a consumer nacks a gap or repeats `nack [0]` (UNCONFIRMED: Broker default 2). */
  nackTimeout: number;
  /** A producer drops a consumer silent for heartbeatInterval × this many ticks (UNCONFIRMED: Broker default 100). */
  connectionTimeoutFactor: number;
  /** Most actions a producer keeps for retransmission; older ones are answered with retransmit_failed. */
  maxBufferedActions: number;
}

export const DEFAULT_CHANNEL_TIMING: Readonly<ChannelTiming> = Object.freeze({
  tickIntervalMs: 100,
  heartbeatInterval: 5,
  nackTimeout: 2,
  connectionTimeoutFactor: 100,
  maxBufferedActions: 100_000,
});

/**
 * Zeek's clone intervals (Broker::default_clone_*_interval), in milliseconds. Here:
 * - resync: a clone that has heard nothing from its master for this long treats it as lost and
 *   starts re-attaching (to whichever master answers);
 * - stale: a clone without a master for this long refuses reads (`stale_data`); < 0 = never;
 * - mutationBuffer: how long a clone without a master queues writes; <= 0 = refuse them at once.
 */
export interface CloneIntervals {
  resyncIntervalMs: number;
  staleIntervalMs: number;
  mutationBufferIntervalMs: number;
}

export const DEFAULT_CLONE_INTERVALS: Readonly<CloneIntervals> = Object.freeze({
  resyncIntervalMs: 10_000,
  staleIntervalMs: 300_000,
  mutationBufferIntervalMs: 120_000,
});
