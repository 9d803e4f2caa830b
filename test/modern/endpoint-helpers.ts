// Shared helpers for the endpoint tests: raw loopback sockets that cut Broker frames (independently
// of the FrameReader under test), a recorder of status/error events, and polling with deadlines.
import net from 'node:net';
import type { Endpoint } from '../../modern/endpoint/index.ts';
import { toHex } from '../../src/core/json.ts';

/** A raw TCP socket that collects complete frames (length prefix included). */
export class FrameSocket {
  private pending = new Uint8Array(0);
  private frames: Uint8Array[] = [];
  private wake: (() => void) | undefined;
  closed = false;
  received = 0;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (b: Buffer) => {
      this.received += b.length;
      const all = new Uint8Array(this.pending.length + b.length);
      all.set(this.pending);
      all.set(b, this.pending.length);
      let at = 0;
      while (all.length - at >= 4) {
        const n = new DataView(all.buffer, all.byteOffset + at).getUint32(0);
        if (all.length - at < 4 + n) break;
        this.frames.push(all.slice(at, at + 4 + n));
        at += 4 + n;
      }
      this.pending = all.slice(at);
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame; rejects after `ms` or when the socket closed first. */
  async next(ms = 3000): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closed) throw new Error(`socket closed while waiting for a frame (${this.pending.length} byte(s) pending)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  async nextHex(ms = 3000): Promise<string> {
    return toHex(await this.next(ms));
  }

  /** Takes every complete frame received so far. */
  take(): Uint8Array[] {
    return this.frames.splice(0);
  }

  /** Frames received so far and not taken. */
  get queued(): number {
    return this.frames.length;
  }

  /** Resolves once the peer closed the connection. */
  async whenClosed(ms = 3000): Promise<void> {
    await waitFor(() => this.closed, ms, 'the socket to close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function connectRaw(port: number, host = '127.0.0.1'): Promise<FrameSocket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(new FrameSocket(s)));
    s.once('error', reject);
  });
}

/** A plain TCP server that hands out accepted connections in order. */
export class RawServer {
  readonly server: net.Server;
  private accepted: FrameSocket[] = [];
  private all: FrameSocket[] = [];
  port = 0;
  /** When set, every accepted connection is closed at once (a target that is not there). */
  refuse = false;
  refused = 0;

  constructor() {
    this.server = net.createServer((s) => {
      s.setNoDelay(true);
      if (this.refuse) {
        this.refused++;
        s.on('error', () => undefined);
        s.destroy();
        return;
      }
      const f = new FrameSocket(s);
      this.accepted.push(f);
      this.all.push(f);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  async accept(ms = 3000): Promise<FrameSocket> {
    await waitFor(() => this.accepted.length > 0, ms, 'a connection');
    return this.accepted.shift()!;
  }

  async close(): Promise<void> {
    for (const s of this.all) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Polls `cond` (real time) until it holds; throws after `ms`. */
export async function waitFor(cond: () => boolean, ms = 3000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Recorded {
  kind: 'status' | 'error';
  name: string;
  id: string;
  address?: string;
  port?: number;
  message: string;
  code: number;
}

/** Every status and error of `ep`, in emission order. */
export function record(ep: Endpoint): Recorded[] {
  const out: Recorded[] = [];
  ep.on('status', (e) =>
    out.push({
      kind: 'status',
      name: e.name,
      id: e.context.id,
      ...(e.context.network ? { address: e.context.network.address, port: e.context.network.bound_port } : {}),
      message: e.message,
      code: e.code,
    }),
  );
  ep.on('error', (e) =>
    out.push({
      kind: 'error',
      name: e.name,
      id: e.context?.id ?? '',
      ...(e.context?.network ? { address: e.context.network.address, port: e.context.network.bound_port } : {}),
      message: e.message,
      code: e.code,
    }),
  );
  return out;
}

/** `name id-prefix` lines, the compact form tests compare. */
export function names(events: readonly Recorded[]): string[] {
  return events.map((e) => `${e.name} ${e.id.slice(0, 8)}`);
}

/** A TCP relay in front of a listener, so a test can cut connections or play an absent target. */
export class TcpProxy {
  readonly server: net.Server;
  private pairs: [net.Socket, net.Socket][] = [];
  port = 0;
  /** Close every new connection at once (the target is down). */
  refuse = false;
  accepted = 0;
  refused = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      client.on('error', () => undefined);
      if (this.refuse) {
        this.refused++;
        client.destroy();
        return;
      }
      this.accepted++;
      client.pause();
      const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort }, () => {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      this.pairs.push([client, upstream]);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every relayed connection abruptly (both ends see the connection go away, no BYE). */
  cut(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs = [];
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/**
 * A raw peer that completes the handshake as the originator (`id` must sort below the endpoint's id):
 * hello, version_select + originator_syn(filter), originator_ack. Resolves once its ack is sent.
 */
export async function rawOriginator(port: number, id: string, filter: string[]): Promise<FrameSocket> {
  const { encodeHandshake, hello, originatorAck, originatorSyn, versionSelect } = await import('../../modern/native/index.ts');
  const s = await connectRaw(port);
  s.write(encodeHandshake(hello(id)));
  await s.next(); // probe
  await s.next(); // hello
  s.write(encodeHandshake(versionSelect(id)));
  s.write(encodeHandshake(originatorSyn(filter)));
  await s.next(); // responder_syn_ack
  s.write(encodeHandshake(originatorAck()));
  return s;
}
