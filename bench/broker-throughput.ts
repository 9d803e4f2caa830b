// A counterpart of Broker's `broker-throughput` tool on our endpoint, usable against real Broker or
// Zeek on either side:
//
//   npx tsx bench/broker-throughput.ts --server 127.0.0.1:9999 [--disable-ssl]
//   npx tsx bench/broker-throughput.ts --client 127.0.0.1:9999 --rate 50000 [--disable-ssl]
//   npx tsx bench/broker-throughput.ts --client 127.0.0.1:9999 --batch-rate 1000 --batch-size 50
//
// The server subscribes to /benchmark/events, prints `rate: N events/s` every second (Broker's own
// line), publishes `stats_update([time, interval, count])` on /benchmark/stats (benchmark.zeek) and
// stops on anything published to /benchmark/terminate. The client publishes Broker's event type 1,
// `[1, 1, ["event_1", [42 (integer), "test"]]]`: `--rate N` sends N single events per second;
// `--batch-rate R --batch-size S` sends R messages per second that are vectors of S such events, as
// Broker's client does. Anonymous TLS unless --disable-ssl, like Broker. Options follow Zeek's
// names: --peer-buffer-size, --peer-overflow-policy.
import { pathToFileURL } from 'node:url';
import { asZeekMessage, count, integer, makeEvent, str, timespan, timestamp, vector, type Data } from '../modern/data/index.ts';
import { Endpoint, type OverflowPolicy } from '../modern/endpoint/index.ts';

const EVENTS = '/benchmark/events';
const STATS = '/benchmark/stats';
const TERMINATE = '/benchmark/terminate';

export const BENCHMARK_EVENT: Data = makeEvent('event_1', [integer(42), str('test')]);

interface Args {
  mode: 'server' | 'client';
  host: string;
  port: number;
  disableSsl: boolean;
  rate: number;
  batchRate: number;
  batchSize: number;
  seconds: number;
  verbose: boolean;
  bufferSize: number | undefined;
  policy: OverflowPolicy | undefined;
}

function usage(message?: string): never {
  if (message) console.error(`*** ${message}\n`);
  console.error(
    'Usage: broker-throughput.ts --server [HOST:PORT] | --client HOST:PORT [--rate N | --batch-rate R --batch-size S]\n' +
      '       [--disable-ssl] [--seconds S] [--verbose] [--peer-buffer-size N] [--peer-overflow-policy P]\n' +
      '       (Broker style: [--server] HOST:PORT as the last argument)',
  );
  process.exit(1);
}

function hostPort(s: string | undefined): { host: string; port: number } {
  if (!s) return { host: '', port: 9999 };
  const i = s.lastIndexOf(':');
  if (i < 0) usage(`invalid argument ${s}`);
  const host = s.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = s.slice(i + 1) === '' ? 9999 : Number(s.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`invalid port in ${s}`);
  return { host, port };
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { mode: 'client', host: '', port: 9999, disableSsl: false, rate: 0, batchRate: 0, batchSize: 1, seconds: 0, verbose: false, bufferSize: undefined, policy: undefined };
  let target: string | undefined;
  let serverFlag = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => argv[++i] ?? usage(`${arg} needs a value`);
    const next = argv[i + 1];
    switch (arg) {
      case '--server':
        serverFlag = true;
        if (next !== undefined && !next.startsWith('--')) target = value();
        break;
      case '--client':
        target = value();
        break;
      case '--disable-ssl':
        a.disableSsl = true;
        break;
      case '--rate':
        a.rate = Number(value());
        break;
      case '--batch-rate':
      case '-r':
        a.batchRate = Number(value());
        break;
      case '--batch-size':
      case '-s':
        a.batchSize = Number(value());
        break;
      case '--seconds':
        a.seconds = Number(value());
        break;
      case '--verbose':
        a.verbose = true;
        break;
      case '--peer-buffer-size':
        a.bufferSize = Number(value());
        break;
      case '--peer-overflow-policy':
        a.policy = value() as OverflowPolicy;
        break;
      default:
        if (arg.startsWith('-')) usage(`unknown option ${arg}`);
        target = arg;
    }
  }
  a.mode = serverFlag ? 'server' : 'client';
  if (a.mode === 'client' && !target) usage('the client needs HOST:PORT');
  Object.assign(a, hostPort(target));
  if (a.mode === 'client' && a.rate <= 0 && a.batchRate <= 0) a.rate = 1000;
  return a;
}

function endpoint(a: Args): Endpoint {
  return new Endpoint({
    disable_ssl: a.disableSsl,
    ...(a.bufferSize !== undefined ? { peer_buffer_size: a.bufferSize } : {}),
    ...(a.policy !== undefined ? { peer_overflow_policy: a.policy } : {}),
  });
}

/** Events in one message: a Zeek event, a Zeek batch, or Broker's client batch (a vector of events). */
function eventsIn(v: Data): number {
  const m = asZeekMessage(v);
  if (m?.kind === 'event') return 1;
  if (m?.kind === 'batch') return m.messages.length;
  if (v.type === 'vector' && v.elements.every((e) => asZeekMessage(e)?.kind === 'event')) return v.elements.length;
  return 1;
}

function logStatuses(ep: Endpoint, verbose: boolean): void {
  ep.on('status', (e) => verbose && console.log(`*** ${e.name} ${e.context.id} ${e.message}`));
  ep.on('error', (e) => console.error(`*** error ${e.name}: ${e.message}`));
}

export async function runServer(a: Args): Promise<void> {
  const ep = endpoint(a);
  logStatuses(ep, a.verbose);
  let events = 0;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  ep.on('data', (topic, value) => {
    if (topic === EVENTS) events += eventsIn(value);
    else if (topic === TERMINATE) stop();
  });
  ep.subscribe(EVENTS);
  ep.subscribe(TERMINATE);
  const port = await ep.listen(a.host, a.port, 0);
  if (port === 0) {
    console.error(`*** failed to listen on port ${a.port}`);
    process.exit(1);
  }
  console.log(`*** listening on ${port} (${ep.tlsMode === 'none' ? 'plaintext' : `TLS ${ep.tlsMode}`})`);
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const n = events;
    events = 0;
    console.log(`rate: ${n} events/s`);
    const dtNs = Math.round((now - last) * 1e6);
    last = now;
    ep.publish(STATS, makeEvent('stats_update', [vector([timestamp(BigInt(Date.now()) * 1_000_000n), timespan(dtNs), count(n)])]));
  }, 1000);
  const deadline = a.seconds > 0 ? setTimeout(stop, a.seconds * 1000) : undefined;
  process.once('SIGINT', stop);
  await stopped;
  clearInterval(timer);
  if (deadline) clearTimeout(deadline);
  await ep.shutdown();
}

export async function runClient(a: Args): Promise<void> {
  const ep = endpoint(a);
  logStatuses(ep, a.verbose);
  ep.on('data', (topic, value) => {
    const m = asZeekMessage(value);
    if (topic !== STATS || m?.kind !== 'event') return;
    const rec = m.args[0];
    const n = rec?.type === 'vector' ? rec.elements[2] : undefined;
    if (n?.type === 'count') console.log(`server received ${n.value} events/s`);
  });
  ep.subscribe(STATS);
  if (!(await ep.peer(a.host, a.port, 1))) {
    console.error(`unable to peer to ${a.host} on port ${a.port}`);
    process.exit(1);
  }
  const batched = a.batchRate > 0;
  const message = batched ? vector(Array.from({ length: a.batchSize }, () => BENCHMARK_EVENT)) : BENCHMARK_EVENT;
  const perSecond = batched ? a.batchRate : a.rate;
  const eventsPerMessage = batched ? a.batchSize : 1;
  console.log(`*** publishing ${perSecond * eventsPerMessage} events/s on ${EVENTS}${batched ? ` in ${perSecond} batches of ${a.batchSize}` : ''}`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stop = r));
  const t0 = performance.now();
  let sent = 0;
  let sentThisSecond = 0;
  const pump = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * perSecond);
    for (; sent < due; sent++) {
      ep.publish(EVENTS, message);
      sentThisSecond += eventsPerMessage;
    }
  }, 1);
  const report = setInterval(() => {
    const stats = [...ep.peeringStats().values()][0];
    console.log(`sent ${sentThisSecond} events/s${stats ? ` (queued ${stats.num_queued}, overflows ${stats.num_overflows})` : ' (not peered)'}`);
    sentThisSecond = 0;
  }, 1000);
  const deadline = a.seconds > 0 ? setTimeout(stop, a.seconds * 1000) : undefined;
  process.once('SIGINT', stop);
  await stopped;
  clearInterval(pump);
  clearInterval(report);
  if (deadline) clearTimeout(deadline);
  await ep.shutdown();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = parseArgs(process.argv.slice(2));
  await (a.mode === 'server' ? runServer(a) : runClient(a));
}
