// The native frame reader: any split of the byte stream yields the same frames; zero lengths are
// fatal during the handshake and skipped afterwards; limits and truncation are typed errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../src/core/bytes.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { BrokerError } from '../../modern/errors.ts';
import { beginFrame, endFrame, FrameReader, frame } from '../../modern/native/framing.ts';
import { captureFrames, loadCapture } from './broker-fixtures.ts';

/** The c2s byte stream of a capture's first connection and its frames. */
function stream(name: string): { bytes: Uint8Array; frames: string[] } {
  const capture = loadCapture(name);
  const parts = capture.records.filter((r) => r.kind === 'data' && r.conn === 0 && r.dir === 'c2s').map((r) => (r.kind === 'data' ? r.bytes : new Uint8Array(0)));
  const bytes = new Uint8Array(Buffer.concat(parts));
  const frames = captureFrames(capture)
    .filter((f) => f.conn === 0 && f.dir === 'c2s')
    .map((f) => toHex(f.payload));
  return { bytes, frames };
}

function drain(r: FrameReader, out: string[]): void {
  for (let f = r.next(); f !== undefined; f = r.next()) out.push(toHex(f));
}

test('one byte at a time yields every frame of a real capture', () => {
  const { bytes, frames } = stream('native-alltypes.jsonl');
  const r = new FrameReader({ phase: 'established' });
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    r.push(bytes.subarray(i, i + 1));
    drain(r, out);
  }
  assert.equal(out, frames);
  assert.ok(r.idle);
  r.end();
});

test('a split at every offset yields the same frames', () => {
  const { bytes, frames } = stream('native-nodes-connector-originates.jsonl');
  for (let cut = 0; cut <= bytes.length; cut++) {
    const r = new FrameReader({ phase: 'established' });
    const out: string[] = [];
    r.push(bytes.subarray(0, cut));
    drain(r, out);
    r.push(bytes.subarray(cut));
    drain(r, out);
    assert.equal(out, frames, `cut at ${cut}`);
    assert.is(r.buffered, 0);
  }
});

test('nextFrame: the same frames as next(), in place within a chunk, assembled across chunks', () => {
  const { bytes, frames } = stream('native-nodes-connector-originates.jsonl');
  for (const cut of [1, 5, 37, 200, bytes.length]) {
    const r = new FrameReader({ phase: 'established' });
    const out: string[] = [];
    let inPlace = 0;
    for (let at = 0; at < bytes.length; at += cut) {
      const chunk = bytes.subarray(at, at + cut);
      r.push(chunk);
      while (r.nextFrame()) {
        if (r.frameBytes === chunk) inPlace++;
        out.push(toHex(r.frameBytes.subarray(r.frameStart, r.frameEnd)));
      }
    }
    assert.equal(out, frames, `chunks of ${cut}`);
    if (cut === bytes.length) assert.is(inPlace, frames.length, 'one chunk: every frame in place');
    assert.is(r.buffered, 0);
    assert.is(r.frameBytes.length, 0, 'no chunk kept alive once drained');
  }
});

test('frames inside one chunk are views, split frames are assembled copies', () => {
  const bytes = fromHex('00000002aabb00000003ccddee');
  const r = new FrameReader();
  r.push(bytes.subarray(0, 11));
  const first = r.next()!;
  assert.is(first.buffer, bytes.buffer);
  assert.is(r.next(), undefined);
  assert.is(r.buffered, 5);
  r.push(bytes.subarray(11));
  const second = r.next()!;
  assert.is(toHex(second), 'ccddee');
  assert.is.not(second.buffer, bytes.buffer);
});

test('chunks pushed before draining are all kept', () => {
  const r = new FrameReader();
  r.push(fromHex('0000'));
  r.push(fromHex('0001'));
  r.push(fromHex('7f00'));
  r.push(fromHex('000001'));
  r.push(fromHex('0c'));
  const out: string[] = [];
  drain(r, out);
  assert.equal(out, ['7f', '0c']);
});

test('a zero length is fatal during the handshake and skipped afterwards', () => {
  const bytes = fromHex('00000000000000010c');
  const hs = new FrameReader();
  hs.push(bytes);
  try {
    hs.next();
    assert.unreachable();
  } catch (err) {
    assert.instance(err, BrokerError);
    assert.is((err as BrokerError).code, 'empty_frame');
    assert.is((err as BrokerError).ec, 20);
    assert.is((err as BrokerError).offset, 0);
  }
  const est = new FrameReader({ phase: 'established' });
  est.push(bytes);
  assert.is(toHex(est.next()!), '0c');
  assert.is(est.next(), undefined);
});

test('the phase can change between two frames of the same chunk', () => {
  // originator_ack, then an empty frame that is legal only once the handshake is over
  const r = new FrameReader();
  r.push(fromHex('000000010c000000000000000104'));
  assert.is(toHex(r.next()!), '0c');
  r.phase = 'established';
  assert.is(toHex(r.next()!), '04');
});

test('a length above the limit is rejected before any payload is buffered', () => {
  const r = new FrameReader({ maxFrameSize: 16 });
  r.push(fromHex('00000011'));
  try {
    r.next();
    assert.unreachable();
  } catch (err) {
    assert.is((err as BrokerError).code, 'frame_too_large');
  }
  // "GET " read as a length (spec §1.7) is far above the default limit.
  const http = new FrameReader();
  http.push(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
  assert.throws(() => http.next(), (e: unknown) => (e as BrokerError).code === 'frame_too_large');
});

test('a large frame arriving in pieces grows its buffer as bytes come', () => {
  const payload = new Uint8Array(300_000).map((_, i) => i & 0xff);
  const framed = frame(payload);
  const r = new FrameReader({ phase: 'established' });
  let got: Uint8Array | undefined;
  for (let i = 0; i < framed.length; i += 7001) {
    r.push(framed.subarray(i, i + 7001));
    got = r.next() ?? got;
  }
  assert.ok(got);
  assert.is(got!.length, payload.length);
  assert.ok(got!.every((b, i) => b === (i & 0xff)));
});

test('end() inside a frame is a truncation error; at a boundary it is fine', () => {
  const r = new FrameReader();
  r.push(fromHex('0000000506'));
  assert.is(r.next(), undefined);
  assert.throws(() => r.end(), (e: unknown) => e instanceof BrokerError && e.code === 'truncated');
  const h = new FrameReader();
  h.push(fromHex('0000'));
  assert.throws(() => h.end(), (e: unknown) => e instanceof BrokerError && e.code === 'truncated');
  const ok = new FrameReader();
  ok.push(fromHex('000000010c'));
  ok.next();
  ok.end();
});

test('beginFrame/endFrame write the length prefix', () => {
  const w = new ByteWriter(2);
  const at = beginFrame(w);
  w.u8(0x07).u32(0x5a45454b);
  endFrame(w, at);
  assert.is(toHex(w.toBytes()), '00000005075a45454b');
  assert.is(toHex(frame(fromHex('0c'))), '000000010c');
});

test.run();
