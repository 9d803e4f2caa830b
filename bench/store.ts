// Data-store throughput and convergence: puts/s on a master (memory, with and without a clone,
// SQLite per-turn and per-write commits), puts/s forwarded by a clone (in-memory network and real
// loopback endpoints, counted until the master applied them and the clone saw the results), and
// how long a new clone takes to attach and load a snapshot, and a master write to reach a clone.
// Median of several runs, with min and max.
//
//   npx tsx bench/store.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ManualClock, systemClock } from '../src/core/clock.ts';
import { count, str, vector, type Data } from '../modern/data/index.ts';
import { Endpoint } from '../modern/endpoint/index.ts';
import { stat, type BenchRow } from './common.ts';
import { CloneStore, MasterStore, MemoryBackend, MemoryNetwork, SqliteBackend, sqliteBinding, type StoreBackend } from '../modern/store/index.ts';

export type { BenchRow as StoreBenchRow } from './common.ts';

const keys = (n: number): Data[] => Array.from({ length: n }, (_, i) => str(`key-${i}`));
const value = (i: number): Data => vector([count(i), str('some value text'), count(i * 7)]);

function throughput(name: string, ops: number, runs: number, once: () => number): BenchRow {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) rates.push(ops / (once() / 1000));
  return { bench: 'store', case: name, ops, opsPerSec: stat(rates) };
}

function masterPuts(n: number, backend: () => StoreBackend, withClone: boolean): () => number {
  const ks = keys(n);
  return () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork();
    const me = net.endpoint();
    const master = new MasterStore({ name: 'bench', hub: me, clock, backend: backend() });
    let clone: CloneStore | undefined;
    if (withClone) {
      const ce = net.endpoint();
      net.connect(me, ce);
      clone = new CloneStore({ name: 'bench', hub: ce, clock });
    }
    const t0 = performance.now();
    for (let i = 0; i < n; i++) master.put(ks[i]!, value(i));
    master.close(); // includes the SQLite commit
    const ms = performance.now() - t0;
    if (clone && clone.size() !== n) throw new Error('clone did not converge');
    clone?.close();
    return ms;
  };
}

function cloneForwarded(n: number): () => number {
  const ks = keys(n);
  return () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork();
    const me = net.endpoint();
    const ce = net.endpoint();
    net.connect(me, ce);
    const master = new MasterStore({ name: 'bench', hub: me, clock });
    const clone = new CloneStore({ name: 'bench', hub: ce, clock });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) clone.put(ks[i]!, value(i));
    const ms = performance.now() - t0;
    if (master.size() !== n || clone.size() !== n) throw new Error('not converged');
    master.close();
    clone.close();
    return ms;
  };
}

/**
 * Two endpoints; `attach` runs before they peer, so the stores' topics are in the handshake's
 * filters (see the report: a subscription added while the acceptor is still in its handshake was
 * not announced at the time of writing).
 */
async function loopback(attach: (a: Endpoint, b: Endpoint) => void): Promise<{ a: Endpoint; b: Endpoint; stop(): Promise<void> }> {
  const a = new Endpoint({ disable_ssl: true, env: {} });
  const b = new Endpoint({ disable_ssl: true, env: {} });
  attach(a, b);
  const port = await a.listen('127.0.0.1', 0, 0);
  await b.peer('127.0.0.1', port, 0);
  return {
    a,
    b,
    stop: async () => {
      await b.shutdown();
      await a.shutdown();
    },
  };
}

function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('bench timed out'));
      else setImmediate(check);
    };
    check();
  });
}

async function loopbackForwarded(n: number, runs: number): Promise<BenchRow> {
  const ks = keys(n);
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let master!: MasterStore;
    let clone!: CloneStore;
    const { stop } = await loopback((a, b) => {
      master = new MasterStore({ name: 'bench', hub: a, clock: systemClock });
      clone = new CloneStore({ name: 'bench', hub: b, clock: systemClock });
    });
    await clone.whenAttached();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) clone.put(ks[i]!, value(i));
    await until(() => master.size() === n && clone.size() === n);
    rates.push(n / ((performance.now() - t0) / 1000));
    master.close();
    clone.close();
    await stop();
  }
  return { bench: 'store', case: 'clone put, forwarded over loopback TCP, until applied and replicated back', ops: n, opsPerSec: stat(rates) };
}

async function convergence(entries: number, runs: number): Promise<BenchRow[]> {
  const attach: number[] = [];
  const latency: number[] = [];
  for (let r = 0; r < runs; r++) {
    let master!: MasterStore;
    let clone!: CloneStore;
    const ks = keys(entries);
    const { b, stop } = await loopback((a, b) => {
      master = new MasterStore({ name: 'bench', hub: a, clock: systemClock });
      for (let i = 0; i < entries; i++) master.put(ks[i]!, value(i));
      // The clone topic is in B's filter from the handshake on; the clone itself is created once
      // peered, so the time below is its first nack [0] → ack_clone → snapshot loaded.
      b.attach({ id: 'bench-filter' }, ['bench/<$>/data/clone']);
    });
    const t0 = performance.now();
    clone = new CloneStore({ name: 'bench', hub: b, clock: systemClock });
    await until(() => clone.attached && clone.size() === entries);
    attach.push(performance.now() - t0);
    for (let i = 0; i < 20; i++) {
      const t1 = performance.now();
      master.put(str('probe'), count(i));
      await until(() => clone.get(str('probe'))?.type === 'count' && (clone.get(str('probe')) as { value: number }).value === i);
      latency.push(performance.now() - t1);
    }
    master.close();
    clone.close();
    await stop();
  }
  return [
    { bench: 'store', case: `clone attach + snapshot of ${entries} entries over loopback TCP`, ops: entries, ms: stat(attach) },
    { bench: 'store', case: 'master put visible on a clone over loopback TCP (one write)', ops: 1, ms: stat(latency) },
  ];
}

export async function runStoreBench(options: { ops?: number; runs?: number } = {}): Promise<BenchRow[]> {
  const n = options.ops ?? 50_000;
  const runs = options.runs ?? 5;
  const rows: BenchRow[] = [];
  const memory = (): StoreBackend => new MemoryBackend();
  rows.push(throughput('master put, memory backend, no clone', n, runs, masterPuts(n, memory, false)));
  rows.push(throughput('master put, memory backend, 1 clone (in-memory network)', n, runs, masterPuts(n, memory, true)));
  rows.push(throughput('clone put, forwarded (in-memory network), until applied and replicated back', n, runs, cloneForwarded(n)));
  if (sqliteBinding()) {
    const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
    try {
      let i = 0;
      rows.push(throughput('master put, SQLite, commit per event-loop turn', n, runs, masterPuts(n, () => new SqliteBackend({ path: join(dir, `t${i++}.sqlite`) }), false)));
      const few = Math.min(n, 500);
      rows.push(throughput('master put, SQLite, commit (fsync) per write', few, runs, masterPuts(few, () => new SqliteBackend({ path: join(dir, `e${i++}.sqlite`), commit: 'each' }), false)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rows.push(await loopbackForwarded(Math.min(n, 20_000), Math.min(runs, 3)));
  rows.push(...(await convergence(10_000, Math.min(runs, 3))));
  return rows;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runStoreBench();
  console.log('Data stores, median of runs [min..max]');
  for (const r of rows) {
    const v = r.opsPerSec ? `${fmt(r.opsPerSec.median)} ops/s [${fmt(r.opsPerSec.min)}..${fmt(r.opsPerSec.max)}]` : `${fmt(r.ms!.median)} ms [${fmt(r.ms!.min)}..${fmt(r.ms!.max)}]`;
    console.log(`${r.case.padEnd(86)} ${String(r.ops).padStart(6)}  ${v}`);
  }
}
