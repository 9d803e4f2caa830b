// Plays the client half of a real capture against a live legacy listener: every c2s message is
// sent byte for byte as captured, each one only after the bridge has sent as many "sync point"
// messages (VERSION, PHASE_DONE, PONG, SERIAL events) as the capture's server had sent before it.
// The bridge's replies are decoded as they arrive, for the test to assert on.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import { replay, type Replayed } from './helpers.ts';
import { TLS_DIR, until } from './framework-helpers.ts';

export interface ReplayTarget {
  port: number;
  host?: string;
  /** Connect with TLS, presenting the captures' connector certificate. */
  tls?: boolean;
}

export interface ReplayOptions {
  capture: string;
  conn?: number;
  /** Which server messages the client waits for (default: VERSION, PHASE_DONE, PONG, events). */
  syncOn?: (m: LegacyMessage) => boolean;
  timeoutMs?: number;
}

export interface ReplaySession {
  /** The client messages that were sent (all of them once `done` resolved). */
  sent: Replayed[];
  /** Everything the bridge sent, decoded. */
  replies: LegacyMessage[];
  /** The raw bytes the bridge sent. */
  raw: () => Uint8Array;
  /** Resolves when every client message has been sent. */
  done: Promise<void>;
  /** True once the bridge closed the connection. */
  closed: () => boolean;
  waitFor(pred: (replies: LegacyMessage[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  end(): void;
  destroy(): void;
  socket: Socket;
}

export const defaultSyncOn = (m: LegacyMessage): boolean =>
  m.type === 'VERSION' || m.type === 'PHASE_DONE' || m.type === 'PONG' || (m.type === 'SERIAL' && m.body.kind === 'event');

export function connectTo(target: ReplayTarget): Promise<Socket> {
  const host = target.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    if (target.tls === true) {
      const s = tlsConnect({
        host,
        port: target.port,
        ca: readFileSync(new URL('ca.pem', TLS_DIR)),
        cert: readFileSync(new URL('connector.pem', TLS_DIR)),
        key: readFileSync(new URL('connector.key', TLS_DIR)),
        checkServerIdentity: () => undefined,
      });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    } else {
      const s = netConnect({ host, port: target.port });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }
  });
}

export async function replayClient(target: ReplayTarget, options: ReplayOptions): Promise<ReplaySession> {
  const syncOn = options.syncOn ?? defaultSyncOn;
  const conn = options.conn ?? 0;
  const all = replay(options.capture).filter((r) => r.conn === conn);
  const plan: { msg: Replayed; after: number }[] = [];
  let serverSyncs = 0;
  for (const r of all) {
    if (r.dir === 's2c') {
      if (syncOn(r.msg)) serverSyncs++;
    } else plan.push({ msg: r, after: serverSyncs });
  }
  const socket = await connectTo(target);
  const decoder = new LegacyStreamDecoder();
  const replies: LegacyMessage[] = [];
  const chunks: Uint8Array[] = [];
  let closed = false;
  let decodeError: Error | undefined;
  socket.on('data', (b: Buffer) => {
    chunks.push(new Uint8Array(b));
    if (decodeError !== undefined) return;
    try {
      decoder.push(b);
      replies.push(...decoder.drain());
    } catch (err) {
      decodeError = err as Error;
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  const sent: Replayed[] = [];
  const timeout = options.timeoutMs ?? 3000;
  const waitFor = (pred: (r: LegacyMessage[]) => boolean, what: string, ms = timeout): Promise<void> =>
    until(() => {
      if (decodeError !== undefined) throw new Error(`bridge reply did not decode: ${decodeError.message}`);
      return pred(replies);
    }, what, ms);
  const done = (async () => {
    for (const step of plan) {
      await waitFor((r) => r.filter(syncOn).length >= step.after, `${step.after} sync point(s) before c2s ${step.msg.msg.type}`);
      if (closed) throw new Error(`bridge closed the connection before c2s ${step.msg.msg.type}`);
      socket.write(step.msg.wire);
      sent.push(step.msg);
    }
  })();
  return {
    sent,
    replies,
    raw: () => new Uint8Array(Buffer.concat(chunks)),
    done,
    closed: () => closed,
    waitFor,
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    socket,
  };
}
