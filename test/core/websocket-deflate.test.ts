// permessage-deflate (RFC 7692) in captured WebSocket connections: negotiated in the 101 response,
// RSV1 on the first frame of a compressed message, the sender's trailing 00 00 ff ff removed, the
// window kept across messages unless `<side>_no_context_takeover`. Plus: an HTTP head arriving in
// tiny pieces is scanned once, not once per piece.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Deflate } from 'pako';
import { websocketDecoder } from '../../src/core/capture/websocket/decoder.ts';
import { negotiatedDeflate } from '../../src/core/capture/websocket/deflate.ts';
import type { DecodedMessage, Direction } from '../../src/core/capture/types.ts';

const REQUEST = 'GET /v1/messages/json HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n';
const response = (ext: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n${ext}\r\n`;
const KEY = [0x37, 0xfa, 0x21, 0x3d];

function frame(opcode: number, payload: Uint8Array | string, o: { fin?: boolean; key?: number[]; rsv1?: boolean } = {}): Uint8Array {
  const body = Buffer.from(typeof payload === 'string' ? Buffer.from(payload) : payload);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode];
  const m = o.key ? 0x80 : 0;
  if (body.length > 125) head.push(m | 126, body.length >> 8, body.length & 255);
  else head.push(m | body.length);
  if (o.key) {
    head.push(...o.key);
    for (let i = 0; i < body.length; i++) body[i]! ^= o.key[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), body]);
}

/** A sender's deflate stream: each message sync-flushed, its 00 00 ff ff tail removed. */
function compressor(contextTakeover: boolean) {
  let d = new Deflate({ raw: true });
  return (text: string): Uint8Array => {
    if (!contextTakeover) d = new Deflate({ raw: true });
    const parts: Uint8Array[] = [];
    d.onData = (c: Uint8Array) => void parts.push(c);
    d.push(Buffer.from(text), 2);
    const all = Buffer.concat(parts);
    assert.equal([...all.subarray(-4)], [0, 0, 0xff, 0xff]);
    return all.subarray(0, all.length - 4);
  };
}

function run(ext: string, c2s: Uint8Array[], s2c: Uint8Array[], options = {}): DecodedMessage[] {
  const session = websocketDecoder(options).session();
  const out: DecodedMessage[] = [];
  const feed = (dir: Direction, chunks: Uint8Array[]) => {
    for (const c of chunks) out.push(...session.push(dir, c, 0));
  };
  feed('c2s', [Buffer.from(REQUEST)]);
  feed('s2c', [Buffer.from(response(ext)), ...s2c]);
  feed('c2s', c2s);
  out.push(...session.end('c2s'), ...session.end('s2c'));
  return out.slice(2);
}

const EVENT = '{"type":"data-message","topic":"/t","@data-type":"count","data":42}';

test('negotiation is read from the response, per direction', () => {
  assert.is(negotiatedDeflate({ Upgrade: 'websocket' }), undefined);
  assert.is(negotiatedDeflate({ 'sec-websocket-extensions': 'x-webkit-deflate-frame' }), undefined);
  assert.equal(negotiatedDeflate({ 'Sec-WebSocket-Extensions': 'foo, permessage-deflate; server_no_context_takeover ; client_max_window_bits=10' }), {
    c2s: { noContextTakeover: false },
    s2c: { noContextTakeover: true },
  });
});

test('compressed messages inflate; the window carries over between messages (context takeover)', () => {
  const server = compressor(true);
  const a = server(EVENT);
  const b = server(EVENT); // mostly a back-reference into the previous message
  assert.ok(b.length < a.length / 2);
  const client = compressor(false);
  const sub = client('["/t"]');
  const msgs = run('Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n', [frame(1, sub, { key: KEY, rsv1: true })], [
    frame(1, a, { rsv1: true }),
    frame(1, b, { rsv1: true }),
    frame(1, '{"type":"ack"}'), // uncompressed messages stay allowed
    frame(2, server('raw bytes'), { rsv1: true }),
  ]);
  assert.equal(
    msgs.map((m) => [m.type, m['deflated']]),
    [
      ['data-message', a.length],
      ['data-message', b.length],
      ['ack', undefined],
      ['binary', msgs[3]!['deflated']],
      ['subscribe', sub.length],
    ],
  );
  assert.is(msgs[1]!['data'], 42);
  assert.is(Buffer.from(String(msgs[3]!['hex']), 'hex').toString(), 'raw bytes');
});

test('a fragmented compressed message (RSV1 on the first frame only), control frames in between', () => {
  const data = compressor(false)(EVENT);
  const msgs = run('Sec-WebSocket-Extensions: permessage-deflate\r\n', [frame(1, '[]', { key: KEY }), frame(1, data.subarray(0, 5), { key: KEY, rsv1: true, fin: false }), frame(9, 'hi', { key: KEY }), frame(0, data.subarray(5), { key: KEY })], []);
  assert.equal(msgs.map((m) => m.type), ['subscribe', 'ping', 'data-message']);
  assert.is(msgs[2]!['frames'], 2);
  assert.is(msgs[2]!['deflated'], data.length);
});

test('bad deflate data is an error line and the next message decodes; RSV1 without negotiation stays an error', () => {
  const server = compressor(false);
  const msgs = run('Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n', [], [frame(1, new Uint8Array([1, 2, 3, 4, 5]), { rsv1: true }), frame(1, server(EVENT), { rsv1: true }), frame(9, 'p', { rsv1: true })]);
  assert.equal(msgs.map((m) => m['code'] ?? m.type), ['ws_inflate_failed', 'data-message', 'ws_reserved_bits', 'ping']);
  const plain = run('', [], [frame(1, server(EVENT), { rsv1: true })]);
  assert.equal(plain.map((m) => m['code'] ?? m.type), ['ws_reserved_bits', 'ws_invalid_utf8']);
});

test('a message that inflates beyond the message limit is refused, not allocated', () => {
  const bomb = compressor(false)('['.repeat(200_000));
  assert.ok(bomb.length < 2000);
  const msgs = run('Sec-WebSocket-Extensions: permessage-deflate\r\n', [], [frame(1, bomb, { rsv1: true }), frame(1, compressor(false)('{"type":"ack"}'), { rsv1: true })], { maxMessageBytes: 100_000 });
  assert.equal(msgs.map((m) => m['code'] ?? m.type), ['ws_inflate_failed', 'ack']);
  assert.match(String(msgs[0]!['message']), /more than 100000 bytes/);
});

test('an HTTP head delivered one byte at a time decodes in linear time', () => {
  const filler = `X-Pad: ${'p'.repeat(50_000)}\r\n`;
  const head = Buffer.from(REQUEST.replace('\r\n\r\n', `\r\n${filler}\r\n`));
  const session = websocketDecoder().session();
  const started = Date.now();
  const out: DecodedMessage[] = [];
  for (let i = 0; i < head.length; i++) out.push(...session.push('c2s', head.subarray(i, i + 1), 0));
  assert.equal(out.map((m) => m.type), ['http-request']);
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});

test.run();
