// Every benchmark, one table: `npm run bench`.
//
//   npm run bench                         all suites, one table (median of runs [min..max]) + targets
//   npm run bench -- --quick              shorter runs (a smoke run; figures are rougher)
//   npm run bench -- --only peering,codec suites whose name contains one of the substrings
//   npm run bench -- --json FILE          also write the rows, with the target checks, as JSON
//   npm run bench -- --list               the suite names
//   npm run bench -- broker-throughput --server HOST:PORT [--disable-ssl]
//   npm run bench -- broker-throughput --client HOST:PORT --rate N [--disable-ssl]
//                                         Broker's broker-throughput tool (bench/broker-throughput.ts)
//
// Suites run one after the other in this process (the network ones start their own child
// processes). A suite that throws is reported in the table and the others still run; the exit
// status is 0 unless the arguments were wrong: a missed target is a finding, not a failure.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runBridgeBench } from './bridge.ts';
import { runBrokerCodecBench } from './broker-codec.ts';
import { runBrokerPeeringBench } from './broker-peering.ts';
import { parseArgs as parseThroughputArgs, runClient, runServer } from './broker-throughput.ts';
import { argValue, fmtNumber, fmtStat, type BenchRow } from './common.ts';
import { runLegacyCodecBench } from './legacy-codec.ts';
import { runLegacyFanoutBench } from './legacy-fanout.ts';
import { runRawPipeBench } from './raw-pipe.ts';
import { runScaleBench } from './scale.ts';
import { runStoreBench } from './store.ts';
import { checkTargets, type CheckedRow } from './targets.ts';
import { runWebSocketBench } from './websocket.ts';

interface Suite {
  name: string;
  /** Issue 7's row number(s), for the reader of the table. */
  rows: string;
  /** Other suites this one's targets are judged against (run with it). */
  needs?: string[];
  run(quick: boolean): Promise<BenchRow[]> | BenchRow[];
}

const SUITES: Suite[] = [
  { name: 'legacy-codec', rows: '1', run: (q) => runLegacyCodecBench(q ? { events: 2000, runs: 5 } : {}) },
  { name: 'broker-codec', rows: '1', run: (q) => runBrokerCodecBench(q ? { events: 2000, runs: 5 } : {}) },
  { name: 'raw-pipe', rows: '2', run: (q) => runRawPipeBench(q ? { seconds: 0.5, runs: 5 } : {}) },
  { name: 'broker-peering', rows: '3', needs: ['raw-pipe'], run: (q) => runBrokerPeeringBench(q ? { seconds: 0.5, runs: 5, burst: 50_000 } : {}) },
  { name: 'websocket', rows: '4', run: (q) => runWebSocketBench(q ? { events: 20_000, runs: 5 } : {}) },
  { name: 'bridge', rows: '5', run: (q) => runBridgeBench(q ? { seconds: 0.5, runs: 5 } : {}) },
  { name: 'legacy-fanout', rows: '5', run: (q) => runLegacyFanoutBench(q ? { events: 5000, runs: 5 } : {}) },
  { name: 'scale', rows: '6', run: (q) => runScaleBench(q ? { quick: true } : {}) },
  { name: 'store', rows: 'stores', run: (q) => runStoreBench(q ? { ops: 10_000, runs: 5 } : {}) },
];

function usage(message: string): never {
  console.error(`*** ${message}`);
  console.error('usage: npm run bench -- [--quick] [--only SUBSTRING[,SUBSTRING...]] [--json FILE] [--list]');
  console.error('       npm run bench -- broker-throughput --server HOST:PORT | --client HOST:PORT --rate N [--disable-ssl]');
  process.exit(2);
}

export function selectSuites(only: string | undefined): Suite[] {
  if (only === undefined) return SUITES;
  const words = only.split(',').filter((w) => w !== '');
  const picked = new Set(SUITES.filter((s) => words.some((w) => s.name.includes(w))).map((s) => s.name));
  if (picked.size === 0) usage(`--only ${only} matches no suite (${SUITES.map((s) => s.name).join(', ')})`);
  for (const s of SUITES) if (picked.has(s.name)) for (const n of s.needs ?? []) picked.add(n);
  return SUITES.filter((s) => picked.has(s.name));
}

// -- the table -----------------------------------------------------------------------------------

/** The row's figures: the main one with its range, the secondary ones as medians. */
export function figureText(r: BenchRow): string {
  const parts: string[] = [];
  if (r.eventsPerSec) parts.push(`${fmtStat(r.eventsPerSec)} ${r.bench === 'raw-pipe' ? 'frames/s' : 'events/s'}`);
  if (r.mbPerSec) parts.push(`${fmtNumber(r.mbPerSec.median)} MB/s`);
  if (r.handshakesPerSec) parts.push(`${fmtStat(r.handshakesPerSec)} handshakes/s`);
  if (r.kibPerPeer) parts.push(`${fmtStat(r.kibPerPeer)} KiB/peer`);
  if (r.opsPerSec) parts.push(`${fmtStat(r.opsPerSec)} ops/s`);
  if (r.p99us) parts.push(`p50 ${fmtNumber(r.p50us?.median ?? NaN)} · p90 ${fmtNumber(r.p90us?.median ?? NaN)} · p99 ${fmtStat(r.p99us)} µs`);
  if (r.ms) parts.push(`${fmtStat(r.ms)} ms`);
  if (r.growthPct) parts.push(`RSS growth ${fmtStat(r.growthPct)} %`);
  if (r.delivered !== undefined) {
    parts.push(
      r.peerKept
        ? `delivered ${r.delivered.toLocaleString('en-US')} of ${(r.events ?? 0).toLocaleString('en-US')}, policy dropped ${(r.dropped ?? 0).toLocaleString('en-US')}, peer kept`
        : 'peer disconnected by the policy (what was queued is gone)',
    );
  }
  if (r.lost) parts.push(`LOST ${r.lost.toLocaleString('en-US')}`);
  return parts.join(', ');
}

function whatText(r: BenchRow): string {
  return `${r.mode !== undefined ? `[${r.mode}] ` : ''}${r.case}`;
}

function metText(met: boolean | undefined): string {
  return met === undefined ? 'n/a' : met ? 'met' : 'NOT MET';
}

export function renderTable(rows: readonly CheckedRow[], suites: readonly Suite[]): string {
  const lines: string[] = [];
  const head = ['row', 'bench', 'measures', 'figure: median [min..max] of runs', 'target', 'actual', 'met?'];
  const body: string[][] = [];
  for (const r of rows) {
    const rowNo = suites.find((s) => s.name === r.bench)?.rows ?? '';
    const checks = r.checks ?? [];
    const first = checks[0];
    body.push([rowNo, r.bench, whatText(r), figureText(r), first?.target ?? '', first?.actual ?? '', first ? metText(first.met) : '']);
    for (const c of checks.slice(1)) body.push(['', '', '', '', c.target, c.actual, metText(c.met)]);
    if (r.note) body.push(['', '', `  note: ${r.note}`, '', '', '', '']);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.filter((b) => !b[2]!.startsWith('  note:') || i !== 2).map((b) => b[i]!.length)));
  const fmt = (cols: string[]): string => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  lines.push(fmt(head));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) lines.push(b[2]!.startsWith('  note:') ? `${''.padEnd(widths[0]! + widths[1]! + 4)}${b[2]}` : fmt(b));
  const all = rows.flatMap((r) => r.checks ?? []);
  const met = all.filter((c) => c.met === true).length;
  const missed = all.filter((c) => c.met === false).length;
  lines.push('');
  lines.push(`targets: ${met} met, ${missed} not met${all.length - met - missed > 0 ? `, ${all.length - met - missed} not judged (reference not run)` : ''}`);
  return lines.join('\n');
}

// -- main ----------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'broker-throughput') {
    const a = parseThroughputArgs(argv.slice(1));
    await (a.mode === 'server' ? runServer(a) : runClient(a));
    return;
  }
  const known = new Set(['--quick', '--only', '--json', '--list']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!known.has(a)) usage(`unknown argument ${a}`);
    if (a === '--only' || a === '--json') {
      if (argv[i + 1] === undefined) usage(`${a} needs a value`);
      i++;
    }
  }
  if (argv.includes('--list')) {
    for (const s of SUITES) console.log(`${s.name.padEnd(16)} issue 7 row ${s.rows}`);
    return;
  }
  const quick = argv.includes('--quick');
  const jsonFile = argValue(argv, '--json');
  const suites = selectSuites(argValue(argv, '--only'));
  const rows: BenchRow[] = [];
  const started = Date.now();
  for (const s of suites) {
    const t0 = performance.now();
    process.stderr.write(`running ${s.name}${quick ? ' (quick)' : ''} ...`);
    try {
      const got = await s.run(quick);
      rows.push(...got);
      process.stderr.write(` ${got.length} row(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(` failed: ${message}\n`);
      rows.push({ bench: s.name, case: 'suite failed', note: message });
    }
  }
  const checked = checkTargets(rows);
  const cpu = cpus();
  console.log(
    `\nzeek-comm-bridge benchmarks — node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB` +
      `${quick ? ', QUICK (shortened runs)' : ''}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  console.log(renderTable(checked, SUITES));
  if (jsonFile !== undefined) {
    const doc = { date: new Date(started).toISOString(), node: process.version, cpus: cpu.length, cpu: cpu[0]?.model, quick, rows: checked };
    writeFileSync(jsonFile, `${JSON.stringify(doc, null, 2)}\n`);
    console.log(`\nrows written to ${jsonFile}`);
  }
}

await main(process.argv.slice(2));
