// Native peering between two of our endpoints over loopback, each in its own process: sustained
// one-way events/s and round-trip latency for Broker's benchmark event
// `[1, 1, ["event_1", [42 (integer), "test"]]]`, in plaintext and with anonymous TLS.
// Median of 5 runs, with min and max.
//
//   npx tsx bench/broker-peering.ts [--seconds S] [--runs N] [--modes plain,tls] [--rates 1000,10000] [--burst N]
//   node --cpu-prof --import tsx bench/broker-peering.ts --child-cpu-prof DIR   (profiles both sides)
//
// One-way rows keep at most WINDOW events in flight (published, not yet acknowledged by the
// receiver), so the figure is a rate the peering sustains without queueing or dropping, not how fast
// a sender fills buffers. Latency rows publish at a fixed rate; the other process answers every
// event on a second topic and the sender measures the round trip. Burst rows publish N events in
// one turn with Broker's default peer buffer (8192) under each overflow policy and show what the
// policy did: backpressure (everything delivered), drops, or the peer disconnected.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { asZeekMessage, count, integer, makeEvent, str, type Data } from '../modern/data/index.ts';
import { Endpoint, type OverflowPolicy } from '../modern/endpoint/index.ts';
import { fmtStat, LatencyRuns, pacedRoundTrips, stat, type BenchRow } from './common.ts';

export type { BenchRow as PeeringBenchRow, Stat } from './common.ts';

const EVENTS = '/benchmark/events';
const ACKS = '/benchmark/acks';
/** Topic of the latency probes (bench/raw-pipe.ts echoes frames of the same size). */
export const PING = '/benchmark/ping';
const PONG = '/benchmark/pong';
const WINDOW = 30_000;
const ACK_EVERY = 1000;

export function benchEvent(n = 42): Data {
  return makeEvent('event_1', [integer(n), str('test')]);
}

// -- the receiving process ---------------------------------------------------------------------

async function child(mode: 'plain' | 'tls'): Promise<void> {
  const ep = new Endpoint({ disable_ssl: mode === 'plain', env: {}, peer_buffer_size: 1 << 16 });
  let received = 0;
  ep.on('data', (topic, value) => {
    if (topic === EVENTS) {
      if (++received % ACK_EVERY === 0) ep.publish(ACKS, count(received));
    } else if (topic === PING) {
      ep.publish(PONG, value);
    } else if (topic === '/benchmark/reset') {
      received = 0;
    } else if (topic === '/benchmark/query') {
      ep.publish(ACKS, count(received));
    }
  });
  ep.subscribe('/benchmark/');
  const port = await ep.listen('127.0.0.1', 0, 0);
  console.log(`port ${port}`);
  process.stdin.resume();
  process.stdin.on('end', () => void ep.shutdown().then(() => process.exit(0)));
}

// -- the sending process -----------------------------------------------------------------------

async function startChild(mode: 'plain' | 'tls', execArgv: readonly string[]): Promise<{ proc: ChildProcess; port: number }> {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [...execArgv, '--import', 'tsx', file, '--child', mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (l) => resolve(Number(/port (\d+)/.exec(l)?.[1] ?? NaN)));
    proc.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return { proc, port };
}

class Sender {
  readonly ep: Endpoint;
  acked = 0;
  lost = 0;
  /** Next sequence number of a latency probe event. */
  private seq = 0;
  private onAck: (() => void) | undefined;
  private onPong: ((v: Data) => void) | undefined;

  constructor(mode: 'plain' | 'tls', buffer: { size: number; policy: OverflowPolicy } = { size: 1 << 16, policy: 'disconnect' }) {
    this.ep = new Endpoint({ disable_ssl: mode === 'plain', env: {}, peer_buffer_size: buffer.size, peer_overflow_policy: buffer.policy });
    this.ep.on('data', (topic, value) => {
      if (topic === ACKS && value.type === 'count') {
        this.acked = Number(value.value);
        this.onAck?.();
      } else if (topic === PONG) {
        this.onPong?.(value);
      }
    });
    this.ep.on('peer_removed', () => this.lost++);
    this.ep.on('peer_lost', () => this.lost++);
    this.ep.subscribe(ACKS);
    this.ep.subscribe(PONG);
  }

  async connect(port: number): Promise<void> {
    if (!(await this.ep.peer('127.0.0.1', port, 0))) throw new Error('cannot peer');
    while (!this.ep.hasRemoteSubscriber(EVENTS)) await new Promise((r) => setTimeout(r, 5));
  }

  /** Publishes for `seconds` with at most WINDOW unacknowledged events; events/s acknowledged. */
  async throughput(seconds: number): Promise<number> {
    this.ep.publish('/benchmark/reset', count(0));
    this.acked = 0;
    const event = benchEvent();
    let sent = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      const room = WINDOW - (sent - this.acked);
      if (room >= ACK_EVERY) {
        for (let i = 0; i < room; i++) this.ep.publish(EVENTS, event);
        sent += room;
      }
      await new Promise<void>((r) => {
        this.onAck = r;
        setTimeout(r, 50);
      });
      this.onAck = undefined;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const done = Math.floor(this.acked / ACK_EVERY) * ACK_EVERY;
    // Let the tail drain before the next run.
    const drainUntil = performance.now() + 2000;
    while (this.acked < Math.floor(sent / ACK_EVERY) * ACK_EVERY && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
    if (this.acked < Math.floor(sent / ACK_EVERY) * ACK_EVERY) this.lost++;
    return done / elapsed;
  }

  /**
   * Publishes `n` events in one turn of the event loop, no window: more than the socket takes at
   * once, so the peer buffer and its overflow policy decide. Returns what the receiver counted
   * once nothing more arrives, the policy's drops, and whether the peering survived.
   */
  async burst(n: number): Promise<{ delivered: number; overflows: number; peerKept: boolean }> {
    this.ep.publish('/benchmark/reset', count(0));
    this.acked = 0;
    const event = benchEvent();
    for (let i = 0; i < n; i++) this.ep.publish(EVENTS, event);
    const overflows = [...this.ep.peeringStats().values()][0]?.num_overflows ?? 0;
    let last = -1;
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setTimeout(r, 200));
      if (this.lost > 0) break;
      this.ep.publish('/benchmark/query', count(0));
      await new Promise((r) => setTimeout(r, 50));
      quiet = this.acked === last ? quiet + 1 : 0;
      last = this.acked;
    }
    const stats = [...this.ep.peeringStats().values()][0];
    return { delivered: this.acked, overflows: stats?.num_overflows ?? overflows, peerKept: this.lost === 0 };
  }

  /**
   * Publishes `rate` events/s for `seconds` (pacedRoundTrips); round-trip times in microseconds,
   * sorted, one per event that came back. Event numbers keep counting across runs, so a late
   * answer from an earlier run is not taken for one of this run.
   */
  async latency(rate: number, seconds: number): Promise<Float64Array> {
    const seq0 = this.seq;
    this.seq += Math.round(rate * seconds);
    const r = await pacedRoundTrips(
      rate,
      seconds,
      seq0,
      (seq) => this.ep.publish(PING, benchEvent(seq)),
      (onAnswer) => {
        this.onPong =
          onAnswer &&
          ((v) => {
            const m = asZeekMessage(v);
            if (m?.kind !== 'event') return;
            const a = m.args[0];
            if (a?.type === 'integer') onAnswer(Number(a.value));
          });
      },
    );
    this.lost += r.lost;
    return r.us;
  }
}

export interface PeeringBenchOptions {
  seconds?: number;
  runs?: number;
  modes?: ('plain' | 'tls')[];
  /** Offered rates of the latency rows (events/s); [] skips them. */
  rates?: number[];
  /** Extra node arguments for the receiving process (e.g. --cpu-prof). */
  childExecArgv?: string[];
  /** Events of the no-window burst rows (plaintext only); 0 skips them. */
  burst?: number;
}

export async function runBrokerPeeringBench(options: PeeringBenchOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 2;
  const runs = options.runs ?? 5;
  const rows: BenchRow[] = [];
  for (const mode of options.modes ?? ['plain', 'tls']) {
    const { proc, port } = await startChild(mode, options.childExecArgv ?? []);
    const sender = new Sender(mode);
    try {
      await sender.connect(port);
      await sender.throughput(1); // warm-up
      const rates: number[] = [];
      for (let i = 0; i < runs; i++) rates.push(await sender.throughput(seconds));
      rows.push({ bench: 'broker-peering', case: 'one-way events/s', mode, eventsPerSec: stat(rates), lost: sender.lost, runs });
      for (const rate of options.rates ?? [1000, 10_000]) {
        sender.lost = 0;
        await sender.latency(rate, 0.5); // warm-up
        const latencies = new LatencyRuns();
        for (let i = 0; i < runs; i++) {
          const r = await sender.latency(rate, seconds);
          latencies.add(r);
        }
        rows.push({ bench: 'broker-peering', case: `round trip at ${rate / 1000}k events/s`, mode, rate, ...latencies.stats(), lost: sender.lost, runs });
      }
      if (mode === 'plain' && (options.burst ?? 200_000) > 0) rows.push(...(await bursts(mode, port, options.burst ?? 200_000)));
    } finally {
      await sender.ep.shutdown();
      proc.stdin!.end();
      await new Promise((r) => proc.once('exit', r));
    }
  }
  return rows;
}

/** Backpressure: one unwindowed burst per overflow policy, with Broker's default buffer size. */
async function bursts(mode: 'plain' | 'tls', port: number, n: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const policy of ['drop_oldest', 'drop_newest', 'disconnect'] as OverflowPolicy[]) {
    const s = new Sender(mode, { size: 8192, policy });
    try {
      await s.connect(port);
      const b = await s.burst(n);
      rows.push({
        bench: 'broker-peering',
        case: `burst of ${n.toLocaleString('en-US')} events in one turn, no window: peer_buffer_size 8192, ${policy}`,
        mode,
        events: n,
        delivered: b.delivered,
        dropped: b.overflows,
        peerKept: b.peerKept,
        runs: 1,
      });
    } finally {
      await s.ep.shutdown();
    }
  }
  return rows;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const childMode = arg('--child');
  if (childMode === 'plain' || childMode === 'tls') {
    void child(childMode);
  } else {
    const modes = (arg('--modes') ?? 'plain,tls').split(',') as ('plain' | 'tls')[];
    const profile = arg('--child-cpu-prof');
    const rows = await runBrokerPeeringBench({
      burst: Number(arg('--burst') ?? 200_000),
      seconds: Number(arg('--seconds') ?? 2),
      runs: Number(arg('--runs') ?? 5),
      modes,
      rates: (arg('--rates') ?? '1000,10000').split(',').filter((r) => r !== '').map(Number),
      ...(profile ? { childExecArgv: ['--cpu-prof', '--cpu-prof-dir', profile] } : {}),
    });
    console.log('Native peering between two endpoint processes over loopback, event [1, 1, ["event_1", [42, "test"]]], median of runs [min..max]');
    for (const r of rows) {
      const what = r.eventsPerSec
        ? `${fmtStat(r.eventsPerSec).padStart(30)} events/s`
        : r.delivered !== undefined
          ? r.peerKept
            ? `delivered ${r.delivered} of ${r.events}, dropped by the policy ${r.dropped}, peer kept`
            : 'peer disconnected by the policy'
          : `p50 ${fmtStat(r.p50us)} us  p90 ${fmtStat(r.p90us)} us  p99 ${fmtStat(r.p99us)} us`;
      console.log(`${(r.mode ?? "").padEnd(6)} ${r.case.padEnd(28)} ${what}${r.lost ? `  LOST ${r.lost}` : ''}`);
    }
  }
}
