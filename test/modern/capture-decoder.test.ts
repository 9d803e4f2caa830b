// The capture decoder on synthetic streams: detection, per-direction handshake tracking, and bad
// frames turned into error lines while decoding goes on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../src/core/bytes.ts';
import type { DecodedMessage } from '../../src/core/capture/types.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { count, set } from '../../modern/data/index.ts';
import {
  brokerDecoder,
  dataEnvelope,
  hello,
  NIL_ENDPOINT,
  originatorAck,
  originatorSyn,
  ping,
  probe,
  responderSynAck,
  versionSelect,
  writeEnvelope,
  writeHandshake,
  type Envelope,
  type HandshakeMessage,
} from '../../modern/native/index.ts';

const C = '11111111-1111-5111-8111-111111111111';
const A = '99999999-9999-5999-9999-999999999999';

function bytes(...msgs: (HandshakeMessage | Envelope | Uint8Array)[]): Uint8Array {
  const w = new ByteWriter(64);
  for (const m of msgs) {
    if (m instanceof Uint8Array) w.bytes(m);
    else if ('ttl' in m) writeEnvelope(w, m);
    else writeHandshake(w, m);
  }
  return w.toBytes();
}

test('detect: a hello or probe with the ZEEK magic at the start of either direction', () => {
  const d = brokerDecoder();
  const empty = new Uint8Array(0);
  assert.ok(d.detect(bytes(hello(C)), empty));
  assert.ok(d.detect(empty, bytes(probe())));
  assert.not.ok(d.detect(new TextEncoder().encode('GET /v1/messages/json HTTP/1.1\r\n'), empty));
  assert.not.ok(d.detect(fromHex('160303007a'), fromHex('1603030059')));
  assert.not.ok(d.detect(fromHex('00000017065a4545'), empty), 'too short to tell');
  assert.not.ok(d.detect(fromHex('0000000506deadbeef'), empty));
});

test('each direction leaves the handshake after its own originator_ack / responder_syn_ack', () => {
  const s = brokerDecoder().session();
  const c2s = bytes(hello(C), versionSelect(C), originatorSyn(['/a']), originatorAck(), dataEnvelope(C, NIL_ENDPOINT, '/a', count(1)));
  const s2c = bytes(probe(), hello(A), responderSynAck(['/b']), dataEnvelope(A, NIL_ENDPOINT, '/b', count(2)));
  const out: DecodedMessage[] = [...s.push('c2s', c2s, 0), ...s.push('s2c', s2c, 0)];
  assert.equal(
    out.map((m) => m.type),
    ['hello', 'version_select', 'originator_syn', 'originator_ack', 'data', 'probe', 'hello', 'responder_syn_ack', 'data'],
  );
  assert.equal(out[4]!['value'], { '@data-type': 'count', data: 1 });
  assert.is(out[8]!['sender'], A);
  assert.equal(s.end('c2s'), []);
});

test('handshake failures are drop_conn errors that still show the message; decoding goes on', () => {
  const s = brokerDecoder().session();
  const badMagic = fromHex('0000001706deadbeef111111111111511181111111111111110101');
  const out = s.push('c2s', Buffer.concat([badMagic, fromHex('0000000142'), bytes(hello(C))]), 0);
  assert.is(out.length, 3);
  assert.is(out[0]!.type, 'error');
  assert.is(out[0]!['code'], 'wrong_magic_number');
  assert.is(out[0]!['ec'], 'wrong_magic_number');
  assert.is(out[0]!['action'], 'drop_conn');
  assert.is(out[0]!['msg'], 'hello');
  assert.is(out[0]!['magic'], 'deadbeef');
  assert.is(out[0]!['frame_hex'], toHex(badMagic));
  assert.is(out[1]!['code'], 'invalid_message_type');
  assert.is(out[1]!['ec'], 'invalid_message');
  assert.is(out[2]!.type, 'hello');
});

test('phase-3 garbage is dropped with its envelope fields and the next frame decodes', () => {
  const s = brokerDecoder().session();
  s.push('c2s', bytes(originatorAck()), 0);
  const w = new ByteWriter(64);
  writeEnvelope(w, dataEnvelope(C, NIL_ENDPOINT, '/dup', set([count(1), count(2)])));
  const dup = w.toBytes();
  dup[dup.length - 1] = 1; // second element now equals the first
  const out = s.push('c2s', Buffer.concat([dup, fromHex('0000000301020300000000'), bytes(ping(C, A, new Uint8Array([1])))]), 0);
  assert.equal(
    out.map((m) => [m.type, m['code'], m['action']]),
    [
      ['error', 'duplicate_element', 'dropped'],
      ['error', 'message_too_short', 'dropped'],
      ['ping', undefined, undefined],
    ],
  );
  assert.is(out[0]!['topic'], '/dup');
  assert.is(out[0]!['msg'], 'data');
  assert.is(out[2]!['payload_hex'], '01');
  assert.not.ok('bye_token' in out[2]!);
});

test('fatal framing errors close the direction; a stream ending inside a frame is reported', () => {
  const s = brokerDecoder().session();
  const out = s.push('c2s', Buffer.concat([bytes(hello(C)), fromHex('00000000'), bytes(hello(C))]), 0);
  assert.equal(out.map((m) => m.type), ['hello', 'error']);
  assert.is(out[1]!['code'], 'empty_frame');
  assert.is(out[1]!['action'], 'close');
  assert.equal(s.push('c2s', bytes(hello(C)), 0), [], 'nothing more from a closed direction');
  assert.equal(s.push('s2c', fromHex('0000000507'), 0), []);
  const end = s.end('s2c');
  assert.is(end.length, 1);
  assert.is(end[0]!['code'], 'truncated');
  const strict = brokerDecoder().session({ strict: true });
  const trailing = strict.push('c2s', fromHex('000000020cff'), 0);
  assert.is(trailing[0]!['code'], 'trailing_bytes');
  assert.is(brokerDecoder().session().push('c2s', fromHex('000000020cff'), 0)[0]!.type, 'originator_ack');
});

test.run();
