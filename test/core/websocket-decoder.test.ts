import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCaptureFile } from '../../src/core/capture/read.ts';
import { websocketDecoder } from '../../src/core/capture/websocket/decoder.ts';
import { decodeCapture, type DecodedLine } from '../../src/cli/decode.ts';
import type { DecodedMessage, Direction } from '../../src/core/capture/types.ts';
import { fixtureDir } from './capture-helpers.ts';

const FIXTURE = `${fixtureDir('broker')}websocket-json-session.jsonl`;

async function decodeFixture(options = {}): Promise<DecodedLine[]> {
  const lines: DecodedLine[] = [];
  decodeCapture(await readCaptureFile(FIXTURE), { decoder: websocketDecoder(options) }, (l) => lines.push(l));
  return lines;
}

test("real session: every frame matches the recorder's own annotation, in order", async () => {
  const { readFile } = await import('node:fs/promises');
  const annotations = (await readFile(FIXTURE, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((a) => 'ws_opcode' in a || 'http' in a);
  const lines = await decodeFixture();
  // conn 1's refused upgrade: the recorder took the repeated 400 body for a frame; we do not.
  const expected = annotations.filter((a) => !(a['conn'] === 1 && 'ws_opcode' in a));
  const ours = lines.filter((l) => l.type !== 'http-trailing');
  assert.is(ours.length, expected.length);
  expected.forEach((a, i) => {
    const l = ours[i]!;
    const where = `#${i} conn ${String(a['conn'])} ${String(a['dir'])}`;
    assert.is(l.conn, a['conn'], where);
    assert.is(l.dir, a['dir'], where);
    assert.is(l.t, a['t'], where);
    if ('http' in a) {
      const startLine = String(a['http']).split('\r\n')[0]!;
      if (l.type === 'http-request') assert.is(`${String(l['method'])} ${String(l['path'])} ${String(l['version'])}`, startLine, where);
      else assert.is(`${String(l['version'])} ${String(l['status'])} ${String(l['reason'])}`, startLine, where);
      return;
    }
    switch (a['ws_opcode']) {
      case 1:
        if (l.type === 'subscribe') assert.equal(l['topics'], JSON.parse(String(a['text'])), where);
        else assert.is(l['text'], a['text'], where);
        break;
      case 2:
        assert.is(l.type, 'binary', where);
        assert.is(l['hex'], a['hex'], where);
        break;
      case 8:
        assert.is(l.type, 'close', where);
        assert.is(l['code'], a['close_code'], where);
        assert.is(l['reason'], a['text'], where);
        break;
      default:
        assert.unreachable(`unexpected opcode in ${where}`);
    }
  });
});

test('real session: Broker messages are recognised with exact 64-bit values', async () => {
  const lines = await decodeFixture();
  const conn0 = lines.filter((l) => l.conn === 0);
  const byType = (dir: Direction, type: string) => conn0.filter((l) => l.dir === dir && l.type === type);
  assert.is(byType('s2c', 'data-message').length, 32, '29 values + 3 events from the native peer');
  assert.is(byType('c2s', 'data-message').length, 32 + 11, '30 values + 2 events, then the error cases #35-#45 shaped as data messages');
  assert.is(byType('s2c', 'ack').length, 1);
  assert.equal(byType('c2s', 'subscribe')[0]!['topics'], ['/bridge/ws']);
  const errors = byType('s2c', 'error-message');
  assert.equal(
    errors.map((e) => /#(\d+)/.exec(String(e['context']))![1]),
    ['33', '34', '35', '36', '37', '38', '39', '40', '46'],
  );
  const countMax = conn0.find((l) => l['topic'] === '/bridge/ws/value/count-max')!;
  assert.is(countMax['data'], 18446744073709551615n);
  const intMin = conn0.find((l) => l['topic'] === '/bridge/ws/value/integer-min')!;
  assert.is(intMin['data'], -9223372036854775808n);
  assert.ok(lines.filter((l) => l.type === 'http-response' && l['status'] === 101).every((l) => l['accept_valid'] === true));
  assert.not.ok(lines.some((l) => l.type === 'error'), 'the real session has no protocol errors');
});

test('real session: refused upgrade, server close 1011, binary frame', async () => {
  const lines = await decodeFixture();
  const c1 = lines.filter((l) => l.conn === 1).map((l) => l.type);
  assert.equal(c1, ['http-request', 'http-response', 'http-trailing']);
  const resp = lines.find((l) => l.conn === 1 && l.type === 'http-response')!;
  assert.is(resp['status'], 400);
  assert.is(resp['body'], 'caf::sec::invalid_argument("invalid path; try /v1/messages/json")');
  const close = lines.find((l) => l.conn === 2 && l.type === 'close')!;
  assert.is(close['code'], 1011);
  assert.equal(lines.filter((l) => l.conn === 3).map((l) => l.type), ['http-request', 'http-response', 'subscribe', 'ack', 'binary']);
});

test('strict mode turns the repeated 400 body into an error line', async () => {
  const lines: DecodedLine[] = [];
  decodeCapture(await readCaptureFile(FIXTURE), { decoder: websocketDecoder(), strict: true }, (l) => lines.push(l));
  assert.equal(lines.filter((l) => l.type === 'error').map((l) => [l.conn, l['code']]), [[1, 'http_trailing_bytes']]);
});

test('describeData hook adds its fields to data messages', async () => {
  const seen: string[] = [];
  const lines = await decodeFixture({
    describeData: (v: { '@data-type': unknown }) => {
      seen.push(String(v['@data-type']));
      return v['@data-type'] === 'vector' ? { event: 'found' } : undefined;
    },
  });
  assert.ok(seen.length >= 64);
  const ev = lines.find((l) => l['topic'] === '/bridge/ws/event/ping')!;
  assert.is(ev['event'], 'found');
  assert.ok(Object.keys(ev).indexOf('event') < Object.keys(ev).indexOf('text'), 'raw text stays last');
  const failing = await decodeFixture({
    describeData: (m: { text: string }) => {
      if (m.text.includes('/value/port-')) throw Object.assign(new Error('nope'), { code: 'invalid_data' });
      return undefined;
    },
  });
  const ports = failing.filter((l) => String(l['text']).includes('/value/port-'));
  assert.ok(ports.length >= 4);
  assert.ok(ports.every((l) => l['describe_error'] === 'invalid_data'), 'the describer failure is shown on its message');
  assert.is(failing.filter((l) => l['describe_error'] !== undefined).length, ports.length, 'and only there; decoding goes on');
});

// ---- synthetic frames ----

const REQUEST = 'GET /v1/messages/json HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
const RESPONSE = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';

function frame(opcode: number, payload: Uint8Array | string, o: { fin?: boolean; key?: number[]; rsv?: number; len64?: boolean } = {}): Uint8Array {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = o.key ? 0x80 : 0;
  if (o.len64 || p.length > 65535) {
    head.push(m | 127, 0, 0, 0, 0, (p.length >>> 24) & 255, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255);
  } else if (p.length > 125) head.push(m | 126, p.length >> 8, p.length & 255);
  else head.push(m | p.length);
  const body = Buffer.from(p);
  if (o.key) {
    head.push(...o.key);
    for (let i = 0; i < body.length; i++) body[i]! ^= o.key[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), body]);
}

const KEY = [0x37, 0xfa, 0x21, 0x3d];

function run(c2s: Uint8Array[], s2c: Uint8Array[] = [], oneByte = false, options = {}): DecodedMessage[] {
  const session = websocketDecoder(options).session();
  const out: DecodedMessage[] = [];
  const feed = (dir: Direction, chunks: Uint8Array[]) => {
    for (const c of chunks) {
      if (oneByte) for (let i = 0; i < c.length; i++) out.push(...session.push(dir, c.subarray(i, i + 1), 0));
      else out.push(...session.push(dir, c, 0));
    }
  };
  feed('c2s', [Buffer.from(REQUEST)]);
  feed('s2c', [Buffer.from(RESPONSE), ...s2c]);
  feed('c2s', c2s);
  out.push(...session.end('c2s'), ...session.end('s2c'));
  return out.slice(2);
}

const SYNTH = [
  frame(1, '["/a"]', { key: KEY }),
  frame(1, '{"type":"data-', { key: KEY, fin: false }),
  frame(9, 'are you there', { key: KEY }), // control frame between fragments
  frame(0, 'message","topic":"/a/b","@data-type":"count","data":18446744073709551615}', { key: KEY }),
  frame(2, new Uint8Array(300).fill(7), { key: KEY }), // 16-bit length
  frame(2, new Uint8Array(70000).fill(1), { key: KEY }), // 64-bit length
  frame(1, 'tiny', { key: KEY, len64: true }), // 64-bit length for a small payload is legal
  frame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]), { key: KEY }),
];

test('fragmentation around a ping, 7/16/64-bit lengths, masking and close', () => {
  const msgs = run(SYNTH);
  assert.equal(
    msgs.map((m) => m.type),
    ['subscribe', 'ping', 'data-message', 'binary', 'binary', 'text', 'close'],
  );
  assert.is(msgs[1]!['text'], 'are you there');
  assert.is(msgs[2]!['data'], 18446744073709551615n);
  assert.is(msgs[2]!['frames'], 2);
  assert.is(msgs[3]!['length'], 300);
  assert.is(msgs[4]!['length'], 70000);
  assert.equal([msgs[6]!['code'], msgs[6]!['reason']], [1000, 'bye']);
});

test('byte-at-a-time input decodes identically', () => {
  assert.equal(run(SYNTH, [], true), run(SYNTH));
});

const codes = (msgs: DecodedMessage[]) => msgs.filter((m) => m.type === 'error').map((m) => m['code']);

test('protocol violations become error lines and decoding continues', () => {
  const msgs = run([
    frame(1, '[]'), // unmasked client frame
    frame(0, 'orphan', { key: KEY }),
    frame(3, 'x', { key: KEY }),
    frame(1, 'rsv', { key: KEY, rsv: 4 }),
    frame(9, 'x'.repeat(126), { key: KEY }),
    frame(1, Buffer.from([0xff, 0xfe]), { key: KEY }),
    frame(1, 'part', { key: KEY, fin: false }),
    frame(2, 'interrupts', { key: KEY }),
    frame(8, Buffer.from([3]), { key: KEY }),
    frame(1, 'after close', { key: KEY }),
  ]);
  assert.equal(codes(msgs), [
    'ws_mask_violation',
    'ws_unexpected_continuation',
    'ws_reserved_opcode',
    'ws_reserved_bits',
    'ws_bad_control_frame',
    'ws_invalid_utf8',
    'ws_interrupted_message',
    'ws_bad_close_payload',
    'ws_after_close',
  ]);
  assert.ok(msgs.some((m) => m.type === 'binary' && m['length'] === 10), 'the interrupting message itself is kept');
});

test('untrustworthy lengths stop the direction with one error; truncation is reported at the end', () => {
  const bad64 = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(codes(run([bad64, frame(1, 'ignored', { key: KEY })])), ['ws_bad_length']);
  assert.equal(codes(run([frame(2, new Uint8Array(2000), { key: KEY })], [], false, { maxFrameBytes: 1000 })), ['ws_frame_too_large']);
  assert.equal(codes(run([frame(1, 'ab', { key: KEY, fin: false }), frame(0, 'cd', { key: KEY })], [], false, { maxMessageBytes: 3 })), ['ws_message_too_large']);
  assert.equal(codes(run([frame(1, 'hello', { key: KEY }).subarray(0, 5)])), ['ws_truncated']);
});

test('HTTP that is not HTTP, and an endless head, are errors, not hangs', () => {
  const s = websocketDecoder({ maxHeadBytes: 100 }).session();
  assert.equal(codes(s.push('c2s', Buffer.from('\x00\x00\x00\x08binary'), 0)), ['http_malformed']);
  const t = websocketDecoder({ maxHeadBytes: 100 }).session();
  assert.equal(codes(t.push('c2s', Buffer.from('GET / HTTP/1.1\r\n' + 'X: y\r\n'.repeat(40)), 0)), ['http_head_too_large']);
});

test('replay view: run-to-run values are left out, the conversation shape is kept', () => {
  const cmp = websocketDecoder().comparable!;
  const ack = (endpoint: string) => ({ type: 'ack', endpoint, version: '2.8.0-dev', text: '…' });
  assert.equal(cmp(ack('a')), cmp(ack('b')));
  const data = (topic: string, ts: string) => ({ type: 'data-message', topic, '@data-type': 'timestamp', data: ts, text: ts });
  assert.equal(cmp(data('/t', '2023-01-01T00:00:00.000')), cmp(data('/t', '2024-01-01T00:00:00.000')));
  assert.not.equal(cmp(data('/t', 'x')), cmp(data('/u', 'x')));
  assert.not.equal(cmp({ type: 'close', code: 1000 }), cmp({ type: 'close', code: 1011 }));
});

test('detect: WebSocket upgrades yes; the binary protocols no', () => {
  const d = websocketDecoder();
  assert.ok(d.detect(Buffer.from(REQUEST), new Uint8Array(0)));
  assert.ok(d.detect(new Uint8Array(0), Buffer.from(RESPONSE)));
  assert.not.ok(d.detect(Buffer.from('0000000801000000', 'hex'), Buffer.from('00000005075a45454b', 'hex')));
  assert.not.ok(d.detect(Buffer.from('GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from('HTTP/1.1 200 OK\r\n')));
});

test.run();
