// A recording TCP relay: listens (loopback by default), connects each accepted client to the
// target and forwards both ways, writing every recv() as a transcript line (the fixtures' format)
// and optionally as packets of a synthesised pcap. Flow control follows the slower side, so a
// recording never buffers without bound.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Direction } from './types.ts';
import { TranscriptWriter } from './transcript.ts';
import { PcapWriter } from './pcap-write.ts';
import { captureError } from './errors.ts';
import { systemClock, type Clock } from '../clock.ts';

export interface RecorderOptions {
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** 0 picks an ephemeral port. */
  listenPort: number;
  target: { host: string; port: number };
  /** Receives transcript lines (with newline). */
  transcript?: (line: string) => void;
  /** Receives pcap bytes (file header first). */
  pcap?: (bytes: Uint8Array) => void;
  /** Extra header fields (capture name, notes). */
  header?: Record<string, unknown>;
  clock?: Clock;
  /** Called when a relayed connection has closed on both sides (or its target was unreachable). */
  onConnectionDone?: (conn: number | undefined) => void;
}

export interface Recorder {
  readonly host: string;
  readonly port: number;
  /** Stops listening, closes live connections, writes `proxy-exit`. */
  close(): Promise<void>;
}

export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const clock = options.clock ?? systemClock;
  const started = clock.monotonic();
  const t = () => (clock.monotonic() - started) / 1000;
  const host = options.listenHost ?? '127.0.0.1';
  const live = new Set<Socket>();
  let nextConn = 0;
  let transcript: TranscriptWriter | undefined;
  const pcap = options.pcap ? new PcapWriter(options.pcap, { start: clock.now() / 1000 }) : undefined;

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    live.add(client);
    const target = connect({ host: options.target.host, port: options.target.port });
    live.add(target);
    let conn: number | undefined;
    let closed = 0;
    const done = () => {
      if (++closed === 2) options.onConnectionDone?.(conn);
    };
    client.on('close', () => {
      live.delete(client);
      done();
    });
    target.on('close', () => {
      live.delete(target);
      done();
    });
    client.once('error', () => {
      if (conn === undefined) target.destroy(); // client gave up before the target answered
    });
    target.once('error', (err) => {
      if (conn !== undefined) return;
      transcript?.event(t(), 'target-unreachable', { error: err.message, note: 'client connection accepted by the relay and closed again' });
      client.destroy();
    });
    target.once('connect', () => {
      conn = nextConn++;
      transcript?.event(t(), 'accepted', { conn });
      pcap?.open(
        conn,
        { address: client.remoteAddress ?? '127.0.0.1', port: client.remotePort ?? 0 },
        { address: target.remoteAddress ?? options.target.host, port: target.remotePort ?? options.target.port },
        t(),
      );
      relay(conn, 'c2s', client, target);
      relay(conn, 's2c', target, client);
      client.resume();
    });
  });

  function relay(conn: number, dir: Direction, from: Socket, to: Socket): void {
    let ended = false;
    from.on('data', (bytes: Buffer) => {
      const now = t();
      transcript?.data(conn, dir, now, bytes);
      pcap?.data(conn, dir, now, bytes);
      if (!to.destroyed && !to.write(bytes)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      ended = true;
      transcript?.eof(conn, dir, t());
      pcap?.eof(conn, dir, t());
      to.end();
    });
    from.on('error', (err) => {
      if (ended) return;
      ended = true;
      transcript?.error(conn, dir, t(), err.message);
      pcap?.reset(conn, dir, t());
      to.destroy();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(captureError('peer_unreachable', `cannot listen on ${host}:${options.listenPort}: ${err.message}`, { cause: err, retriable: true })));
    server.listen(options.listenPort, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.listenPort;
  if (options.transcript) {
    transcript = new TranscriptWriter(options.transcript, {
      capture: 'comm-bridge record',
      client: `any (relay listening on ${host}:${port})`,
      server: `${options.target.host}:${options.target.port}`,
      notes: '',
      format: 'JSON Lines: header, then one line per recv() {dir,t,conn,hex}; eof/error lines end a direction; events accepted/target-unreachable/proxy-exit',
      ...options.header,
    });
  }

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          transcript?.event(t(), 'proxy-exit');
          resolve();
        });
        for (const s of live) s.destroy();
      });
      return closing;
    },
  };
}
