// Every frame of every native capture (plaintext, incl. the decrypted TLS transcript) through the
// capture decoder and the codecs, compared with the reference decoder's view (*.decoded.jsonl),
// and re-encoded to the captured bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../src/core/bytes.ts';
import type { Capture, DecodedMessage, Direction } from '../../src/core/capture/types.ts';
import { stringifyJson, toHex } from '../../src/core/json.ts';
import { decodeData, encodeData, dataToJsonObject, renderData } from '../../modern/data/index.ts';
import { brokerDecoder, decodeEnvelope, decodeHandshake, frame, writeEnvelope, writeHandshake, type Envelope } from '../../modern/native/index.ts';
import { captureFrames, loadCapture, NATIVE_CAPTURES, payloadOf, referenceFrames, webSocketTexts, type ReferenceFrame } from './broker-fixtures.ts';

interface Line extends DecodedMessage {
  conn: number;
  dir: Direction;
}

function decodeAll(capture: Capture): Line[] {
  const sessions = new Map<number, ReturnType<ReturnType<typeof brokerDecoder>['session']>>();
  const out: Line[] = [];
  for (const r of capture.records) {
    let s = sessions.get(r.conn);
    if (!s) sessions.set(r.conn, (s = brokerDecoder().session()));
    const msgs = r.kind === 'data' ? s.push(r.dir, r.bytes, r.t) : s.end(r.dir);
    for (const m of msgs) out.push({ conn: r.conn, dir: r.dir, ...m });
  }
  for (const [conn, s] of sessions) for (const dir of ['c2s', 's2c'] as const) for (const m of s.end(dir)) out.push({ conn, dir, ...m });
  return out;
}

const SCALAR_FIELDS = ['sender', 'receiver', 'ttl', 'topic', 'filter', 'magic', 'min_version', 'max_version', 'selected_version', 'code', 'description', 'payload_hex', 'bye_token'];

/** Frames the reference decoder shows but Broker drops (fixture native-rawclient-interop). */
const DROPPED: Record<string, string> = {
  '/bridge/test/raw/bad': 'invalid_tag',
  '/bridge/test/raw/dupset': 'duplicate_element',
};

function compareFrame(name: string, i: number, d: Line, ref: ReferenceFrame): void {
  const where = `${name} frame ${i} (${ref.msg})`;
  assert.is(d.conn, ref.conn, where);
  assert.is(d.dir, ref.dir, where);
  assert.is(d['frame_hex'], ref.frame_hex, where);
  assert.is(d['len'], ref['len'], where);
  const dropped = typeof ref['topic'] === 'string' ? DROPPED[ref['topic']] : undefined;
  if (dropped !== undefined) {
    assert.is(d.type, 'error', where);
    assert.is(d['code'], dropped, where);
    assert.is(d['action'], 'dropped', where);
    assert.is(d['topic'], ref['topic'], where);
    return;
  }
  assert.is(d.type, ref.msg, where);
  for (const k of SCALAR_FIELDS) if (k in ref) assert.equal(d[k], ref[k], `${where}: ${k}`);
  const payload = payloadOf(ref);
  if ('value' in ref) {
    const env = decodeEnvelope(payload) as Extract<Envelope, { type: 'data' }>;
    assert.is(renderData(env.value), ref['value'], `${where}: value`);
    assert.equal(d['value'], dataToJsonObject(env.value), `${where}: JSON view`);
  }
  if ('command' in ref) {
    const env = decodeEnvelope(payload) as Extract<Envelope, { type: 'command' }>;
    const refCmd = ref['command'] as Record<string, unknown>;
    const mine = d['command'] as Record<string, unknown>;
    const c = env.command.command;
    for (const [k, v] of Object.entries(refCmd)) {
      if (k === 'key' && 'key' in c) assert.is(renderData(c.key), v, `${where}: key`);
      else if (k === 'value' && 'value' in c) assert.is(renderData(c.value), v, `${where}: value`);
      else if (k === 'state' && c.type === 'ack_clone') assert.equal(c.snapshot.map(([a, b]) => `${renderData(a)} -> ${renderData(b)}`), v, `${where}: state`);
      else assert.equal(mine[k], v, `${where}: command.${k}`);
    }
    assert.equal(Object.keys(mine), Object.keys(refCmd), `${where}: command fields and their order`);
  }
}

function reencode(payload: Uint8Array, handshake: boolean): string {
  const w = new ByteWriter(64);
  if (handshake) writeHandshake(w, decodeHandshake(payload));
  else writeEnvelope(w, decodeEnvelope(payload));
  return toHex(w.toBytes());
}

for (const name of NATIVE_CAPTURES) {
  test(`${name}: every frame decodes like the reference view`, () => {
    const refs = referenceFrames(name);
    const lines = decodeAll(loadCapture(`${name}.jsonl`));
    assert.is(lines.length, refs.length, 'one decoded message per frame, no error lines');
    refs.forEach((ref, i) => compareFrame(name, i, lines[i]!, ref));
  });

  test(`${name}: every frame and every data value re-encodes to the captured bytes`, () => {
    let values = 0;
    for (const ref of referenceFrames(name)) {
      const payload = payloadOf(ref);
      const handshake = !('ttl' in ref);
      if (typeof ref['topic'] === 'string' && DROPPED[ref['topic']]) continue;
      assert.is(reencode(payload, handshake), ref.frame_hex, `${name} ${ref.msg}`);
      if (ref.msg === 'data') {
        const body = payload.subarray(37 + (ref['topic'] as string).length);
        assert.is(toHex(encodeData(decodeData(body))), toHex(body));
        values++;
      }
    }
    assert.ok(values > 0 || name === 'native-store-master-clone');
  });
}

test('pcap files hold the same frames as their transcripts', () => {
  for (const name of NATIVE_CAPTURES.filter((n) => !n.includes('.plain'))) {
    const key = (f: { conn: number; dir: string; payload: Uint8Array }) => `${f.conn}/${f.dir}/${toHex(f.payload)}`;
    const fromPcap = captureFrames(loadCapture(`${name}.pcap`)).map(key).sort();
    const fromJsonl = captureFrames(loadCapture(`${name}.jsonl`)).map(key).sort();
    assert.ok(fromPcap.length > 0, name);
    assert.equal(fromPcap, fromJsonl, name);
  }
});

test('pcap files decode to the same messages as their transcripts', () => {
  for (const name of ['native-alltypes', 'native-store-master-clone']) {
    const strip = (l: Line) => stringifyJson(l);
    const a = decodeAll(loadCapture(`${name}.pcap`)).map(strip).sort();
    const b = decodeAll(loadCapture(`${name}.jsonl`)).map(strip).sort();
    assert.equal(a, b, name);
  }
});

test('the decoded JSON view of each value equals what Broker wrote for it over WebSocket', () => {
  const broker = new Map<string, Record<string, unknown>>();
  for (const m of webSocketTexts()) {
    if (m.dir !== 's2c' || !m.text.startsWith('{"type":"data-message"')) continue;
    const v = JSON.parse(m.text) as Record<string, unknown>;
    broker.set(v['topic'] as string, { '@data-type': v['@data-type'], data: v['data'] });
  }
  const lines = decodeAll(loadCapture('websocket-native-leg.jsonl')).filter((l) => l.type === 'data' && broker.has(l['topic'] as string));
  assert.is(lines.length, 32);
  for (const l of lines) {
    // JSON.parse on both sides: 1.500000 and 1.5 meet as the same number.
    assert.equal(JSON.parse(stringifyJson(l['value'])), broker.get(l['topic'] as string), l['topic'] as string);
  }
  const ping = lines.find((l) => l['topic'] === '/bridge/ws/event/ping')!;
  assert.is(ping['event'], 'ping');
  assert.equal(JSON.parse(stringifyJson(ping['args'])), [
    { '@data-type': 'string', data: 'hi' },
    { '@data-type': 'count', data: 42 },
  ]);
});

test('Zeek events carry event name, args and metadata in the decoded view', () => {
  const lines = decodeAll(loadCapture('native-alltypes.jsonl'));
  const all = lines.find((l) => l['topic'] === '/bridge/test/event/all')!;
  assert.is(all['event'], 'bridge_all_types');
  assert.is((all['args'] as unknown[]).length, 29);
  assert.not.ok('metadata' in all);
  const meta = lines.find((l) => l['topic'] === '/bridge/test/event/usermeta')!;
  assert.is(meta['event'], 'bridge_user_meta');
  assert.equal(meta['metadata'], [
    { key: 1, value: { '@data-type': 'timestamp', data: '2023-11-14T22:13:20.500' } },
    { key: 200, value: { '@data-type': 'string', data: 'custom' } },
  ]);
  const reply = lines.find((l) => l['topic'] === '/bridge/reply')!;
  assert.is(reply['event'], 'bridge_reply');
  const bye = lines.find((l) => l['topic'] === '/bridge/test/stop')!;
  assert.not.ok('event' in bye);
  assert.equal(bye['value'], { '@data-type': 'string', data: 'bye' });
});

test('the encrypted TLS captures are not claimed by the broker decoder', () => {
  const d = brokerDecoder();
  for (const name of ['native-tls-anon.jsonl', 'native-tls-certs.jsonl']) {
    const capture = loadCapture(name);
    const first = (dir: Direction) => capture.records.find((r) => r.kind === 'data' && r.dir === dir && r.conn === 0);
    const c2s = first('c2s');
    const s2c = first('s2c');
    assert.ok(c2s?.kind === 'data' && s2c?.kind === 'data');
    if (c2s?.kind === 'data' && s2c?.kind === 'data') assert.not.ok(d.detect(c2s.bytes, s2c.bytes), name);
  }
  const plain = loadCapture('native-tls-certs.plain.jsonl');
  const c2s = plain.records.find((r) => r.kind === 'data' && r.dir === 'c2s');
  assert.ok(c2s?.kind === 'data' && d.detect(c2s.bytes, new Uint8Array(0)));
  assert.ok(frame(new Uint8Array([7])).length === 5);
});

test.run();
