import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// What every benchmark returns: rows of one shape, so bench/run.ts can print them in one table and
// write them as JSON. A row names what it measures (`bench` + `case`) and carries one or more
// figures, each the median of several runs with the smallest and largest run.

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export interface BenchRow {
  /** Which benchmark produced the row (legacy-codec, broker-peering, raw-pipe, bridge, scale ...). */
  bench: string;
  /** What the row measures, in words. */
  case: string;
  mode?: 'plain' | 'tls';
  /** Units of work per run. */
  events?: number;
  bytes?: number;
  ops?: number;
  peers?: number;
  /** Throughput figures. */
  eventsPerSec?: Stat;
  mbPerSec?: Stat;
  opsPerSec?: Stat;
  handshakesPerSec?: Stat;
  /** Latency rows: the offered rate (events/s) and round-trip (or one-way) percentiles in µs. */
  rate?: number;
  p50us?: Stat;
  p90us?: Stat;
  p99us?: Stat;
  /** Milliseconds per run (latency of a single operation). */
  ms?: Stat;
  /** Resident memory per peer (RSS delta / peers after GC), KiB. */
  kibPerPeer?: Stat;
  /** Memory growth over a steady run, % of the starting RSS. */
  growthPct?: Stat;
  /** Events lost / peers dropped in any run (must be 0). */
  lost?: number;
  /** Backpressure rows: events that arrived, events the overflow policy dropped, peering kept. */
  delivered?: number;
  dropped?: number;
  peerKept?: boolean;
  /** Runs behind each Stat. */
  runs?: number;
  /** Anything the figures alone do not say (e.g. how far a scale run got and why). */
  note?: string;
}

export function stat(samples: readonly number[]): Stat {
  if (samples.length === 0) return { median: NaN, min: NaN, max: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/** p in [0, 1] of ascending samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** p50/p90/p99 of each run's latency samples (µs, ascending), summarised over the runs as a row's figures. */
export class LatencyRuns {
  private readonly p50: number[] = [];
  private readonly p90: number[] = [];
  private readonly p99: number[] = [];

  add(sortedUs: ArrayLike<number>): void {
    this.p50.push(percentile(sortedUs, 0.5));
    this.p90.push(percentile(sortedUs, 0.9));
    this.p99.push(percentile(sortedUs, 0.99));
  }

  stats(): { p50us: Stat; p90us: Stat; p99us: Stat } {
    return { p50us: stat(this.p50), p90us: stat(this.p90), p99us: stat(this.p99) };
  }
}

let gcFn: (() => void) | undefined;

/** A full garbage collection now (exposed at runtime: `npm run bench` cannot pass --expose-gc). */
export function forceGc(): void {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

export interface TimedCase {
  name: string;
  /** Events and bytes one call of `fn` processes. */
  events: number;
  bytes: number;
  fn: () => void;
}

export interface TimedResult {
  name: string;
  events: number;
  bytes: number;
  eventsPerSec: Stat;
  mbPerSec: Stat;
  runs: number;
}

/**
 * Times in-process cases round-robin (case A run 1, case B run 1, ..., case A run 2 ...), after
 * `warmup` untimed rounds: on a shared machine a burst of other load then hits every case alike,
 * so ratios between cases measured in the same run stay meaningful.
 */
export function timeInterleaved(cases: readonly TimedCase[], runs: number, warmup = 2, minMs = 200): TimedResult[] {
  for (let i = 0; i < warmup; i++) for (const c of cases) c.fn();
  const seconds = cases.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    cases.forEach((c, i) => {
      // A run repeats the case for at least minMs, so it reaches its steady state (heap sizing,
      // JIT) whatever ran just before it; the time is per call of fn.
      let calls = 0;
      const t0 = process.hrtime.bigint();
      let elapsed = 0;
      do {
        c.fn();
        calls++;
        elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      } while (elapsed * 1000 < minMs);
      seconds[i]!.push(elapsed / calls);
    });
  }
  return cases.map((c, i) => {
    const st = stat(seconds[i]!);
    // The fastest run is the highest rate.
    const rate = (amount: number): Stat => ({ median: amount / st.median, min: amount / st.max, max: amount / st.min });
    return { name: c.name, events: c.events, bytes: c.bytes, eventsPerSec: rate(c.events), mbPerSec: rate(c.bytes / 1e6), runs };
  });
}

/** `--name value` from an argument list. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function fmtStat(s: Stat | undefined): string {
  if (s === undefined) return '';
  return `${fmtNumber(s.median)} [${fmtNumber(s.min)}..${fmtNumber(s.max)}]`;
}

/** Resolves after every pending I/O callback and timer of this turn ran. */
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond()` holds, checking every `everyMs`; false on timeout. */
export async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** What one paced round-trip run gives. */
export interface RoundTrips {
  /** Round-trip times (µs) of the events that came back, ascending: one sample per event. */
  us: Float64Array;
  /** Events sent whose answer did not arrive within the drain time. */
  lost: number;
}

/**
 * The load of the round-trip rows (bench/broker-peering.ts, bench/raw-pipe.ts), in one place so they
 * measure alike: `rate` events/s for `seconds`, paced by a 1 ms interval timer that sends every event
 * due by then (⌊elapsed × rate⌋ since the start), one `send` per event, each stamped with
 * performance.now() just before it is sent; then up to `drainMs` for the answers.
 *
 * `send(seq)` sends event number `seq` (seq0, seq0 + 1, ...); `listen(h)` installs `h`, to be called
 * with the number of each answer as it arrives (undefined removes it). Samples are taken in arrival
 * order, one per event of this run already sent (numbers outside the run and repeats are ignored),
 * so a lost event leaves no slot and a late answer of an earlier run does not count.
 */
export async function pacedRoundTrips(
  rate: number,
  seconds: number,
  seq0: number,
  send: (seq: number) => void,
  listen: (onAnswer: ((seq: number) => void) | undefined) => void,
  drainMs = 2000,
): Promise<RoundTrips> {
  const total = Math.round(rate * seconds);
  const sentAt = new Float64Array(total);
  const seen = new Uint8Array(total);
  const us = new Float64Array(total);
  let received = 0;
  let sent = 0;
  listen((seq) => {
    const i = seq - seq0;
    if (i < 0 || i >= sent || seen[i] === 1) return;
    seen[i] = 1;
    us[received++] = (performance.now() - sentAt[i]!) * 1000;
  });
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (sent < due) {
        sentAt[sent] = performance.now();
        send(seq0 + sent);
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await waitFor(() => received >= total, drainMs);
  listen(undefined);
  return { us: us.subarray(0, received).sort(), lost: total - received };
}
