// Replays the client side of the real Broker WebSocket session (websocket-json-session, conns 0–3)
// byte for byte against our server and checks every reply against what Broker's server sent. The
// native peer of the capture (websocket-native-leg) is played by a hub participant: its captured
// publications are decoded from the binary frames and published into the hub, and what our server
// forwards to it is re-encoded and compared with the binary frames Broker sent it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeData, encodeData } from '../../modern/data/index.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { peekEnvelope } from '../../modern/native/index.ts';
import { WebSocketServer } from '../../modern/websocket/index.ts';
import { loadCapture, payloadOf, referenceFrames } from './broker-fixtures.ts';
import { Observer, parseFrames, RawClient } from './websocket-helpers.ts';

const SERVER_ID = '77777777-7777-5777-8777-777777777777';
const capture = loadCapture('websocket-json-session.jsonl');

/** All bytes one side of one connection sent, concatenated. */
function stream(conn: number, dir: 'c2s' | 's2c'): Buffer {
  return Buffer.concat(capture.records.filter((r) => r.kind === 'data' && r.conn === conn && r.dir === dir).map((r) => (r.kind === 'data' ? r.bytes : new Uint8Array())));
}

function headEnd(b: Buffer): number {
  return b.indexOf('\r\n\r\n') + 4;
}

/** The captured client stream of a connection: its HTTP head and its frames (raw bytes kept). */
function clientSide(conn: number): { head: Buffer; frames: ReturnType<typeof parseFrames>['frames'] } {
  const c2s = stream(conn, 'c2s');
  const h = headEnd(c2s);
  const { frames, rest } = parseFrames(c2s.subarray(h), true);
  assert.is(rest.length, 0, `conn ${conn}: whole client stream cut into frames`);
  return { head: c2s.subarray(0, h), frames };
}

function serverTexts(conn: number): string[] {
  const s2c = stream(conn, 's2c');
  return parseFrames(s2c.subarray(headEnd(s2c))).frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString('utf8'));
}

const nativeLeg = referenceFrames('websocket-native-leg').filter((f) => f.msg === 'data').map((f) => peekEnvelope(payloadOf(f)));
/** What the native peer published (towards the WebSocket client). */
const fromNative = nativeLeg.filter((e) => e.topic.startsWith('/bridge/ws/'));
/** What Broker forwarded to the native peer from the WebSocket client. */
const toNative = nativeLeg.filter((e) => e.topic.startsWith('/bridge/test/'));

async function withServer(fn: (server: WebSocketServer, hub: LocalHub) => Promise<void>): Promise<void> {
  const hub = new LocalHub(SERVER_ID);
  const server = await WebSocketServer.listen(hub, { listen_port: 0, ping_interval: 0 });
  try {
    await fn(server, hub);
  } finally {
    await server.close();
  }
}

test('fixture sanity: 32 native publications, 36 forwarded values, 14 frames after the data phase', () => {
  assert.is(fromNative.length, 32);
  assert.is(toNative.length, 36);
  assert.is(clientSide(0).frames.length, 1 + 32 + 14 + 1);
});

test('conn 0: upgrade, ack, every type from the native side with Broker text, every type to it, the nine error replies', async () => {
  await withServer(async (server, hub) => {
    const port = server.address.port;
    const { head, frames } = clientSide(0);
    const capturedS2c = stream(0, 's2c');
    const captured = serverTexts(0);
    const native = new Observer(hub, ['/bridge/test']);
    const c = await RawClient.open(port);

    c.send(head);
    await c.until(() => c.headLength >= 0, '101');
    assert.is(c.head, capturedS2c.subarray(0, headEnd(capturedS2c)).toString('latin1'), '101 response byte for byte');

    c.send(frames[0]!.raw);
    await c.until(() => c.texts.length === 1, 'ack');
    assert.is(c.texts[0], captured[0]);
    assert.is(c.texts[0], `{"type":"ack","endpoint":"${SERVER_ID}","version":"2.8.0-dev"}`);

    for (const e of fromNative) hub.publish(e.topic, decodeData(e.body));
    await c.until(() => c.texts.length === 33, '32 data messages');
    assert.equal(c.texts.slice(1, 33), captured.slice(1, 33), 'data messages equal Broker text');
    assert.ok(c.frames.slice(0, 33).every((f) => f.fin && f.opcode === 1), 'one text frame per message');

    for (const f of frames.slice(1, 33)) c.send(f.raw);
    await native.until(32);
    for (let i = 0; i < 32; i++) {
      const got = native.received[i]!;
      assert.is(got.topic, toNative[i]!.topic);
      assert.equal(encodeData(got.value), new Uint8Array(toNative[i]!.body), `${got.topic}: same bin v1 bytes as Broker forwarded`);
      assert.is(got.origin.hop, SERVER_ID);
    }

    for (const f of frames.slice(33, 47)) c.send(f.raw);
    await c.until(() => c.texts.length === 33 + 9, 'nine error replies');
    await native.until(36);
    assert.equal(c.texts.slice(33), captured.slice(33), 'error replies equal Broker text (code and context)');
    for (let i = 32; i < 36; i++) {
      assert.is(native.received[i]!.topic, toNative[i]!.topic);
      assert.equal(encodeData(native.received[i]!.value), new Uint8Array(toNative[i]!.body));
    }
    assert.is(native.received.length, 36, 'the object without type/topic reached nobody');
    const stats = [...server.clientStats().values()][0]!;
    assert.is(stats.inputs, 46);
    assert.is(stats.errors, 9);

    // Client Close 1000 "done": the server ends TCP. (ws answers the Close frame first, as RFC 6455
    // asks; Broker did not.)
    const before = c.received.length;
    c.send(frames[47]!.raw);
    await c.closed;
    const after = parseFrames(c.received.subarray(before)).frames;
    assert.ok(after.every((f) => f.opcode === 8), 'nothing but a Close frame after the last error');
    assert.equal(c.received.subarray(0, before), capturedS2c, 'everything before the close equals the capture byte for byte');
  });
});

test('conn 1: wrong path → 400 text/plain with Broker body, byte for byte, then close', async () => {
  await withServer(async (server) => {
    const c = await RawClient.open(server.address.port);
    c.send(clientSide(1).head);
    await c.closed;
    assert.equal(c.received, stream(1, 's2c'));
    assert.is(server.stats.refusedUpgrades, 1);
  });
});

test('conn 2: first message not an array → Close 1011 with Broker reason, then TCP closed; byte for byte', async () => {
  await withServer(async (server) => {
    const c = await RawClient.open(server.address.port);
    const { head, frames } = clientSide(2);
    c.send(head);
    await c.until(() => c.headLength >= 0, '101');
    c.send(frames[0]!.raw);
    await c.closed;
    assert.equal(c.received, stream(2, 's2c'));
    const close = c.frames[0]!;
    assert.is(close.opcode, 8);
    assert.is(close.payload.readUInt16BE(0), 1011);
    assert.is(close.payload.subarray(2).toString(), 'caf::sec::disposed("destroyed producer_resource without opening it")');
  });
});

test('conn 3: [] → ack, then a binary frame → TCP dropped without a Close frame; byte for byte', async () => {
  await withServer(async (server) => {
    const c = await RawClient.open(server.address.port);
    const { head, frames } = clientSide(3);
    c.send(head);
    await c.until(() => c.headLength >= 0, '101');
    c.send(frames[0]!.raw);
    await c.until(() => c.texts.length === 1, 'ack');
    assert.is(frames[1]!.opcode, 2);
    c.send(frames[1]!.raw);
    await c.closed;
    assert.equal(c.received, stream(3, 's2c'));
    assert.ok(c.frames.every((f) => f.opcode !== 8), 'no Close frame');
  });
});

test.run();
