// Shared helpers for the Broker fixture tests: reading the copied captures and the reference
// decoder's views. Frames are cut here with a deliberately naive reassembler, independent of the
// FrameReader under test.
import { readFileSync } from 'node:fs';
import { readCapture } from '../../src/core/capture/read.ts';
import type { Capture, Direction } from '../../src/core/capture/types.ts';
import { fromHex } from '../../src/core/json.ts';

export const NATIVE_CAPTURES = [
  'native-alltypes',
  'native-nodes-connector-originates',
  'native-nodes-acceptor-originates',
  'native-rawclient-interop',
  'native-reconnect',
  'native-store-master-clone',
  'native-tls-certs.plain',
  'websocket-native-leg',
] as const;

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../fixtures/broker/${name}`, import.meta.url)));
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../../fixtures/broker/${name}`, import.meta.url), 'utf8');
}

export function loadCapture(file: string): Capture {
  return readCapture(fixtureBytes(file));
}

export function jsonLines(file: string): Record<string, unknown>[] {
  return fixtureText(file)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The reference decoder's view, one object per frame (`*.decoded.jsonl`). */
export interface ReferenceFrame {
  t: number;
  dir: Direction;
  conn: number;
  msg: string;
  frame_hex: string;
  [field: string]: unknown;
}

export function referenceFrames(name: string): ReferenceFrame[] {
  return jsonLines(`${name}.decoded.jsonl`) as ReferenceFrame[];
}

/** Every frame payload of a capture, per connection and direction, in order. */
export function captureFrames(capture: Capture): { conn: number; dir: Direction; payload: Uint8Array }[] {
  const pending = new Map<string, Uint8Array>();
  const out: { conn: number; dir: Direction; payload: Uint8Array }[] = [];
  for (const r of capture.records) {
    if (r.kind !== 'data') continue;
    const key = `${r.conn}/${r.dir}`;
    const prev = pending.get(key) ?? new Uint8Array(0);
    let buf = new Uint8Array(prev.length + r.bytes.length);
    buf.set(prev);
    buf.set(r.bytes, prev.length);
    while (buf.length >= 4) {
      const n = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
      if (buf.length < 4 + n) break;
      out.push({ conn: r.conn, dir: r.dir, payload: buf.slice(4, 4 + n) });
      buf = buf.slice(4 + n);
    }
    pending.set(key, buf);
  }
  return out;
}

/** The payload of a reference frame (its frame_hex without the length prefix). */
export function payloadOf(ref: { frame_hex: string }): Uint8Array {
  return fromHex(ref.frame_hex).subarray(4);
}

/** Text messages of the WebSocket session, in capture order. */
export interface WsText {
  conn: number;
  dir: Direction;
  text: string;
}

export function webSocketTexts(): WsText[] {
  return jsonLines('websocket-json-session.jsonl')
    .filter((l) => l['ws_opcode'] === 1 && typeof l['text'] === 'string')
    .map((l) => ({ conn: l['conn'] as number, dir: l['dir'] as Direction, text: l['text'] as string }));
}
