// Broker's JSON text, byte for byte: every value Broker sent in the WebSocket session is re-encoded
// from the binary form the native peer sent, and the scalar formats are checked at their edges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../src/core/json.ts';
import {
  ackToJson,
  addr,
  count,
  dataMessageToJson,
  dataMessageToJsonBytes,
  dataToJson,
  dataToJsonBytes,
  decodeData,
  enumValue,
  errorToJson,
  formatRealF,
  formatTimespan,
  formatTimestamp,
  integer,
  NONE,
  port,
  real,
  set,
  str,
  subnet,
  table,
  timespan,
  timestamp,
  vector,
} from '../../modern/data/index.ts';
import { decodeEnvelope, type Envelope } from '../../modern/native/index.ts';
import { payloadOf, referenceFrames, webSocketTexts } from './broker-fixtures.ts';

test('every data message Broker sent over WebSocket is reproduced from the native bytes', () => {
  const native = new Map<string, Extract<Envelope, { type: 'data' }>>();
  for (const ref of referenceFrames('websocket-native-leg')) {
    if (ref.msg === 'data') native.set(ref['topic'] as string, decodeEnvelope(payloadOf(ref)) as Extract<Envelope, { type: 'data' }>);
  }
  let n = 0;
  for (const m of webSocketTexts()) {
    if (m.dir !== 's2c' || !m.text.startsWith('{"type":"data-message"')) continue;
    const topic = (JSON.parse(m.text) as { topic: string }).topic;
    const env = native.get(topic);
    assert.ok(env, topic);
    assert.is(dataMessageToJson(topic, env!.value), m.text, topic);
    assert.is(Buffer.from(dataMessageToJsonBytes(topic, env!.value)).toString('utf8'), m.text);
    n++;
  }
  assert.is(n, 32);
});

test('ack and error envelopes match Broker text', () => {
  const texts = webSocketTexts().filter((m) => m.dir === 's2c');
  assert.ok(texts.some((m) => m.text === ackToJson('77777777-7777-5777-8777-777777777777', '2.8.0-dev')));
  const errors = texts.filter((m) => m.text.startsWith('{"type":"error"'));
  assert.is(errors.length, 9);
  for (const m of errors) {
    const { code, context } = JSON.parse(m.text) as { code: string; context: string };
    assert.is(errorToJson(code, context), m.text);
  }
});

test('reals are printf("%f"): 6 decimals, half-to-even on the exact binary value, huge and non-finite', () => {
  // Expected strings from C/Python '%f'.
  const cases: [number, string][] = [
    [1.5, '1.500000'],
    [-0.1, '-0.100000'],
    [3, '3.000000'],
    [0, '0.000000'],
    [-0, '-0.000000'],
    [1.25e-7, '0.000000'],
    [-1.25e-7, '-0.000000'],
    [0.0078125, '0.007812'],
    [0.0234375, '0.023438'],
    [-0.0234375, '-0.023438'],
    [5e-324, '0.000000'],
    [123456789.12345679, '123456789.123457'],
    [2 ** 53, '9007199254740992.000000'],
    [1e21, '1000000000000000000000.000000'],
    [1e22, '10000000000000000000000.000000'],
    [9.999999999999999e20, '999999999999999868928.000000'],
    [2.5e-6, '0.000003'],
    [0.1 + 0.2, '0.300000'],
    [1 / 3, '0.333333'],
    [1e15 + 0.3, '1000000000000000.250000'],
    [2 ** -20, '0.000001'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [x, s] of cases) assert.is(formatRealF(x), s, String(x));
  const huge = formatRealF(1e300);
  assert.is(huge.length, 301 + 7);
  assert.ok(huge.startsWith('1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160'));
  assert.is(formatRealF(Number.MAX_VALUE).length, 309 + 7);
  assert.is(dataToJson(real(NaN)), '{"@data-type":"real","data":nan}');
});

test('timestamps: UTC milliseconds, no zone, Broker\'s pre-epoch quirk', () => {
  assert.is(formatTimestamp(1_700_000_000_500_000_000n), '2023-11-14T22:13:20.500');
  assert.is(formatTimestamp(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123', 'sub-millisecond digits are cut');
  assert.is(formatTimestamp(0), '1970-01-01T00:00:00.000');
  assert.is(formatTimestamp(-1_500_000_000), '1969-12-31T23:59:59.000');
  assert.is(formatTimestamp(-500_000_000), '1970-01-01T00:00:00.000');
  assert.is(formatTimestamp(-(2n ** 63n)), '1677-09-21T00:12:44.000', 'seconds truncate toward zero');
  assert.is(formatTimestamp(2n ** 63n - 1n), '2262-04-11T23:47:16.854');
});

test('timespans: the largest exact unit of s/ms/us/ns, zero is 0s, never min or h', () => {
  const cases: [number | bigint, string][] = [
    [0, '0s'],
    [1_500_000_000, '1500ms'],
    [120_000_000_000, '120s'],
    [3_600_000_000_000n, '3600s'],
    [-1500, '-1500ns'],
    [-1_500_000, '-1500us'],
    [1, '1ns'],
    [2n ** 63n - 1n, '9223372036854775807ns'],
    [-(2n ** 63n), '-9223372036854775808ns'],
    [-9_000_000_000_000_000_000n, '-9000000000s'],
  ];
  for (const [v, s] of cases) assert.is(formatTimespan(v), s);
});

test('every type in Broker\'s shapes', () => {
  assert.is(dataToJson(NONE), '{"@data-type":"none","data":{}}');
  assert.is(dataToJson(count(2n ** 64n - 1n)), '{"@data-type":"count","data":18446744073709551615}');
  assert.is(dataToJson(integer(-(2n ** 63n))), '{"@data-type":"integer","data":-9223372036854775808}');
  assert.is(dataToJson(addr('2001:db8:0:0:1:0:0:1')), '{"@data-type":"address","data":"2001:db8::1:0:0:1"}');
  assert.is(dataToJson(addr('::1')), '{"@data-type":"address","data":"::1"}');
  assert.is(dataToJson(addr('1:0:2:0:3:0:4:0')), '{"@data-type":"address","data":"1:0:2:0:3:0:4:0"}');
  assert.is(dataToJson(subnet('192.168.7.9/16')), '{"@data-type":"subnet","data":"192.168.0.0/16"}');
  assert.is(dataToJson(port(0, 'unknown')), '{"@data-type":"port","data":"0/?"}');
  assert.is(dataToJson(timespan(0)), '{"@data-type":"timespan","data":"0s"}');
  assert.is(dataToJson(timestamp(0)), '{"@data-type":"timestamp","data":"1970-01-01T00:00:00.000"}');
  assert.is(dataToJson(enumValue('Conn::LOG')), '{"@data-type":"enum-value","data":"Conn::LOG"}');
  assert.is(dataToJson(vector([])), '{"@data-type":"vector","data":[]}');
  assert.is(dataToJson(set([])), '{"@data-type":"set","data":[]}');
  assert.is(dataToJson(table([])), '{"@data-type":"table","data":[]}');
  assert.is(
    dataToJson(table([[str('k'), vector([NONE])]])),
    '{"@data-type":"table","data":[{"key":{"@data-type":"string","data":"k"},"value":{"@data-type":"vector","data":[{"@data-type":"none","data":{}}]}}]}',
  );
});

test('string escaping: exactly \\\\ \\" \\b \\f \\n \\r \\t \\v, everything else raw', () => {
  const all = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('') + '"\\/\x7f';
  const out = dataToJson(str(all));
  const expected = `{"@data-type":"string","data":"\x00\x01\x02\x03\x04\x05\x06\x07\\b\\t\\n\\v\\f\\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\\"\\\\/\x7f"}`;
  assert.is(out, expected);
  assert.is(dataMessageToJson('a"b', NONE), '{"type":"data-message","topic":"a\\"b","@data-type":"none","data":{}}');
});

test('strings that are not UTF-8 are written as raw bytes (the text form replaces them)', () => {
  const v = vector([str(new Uint8Array([0x61, 0xff, 0x22, 0x0b])), str('ü')]);
  const bytes = dataToJsonBytes(v);
  const expected = Buffer.concat([
    Buffer.from('{"@data-type":"vector","data":[{"@data-type":"string","data":"a'),
    Buffer.from([0xff]),
    Buffer.from('\\"\\v"},{"@data-type":"string","data":"ü"}]}'),
  ]);
  assert.is(toHex(bytes), toHex(expected));
  assert.is(dataToJson(v), '{"@data-type":"vector","data":[{"@data-type":"string","data":"a\ufffd\\"\\v"},{"@data-type":"string","data":"ü"}]}');
  const decoded = decodeData(new Uint8Array([0x05, 0x01, 0xc3]));
  assert.is(toHex(dataToJsonBytes(decoded)), toHex(Buffer.concat([Buffer.from('{"@data-type":"string","data":"'), Buffer.from([0xc3]), Buffer.from('"}')])));
});

test.run();
