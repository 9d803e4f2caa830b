// Helpers for the WebSocket tests: a raw TCP client that sends exact bytes (frames taken from a
// capture, or built here) and cuts the server's answer into an HTTP head and RFC 6455 frames with
// a deliberately naive parser, independent of the code under test.
import { connect, type Socket } from 'node:net';
import type { Data } from '../../modern/data/index.ts';
import type { LocalParticipant, MessageHub, MessageOrigin } from '../../modern/hub.ts';

export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
  /** The frame's bytes as sent. */
  raw: Buffer;
}

/** Client frame (masked; mask key 00000000 like the capture unless given). */
export function clientFrame(opcode: number, payload: Uint8Array | string, mask: readonly number[] = [0, 0, 0, 0], fin = true): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const n = p.length;
  const head: number[] = [(fin ? 0x80 : 0) | opcode];
  if (n < 126) head.push(0x80 | n);
  else if (n < 65536) head.push(0x80 | 126, n >> 8, n & 0xff);
  else {
    head.push(0x80 | 127, 0, 0, 0, 0);
    head.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  head.push(...mask);
  const body = Buffer.from(p);
  for (let i = 0; i < n; i++) body[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([Buffer.from(head), body]);
}

export function upgradeRequest(path: string, port: number, extraHeaders: Record<string, string> = {}): Buffer {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: YnJva2VyLWJyaWRnZS0wMQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(extraHeaders).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** Splits a byte stream into complete frames; returns them and the unconsumed rest. */
export function parseFrames(b: Buffer, masked = false): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let at = 0;
  for (;;) {
    if (b.length - at < 2) break;
    const b0 = b[at]!;
    const b1 = b[at + 1]!;
    let len = b1 & 0x7f;
    let off = at + 2;
    if (len === 126) {
      if (b.length - off < 2) break;
      len = b.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (b.length - off < 8) break;
      len = Number(b.readBigUInt64BE(off));
      off += 8;
    }
    const isMasked = (b1 & 0x80) !== 0;
    if (isMasked !== masked) throw new Error(`frame at ${at}: masked=${isMasked}`);
    const key = isMasked ? b.subarray(off, off + 4) : undefined;
    if (key) off += 4;
    if (b.length - off < len) break;
    const payload = Buffer.from(b.subarray(off, off + len));
    if (key) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ key[i & 3]!;
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload, raw: Buffer.from(b.subarray(at, off + len)) });
    at = off + len;
  }
  return { frames, rest: b.subarray(at) };
}

/** A raw TCP client: exact bytes out, everything the server sent kept in order. */
export class RawClient {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  ended = false;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `pred` holds; rejects after `ms`. */
  async until(pred: () => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Length of the HTTP head (through CRLFCRLF), or -1 while incomplete. */
  get headLength(): number {
    const i = this.received.indexOf('\r\n\r\n');
    return i < 0 ? -1 : i + 4;
  }

  get head(): string {
    return this.received.subarray(0, this.headLength).toString('latin1');
  }

  /** Server frames after the HTTP head. */
  get frames(): ServerFrame[] {
    const h = this.headLength;
    return h < 0 ? [] : parseFrames(this.received.subarray(h)).frames;
  }

  get texts(): string[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString('utf8'));
  }

  /** Upgrade to /v1/messages/json (or `path`) and wait for the 101. */
  async upgrade(port: number, path = '/v1/messages/json', headers: Record<string, string> = {}): Promise<string> {
    this.send(upgradeRequest(path, port, headers));
    await this.until(() => this.headLength >= 0 || this.ended, 'HTTP response');
    return this.head;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A hub participant standing in for the native side: records what reaches it, publishes. */
export class Observer {
  readonly received: { topic: string; value: Data; origin: MessageOrigin }[] = [];
  private waiters: (() => void)[] = [];
  readonly handle;

  constructor(hub: MessageHub, filter: readonly string[], readonly id = `observer-${Math.random().toString(16).slice(2)}`) {
    const p: LocalParticipant = {
      id,
      onData: (topic, value, origin) => {
        this.received.push({ topic, value, origin });
        for (const w of this.waiters.splice(0)) w();
      },
    };
    this.handle = hub.attach(p, filter);
  }

  async until(n: number, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.received.length}/${n} messages`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Waits for an event-ish condition polled on the macrotask queue. */
export async function eventually(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
