// Issue 7 row 6: many legacy peers on one CommunicationFramework listener.
//
//   npx tsx bench/scale.ts [--sizes 1000,10000] [--runs N] [--seconds S] [--rate R] [--quick]
//                          [--heap-snapshot DIR]   (the server's heap with every peer RUNNING)
//                          [--server-cpu-prof DIR] (a CPU profile of the server process)
//
// Three processes: this one orchestrates; a server process runs the framework (so its resident
// memory is only the framework's); a client process opens the connections, speaks the legacy
// handshake as a Broccoli peer would (VERSION, CAPS, PHASE_DONE) and later sends the events, so
// the clients' memory is not counted either. Per run and size, fresh processes:
//
// * handshakes/s: peers / (last handshake done − first connection accepted), as the server sees it;
// * KiB per peer: (RSS with every peer RUNNING − RSS before the first connection) / peers, both
//   after a full GC in the server;
// * then (on the last run of the largest size) every peer sends `scale_ping(client, seq)` at R
//   events/s for a warm-up and then S seconds: the server counts per client and checks the
//   sequence (nothing lost, nothing out of order), and its RSS after GC is sampled every window;
//   growth is relative to the RSS after the warm-up (see steadyRun for why).
import { spawn } from 'node:child_process';
import { writeHeapSnapshot } from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CommunicationFramework } from '../legacy/framework/framework.ts';
import { Child, serve, type Msg } from './child-rpc.ts';
import { argValue, fmtStat, forceGc, sleep, stat, type BenchRow } from './common.ts';
import { clientsRole } from './scale-clients.ts';

/** Extra node arguments for the server process (e.g. --cpu-prof). */
let serverExecArgv: string[] = [];

function startRole(role: 'server' | 'clients'): Child {
  const file = fileURLToPath(import.meta.url);
  const execArgv = role === 'server' ? serverExecArgv : [];
  return new Child(spawn(process.execPath, [...execArgv, '--import', 'tsx', file, `--${role}`], { stdio: ['pipe', 'pipe', 'inherit'] }));
}

function memory(): { rss: number; heap: number; external: number; cpuMs: number } {
  forceGc();
  forceGc();
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers, cpuMs: (cpu.user + cpu.system) / 1000 };
}

// -- the server process: one CommunicationFramework listener --------------------------------------

async function serverRole(): Promise<void> {
  const fw = new CommunicationFramework({
    config: {
      listen_interface: '127.0.0.1',
      listen_port: 0,
      max_peers: 1_000_000,
      send_peer_description: true,
      nodes: { sensors: { host: '127.0.0.1', accept_input: true } },
    },
  });
  let firstAccept = 0;
  let lastHandshake = 0;
  let handshaken = 0;
  let closed = 0;
  let expect: { n: number; done: (m: Msg) => void } | undefined;
  let received = 0;
  let outOfOrder = 0;
  let perClient = new Int32Array(0);
  fw.on('remote_connection_established', () => {
    if (firstAccept === 0) firstAccept = performance.now();
  });
  fw.on('remote_connection_handshake_done', () => {
    handshaken++;
    lastHandshake = performance.now();
    if (expect !== undefined && handshaken >= expect.n) {
      expect.done({ handshaken, seconds: (lastHandshake - firstAccept) / 1000 });
      expect = undefined;
    }
  });
  fw.on('remote_connection_closed', () => void closed++);
  fw.on('remote_event', (e) => {
    const c = e.args[0];
    const s = e.args[1];
    if (e.name !== 'scale_ping' || c?.kind !== 'count' || s?.kind !== 'count') return;
    const client = Number(c.value);
    if (client >= perClient.length) {
      const grown = new Int32Array(Math.max(client + 1, perClient.length * 2));
      grown.set(perClient);
      perClient = grown;
    }
    // Each client numbers its events from 0: the next one must be exactly the count so far.
    if (Number(s.value) !== perClient[client]) outOfOrder++;
    perClient[client]!++;
    received++;
  });
  await fw.start();
  const port = fw.listening()[0]!.port;
  serve(async (m) => {
    switch (m.cmd) {
      case 'port':
        return { port };
      case 'memory':
        return memory();
      case 'snapshot':
        // Diagnosis: `--heap-snapshot DIR` on the orchestrator writes one with every peer RUNNING.
        return { file: writeHeapSnapshot(`${String(m.dir)}/scale-${process.pid}.heapsnapshot`) };
      case 'expect':
        if (handshaken >= Number(m.n)) return { handshaken, seconds: (lastHandshake - firstAccept) / 1000 };
        return new Promise<Msg>((done) => (expect = { n: Number(m.n), done }));
      case 'counts':
        return { received, outOfOrder, perClient: Array.from(perClient.subarray(0, Number(m.clients))), handshaken, closed, sessions: fw.sessions.size };
      case 'stop':
        await fw.stop();
        return {};
      default:
        throw new Error(`unknown command ${String(m.cmd)}`);
    }
  });
}

// -- the orchestrator ------------------------------------------------------------------------------

export interface ScaleOptions {
  sizes?: number[];
  runs?: number;
  /** Steady phase: events/s per peer and duration. */
  rate?: number;
  seconds?: number;
  /** Shorter steady phase and fewer handshake runs of the largest size (a smoke run). */
  quick?: boolean;
  log?: (line: string) => void;
  /** Write a heap snapshot of the server with every peer RUNNING into this directory. */
  heapSnapshotDir?: string;
  /** Extra node arguments for the server process (e.g. ['--cpu-prof', '--cpu-prof-dir', DIR]). */
  serverExecArgv?: string[];
}

interface RunResult {
  handshakesPerSec: number;
  kibPerPeer: number;
  heapKibPerPeer: number;
  running: number;
  failed: number;
  lastError: string;
}

let snapshotDir: string | undefined;

async function handshakeRun(n: number, steady: { rate: number; seconds: number; warmup: number } | undefined, log: (l: string) => void): Promise<{ run: RunResult; steadyRow?: BenchRow }> {
  const server = startRole('server');
  const clients = startRole('clients');
  try {
    const { port } = await server.call({ cmd: 'port' });
    const before = await server.call({ cmd: 'memory' });
    const handshakes = server.call({ cmd: 'expect', n });
    const connected = await clients.call({ cmd: 'connect', n, port, concurrency: 256 });
    const running = Number(connected.running);
    let hs: Msg;
    if (running === n) hs = await handshakes;
    else hs = { handshaken: running, seconds: Number(connected.seconds) };
    const after = await server.call({ cmd: 'memory' });
    if (snapshotDir !== undefined) log(`  heap snapshot: ${String((await server.call({ cmd: 'snapshot', dir: snapshotDir })).file)}`);
    const peers = Math.max(1, running);
    const run: RunResult = {
      handshakesPerSec: Number(hs.handshaken) / Number(hs.seconds),
      kibPerPeer: (Number(after.rss) - Number(before.rss)) / peers / 1024,
      heapKibPerPeer: (Number(after.heap) + Number(after.external) - Number(before.heap) - Number(before.external)) / peers / 1024,
      running,
      failed: Number(connected.failed),
      lastError: String(connected.lastError ?? ''),
    };
    log(`  ${n} peers: ${running} running, ${run.failed} failed, ${run.handshakesPerSec.toFixed(0)} handshakes/s, ${run.kibPerPeer.toFixed(1)} KiB RSS/peer (JS heap + buffers ${run.heapKibPerPeer.toFixed(1)})`);
    if (steady === undefined || running === 0) return { run };
    return { run, steadyRow: await steadyRun(server, clients, running, steady, log) };
  } finally {
    await clients.call({ cmd: 'close' }).catch(() => undefined);
    await server.call({ cmd: 'stop' }).catch(() => undefined);
    await Promise.all([clients.stop(), server.stop()]);
  }
}

/**
 * The steady phase. The clients send for warmup + seconds; memory growth is measured over the
 * last `seconds` only: when traffic starts, V8 grows its young generation to the allocation rate
 * (tens of MiB at once, whatever the number of peers), which is heap sizing, not growth over time.
 * The RSS before any traffic is reported too.
 */
async function steadyRun(server: Child, clients: Child, peers: number, o: { rate: number; seconds: number; warmup: number }, log: (l: string) => void): Promise<BenchRow> {
  const windows = Math.max(5, Math.min(6, Math.round(o.seconds / 10)));
  const windowMs = (o.seconds * 1000) / windows;
  const idle = await server.call({ cmd: 'memory' });
  const t0 = performance.now();
  const sending = clients.call({ cmd: 'send', rate: o.rate, seconds: o.warmup + o.seconds });
  await sleep(o.warmup * 1000);
  const start = await server.call({ cmd: 'memory' });
  const startRss = Number(start.rss);
  log(`  after ${o.warmup} s of traffic: RSS ${(Number(idle.rss) / 2 ** 20).toFixed(0)} -> ${(startRss / 2 ** 20).toFixed(0)} MiB (young generation sized to the traffic); measuring ${o.seconds} s`);
  const rates: number[] = [];
  const growth: number[] = [];
  let last = Number((await server.call({ cmd: 'counts', clients: 0 })).received);
  let lastAt = performance.now();
  for (let w = 0; w < windows; w++) {
    await sleep(windowMs);
    const c = await server.call({ cmd: 'counts', clients: 0 });
    const now = performance.now();
    rates.push((Number(c.received) - last) / ((now - lastAt) / 1000));
    last = Number(c.received);
    lastAt = now;
    const mem = await server.call({ cmd: 'memory' });
    growth.push((100 * (Number(mem.rss) - startRss)) / startRss);
    const mib = (x: unknown): string => (Number(x) / 2 ** 20).toFixed(0);
    log(`  window ${w + 1}/${windows}: ${rates[w]!.toFixed(0)} events/s received, RSS ${mib(mem.rss)} MiB (${growth[w]!.toFixed(1)} %), JS heap ${mib(mem.heap)} MiB, buffers ${mib(mem.external)} MiB`);
  }
  const sent = await sending;
  const expected = Number(sent.sent);
  // Let the tail arrive, then compare per client.
  let c = await server.call({ cmd: 'counts', clients: peers });
  const deadline = performance.now() + 15_000;
  while (Number(c.received) < expected && performance.now() < deadline) {
    await sleep(200);
    c = await server.call({ cmd: 'counts', clients: peers });
  }
  const perSent = sent.perClient as number[];
  const perRecv = c.perClient as number[];
  let short = 0;
  for (let i = 0; i < perSent.length; i++) short += Math.max(0, perSent[i]! - (perRecv[i] ?? 0));
  const end = await server.call({ cmd: 'memory' });
  const elapsed = performance.now() - t0;
  // CPU share of one core while the events flowed (the GCs of the samples included).
  const serverCpu = (100 * (Number(end.cpuMs) - Number(idle.cpuMs))) / elapsed;
  const clientCpu = (100 * Number(sent.cpuMs)) / (Number(sent.seconds) * 1000);
  const endGrowth = (100 * (Number(end.rss) - startRss)) / startRss;
  const lost = short + Number(c.outOfOrder) + Number(sent.writesFailed) + (peers - Number(c.sessions));
  return {
    bench: 'scale',
    case: `${peers.toLocaleString('en-US')} peers × ${o.rate} events/s for ${o.seconds} s: received events/s per window, RSS growth (after ${o.warmup} s warm-up)`,
    peers,
    events: expected,
    eventsPerSec: stat(rates),
    growthPct: stat(growth),
    lost,
    runs: windows,
    note:
      `offered ${(expected / Number(sent.seconds)).toFixed(0)} events/s (clients sent for ${Number(sent.seconds).toFixed(1)} s at ${clientCpu.toFixed(0)} % of a core; server ${serverCpu.toFixed(0)} %), ` +
      `sent ${expected.toLocaleString('en-US')} (incl. ${o.warmup} s warm-up), received ${Number(c.received).toLocaleString('en-US')}, out of order ${String(c.outOfOrder)}, ` +
      `peers still connected ${String(c.sessions)}/${peers}; RSS after GC: ${(Number(idle.rss) / 2 ** 20).toFixed(0)} MiB before traffic, ` +
      `${(startRss / 2 ** 20).toFixed(0)} after the warm-up, ${(Number(end.rss) / 2 ** 20).toFixed(0)} at the end (${endGrowth.toFixed(1)} % over the measured run)`,
  };
}

export async function runScaleBench(options: ScaleOptions = {}): Promise<BenchRow[]> {
  const quick = options.quick ?? false;
  const sizes = options.sizes ?? [1000, 10_000];
  const runs = options.runs ?? 5;
  const steady = { rate: options.rate ?? 10, seconds: options.seconds ?? (quick ? 10 : 60), warmup: quick ? 3 : 10 };
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  snapshotDir = options.heapSnapshotDir;
  serverExecArgv = options.serverExecArgv ?? [];
  const rows: BenchRow[] = [];
  const largest = Math.max(...sizes);
  let steadyRow: BenchRow | undefined;
  for (const n of sizes) {
    const results: RunResult[] = [];
    log(`scale: ${n} peers, ${runs} run(s)`);
    for (let r = 0; r < runs; r++) {
      const last = r === runs - 1 && n === largest;
      const got = await handshakeRun(n, last ? steady : undefined, log);
      results.push(got.run);
      if (got.steadyRow) steadyRow = got.steadyRow;
    }
    const reached = Math.min(...results.map((x) => x.running));
    const notes: string[] = [`JS heap + buffers ${stat(results.map((x) => x.heapKibPerPeer)).median.toFixed(1)} KiB/peer`];
    if (reached < n) {
      const err = results.find((x) => x.lastError !== '')?.lastError;
      notes.push(`only ${reached.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} peers reached RUNNING${err ? ` (${err})` : ''}`);
    }
    rows.push({
      bench: 'scale',
      case: `${n.toLocaleString('en-US')} legacy peers connect + handshake on one listener`,
      peers: n,
      handshakesPerSec: stat(results.map((x) => x.handshakesPerSec)),
      kibPerPeer: stat(results.map((x) => x.kibPerPeer)),
      lost: n - reached,
      runs,
      note: notes.join('; '),
    });
  }
  if (steadyRow) rows.push(steadyRow);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--server')) void serverRole();
  else if (process.argv.includes('--clients')) clientsRole();
  else {
    const sizes = argValue(process.argv, '--sizes');
    const rows = await runScaleBench({
      quick: process.argv.includes('--quick'),
      ...(sizes ? { sizes: sizes.split(',').map(Number) } : {}),
      ...(argValue(process.argv, '--runs') ? { runs: Number(argValue(process.argv, '--runs')) } : {}),
      ...(argValue(process.argv, '--seconds') ? { seconds: Number(argValue(process.argv, '--seconds')) } : {}),
      ...(argValue(process.argv, '--rate') ? { rate: Number(argValue(process.argv, '--rate')) } : {}),
      ...(argValue(process.argv, '--heap-snapshot') ? { heapSnapshotDir: argValue(process.argv, '--heap-snapshot')! } : {}),
      ...(argValue(process.argv, '--server-cpu-prof') ? { serverExecArgv: ['--cpu-prof', '--cpu-prof-dir', argValue(process.argv, '--server-cpu-prof')!] } : {}),
    });
    for (const r of rows) {
      const figs = [r.handshakesPerSec && `${fmtStat(r.handshakesPerSec)} handshakes/s`, r.kibPerPeer && `${fmtStat(r.kibPerPeer)} KiB/peer`, r.eventsPerSec && `${fmtStat(r.eventsPerSec)} events/s`, r.growthPct && `growth ${fmtStat(r.growthPct)} %`, `lost ${r.lost ?? 0}`];
      console.log(`${r.case}\n    ${figs.filter(Boolean).join(', ')}\n    ${r.note ?? ''}`);
    }
  }
}
