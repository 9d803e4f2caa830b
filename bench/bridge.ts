// Issue 7 row 5: end to end through the bridge daemon (src/bridge/), both directions.
//
//   npx tsx bench/bridge.ts [--seconds S] [--runs N] [--rates 1000,10000] [--tls]
//   npx tsx bench/bridge.ts --child-cpu-prof DIR | --child-trace-gc   (profile / GC trace of the bridge)
//
// The bridge runs in its own process (a Bridge with a legacy listener and a native Broker
// listener, plaintext unless --tls, logs discarded). This process plays both outer peers:
// - a legacy peer: a raw Broccoli-style connection (VERSION, CAPS, REQUEST_EVENTS bench_pong,
//   PHASE_DONE) that sends `bench_ping(seq: count, "test")` from a pre-encoded template with the
//   sequence number patched in, and decodes the bench_pong events the bridge sends it;
// - a Broker peer: one of our endpoints, subscribed to zeek/legacy/ (where the bridge publishes
//   the sensor node's events), publishing bench_pong on zeek/to-legacy/ (the bridge's subscription).
// Sender and receiver share a clock, so latency is one way: sent -> arrived on the other side.
// Throughput rows keep at most WINDOW events in flight (sent, not yet received): a rate the path
// sustains without queueing or loss, as in bench/broker-peering.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { countVal, eventBody, stringVal } from '../legacy/codec/builders.ts';
import { BROCCOLI_CACHE_SIZE, BROCCOLI_CAPS } from '../legacy/codec/constants.ts';
import { LegacyStreamDecoder } from '../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder } from '../legacy/codec/stream-encoder.ts';
import { makeVersion } from '../legacy/codec/version.ts';
import { asZeekMessage, count, makeEvent, str } from '../modern/data/index.ts';
import { Endpoint } from '../modern/endpoint/index.ts';
import { Bridge } from '../src/bridge/index.ts';
import { argValue, fmtStat, LatencyRuns, sleep, stat, waitFor, type BenchRow } from './common.ts';

const WINDOW = 30_000;
const TO_LEGACY = 'zeek/to-legacy/';
const FROM_LEGACY = 'zeek/legacy/';
const FORMAT = { pid64: false, newCacheStrategy: false, caching: false };

// -- the bridge process --------------------------------------------------------------------------

async function bridgeRole(tls: boolean): Promise<void> {
  const bridge = new Bridge({
    config: {
      node: 'bench-bridge',
      status: { enabled: false },
      state: { enabled: false },
      legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_retry: 0, nodes: { sensor: { host: '127.0.0.1', events: '/^bench_ping$/' } } },
      broker: { default_listen_address: '127.0.0.1', default_port: 0, default_listen_retry: 0, disable_ssl: !tls },
      websocket: { listen: false },
      routing: { subscribe: [TO_LEGACY] },
    },
    logSink: () => undefined,
  });
  const listeners = await bridge.start();
  const port = (kind: string): number => listeners.find((l) => l.kind === kind)?.port ?? 0;
  console.log(JSON.stringify({ legacy: port('legacy'), broker: port('broker') }));
  process.stdin.resume();
  process.stdin.on('end', () => void bridge.stop().then(() => process.exit(0)));
}

async function startBridgeProcess(tls: boolean, execArgv: readonly string[]): Promise<{ proc: ChildProcess; legacy: number; broker: number }> {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [...execArgv, '--import', 'tsx', file, '--child', tls ? 'tls' : 'plain'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const ports = await new Promise<{ legacy: number; broker: number }>((resolve, reject) => {
    // Anything else the child prints (e.g. --trace-gc) goes to stderr.
    lines.on('line', (l) => (l.startsWith('{') ? resolve(JSON.parse(l) as { legacy: number; broker: number }) : process.stderr.write(`bridge: ${l}\n`)));
    proc.once('exit', (code) => reject(new Error(`bridge exited with ${code}`)));
  });
  return { proc, ...ports };
}

// -- the legacy peer -----------------------------------------------------------------------------

class LegacyPeer {
  received = 0;
  lastSeq = -1;
  onEvent: ((seq: number) => void) | undefined;
  private readonly decoder = new LegacyStreamDecoder({ serial: { format: FORMAT } });
  private readonly template: Buffer;
  private readonly seqAt: number;
  private running = false;

  private constructor(private readonly socket: net.Socket) {
    const enc = new LegacyStreamEncoder({ serial: { format: FORMAT }, noPartial: true });
    this.template = Buffer.from(enc.encode({ type: 'SERIAL', body: eventBody('bench_ping', [countVal(0x5a5a5a01), stringVal('test')], 1_700_000_000) }));
    const at = this.template.indexOf(Buffer.from([0, 0, 0, 0, 0x5a, 0x5a, 0x5a, 0x01]));
    if (at < 0) throw new Error('cannot find the sequence number in the event template');
    this.seqAt = at + 4;
    socket.on('data', (b: Buffer) => this.onData(b));
  }

  static async connect(port: number): Promise<LegacyPeer> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(s));
      s.once('error', reject);
    });
    const p = new LegacyPeer(socket);
    const enc = new LegacyStreamEncoder({ serial: { format: FORMAT }, noPartial: true });
    socket.write(
      Buffer.concat([
        enc.encode(makeVersion({ cacheSize: BROCCOLI_CACHE_SIZE })),
        enc.encode({ type: 'CAPS', flags: BROCCOLI_CAPS, reserved: [0, 0] }),
        enc.encode({ type: 'REQUEST_EVENTS', events: ['bench_pong'] }),
        enc.encode({ type: 'PHASE_DONE' }),
      ]),
    );
    if (!(await waitFor(() => p.running, 5000))) throw new Error('the bridge did not finish the legacy handshake');
    return p;
  }

  private onData(b: Buffer): void {
    const d = this.decoder;
    d.push(b);
    for (let m = d.next(); m !== undefined; m = d.next()) {
      if (m.type === 'PHASE_DONE') this.running = true;
      else if (m.type === 'SERIAL' && m.body.kind === 'event' && m.body.name === 'bench_pong') {
        const a = m.body.args[0];
        const seq = a?.kind === 'count' ? Number(a.value) : -1;
        this.received++;
        this.lastSeq = seq;
        this.onEvent?.(seq);
      }
    }
  }

  /** Sends bench_ping(first .. first+n-1) in one write. */
  send(first: number, n: number): void {
    const t = this.template;
    const size = t.length;
    const out = Buffer.allocUnsafe(size * n);
    for (let i = 0; i < n; i++) {
      t.copy(out, i * size);
      out.writeUInt32BE((first + i) >>> 0, i * size + this.seqAt);
    }
    this.socket.write(out);
  }

  close(): void {
    this.socket.destroy();
  }
}

// -- the Broker peer -----------------------------------------------------------------------------

class BrokerPeer {
  received = 0;
  onEvent: ((seq: number) => void) | undefined;

  constructor(readonly ep: Endpoint) {
    ep.on('data', (topic, value) => {
      if (!topic.startsWith(FROM_LEGACY)) return;
      const m = asZeekMessage(value);
      if (m?.kind !== 'event' || m.name !== 'bench_ping') return;
      const a = m.args[0];
      this.received++;
      this.onEvent?.(a?.type === 'count' ? Number(a.value) : -1);
    });
    ep.subscribe(FROM_LEGACY);
  }

  send(first: number, n: number): void {
    for (let i = 0; i < n; i++) this.ep.publish(TO_LEGACY, makeEvent('bench_pong', [count(first + i), str('test')]));
  }
}

type Direction = 'legacy → Broker' | 'Broker → legacy';

interface Pipe {
  send(first: number, n: number): void;
  received(): number;
  setOnEvent(f: ((seq: number) => void) | undefined): void;
}

function pipeOf(dir: Direction, legacy: LegacyPeer, broker: BrokerPeer): Pipe {
  return dir === 'legacy → Broker'
    ? { send: (f, n) => legacy.send(f, n), received: () => broker.received, setOnEvent: (f) => (broker.onEvent = f) }
    : { send: (f, n) => broker.send(f, n), received: () => legacy.received, setOnEvent: (f) => (legacy.onEvent = f) };
}

/** Windowed one-way throughput for `seconds`; events/s received, and how many never arrived. */
async function throughput(p: Pipe, seconds: number, seq0: number): Promise<{ rate: number; lost: number; next: number }> {
  const base = p.received();
  let sent = 0;
  let wake: (() => void) | undefined;
  p.setOnEvent(() => {
    if ((p.received() - base) % 1000 === 0) wake?.();
  });
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const room = WINDOW - (sent - (p.received() - base));
    if (room >= 1000) {
      for (let k = 0; k < room; k += 1000) p.send(seq0 + sent + k, Math.min(1000, room - k));
      sent += room;
    }
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 20);
    });
    wake = undefined;
  }
  const got = p.received() - base;
  const rate = got / ((performance.now() - t0) / 1000);
  await waitFor(() => p.received() - base >= sent, 3000);
  p.setOnEvent(undefined);
  return { rate, lost: sent - (p.received() - base), next: seq0 + sent };
}

/** `rate` events/s for `seconds`, one-way latencies (µs, sorted) and how many never arrived. */
async function latency(p: Pipe, rate: number, seconds: number, seq0: number): Promise<{ us: Float64Array; lost: number; next: number }> {
  const total = Math.round(rate * seconds);
  const sentAt = new Float64Array(total);
  const us = new Float64Array(total);
  let got = 0;
  p.setOnEvent((seq) => {
    const i = seq - seq0;
    if (i < 0 || i >= total) return;
    us[got++] = (performance.now() - sentAt[i]!) * 1000;
  });
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      if (due > sent) {
        const now = performance.now();
        for (let i = sent; i < due; i++) sentAt[i] = now;
        p.send(seq0 + sent, due - sent);
        sent = due;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await waitFor(() => got >= total, 3000);
  p.setOnEvent(undefined);
  return { us: us.subarray(0, got).sort(), lost: total - got, next: seq0 + total };
}

export interface BridgeBenchOptions {
  seconds?: number;
  runs?: number;
  rates?: number[];
  tls?: boolean;
  childExecArgv?: string[];
}

export async function runBridgeBench(options: BridgeBenchOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 2;
  const runs = options.runs ?? 5;
  const rates = options.rates ?? [1000, 10_000];
  const tls = options.tls ?? false;
  const mode = tls ? 'tls' : 'plain';
  const child = await startBridgeProcess(tls, options.childExecArgv ?? []);
  const ep = new Endpoint({ disable_ssl: !tls, env: {}, peer_buffer_size: 1 << 16, peer_overflow_policy: 'disconnect' });
  const broker = new BrokerPeer(ep);
  let legacy: LegacyPeer | undefined;
  const rows: BenchRow[] = [];
  try {
    if (!(await ep.peer('127.0.0.1', child.broker, 0))) throw new Error('cannot peer with the bridge');
    legacy = await LegacyPeer.connect(child.legacy);
    let seq = 0;
    // Wait until both routes carry events (subscriptions announced, legacy peer RUNNING).
    for (const dir of ['legacy → Broker', 'Broker → legacy'] as Direction[]) {
      const p = pipeOf(dir, legacy, broker);
      const before = p.received();
      const ok = await waitFor(
        () => {
          if (p.received() > before) return true;
          p.send(seq++, 1);
          return false;
        },
        10_000,
        50,
      );
      if (!ok) throw new Error(`no event made it ${dir}`);
      await sleep(100);
    }
    for (const dir of ['legacy → Broker', 'Broker → legacy'] as Direction[]) {
      const p = pipeOf(dir, legacy, broker);
      let lost = 0;
      const warm = await throughput(p, Math.min(1, seconds), seq);
      seq = warm.next;
      const tput: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = await throughput(p, seconds, seq);
        tput.push(t.rate);
        lost += t.lost;
        seq = t.next;
      }
      rows.push({ bench: 'bridge', case: `${dir} through the bridge: sustained events/s`, mode, eventsPerSec: stat(tput), lost, runs });
      for (const rate of rates) {
        let lostAt = 0;
        seq = (await latency(p, rate, 0.5, seq)).next;
        const latencies = new LatencyRuns();
        for (let r = 0; r < runs; r++) {
          const l = await latency(p, rate, seconds, seq);
          seq = l.next;
          lostAt += l.lost;
          latencies.add(l.us);
        }
        rows.push({ bench: 'bridge', case: `${dir} one-way latency at ${rate / 1000}k events/s`, mode, rate, ...latencies.stats(), lost: lostAt, runs });
      }
    }
  } finally {
    legacy?.close();
    await ep.shutdown();
    child.proc.stdin!.end();
    await new Promise((r) => child.proc.once('exit', r));
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const role = argValue(process.argv, '--child');
  if (role === 'plain' || role === 'tls') {
    void bridgeRole(role === 'tls');
  } else {
    const profile = argValue(process.argv, '--child-cpu-prof');
    const extra = process.argv.includes('--child-trace-gc') ? ['--trace-gc'] : [];
    const rows = await runBridgeBench({
      seconds: Number(argValue(process.argv, '--seconds') ?? 2),
      runs: Number(argValue(process.argv, '--runs') ?? 5),
      rates: (argValue(process.argv, '--rates') ?? '1000,10000').split(',').filter((r) => r !== '').map(Number),
      tls: process.argv.includes('--tls'),
      childExecArgv: [...extra, ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [])],
    });
    console.log('End to end through the bridge (legacy peer <-> bridge process <-> Broker peer), median of runs [min..max]');
    for (const r of rows) {
      const what = r.eventsPerSec ? `${fmtStat(r.eventsPerSec)} events/s` : `p50 ${fmtStat(r.p50us)} µs  p90 ${fmtStat(r.p90us)} µs  p99 ${fmtStat(r.p99us)} µs`;
      console.log(`${r.case.padEnd(58)} ${what}${r.lost ? `  LOST ${r.lost}` : ''}`);
    }
  }
}
