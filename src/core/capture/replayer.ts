// Replays the client half of one captured connection against a live peer and compares what the
// peer answers with what the captured server answered, message by message, through the protocol's
// own decoder. The client waits where the capture shows it waited: before each client send, the
// live peer must have produced as many messages as the captured server had by then.
import { connect, type Socket } from 'node:net';
import type { Capture, DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from './types.ts';
import { captureError } from './errors.ts';
import { stringifyJson } from '../json.ts';

export interface ReplayOptions {
  capture: Capture;
  conn: number;
  decoder: ProtocolDecoder;
  to: { host: string; port: number };
  /** Keep the capture's timing between client sends (default: as fast as the peer allows). */
  pace?: boolean;
  /** How long to wait for the peer's reply before calling it a divergence. */
  replyTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface Divergence {
  /** Index into the server's message sequence. */
  index: number;
  reason: string;
  expected?: DecodedMessage;
  actual?: DecodedMessage;
}

export interface ReplayResult {
  expected: DecodedMessage[];
  actual: DecodedMessage[];
  bytesSent: number;
  divergence: Divergence | undefined;
}

type Step = { kind: 'send'; bytes: Uint8Array; t: number; after: number } | { kind: 'end'; t: number; after: number };

/** The captured server's messages, and the client's sends each tagged with how many came before. */
export function planReplay(capture: Capture, conn: number, decoder: ProtocolDecoder): { expected: DecodedMessage[]; steps: Step[] } {
  const session = decoder.session();
  const expected: DecodedMessage[] = [];
  const steps: Step[] = [];
  const ended = new Set<Direction>();
  const feed = (dir: Direction, msgs: DecodedMessage[]) => {
    if (dir === 's2c') expected.push(...msgs);
  };
  for (const r of capture.records) {
    if (r.conn !== conn || ended.has(r.dir)) continue;
    if (r.kind === 'data') {
      if (r.dir === 'c2s') steps.push({ kind: 'send', bytes: r.bytes, t: r.t, after: expected.length });
      feed(r.dir, session.push(r.dir, r.bytes, r.t));
    } else {
      ended.add(r.dir);
      if (r.dir === 'c2s') steps.push({ kind: 'end', t: r.t, after: expected.length });
      feed(r.dir, session.end(r.dir));
    }
  }
  if (!ended.has('s2c')) feed('s2c', session.end('s2c'));
  return { expected, steps };
}

function comparableOf(decoder: ProtocolDecoder, m: DecodedMessage): string {
  return stringifyJson(decoder.comparable ? decoder.comparable(m) : m.type);
}

export function firstDivergence(decoder: ProtocolDecoder, expected: DecodedMessage[], actual: DecodedMessage[]): Divergence | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (!e) return { index: i, reason: `the peer sent more messages than the capture (${actual.length} vs ${expected.length})`, actual: a! };
    if (!a) return { index: i, reason: `the peer sent fewer messages than the capture (${actual.length} vs ${expected.length})`, expected: e };
    if (comparableOf(decoder, e) !== comparableOf(decoder, a)) return { index: i, reason: `message #${i} differs`, expected: e, actual: a };
  }
  return undefined;
}

class LivePeer {
  readonly actual: DecodedMessage[] = [];
  closed = false;
  private waiter: (() => void) | undefined;
  private readonly session: StreamDecoder;
  private readonly started = Date.now();

  constructor(
    decoder: ProtocolDecoder,
    readonly socket: Socket,
  ) {
    this.session = decoder.session();
    socket.on('data', (b: Buffer) => {
      if (this.closed) return;
      try {
        this.actual.push(...this.session.push('s2c', b, this.elapsed()));
      } catch (err) {
        // A decoder that throws has lost the stream; what it saw so far still counts.
        const e = err as { code?: unknown; message?: unknown };
        this.actual.push({ type: 'error', code: typeof e.code === 'string' ? e.code : 'decoder_failure', message: String(e.message ?? err) });
        this.closed = true;
      }
      this.wake();
    });
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  private elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.actual.push(...this.session.end('s2c'));
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Keeps the live decoder's view of the client side in step with what we send. */
  sent(bytes: Uint8Array): void {
    this.session.push('c2s', bytes, this.elapsed());
  }

  /** Resolves true once `count` messages arrived, false on timeout or close before that. */
  async waitFor(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.actual.length < count && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.actual.length >= count;
  }
}

function openSocket(to: { host: string; port: number }, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: to.host, port: to.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(captureError('peer_unreachable', `no connection to ${to.host}:${to.port} within ${timeoutMs} ms`, { retriable: true }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(captureError('peer_unreachable', `cannot connect to ${to.host}:${to.port}: ${err.message}`, { cause: err, retriable: true }));
    });
  });
}

export async function replayConnection(options: ReplayOptions): Promise<ReplayResult> {
  const replyTimeout = options.replyTimeoutMs ?? 5000;
  const { expected, steps } = planReplay(options.capture, options.conn, options.decoder);
  if (steps.length === 0 && expected.length === 0) {
    throw captureError('no_such_connection', `connection ${options.conn} has no data in the capture`, { field: '--conn' });
  }
  const socket = await openSocket(options.to, options.connectTimeoutMs ?? 5000);
  const peer = new LivePeer(options.decoder, socket);
  const firstT = steps[0]?.t ?? 0;
  const started = Date.now();
  let bytesSent = 0;
  let divergence: Divergence | undefined;
  try {
    for (const step of steps) {
      if (step.after > 0 && !(await peer.waitFor(step.after, replyTimeout))) {
        divergence = firstDivergence(options.decoder, expected.slice(0, step.after), peer.actual) ?? {
          index: peer.actual.length,
          reason: peer.closed ? 'the peer closed the connection before the reply the client waited for' : `no reply within ${replyTimeout} ms`,
          ...(expected[peer.actual.length] ? { expected: expected[peer.actual.length]! } : {}),
        };
        break;
      }
      if (options.pace) {
        const due = (step.t - firstT) * 1000 - (Date.now() - started);
        if (due > 0) await new Promise((r) => setTimeout(r, due));
      }
      if (peer.closed) break;
      if (step.kind === 'send') {
        socket.write(step.bytes);
        peer.sent(step.bytes);
        bytesSent += step.bytes.length;
      } else socket.end();
    }
    if (!divergence) {
      await peer.waitFor(expected.length, replyTimeout);
      // Anything already on its way beyond the captured messages counts as extra.
      await new Promise((r) => setImmediate(r));
      divergence = firstDivergence(options.decoder, expected, peer.actual);
    }
  } finally {
    socket.destroy();
  }
  return { expected, actual: peer.actual.slice(), bytesSent, divergence };
}
