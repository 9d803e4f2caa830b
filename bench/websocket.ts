// WebSocket JSON v1 over loopback: sustained one-way events/s and round-trip latency for Broker's
// benchmark event `[1, 1, ["event_1", [42 (integer), "test"]]]`, through our server and client on
// a LocalHub. Median of 5 runs, with min and max.
//
//   npx tsx bench/websocket.ts [--events N] [--runs N]
//
// One-way rows keep at most WINDOW events in flight (published, not yet received): the figure is a
// rate the path sustains, not how fast a sender can fill buffers. Latency rows publish at a fixed
// rate from a WebSocket client; a hub participant (standing in for a native peer) answers every
// event on a second topic, and the client measures the round trip.
import { pathToFileURL } from 'node:url';
import { asZeekMessage, integer, makeEvent, str, type Data } from '../modern/data/index.ts';
import type { ParticipantHandle } from '../modern/hub.ts';
import { LocalHub } from '../modern/local-hub.ts';
import { WebSocketClient, WebSocketServer, type WebSocketServerOptions } from '../modern/websocket/index.ts';
import { fmtStat, LatencyRuns, stat, type BenchRow } from './common.ts';

export type { BenchRow as WebSocketBenchRow, Stat } from './common.ts';

const TLS_DIR = new URL('../fixtures/broker/tls/', import.meta.url).pathname;
const WINDOW = 2000;
const EVENT: Data = makeEvent('event_1', [integer(42), str('test')]);

const tick = () => new Promise<void>((r) => setImmediate(r));

interface Rig {
  hub: LocalHub;
  server: WebSocketServer;
  clients: WebSocketClient[];
  client(subs: string[]): Promise<WebSocketClient>;
  close(): Promise<void>;
}

async function rig(tls: boolean): Promise<Rig> {
  const hub = new LocalHub();
  const options: WebSocketServerOptions = { listen_port: 0, ping_interval: 0, max_event_queue_size: WINDOW * 2 };
  if (tls) options.tls_options = { cert_file: `${TLS_DIR}node-b.pem`, key_file: `${TLS_DIR}node-b.key` };
  const server = await WebSocketServer.listen(hub, options);
  const clients: WebSocketClient[] = [];
  return {
    hub,
    server,
    clients,
    async client(subs) {
      const c = new WebSocketClient({ url: server.url, subscriptions: subs, reconnect: false, ...(tls ? { tls: { ca_file: `${TLS_DIR}ca.pem` } } : {}) });
      clients.push(c);
      await c.connect();
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    },
  };
}

/** Sends `n` events with `send`, keeping at most WINDOW unreceived; resolves with events/s. */
async function windowed(n: number, send: () => void, received: () => number): Promise<number> {
  const t0 = process.hrtime.bigint();
  let sent = 0;
  while (received() < n) {
    while (sent < n && sent - received() < WINDOW) {
      send();
      sent++;
    }
    await tick();
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

type OneWay = 'ws→hub' | 'hub→ws' | 'ws→ws';

async function oneWay(kind: OneWay, n: number, tls: boolean): Promise<number> {
  const r = await rig(tls);
  try {
    let got = 0;
    if (kind === 'ws→hub') {
      const pub = await r.client([]);
      r.hub.attach({ id: 'sink', onData: () => void got++ }, ['/benchmark/events']);
      return await windowed(n, () => pub.publish('/benchmark/events', EVENT), () => got);
    }
    const sub = await r.client(['/benchmark/events']);
    sub.on('data', () => void got++);
    if (kind === 'hub→ws') {
      const h = r.hub.attach({ id: 'source' }, []);
      return await windowed(n, () => h.publish('/benchmark/events', EVENT), () => got);
    }
    const pub = await r.client([]);
    return await windowed(n, () => pub.publish('/benchmark/events', EVENT), () => got);
  } finally {
    await r.close();
  }
}

/** Round trips at `rate` events/s for `n` events; sorted latencies in microseconds. */
async function roundTrips(rate: number, n: number): Promise<number[]> {
  const r = await rig(false);
  try {
    let responder: ParticipantHandle | undefined;
    responder = r.hub.attach({ id: 'echo', onData: (_t, v) => responder!.publish('/bench/pong', v) }, ['/bench/ping']);
    const c = await r.client(['/bench/pong']);
    const sentAt = new Float64Array(n);
    const rtt: number[] = [];
    c.on('data', (_t, v) => {
      const ev = asZeekMessage(v);
      const first = ev?.kind === 'event' ? ev.args[0] : undefined;
      const i = first?.type === 'integer' ? Number(first.value) : -1;
      rtt.push((performance.now() - sentAt[i]!) * 1000);
    });
    const t0 = performance.now();
    let sent = 0;
    while (rtt.length < n) {
      const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        sentAt[sent] = performance.now();
        c.publish('/bench/ping', makeEvent('event_1', [integer(sent), str('test')]));
        sent++;
      }
      await new Promise<void>((res) => (sent < n ? setTimeout(res, 0) : setImmediate(res)));
    }
    return rtt.sort((a, b) => a - b);
  } finally {
    await r.close();
  }
}

export async function runWebSocketBench(options: { events?: number; runs?: number } = {}): Promise<BenchRow[]> {
  const n = options.events ?? 100_000;
  const runs = options.runs ?? 5;
  const rows: BenchRow[] = [];
  const cases: [string, OneWay, boolean][] = [
    ['one-way WS client → server → hub participant', 'ws→hub', false],
    ['one-way hub participant → server → WS client', 'hub→ws', false],
    ['one-way WS client → server → WS client', 'ws→ws', false],
    ['one-way WS client → server → hub participant (wss)', 'ws→hub', true],
  ];
  for (const [name, kind, tls] of cases) {
    await oneWay(kind, Math.min(n, 5000), tls);
    const rates: number[] = [];
    for (let i = 0; i < runs; i++) rates.push(await oneWay(kind, n, tls));
    rows.push({ bench: 'websocket', case: name, events: n, eventsPerSec: stat(rates), runs });
  }
  for (const rate of [1000, 10_000]) {
    const count = rate; // one second of traffic per run
    await roundTrips(rate, Math.min(count, 500));
    const latencies = new LatencyRuns();
    for (let i = 0; i < runs; i++) {
      const s = await roundTrips(rate, count);
      latencies.add(s);
    }
    rows.push({ bench: 'websocket', case: `round trip WS client → hub echo → WS client at ${rate}/s`, events: count, rate, ...latencies.stats(), runs });
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const events = arg('--events');
  const runs = arg('--runs');
  const rows = await runWebSocketBench({ ...(events ? { events } : {}), ...(runs ? { runs } : {}) });
  console.log('WebSocket JSON v1 over loopback, event [1, 1, ["event_1", [42, "test"]]], median of runs [min..max]');
  for (const r of rows) {
    if (r.eventsPerSec) console.log(`${r.case.padEnd(58)} ${fmtStat(r.eventsPerSec).padStart(30)} events/s`);
    else console.log(`${r.case.padEnd(58)} p50 ${fmtStat(r.p50us)} µs  p90 ${fmtStat(r.p90us)} µs  p99 ${fmtStat(r.p99us)} µs`);
  }
}
