// Incoming WebSocket JSON: every message the client sent in the recorded session parses to exactly
// the binary value Broker forwarded on the native side, the error cases get Broker's error texts,
// and the acceptance rules hold at their edges.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../src/core/json.ts';
import { BrokerError, MalformedJsonError } from '../../modern/errors.ts';
import {
  count,
  dataToJson,
  encodeData,
  equalsData,
  errorToJson,
  jsonToData,
  jsonValueToData,
  parseDataMessage,
  parseJson,
  parseSubscriptions,
  renderData,
  webSocketErrorContext,
  type Data,
} from '../../modern/data/index.ts';
import { decodeEnvelope, type Envelope } from '../../modern/native/index.ts';
import { payloadOf, referenceFrames, webSocketTexts } from './broker-fixtures.ts';

function errorOf(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, BrokerError);
    return err as BrokerError;
  }
  throw new Error('expected a BrokerError');
}

const v = (dtype: string, data: string) => `{"@data-type":"${dtype}","data":${data}}`;
const parse = (dtype: string, data: string) => renderData(jsonToData(v(dtype, data)));
const code = (dtype: string, data: string) => errorOf(() => jsonToData(v(dtype, data))).code;

test('each client message of the session becomes the exact bytes Broker sent natively; errors get Broker\'s texts', () => {
  const native = new Map<string, string>();
  for (const ref of referenceFrames('websocket-native-leg')) {
    if (ref.msg !== 'data' || ref.dir !== 's2c') continue;
    const env = decodeEnvelope(payloadOf(ref)) as Extract<Envelope, { type: 'data' }>;
    native.set(env.topic, toHex(encodeData(env.value)));
  }
  const texts = webSocketTexts().filter((m) => m.conn === 0);
  const clientInputs = texts.filter((m) => m.dir === 'c2s').slice(1); // after the subscription
  const brokerErrors = texts.filter((m) => m.dir === 's2c' && m.text.startsWith('{"type":"error"')).map((m) => m.text);
  const myErrors: string[] = [];
  let accepted = 0;
  clientInputs.forEach((m, i) => {
    const n = i + 1;
    try {
      const msg = parseDataMessage(m.text);
      if (msg.topic === undefined) {
        assert.is(n, 45, 'only #45 has no topic; Broker accepts it silently');
        assert.ok(equalsData(msg.value, count(5)));
        return;
      }
      assert.is(msg.type, 'data-message');
      assert.is(toHex(encodeData(msg.value)), native.get(msg.topic as string), `#${n} ${String(msg.topic)}`);
      accepted++;
    } catch (err) {
      assert.instance(err, BrokerError, `#${n}`);
      myErrors.push(errorToJson((err as BrokerError).ecName, webSocketErrorContext(err as BrokerError, n)));
    }
  });
  assert.is(accepted, native.size);
  assert.equal(myErrors, brokerErrors);
});

test('number literals: integer vs real from the text, full 64-bit range', () => {
  assert.is(parse('count', '18446744073709551615'), '18446744073709551615u');
  assert.is(parse('count', '0'), '0u');
  assert.is(parse('count', '-0'), '0u');
  assert.is(parse('integer', '-9223372036854775808'), '-9223372036854775808');
  assert.is(parse('integer', '9223372036854775807'), '+9223372036854775807');
  assert.is(parse('integer', '42'), '+42');
  assert.is(parse('real', '1.0'), '1.0');
  assert.is(parse('real', '1e5'), '100000.0');
  assert.is(parse('real', '-2.5E-3'), '-0.0025');
  assert.is(parse('real', '1.25e-07'), '1.25e-07');
  assert.is(code('real', '1'), 'invalid_data');
  assert.is(code('count', '1.0'), 'invalid_data');
  assert.is(code('count', '1e2'), 'invalid_data');
  assert.is(code('count', '-1'), 'invalid_data');
  assert.is(code('integer', '9223372036854775808'), 'invalid_data');
  assert.is(code('count', '"5"'), 'invalid_data');
  assert.is(code('count', 'null'), 'invalid_data');
  const over = errorOf(() => jsonToData(v('count', '18446744073709551616')));
  assert.is(over.code, 'malformed_json');
  assert.is((over as MalformedJsonError).pec, 'integer_overflow');
  assert.is((errorOf(() => jsonToData(v('integer', '-9223372036854775809'))) as MalformedJsonError).pec, 'integer_underflow');
});

test('non-finite reals as Broker writes them are accepted unless disabled', () => {
  assert.is(parse('real', 'nan'), 'nan');
  assert.is(parse('real', 'inf'), 'inf');
  assert.is(parse('real', '-inf'), '-inf');
  assert.is(errorOf(() => jsonToData(v('real', 'nan'), { allowNonFinite: false })).code, 'malformed_json');
});

test('strings: standard escapes, \\v, \\u with surrogate pairs, raw control and non-UTF-8 bytes', () => {
  assert.is(parse('string', '"a\\tb\\vc\\/d\\"e\\\\f\\b\\f\\n\\r"'), "'a\\tb\\x0bc/d\"e\\\\f\\x08\\x0c\\n\\r'");
  assert.is(parse('string', '"\\u00fc\\ud83d\\ude00\\u0041"'), "'ü😀A'");
  assert.is(parse('string', '"\\ud800x"'), "'\ufffdx'");
  const raw = Buffer.concat([Buffer.from('{"@data-type":"string","data":"a'), Buffer.from([0x01, 0x0a, 0xff]), Buffer.from('"}')]);
  const d = jsonToData(raw);
  assert.equal(toHex(encodeData(d)), '0504610' + '10aff');
  assert.is(errorOf(() => jsonToData(v('string', '"\\x41"'))).code, 'malformed_json');
  assert.is(parse('enum-value', '"Log::WRITER_ASCII"'), 'enum(Log::WRITER_ASCII)');
});

test('ports: missing protocol is tcp, unknown protocol is ?, strtoul semantics', () => {
  assert.is(parse('port', '"8080"'), 'port(8080/tcp)');
  assert.is(parse('port', '"8080/sctp"'), 'port(8080/?)');
  assert.is(parse('port', '"53/udp"'), 'port(53/udp)');
  assert.is(parse('port', '"8/icmp"'), 'port(8/icmp)');
  assert.is(parse('port', '"0/?"'), 'port(0/?)');
  assert.is(parse('port', '"80/TCP"'), 'port(80/?)');
  assert.is(parse('port', '" 22abc"'), 'port(22/tcp)');
  assert.is(parse('port', '"70000/udp"'), 'port(4464/udp)');
  assert.is(code('port', '"99999999999999999999999/tcp"'), 'invalid_data');
  assert.is(code('port', '80'), 'invalid_data');
});

test('timespans: ns/us/ms/s/min/h, signs and decimals; d and missing units rejected', () => {
  const ns = (s: string) => parse('timespan', JSON.stringify(s));
  assert.is(ns('2min'), 'span(120000000000ns)');
  assert.is(ns('1.5s'), 'span(1500000000ns)');
  assert.is(ns('3h'), 'span(10800000000000ns)');
  assert.is(ns('-1500ns'), 'span(-1500ns)');
  assert.is(ns('+7us'), 'span(7000ns)');
  assert.is(ns('0.1s'), 'span(100000000ns)');
  assert.is(ns('1.0000000005s'), 'span(1000000000ns)');
  assert.is(ns('0s'), 'span(0ns)');
  for (const bad of ['1d', '1.5', '1 s', 's', '1.s', '9223372036854775808ns', '']) assert.is(code('timespan', JSON.stringify(bad)), 'invalid_data', bad);
});

test('timestamps: ISO 8601 with fractions up to ns, Z or offsets, no zone = UTC', () => {
  const ts = (s: string) => parse('timestamp', JSON.stringify(s));
  assert.is(ts('2023-11-14T22:13:20.500'), 'ts(1700000000500000000ns)');
  assert.is(ts('2023-11-14T22:13:20Z'), 'ts(1700000000000000000ns)');
  assert.is(ts('2023-11-14T22:13:20.123456789'), 'ts(1700000000123456789ns)');
  assert.is(ts('2023-11-14T23:13:20+01:00'), 'ts(1700000000000000000ns)');
  assert.is(ts('2023-11-14T20:43:20-0130'), 'ts(1700000000000000000ns)');
  assert.is(ts('2023-11-14T23:13:20+01'), 'ts(1700000000000000000ns)');
  assert.is(ts('1969-12-31T23:59:59.5Z'), 'ts(-500000000ns)');
  assert.is(ts('2024-02-29T00:00:00'), 'ts(1709164800000000000ns)');
  for (const bad of ['2023-02-29T00:00:00', '2023-11-14 22:13:20', '2023-11-14T22:13:20.1234567891', '2023-11-14T24:00:00', '2023-13-01T00:00:00', '2023-11-14T22:13:20.', '3000-01-01T00:00:00']) {
    assert.is(code('timestamp', JSON.stringify(bad)), 'invalid_data', bad);
  }
});

test('addresses and subnets as Broker converts them', () => {
  assert.is(parse('address', '"10.1.2.3"'), 'addr(10.1.2.3)');
  assert.is(parse('address', '"::ffff:10.1.2.3"'), 'addr(10.1.2.3)');
  assert.is(parse('address', '"2001:DB8::0:1"'), 'addr(2001:db8::1)');
  assert.is(parse('address', '"::"'), 'addr(::)');
  for (const bad of ['not-an-ip', '1.2.3', '1.2.3.256', '1::2::3', '2001:db8::1%eth0', '']) assert.is(code('address', JSON.stringify(bad)), 'invalid_data', bad);
  assert.is(parse('subnet', '"10.1.2.3/8"'), 'subn(10.0.0.0/8)');
  assert.is(parse('subnet', '"2001:db8::1/32"'), 'subn(2001:db8::/32)');
  assert.is(parse('subnet', '"10.0.0.0/33"'), 'subn(::/0)', 'Broker falls back to its default subnet');
  for (const bad of ['10.0.0.0', '10.0.0.0/x', 'nope/8', '10.0.0.0/256']) assert.is(code('subnet', JSON.stringify(bad)), 'invalid_data', bad);
});

test('containers keep input order; member order and extra members do not matter', () => {
  assert.is(parse('set', `[${v('count', '2')},${v('count', '1')}]`), '{2u, 1u}');
  assert.is(renderData(jsonToData('{"data":[{"data":7,"@data-type":"count"}],"x":[1,{"y":null}],"@data-type":"vector"}')), '[7u]');
  assert.is(renderData(jsonToData('{"@data-type":"table","data":[{"value":{"@data-type":"none"},"key":{"@data-type":"string","data":"k"}}]}')), "{'k' -> nil}");
  assert.is(renderData(jsonToData('{"@data-type":"none"}')), 'nil', 'none needs no data');
  assert.is(renderData(jsonToData('{"data":{"@data-type":"count","data":1},"@data-type":"table"}'.replace('{"@data-type":"count","data":1}', '[]'))), '{}');
  assert.is(renderData(jsonToData(' \n{"@data-type" : "vector" , "data" : [ ] }\t')), '[]');
});

test('invalid data anywhere inside a value, and precedence: malformed > not an object > invalid > duplicate', () => {
  assert.is(code('vector', '[1]'), 'invalid_data');
  assert.is(code('vector', `[${v('count', '1')},${v('real', '1')}]`), 'invalid_data');
  assert.is(code('table', `[{"key":${v('count', '1')}}]`), 'invalid_data');
  assert.is(code('no-such-type', '1'), 'invalid_data');
  assert.is(errorOf(() => jsonToData('{"data":1}')).code, 'invalid_data');
  assert.is(errorOf(() => jsonToData('{"@data-type":5,"data":1}')).code, 'invalid_data');
  assert.is(code('set', `[${v('count', '1')},${v('count', '1')}]`), 'duplicate_element');
  assert.is(code('table', `[{"key":${v('count', '1')},"value":${v('none', '{}')}},{"key":${v('count', '1')},"value":${v('count', '2')}}]`), 'duplicate_element');
  // A later invalid element wins over an earlier duplicate, a later syntax error over both.
  assert.is(code('vector', `[${v('set', `[${v('count', '1')},${v('count', '1')}]`)},${v('count', '-1')}]`), 'invalid_data');
  assert.is(errorOf(() => jsonToData(`{"@data-type":"count","data":-1,}`)).code, 'malformed_json');
  assert.is(errorOf(() => jsonToData('[1,2,3]')).code, 'not_an_object');
  assert.is(errorOf(() => jsonToData('"x"')).code, 'not_an_object');
  assert.is(errorOf(() => jsonToData('[1,2')).code, 'malformed_json');
});

test('syntax errors are located like CAF (line, column) and rendered as caf::pec texts', () => {
  const pec = (text: string) => (errorOf(() => parseDataMessage(text)) as MalformedJsonError).cafText;
  assert.is(pec('How is it going?'), 'caf::pec::unexpected_character(1, 1)');
  assert.is(pec(''), 'caf::pec::unexpected_eof(1, 1)');
  assert.is(pec('{"a":1,}'), 'caf::pec::unexpected_character(1, 8)');
  assert.is(pec('{"a":\n tru}'), 'caf::pec::unexpected_character(2, 5)');
  assert.is(pec('{"a":nul'), 'caf::pec::unexpected_eof(1, 9)');
  assert.is(pec('{} x'), 'caf::pec::trailing_character(1, 4)');
  assert.is(pec('{"a":"x'), 'caf::pec::unexpected_eof(1, 8)');
  assert.is(pec('{"a":01}'), 'caf::pec::unexpected_character(1, 7)');
  const e = errorOf(() => parseDataMessage('x'));
  assert.is(webSocketErrorContext(e, 7), 'input #7 contained malformed JSON -> caf::pec::unexpected_character(1, 1)');
  assert.is(e.ecName, 'deserialization_failed');
});

test('limits: input size, nesting depth and array size', () => {
  let deep = v('none', '{}');
  for (let i = 0; i < 40; i++) deep = v('vector', `[${deep}]`);
  assert.ok(jsonToData(deep));
  const nested = errorOf(() => jsonToData(deep, { maxDepth: 40 }));
  assert.is((nested as MalformedJsonError).pec, 'nested_too_deeply');
  assert.is(errorOf(() => jsonToData(deep, { maxInputBytes: 100 })).code, 'limit_exceeded');
  assert.is(errorOf(() => jsonToData(v('vector', `[${v('none', '{}')},${v('none', '{}')}]`), { maxContainerSize: 1 })).code, 'limit_exceeded');
  assert.is(errorOf(() => parseJson('['.repeat(100_000))).code, 'malformed_json');
});

test('round trip: Broker JSON text back to the same value', () => {
  const texts = webSocketTexts().filter((m) => m.dir === 's2c' && m.text.startsWith('{"type":"data-message"'));
  for (const m of texts) {
    const parsed: Data = parseDataMessage(m.text).value;
    const { topic } = parseDataMessage(m.text);
    const again = dataToJson(parsed);
    assert.ok(m.text.endsWith(again.slice(1)), String(topic));
  }
});

test('generic JSON and subscriptions', () => {
  const g = parseJson('{"a":[1,1.0,"x",true,null,18446744073709551615]}');
  assert.equal(g, {
    kind: 'object',
    members: [
      [
        'a',
        {
          kind: 'array',
          items: [
            { kind: 'integer', value: 1 },
            { kind: 'real', value: 1 },
            { kind: 'string', value: 'x' },
            { kind: 'boolean', value: true },
            { kind: 'null' },
            { kind: 'integer', value: 18446744073709551615n },
          ],
        },
      ],
    ],
  });
  assert.is(renderData(jsonValueToData(parseJson(v('count', '3')))), '3u');
  assert.equal(parseSubscriptions('["/bridge/ws", "zeek/"]'), ['/bridge/ws', 'zeek/']);
  assert.equal(parseSubscriptions('[]'), []);
  assert.is(errorOf(() => parseSubscriptions('{"not":"an array"}')).reason, 'subscriptions not an array');
  assert.is(errorOf(() => parseSubscriptions('["a", 1]')).reason, 'individual subscription not a string');
});

test.run();
