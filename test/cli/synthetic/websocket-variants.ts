// SYNTHETIC WebSocket (Broker/Zeek JSON API) captures: masking with a real key, fragmentation with
// control frames in between, pings and pongs with binary payloads, close codes, the HTTP head in
// 1-byte reads, every JSON value type; and a connection with permessage-deflate (RFC 7692).
import { createHash } from 'node:crypto';
import { Deflate } from 'pako';
import { TranscriptBuilder } from './session.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = createHash('sha1').update(`${KEY}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const MASK = [0x12, 0x34, 0x56, 0x78];

const request = (extra: string) =>
  `GET /v1/messages/json HTTP/1.1\r\nHost: 127.0.0.1:27759\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}X-Application-Name: synth\r\n\r\n`;
const response = (extra: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${ACCEPT}\r\n${extra}\r\n`;

export function wsFrame(opcode: number, payload: Uint8Array | string, o: { fin?: boolean; mask?: readonly number[]; rsv1?: boolean } = {}): Uint8Array {
  const body = Buffer.from(typeof payload === 'string' ? Buffer.from(payload) : payload);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode];
  const m = o.mask ? 0x80 : 0;
  if (body.length < 126) head.push(m | body.length);
  else if (body.length < 65536) head.push(m | 126, body.length >> 8, body.length & 255);
  else head.push(m | 127, 0, 0, 0, 0, (body.length >>> 24) & 255, (body.length >>> 16) & 255, (body.length >>> 8) & 255, body.length & 255);
  if (o.mask) {
    head.push(...o.mask);
    for (let i = 0; i < body.length; i++) body[i]! ^= o.mask[i & 3]!;
  }
  return Buffer.concat([Buffer.from(head), body]);
}

const V = (t: string, d: unknown) => ({ '@data-type': t, data: d });
const dataMessage = (topic: string, value: { '@data-type': string; data: unknown }) => JSON.stringify({ type: 'data-message', topic, ...value });

/** A Zeek event `ping(...)` whose arguments use every JSON type, some in their input-only forms. */
export const WS_EVENT = dataMessage(
  '/t/ev',
  V('vector', [
    V('count', 1),
    V('count', 1),
    V('vector', [
      V('string', 'ping'),
      V('vector', [
        V('timestamp', '2023-11-14T22:13:20.123456789Z'),
        V('real', 1.5),
        V('timespan', '-2min'),
        V('port', '8080'),
        V('table', [{ key: V('vector', [V('count', 1)]), value: V('none', {}) }]),
        V('set', [V('address', '::ffff:1.2.3.4'), V('subnet', '10.0.0.0/8')]),
        V('enum-value', 'Log::WRITER_ASCII'),
        V('integer', -9007199254740991),
        V('boolean', false),
        V('string', 'é\t"x"'),
      ]),
    ]),
  ]),
);

/** A sender's permessage-deflate stream: sync-flushed messages without their 00 00 ff ff tail. */
function compressor(contextTakeover: boolean): (text: string) => Uint8Array {
  let d = new Deflate({ raw: true });
  return (text) => {
    if (!contextTakeover) d = new Deflate({ raw: true });
    const parts: Uint8Array[] = [];
    d.onData = (c: Uint8Array) => void parts.push(c);
    d.push(Buffer.from(text), 2);
    const all = Buffer.concat(parts);
    return all.subarray(0, all.length - 4);
  };
}

export function websocketVariants(): string {
  const out = new TranscriptBuilder({ capture: 'websocket-variants', client: 'SYNTHETIC (our frames)', server: 'SYNTHETIC (our frames)', notes: 'SYNTHETIC: masking, fragmentation, control frames, close codes; conn 1 with permessage-deflate' });
  // conn 0
  out.raw(0, 'c2s', Buffer.from(request('')), [1]);
  out.raw(0, 's2c', Buffer.from(response('')));
  out.raw(0, 'c2s', wsFrame(1, '["/t"]', { mask: MASK }));
  out.raw(0, 's2c', wsFrame(1, '{"type":"ack","endpoint":"77777777-7777-5777-8777-777777777777-websocket-1","version":"8.0.0"}'));
  const ev = Buffer.from(WS_EVENT);
  out.raw(
    0,
    'c2s',
    Buffer.concat([
      wsFrame(1, ev.subarray(0, 10), { mask: MASK, fin: false }),
      wsFrame(9, 'ka', { mask: MASK }),
      wsFrame(0, ev.subarray(10, 200), { mask: MASK, fin: false }),
      wsFrame(10, '', { mask: MASK }),
      wsFrame(0, ev.subarray(200), { mask: MASK }),
    ]),
    [7],
  );
  out.raw(0, 's2c', wsFrame(1, ev));
  out.raw(0, 's2c', wsFrame(9, new Uint8Array([0xff, 0])));
  out.raw(0, 'c2s', wsFrame(10, new Uint8Array([0xff, 0]), { mask: MASK }));
  out.raw(0, 's2c', wsFrame(1, '{"type":"error","code":"deserialization_failed","context":"input #2 contained invalid data"}'));
  out.raw(0, 's2c', wsFrame(1, dataMessage('/t/long', V('string', 'q'.repeat(300)))));
  out.raw(0, 'c2s', wsFrame(8, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('custom')]), { mask: MASK }));
  out.raw(0, 's2c', wsFrame(8, Buffer.from([0x03, 0xe9])));
  out.eof(0, 'c2s');
  out.eof(0, 's2c');
  // conn 1: permessage-deflate; the server keeps its window, the client does not.
  const server = compressor(true);
  const client = compressor(false);
  out.raw(1, 'c2s', Buffer.from(request('Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n')));
  out.raw(1, 's2c', Buffer.from(response('Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n')));
  out.raw(1, 'c2s', wsFrame(1, client('["/t"]'), { mask: MASK, rsv1: true }));
  out.raw(1, 's2c', wsFrame(1, server('{"type":"ack","endpoint":"e","version":"8.0.0"}'), { rsv1: true }));
  out.raw(1, 's2c', wsFrame(1, server(WS_EVENT), { rsv1: true }));
  out.raw(1, 's2c', wsFrame(1, server(WS_EVENT), { rsv1: true }));
  const c2 = client(WS_EVENT);
  out.raw(1, 'c2s', Buffer.concat([wsFrame(1, c2.subarray(0, 20), { mask: MASK, rsv1: true, fin: false }), wsFrame(0, c2.subarray(20), { mask: MASK })]));
  out.raw(1, 's2c', wsFrame(1, '{"type":"ack"}'));
  out.raw(1, 's2c', wsFrame(2, server('binary!'), { rsv1: true }));
  out.raw(1, 's2c', wsFrame(1, new Uint8Array([1, 2, 3, 4, 5]), { rsv1: true }));
  out.raw(1, 'c2s', wsFrame(8, Buffer.from([0x03, 0xe8]), { mask: MASK }));
  out.eof(1, 'c2s');
  out.eof(1, 's2c');
  return out.text();
}
