// The legacy send path in process: CommunicationFramework.send_event of a typical event (the
// `connection` record of bench/legacy-codec.ts) to K RUNNING peers that requested it, through
// each session's encoder and output queue into a transport that only counts bytes. Events/s is
// send_event calls per second; deliveries/s = events/s × K. Median of runs, with min and max.
//
//   npx tsx bench/legacy-fanout.ts [--peers 1,10,100] [--events N] [--runs N]
import { pathToFileURL } from 'node:url';
import type { Transport, TransportHandlers, TransportInfo } from '../src/core/transport.ts';
import { BROCCOLI_CACHE_SIZE, BROCCOLI_CAPS } from '../legacy/codec/constants.ts';
import { LegacyStreamEncoder } from '../legacy/codec/stream-encoder.ts';
import { makeVersion } from '../legacy/codec/version.ts';
import type { BroVal } from '../legacy/codec/model.ts';
import { CommunicationFramework } from '../legacy/framework/framework.ts';
import { argValue, fmtStat, stat, type BenchRow } from './common.ts';
import { sampleEvent } from './legacy-codec.ts';

const EVENT = 'connection_state_remove';

/** A transport that swallows what is written (counting it) and lets the bench inject input. */
class SinkTransport implements Transport {
  readonly info: TransportInfo;
  bytesWritten = 0;
  handlers: TransportHandlers | undefined;

  constructor(port: number) {
    this.info = { localAddress: '127.0.0.1', localPort: 47757, remoteAddress: '127.0.0.1', remotePort: port, tls: false };
  }

  start(h: TransportHandlers): void {
    this.handlers = h;
  }
  write(bytes: Uint8Array): boolean {
    this.bytesWritten += bytes.length;
    return true;
  }
  cork(): void {}
  uncork(): void {}
  get pendingBytes(): number {
    return 0;
  }
  end(): void {
    this.handlers?.close();
  }
  destroy(): void {
    this.handlers?.close();
  }
}

/** What a Broccoli peer that wants EVENT sends to open the connection. */
function opening(): Uint8Array {
  const enc = new LegacyStreamEncoder({ serial: { format: { pid64: false, newCacheStrategy: false, caching: false } }, noPartial: true });
  return Buffer.concat([
    enc.encode(makeVersion({ cacheSize: BROCCOLI_CACHE_SIZE })),
    enc.encode({ type: 'CAPS', flags: BROCCOLI_CAPS, reserved: [0, 0] }),
    enc.encode({ type: 'REQUEST_EVENTS', events: [EVENT] }),
    enc.encode({ type: 'PHASE_DONE' }),
  ]);
}

async function framework(peers: number): Promise<{ fw: CommunicationFramework; sinks: SinkTransport[] }> {
  const fw = new CommunicationFramework({
    config: { listen: false, max_peers: peers + 10, nodes: { sensors: { host: '127.0.0.1' } } },
  });
  await fw.start();
  const hello = opening();
  const sinks: SinkTransport[] = [];
  for (let i = 0; i < peers; i++) {
    const t = new SinkTransport(40000 + i);
    sinks.push(t);
    fw.accept(t);
    t.handlers!.data(hello);
  }
  await new Promise((r) => setImmediate(r));
  const running = fw.peers().filter((p) => p.phase === 'running' && p.requested.includes(EVENT)).length;
  if (running !== peers) throw new Error(`${running} of ${peers} sessions RUNNING`);
  return { fw, sinks };
}

export async function runLegacyFanoutBench(options: { peers?: number[]; events?: number; runs?: number } = {}): Promise<BenchRow[]> {
  const runs = options.runs ?? 5;
  const samples: BroVal[][] = Array.from({ length: 1000 }, (_, i) => sampleEvent(i).args);
  const rows: BenchRow[] = [];
  for (const k of options.peers ?? [1, 10, 100]) {
    // About the same number of deliveries per run whatever K.
    const n = Math.max(200, Math.round((options.events ?? 20_000) / k));
    const { fw, sinks } = await framework(k);
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        if (fw.send_event(EVENT, samples[i % samples.length]!, { time: 1_700_000_000 + i }) !== k) throw new Error('not every peer took the event');
        // Let the queues write now and then, as the event loop would between input batches.
        if (i % 100 === 99) await Promise.resolve();
      }
      // The output queues write at the end of the turn: include it.
      await Promise.resolve();
      return n / ((performance.now() - t0) / 1000);
    };
    await once();
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) rates.push(await once());
    const bytes = sinks.reduce((s, t) => s + t.bytesWritten, 0);
    await fw.stop();
    const st = stat(rates);
    rows.push({
      bench: 'legacy-fanout',
      case: `send_event of a connection record to ${k} RUNNING peer(s) (encode + queue + write)`,
      peers: k,
      events: n,
      eventsPerSec: st,
      runs,
      note: `${Math.round(st.median * k).toLocaleString('en-US')} deliveries/s; ${(bytes / 2 ** 20).toFixed(0)} MiB written in all`,
    });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const peers = argValue(process.argv, '--peers');
  const rows = await runLegacyFanoutBench({
    ...(peers ? { peers: peers.split(',').map(Number) } : {}),
    ...(argValue(process.argv, '--events') ? { events: Number(argValue(process.argv, '--events')) } : {}),
    ...(argValue(process.argv, '--runs') ? { runs: Number(argValue(process.argv, '--runs')) } : {}),
  });
  for (const r of rows) console.log(`${r.case.padEnd(80)} ${fmtStat(r.eventsPerSec).padStart(30)} events/s  (${r.note})`);
}
