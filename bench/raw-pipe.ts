// The practical limit for Node on this machine: a minimal TCP pipe between two processes over
// loopback moving u32-length-prefixed frames of exactly the size of the native peering's benchmark
// event frame, with the same flow control as bench/broker-peering.ts (at most WINDOW frames in
// flight, the receiver acknowledges every ACK_EVERY) and the same batching (frames copied into one
// buffer, written at 64 KiB or at the end of the burst). The receiver splits the stream into frames
// and hands each one to a callback, as a real framing layer would. No encoding, no decoding, no
// routing: what is left is framing, syscalls, copies and the event loop. Plaintext and anonymous
// TLS (Broker's default cipher).
//
//   npx tsx bench/raw-pipe.ts [--seconds S] [--runs N] [--modes plain,tls]
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ByteWriter } from '../src/core/bytes.ts';
import { ANONYMOUS_CIPHERS, ANONYMOUS_CURVE } from '../modern/endpoint/tls.ts';
import { dataEnvelope, encodeEnvelope, NIL_ENDPOINT } from '../modern/native/index.ts';
import { benchEvent } from './broker-peering.ts';
import { argValue, fmtStat, stat, type BenchRow } from './common.ts';

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

async function child(mode: 'plain' | 'tls'): Promise<void> {
  const onSocket = (s: net.Socket): void => {
    s.setNoDelay(true);
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

async function startChild(mode: 'plain' | 'tls'): Promise<{ proc: ChildProcess; port: number }> {
  const file = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, ['--import', 'tsx', file, '--child', mode], { stdio: ['pipe', 'pipe', 'inherit'] });
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

export interface RawPipeOptions {
  seconds?: number;
  runs?: number;
  modes?: ('plain' | 'tls')[];
}

export async function runRawPipeBench(options: RawPipeOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 2;
  const runs = options.runs ?? 5;
  const frame = benchmarkFrame();
  const rows: BenchRow[] = [];
  for (const mode of options.modes ?? ['plain', 'tls']) {
    const { proc, port } = await startChild(mode);
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s: net.Socket =
        mode === 'plain'
          ? net.connect(port, '127.0.0.1', () => resolve(s))
          : tls.connect({ port, host: '127.0.0.1', ...ANON_TLS, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
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
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const childMode = argValue(process.argv, '--child');
  if (childMode === 'plain' || childMode === 'tls') {
    void child(childMode);
  } else {
    const rows = await runRawPipeBench({
      seconds: Number(argValue(process.argv, '--seconds') ?? 2),
      runs: Number(argValue(process.argv, '--runs') ?? 5),
      modes: (argValue(process.argv, '--modes') ?? 'plain,tls').split(',') as ('plain' | 'tls')[],
    });
    console.log('Raw TCP pipe between two processes over loopback, median of runs [min..max]');
    for (const r of rows) console.log(`${r.case.padEnd(72)} ${fmtStat(r.eventsPerSec).padStart(34)}`);
  }
}
