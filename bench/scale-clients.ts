// Issue 7 row 6, the client process of bench/scale.ts: N Broccoli-like peers over loopback, each
// opening with VERSION, CAPS and PHASE_DONE and later sending scale_ping(client, seq) on command.
import net from 'node:net';
import { countVal, eventBody } from '../legacy/codec/builders.ts';
import { BROCCOLI_CACHE_SIZE, BROCCOLI_CAPS } from '../legacy/codec/constants.ts';
import { LegacyStreamDecoder } from '../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder } from '../legacy/codec/stream-encoder.ts';
import { makeVersion } from '../legacy/codec/version.ts';
import { serve } from './child-rpc.ts';
import { sleep } from './common.ts';

const CLIENT_FORMAT = { pid64: false, newCacheStrategy: false, caching: false };

/** VERSION + CAPS + PHASE_DONE, as a Broccoli peer opens. */
function openingBytes(): Uint8Array {
  const enc = new LegacyStreamEncoder({ serial: { format: CLIENT_FORMAT }, noPartial: true });
  const parts = [
    enc.encode(makeVersion({ cacheSize: BROCCOLI_CACHE_SIZE })),
    enc.encode({ type: 'CAPS', flags: BROCCOLI_CAPS, reserved: [0, 0] }),
    enc.encode({ type: 'PHASE_DONE' }),
  ];
  return Buffer.concat(parts);
}

/** The wire bytes of scale_ping(client, seq), with the offsets of the two u64 payloads to patch. */
function eventTemplate(): { bytes: Buffer; clientAt: number; seqAt: number } {
  const enc = new LegacyStreamEncoder({ serial: { format: CLIENT_FORMAT }, noPartial: true });
  const bytes = Buffer.from(enc.encode({ type: 'SERIAL', body: eventBody('scale_ping', [countVal(0x5a5a5a01), countVal(0x5a5a5a02)], 1_700_000_000) }));
  const clientAt = bytes.indexOf(Buffer.from([0, 0, 0, 0, 0x5a, 0x5a, 0x5a, 0x01]));
  const seqAt = bytes.indexOf(Buffer.from([0, 0, 0, 0, 0x5a, 0x5a, 0x5a, 0x02]));
  if (clientAt < 0 || seqAt < 0) throw new Error('cannot find the event arguments in their encoding');
  return { bytes, clientAt: clientAt + 4, seqAt: seqAt + 4 };
}

interface Peer {
  index: number;
  socket: net.Socket;
  decoder: LegacyStreamDecoder | undefined;
  running: boolean;
  sent: number;
  closed: boolean;
}

export function clientsRole(): void {
  const peers: Peer[] = [];
  const opening = openingBytes();
  const tmpl = eventTemplate();
  let failed = 0;
  let lastError = '';

  function open(port: number, onRunning: () => void, onFail: () => void): Peer {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const p: Peer = { index: peers.length, socket, decoder: new LegacyStreamDecoder(), running: false, sent: 0, closed: false };
    socket.on('connect', () => socket.write(opening));
    socket.on('data', (b: Buffer) => {
      const d = p.decoder;
      if (d === undefined) return;
      d.push(b);
      for (let m = d.next(); m !== undefined; m = d.next()) {
        if (m.type === 'PHASE_DONE') {
          // The server's PHASE_DONE ends the handshake (no sync, no logs): RUNNING.
          p.running = true;
          p.decoder = undefined;
          onRunning();
          return;
        }
      }
    });
    socket.on('error', (e) => {
      lastError = e.message;
    });
    socket.on('close', () => {
      p.closed = true;
      if (!p.running) onFail();
    });
    return p;
  }

  serve(async (m) => {
    switch (m.cmd) {
      case 'connect': {
        const n = Number(m.n);
        const port = Number(m.port);
        const concurrency = Number(m.concurrency ?? 256);
        const t0 = performance.now();
        let started = 0;
        let done = 0;
        await new Promise<void>((resolve) => {
          const next = (): void => {
            while (started < n && started - done < concurrency) {
              started++;
              const settle = (): void => {
                done++;
                if (done === n) resolve();
                else next();
              };
              peers.push(
                open(port, settle, () => {
                  failed++;
                  settle();
                }),
              );
            }
          };
          next();
        });
        return { running: peers.filter((p) => p.running).length, failed, lastError, seconds: (performance.now() - t0) / 1000 };
      }
      case 'send': {
        // Round-robin over the peers so that at any moment every peer has sent its share of
        // rate × elapsed events; the timer only decides how often the share is topped up.
        const rate = Number(m.rate);
        const seconds = Number(m.seconds);
        const live = peers.filter((p) => p.running && !p.closed);
        const total = Math.round(live.length * rate * seconds);
        let sent = 0;
        let writesFailed = 0;
        const cpu0 = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate * live.length));
            for (; sent < due; sent++) {
              const i = sent % live.length;
              const p = live[i]!;
              if (p.closed) {
                writesFailed++;
                continue;
              }
              const b = Buffer.from(tmpl.bytes);
              b.writeUInt32BE(p.index, tmpl.clientAt);
              b.writeUInt32BE(p.sent++, tmpl.seqAt);
              p.socket.write(b);
            }
            if (sent >= total) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
        });
        return { sent, writesFailed, seconds: (performance.now() - t0) / 1000, perClient: peers.map((p) => p.sent), cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 - cpu0 };
      }
      case 'close':
        for (const p of peers) p.socket.destroy();
        await sleep(100);
        return { closed: peers.length };
      default:
        throw new Error(`unknown command ${String(m.cmd)}`);
    }
  });
}
