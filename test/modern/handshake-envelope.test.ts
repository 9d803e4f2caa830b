// Handshake messages and phase-3 envelopes: the spec's hex examples both ways, Broker's validation
// failures with their drop_conn codes, and malformed envelopes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../src/core/bytes.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { ErrorCode, errorCodeName } from '../../modern/constants.ts';
import { BrokerError } from '../../modern/errors.ts';
import { count, renderData, str, vector } from '../../modern/data/index.ts';
import {
  byePayload,
  compareEndpointIds,
  dataEnvelope,
  decodeEnvelope,
  decodeHandshake,
  dropConn,
  dropConnFor,
  encodeEnvelope,
  encodeHandshake,
  endpointIdBytes,
  hello,
  isByePayload,
  isEndpointId,
  NIL_ENDPOINT,
  originatorAck,
  originatorSyn,
  peekEnvelope,
  ping,
  pongFor,
  probe,
  randomEndpointId,
  responderSynAck,
  routingUpdate,
  versionSelect,
  withSender,
  writeEnvelope,
  writeHandshake,
  type Envelope,
  type HandshakeMessage,
} from '../../modern/native/index.ts';

const C = '11111111-1111-5111-8111-111111111111';
const A = '99999999-9999-5999-9999-999999999999';

function hs(msg: HandshakeMessage): string {
  const w = new ByteWriter(16);
  writeHandshake(w, msg);
  const hex = toHex(w.toBytes());
  assert.is(toHex(encodeHandshake(msg)), hex);
  return hex;
}

function env(e: Envelope): string {
  const w = new ByteWriter(16);
  writeEnvelope(w, e);
  const hex = toHex(w.toBytes());
  assert.is(toHex(encodeEnvelope(e)), hex);
  return hex;
}

function errorOf(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, BrokerError);
    return err as BrokerError;
  }
  throw new Error('expected a BrokerError');
}

test('spec §7 handshake frames', () => {
  const cases: [HandshakeMessage, string][] = [
    [hello(C), '00000017065a45454b111111111111511181111111111111110101'],
    [probe(), '00000005075a45454b'],
    [hello(A), '00000017065a45454b999999999999599999999999999999990101'],
    [versionSelect(C), '00000016085a45454b1111111111115111811111111111111101'],
    [originatorSyn(['/bench/ping']), '0000000e0a010b2f62656e63682f70696e67'],
    [responderSynAck(['/bench/ping']), '0000000e0b010b2f62656e63682f70696e67'],
    [originatorAck(), '000000010c'],
    [dropConn(A, ErrorCode.WRONG_MAGIC_NUMBER, 'wrong magic number'), '00000029095a45454b99999999999959999999999999999999261277726f6e67206d61676963206e756d626572'],
    [originatorSyn([]), '000000020a00'],
  ];
  for (const [msg, hex] of cases) {
    assert.is(hs(msg), hex, msg.type);
    assert.equal(decodeHandshake(fromHex(hex).subarray(4)), msg, msg.type);
  }
});

test('Broker\'s handshake checks map to drop_conn codes and texts', () => {
  const hex = (h: string) => fromHex(h).subarray(4);
  const badMagic = errorOf(() => decodeHandshake(hex('0000001706deadbeef111111111111511181111111111111110101')));
  assert.is(badMagic.code, 'wrong_magic_number');
  assert.is(badMagic.ec, 38);
  assert.is(badMagic.reason, 'wrong magic number');
  const versions = errorOf(() => decodeHandshake(hex('00000017065a45454b111111111111511181111111111111110203')));
  assert.is(versions.code, 'unsupported_version');
  assert.is(versions.ec, ErrorCode.PEER_INCOMPATIBLE);
  assert.is(versions.reason, 'unsupported versions offered');
  const badTag = errorOf(() => decodeHandshake(hex('0000000142')));
  assert.is(badTag.code, 'invalid_message_type');
  assert.is(badTag.ec, 20);
  assert.is(badTag.reason, 'invalid message type tag');
  // A phase-3 envelope sent instead of hello starts with an id byte: the same code 20 answer.
  const envFirst = errorOf(() => decodeHandshake(fromHex(env(dataEnvelope(C, NIL_ENDPOINT, '/x', count(1)))).subarray(4)));
  assert.is(envFirst.ec, 20);
  const truncated = errorOf(() => decodeHandshake(hex('0000000a065a45454b1111111111')));
  assert.is(truncated.code, 'truncated');
  assert.is(truncated.ec, ErrorCode.INVALID_MESSAGE);
  const selected = errorOf(() => decodeHandshake(hex('00000016085a45454b1111111111115111811111111111111102')));
  assert.is(selected.ec, ErrorCode.PEER_INCOMPATIBLE);
  assert.is(errorOf(() => decodeHandshake(hex('0000000507deadbeef'))).code, 'wrong_magic_number');
  // The drop_conn Broker answers with.
  assert.is(hs(dropConnFor(A, badMagic)), '00000029095a45454b99999999999959999999999999999999261277726f6e67206d61676963206e756d626572');
  assert.is(errorCodeName(dropConnFor(A, versions).code), 'peer_incompatible');
});

test('decoding without validation shows what was received; trailing bytes only in strict mode', () => {
  const h = decodeHandshake(fromHex('06deadbeef111111111111511181111111111111110203'), { validate: false });
  assert.equal(h, { type: 'hello', magic: 0xdeadbeef, sender: C, minVersion: 2, maxVersion: 3 });
  assert.equal(decodeHandshake(fromHex('0cff')), { type: 'originator_ack' });
  assert.is(errorOf(() => decodeHandshake(fromHex('0cff'), { rejectTrailing: true })).code, 'trailing_bytes');
});

test('drop_conn: unknown codes read as unspecified, the raw code is kept', () => {
  const w = new ByteWriter(8);
  writeHandshake(w, { type: 'drop_conn', magic: 0x5a45454b, sender: A, rawCode: 200, code: ErrorCode.UNSPECIFIED, description: 'x' });
  const d = decodeHandshake(w.toBytes().subarray(4));
  assert.equal(d, { type: 'drop_conn', magic: 0x5a45454b, sender: A, rawCode: 200, code: 1, description: 'x' });
});

test('spec §7 envelopes: data, routing_update, BYE ping and pong', () => {
  const data = dataEnvelope(C, NIL_ENDPOINT, '/bench/ping', vector([str('ping'), count(0), str('')]));
  const dataHex =
    '00000043' + '11111111111151118111111111111111' + '00000000000000000000000000000000' + '01' + '0010' + '000b2f62656e63682f70696e67' + '0e0305047069' + '6e67020000000000000000' + '0500';
  assert.is(env(data), dataHex);
  assert.equal(decodeEnvelope(fromHex(dataHex).subarray(4)), data);
  const p = ping(C, A, fromHex('4259450100000000000010'));
  const pingHex = '0000003311111111111151118111111111111111999999999999599999999999999999990400100003' + '3c243e4259450100000000000010';
  assert.is(env(p), pingHex);
  assert.is(env(pongFor(p)), '0000003399999999999959999999999999999999111111111111511181111111111111110500100003' + '3c243e4259450100000000000010');
  assert.ok(isByePayload(p.payload));
  assert.is(toHex(byePayload(0x1000000000000001n)), '4259450100000000000010');
  const ru = routingUpdate('e4c548df-23b1-5701-bdc9-2c1a6c82d364', '71c42065-37ee-541e-9e55-85f5e0d53fb9', ['/bridge/extra', '/bridge/reply']);
  const ruHex = '00000045e4c548df23b15701bdc92c1a6c82d36471c4206537ee541e9e5585f5e0d53fb903001000033c243e020d2f6272696467652f65787472610d2f6272696467652f7265706c79';
  assert.is(env(ru), ruHex);
  assert.equal(decodeEnvelope(fromHex(ruHex).subarray(4)), ru);
});

test('peekEnvelope reads only the header; withSender rewrites the previous hop', () => {
  const payload = fromHex(env(dataEnvelope(C, NIL_ENDPOINT, '/t', count(42)))).subarray(4);
  const raw = peekEnvelope(payload);
  assert.is(raw.type, 'data');
  assert.is(raw.topic, '/t');
  assert.is(raw.bodyOffset, 39);
  assert.is(toHex(raw.body), '02000000000000002a');
  const forwarded = decodeEnvelope(withSender(payload, A));
  assert.is(forwarded.sender, A);
  assert.is(renderData((forwarded as Extract<Envelope, { type: 'data' }>).value), '42u');
  assert.is(peekEnvelope(payload).sender, C, 'the original is untouched');
});

test('malformed envelopes are typed errors (Broker drops them)', () => {
  const good = fromHex(env(dataEnvelope(C, NIL_ENDPOINT, '/t', count(42)))).subarray(4);
  assert.is(errorOf(() => decodeEnvelope(good.subarray(0, 36))).code, 'message_too_short');
  const badType = good.slice();
  badType[32] = 6;
  assert.is(errorOf(() => decodeEnvelope(badType)).code, 'invalid_message_type');
  const longTopic = good.slice();
  longTopic[36] = 200;
  assert.is(errorOf(() => decodeEnvelope(longTopic)).code, 'truncated');
  assert.is(errorOf(() => decodeEnvelope(good.subarray(0, 39))).code, 'truncated', 'empty data payload');
  const trailing = new Uint8Array([...good, 0]);
  assert.is(errorOf(() => decodeEnvelope(trailing)).code, 'trailing_bytes');
  const badData = good.slice();
  badData[39] = 0x20;
  const e = errorOf(() => decodeEnvelope(badData));
  assert.is(e.code, 'invalid_tag');
  assert.is(e.offset, 39, 'offsets count from the start of the frame payload');
  const badTopic = good.slice();
  badTopic[37] = 0xff;
  assert.is(errorOf(() => decodeEnvelope(badTopic)).code, 'invalid_topic');
});

test('endpoint ids: text form sorts like the bytes; random ids look like Broker\'s', () => {
  assert.ok(compareEndpointIds(C, A) < 0);
  assert.ok(compareEndpointIds('00000000-0000-5000-8000-000000000001', C) < 0);
  assert.ok(compareEndpointIds('a0000000-0000-0000-0000-000000000000', '90000000-0000-0000-0000-000000000000') > 0);
  assert.is(toHex(endpointIdBytes('E4C548DF-23B1-5701-BDC9-2C1A6C82D364')), 'e4c548df23b15701bdc92c1a6c82d364');
  assert.throws(() => endpointIdBytes('not-an-id'), (e: unknown) => e instanceof BrokerError && e.code === 'invalid_argument');
  const id = randomEndpointId();
  assert.ok(isEndpointId(id));
  assert.is(id[14], '5');
  assert.ok('89ab'.includes(id[19]!));
  assert.is.not(randomEndpointId(), id);
});

test.run();
