// The practical limit for Node on this machine: a minimal TCP pipe between two processes over
// loopback moving u32-length-prefixed frames of exactly the size of the native peering's benchmark
// event frame, with the same flow control as bench/broker-peering.ts (at most WINDOW frames in
// flight, the receiver acknowledges every ACK_EVERY) and the same batching (frames copied into one
// buffer, written at 64 KiB or at the end of the burst). The receiver splits the stream into frames
// and hands each one to a callback, as a real framing layer would. No encoding, no decoding, no
// routing: what is left is framing, syscalls, copies and the event loop. Plaintext and anonymous
// TLS (Broker's default cipher).
//
// Round-trip rows: the machine's floor next to the native peering's round-trip rows. A minimal echo
// process sends every frame it splits off straight back (the frames of one read written back in one
// write); the sender paces frames of the size of the peering's latency probe (benchEvent(seq) on
// /benchmark/ping) with the same loop as bench/broker-peering.ts (pacedRoundTrips: 1 ms timer, one
// frame per due event, each stamped just before it is sent, same rates, seconds, runs, warm-up and
// percentiles), frames of one turn coalesced into one write as our endpoint does, and reads the
// sequence number back at its fixed place in the echoed frame.
//
//   npx tsx bench/raw-pipe.ts [--seconds S] [--runs N] [--modes plain,tls] [--rates 1000,10000]
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ByteWriter } from '../src/core/bytes.ts';
import { ANONYMOUS_CIPHERS, ANONYMOUS_CURVE } from '../modern/endpoint/tls.ts';
import { dataEnvelope, encodeEnvelope, NIL_ENDPOINT } from '../modern/native/index.ts';
import { benchEvent, PING } from './broker-peering.ts';
import { argValue, fmtStat, LatencyRuns, pacedRoundTrips, stat, type BenchRow } from './common.ts';

const WINDOW = 30_000;
const ACK_EVERY = 1000;
const FLUSH_BYTES = 64 << 10;
const SENDER = '11111111-1111-5111-8111-111111111111';

const ANON_TLS = { ciphers: ANONYMOUS_CIPHERS, ecdhCurve: ANONYMOUS_CURVE, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;

/** The frame (length prefix included) our endpoint writes for Broker's benchmark event. */
export function benchmarkFrame(): Uint8Array {
  return encodeEnvelope(dataEnvelope(SENDER, NIL_ENDPOINT, '/benchmark/events', benchEvent()));
}

/**
 * The frame (length prefix included) of a latency probe of the native peering, benchEvent(seq) on
 * /benchmark/ping, and `seqAt`: where the low 32 bits of its big-endian 64-bit sequence number sit
 * (the high 32 bits stay 0).
 */
export function probeFrame(): { frame: Uint8Array; seqAt: number } {
  const mark = 0x5a_a5_c3_3c;
  const frame = encodeEnvelope(dataEnvelope(SENDER, NIL_ENDPOINT, PING, benchEvent(mark)));
  const hits: number[] = [];
  for (let i = 0; i + 8 <= frame.length; i++) {
    if (frame[i] === 0 && frame[i + 1] === 0 && frame[i + 2] === 0 && frame[i + 3] === 0 && readU32(frame, i + 4) === mark) hits.push(i + 4);
  }
  if (hits.length !== 1) throw new Error('cannot locate the sequence number in the probe frame');
  return { frame, seqAt: hits[0]! };
}

function readU32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/**
 * The receiving half of a minimal framed pipe: splits a stream of u32-length-prefixed frames and
 * hands every frame to `onFrame(bytes, start, end)`. A frame that lies inside one chunk is passed in
 * place; one split across chunks is assembled once into its own buffer (what any real framing layer
 * has to do). Nothing else: no decoding, no routing.
 */
export class FrameSplitter {
  private readonly header = new Uint8Array(4);
  private headerFill = 0;
  private partial: Uint8Array | undefined;
  private partialFill = 0;

  constructor(private readonly onFrame: (bytes: Uint8Array, start: number, end: number) => void) {}

  push(b: Uint8Array): void {
    const n = b.length;
    let i = 0;
    const part = this.partial;
    if (part !== undefined) {
      const k = Math.min(part.length - this.partialFill, n);
      part.set(b.subarray(0, k), this.partialFill);
      this.partialFill += k;
      i = k;
      if (this.partialFill < part.length) return;
      this.partial = undefined;
      this.onFrame(part, 0, part.length);
    }
    while (i < n) {
      let len: number;
      if (this.headerFill === 0 && n - i >= 4) {
        len = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
        i += 4;
      } else {
        const h = this.header;
        while (this.headerFill < 4 && i < n) h[this.headerFill++] = b[i++]!;
        if (this.headerFill < 4) return;
        this.headerFill = 0;
        len = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
      }
      if (n - i >= len) {
        this.onFrame(b, i, i + len);
        i += len;
      } else {
        const p = new Uint8Array(len);
        p.set(b.subarray(i));
        this.partialFill = n - i;
        this.partial = p;
        return;
      }
    }
  }
}

// -- the receiving process ---------------------------------------------------------------------

async function child(mode: 'plain' | 'tls', echo: boolean): Promise<void> {
  const onSocket = (s: net.Socket): void => {
    s.setNoDelay(true);
    if (echo) {
      // Every frame back as it is; the frames split off one read go back in one write.
      const out = new ByteWriter(FLUSH_BYTES * 2);
      const splitter = new FrameSplitter((b, start, end) => {
        out.u32(end - start).bytes(b.subarray(start, end));
      });
      s.on('data', (b: Buffer) => {
        splitter.push(b);
        if (out.length > 0) {
          s.write(out.toBytes());
          out.reset();
        }
      });
      s.on('error', () => undefined);
      return;
    }
    let frames = 0;
    const ack = Buffer.alloc(4);
    const splitter = new FrameSplitter(() => {
      if (++frames % ACK_EVERY === 0) {
        ack.writeUInt32BE(frames >>> 0);
        s.write(Buffer.from(ack));
      }
    });
    s.on('data', (b: Buffer) => splitter.push(b));
    s.on('error', () => undefined);
  };
  const server = mode === 'plain' ? net.createServer(onSocket) : tls.createServer({ ...ANON_TLS }, onSocket);
  server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as net.AddressInfo).port}`));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

// -- the sending process -----------------------------------------------------------------------

async function startChild(mode: 'plain' | 'tls', echo = false): Promise<{ proc: ChildProcess; port: number }> {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', file, '--child', mode, ...(echo ? ['--echo'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (l) => resolve(Number(/port (\d+)/.exec(l)?.[1] ?? NaN)));
    proc.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return { proc, port };
}

class Sender {
  acked = 0;
  private onAck: (() => void) | undefined;
  private readonly w = new ByteWriter(FLUSH_BYTES * 2);
  private congested = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly frame: Uint8Array,
  ) {
    let pending = 0;
    let fill = 0;
    socket.on('data', (b: Buffer) => {
      for (const byte of b) {
        pending = ((pending << 8) | byte) >>> 0;
        if (++fill === 4) {
          this.acked = pending;
          pending = fill = 0;
          this.onAck?.();
        }
      }
    });
    socket.on('drain', () => {
      this.congested = false;
      this.drained?.();
    });
  }

  private flush(): void {
    if (this.w.length === 0) return;
    if (!this.socket.write(this.w.toBytes())) this.congested = true;
    this.w.reset();
  }

  /** Sends for `seconds` with at most WINDOW unacknowledged frames; acknowledged frames/s. */
  async throughput(seconds: number): Promise<number> {
    // Each run starts from a quiet pipe (the previous run's tail has drained).
    const base = this.acked;
    let sent = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) {
      const room = WINDOW - (sent - (this.acked - base));
      if (room >= ACK_EVERY && !this.congested) {
        for (let i = 0; i < room; i++) {
          this.w.bytes(this.frame);
          if (this.w.length >= FLUSH_BYTES) this.flush();
        }
        this.flush();
        sent += room;
      }
      await new Promise<void>((r) => {
        this.onAck = r;
        this.drained = r;
        setTimeout(r, 50);
      });
      this.onAck = this.drained = undefined;
    }
    const elapsed = (performance.now() - t0) / 1000;
    const done = this.acked - base;
    const until = performance.now() + 2000;
    while (this.acked - base < Math.floor(sent / ACK_EVERY) * ACK_EVERY && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
    return done / elapsed;
  }
}

/** The sending side of the round-trip rows: probe frames out, sequence numbers of the echoes in. */
class EchoProbe {
  private readonly out = new ByteWriter(FLUSH_BYTES * 2);
  private scheduled = false;
  private onAnswer: ((seq: number) => void) | undefined;
  private readonly flushTask = (): void => this.flush();
  seq = 0;

  constructor(
    private readonly socket: net.Socket,
    private readonly probe: { frame: Uint8Array; seqAt: number },
  ) {
    // seqAt counts the 4-byte length prefix; the splitter hands over the frame without it.
    const at = probe.seqAt - 4;
    const splitter = new FrameSplitter((b, start) => this.onAnswer?.(readU32(b, start + at)));
    socket.on('data', (b: Buffer) => splitter.push(b));
  }

  /** One probe frame; the frames of one turn go out in one write (as our endpoint's out buffer does). */
  send(seq: number): void {
    const w = this.out;
    w.bytes(this.probe.frame);
    w.patchU32(w.length - this.probe.frame.length + this.probe.seqAt, seq);
    if (w.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.out.length === 0) return;
    this.socket.write(this.out.toBytes());
    this.out.reset();
  }

  /** bench/broker-peering.ts's latency(), over the echo: sorted round trips (µs) and the lost. */
  async latency(rate: number, seconds: number): Promise<{ us: Float64Array; lost: number }> {
    const seq0 = this.seq;
    this.seq += Math.round(rate * seconds);
    return pacedRoundTrips(
      rate,
      seconds,
      seq0,
      (seq) => this.send(seq),
      (h) => {
        this.onAnswer = h;
      },
    );
  }
}

function connect(mode: 'plain' | 'tls', port: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const s: net.Socket =
      mode === 'plain'
        ? net.connect(port, '127.0.0.1', () => resolve(s))
        : tls.connect({ port, host: '127.0.0.1', ...ANON_TLS, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
}

export interface RawPipeOptions {
  seconds?: number;
  runs?: number;
  modes?: ('plain' | 'tls')[];
  /** Offered rates of the round-trip rows (frames/s), as bench/broker-peering.ts's; [] skips them. */
  rates?: number[];
}

export async function runRawPipeBench(options: RawPipeOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 2;
  const runs = options.runs ?? 5;
  const frame = benchmarkFrame();
  const rows: BenchRow[] = [];
  for (const mode of options.modes ?? ['plain', 'tls']) {
    const { proc, port } = await startChild(mode);
    const socket = await connect(mode, port);
    socket.setNoDelay(true);
    try {
      const sender = new Sender(socket, frame);
      await sender.throughput(1); // warm-up
      const rates: number[] = [];
      for (let i = 0; i < runs; i++) rates.push(await sender.throughput(seconds));
      rows.push({ bench: 'raw-pipe', case: `one-way ${frame.length}-byte frames/s (raw Node TCP${mode === 'tls' ? ' + anonymous TLS' : ''}, no decoding)`, mode, bytes: frame.length, eventsPerSec: stat(rates), runs });
    } finally {
      socket.destroy();
      proc.stdin!.end();
      await new Promise((r) => proc.once('exit', r));
    }
    const rates = options.rates ?? [1000, 10_000];
    if (rates.length > 0) rows.push(...(await echoRows(mode, rates, seconds, runs)));
  }
  return rows;
}

/** Round trips over the minimal echo, one row per rate, measured as broker-peering's rows are. */
async function echoRows(mode: 'plain' | 'tls', rates: readonly number[], seconds: number, runs: number): Promise<BenchRow[]> {
  const probe = probeFrame();
  const rows: BenchRow[] = [];
  const { proc, port } = await startChild(mode, true);
  const socket = await connect(mode, port);
  socket.setNoDelay(true);
  try {
    const echo = new EchoProbe(socket, probe);
    for (const rate of rates) {
      let lost = 0;
      await echo.latency(rate, 0.5); // warm-up
      const latencies = new LatencyRuns();
      for (let i = 0; i < runs; i++) {
        const r = await echo.latency(rate, seconds);
        lost += r.lost;
        latencies.add(r.us);
      }
      rows.push({
        bench: 'raw-pipe',
        case: `round trip at ${rate / 1000}k frames/s (raw Node TCP echo${mode === 'tls' ? ' + anonymous TLS' : ''}, ${probe.frame.length}-byte frames, no decoding)`,
        mode,
        rate,
        bytes: probe.frame.length,
        ...latencies.stats(),
        lost,
        runs,
      });
    }
  } finally {
    socket.destroy();
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const childMode = argValue(process.argv, '--child');
  if (childMode === 'plain' || childMode === 'tls') {
    void child(childMode, process.argv.includes('--echo'));
  } else {
    const rows = await runRawPipeBench({
      seconds: Number(argValue(process.argv, '--seconds') ?? 2),
      runs: Number(argValue(process.argv, '--runs') ?? 5),
      modes: (argValue(process.argv, '--modes') ?? 'plain,tls').split(',') as ('plain' | 'tls')[],
      rates: (argValue(process.argv, '--rates') ?? '1000,10000').split(',').filter((r) => r !== '').map(Number),
    });
    console.log('Raw TCP pipe between two processes over loopback, median of runs [min..max]');
    for (const r of rows) {
      const what = r.eventsPerSec ? fmtStat(r.eventsPerSec).padStart(34) : `p50 ${fmtStat(r.p50us)} us  p90 ${fmtStat(r.p90us)} us  p99 ${fmtStat(r.p99us)} us`;
      console.log(`${r.case.padEnd(72)} ${what}${r.lost ? `  LOST ${r.lost}` : ''}`);
    }
  }
}
