import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseJsonLossless } from '../../src/core/capture/lossless-json.ts';

const ok = (text: string) => {
  const r = parseJsonLossless(text);
  if (!r.ok) throw new Error(`${r.error} at ${r.offset}`);
  return r.value;
};

test('agrees with JSON.parse on ordinary documents', () => {
  for (const text of ['{"a":[1,2.5,-3e2,true,false,null,"x\\u00e9\\n"],"b":{}}', '[]', '"s"', ' 0 ', '-0.5', '{"k":"\\"\\\\\\/\\b\\f\\r\\t"}']) {
    assert.equal(ok(text), JSON.parse(text), text);
  }
});

test('integers beyond 2^53 stay exact as bigint; small ones stay numbers', () => {
  assert.equal(ok('[18446744073709551615,-9223372036854775808,9007199254740991,1234567890123456]'), [
    18446744073709551615n,
    -9223372036854775808n,
    9007199254740991,
    1234567890123456,
  ]);
  assert.is(ok('1.0e30'), 1e30);
});

test("Broker's output quirks are accepted: \\v, raw control characters, nan and inf", () => {
  assert.equal(ok('["a\\vb","tab\there",nan,inf,-inf]'), ['a\vb', 'tab\there', NaN, Infinity, -Infinity]);
  assert.is(parseJsonLossless('"\\v"', { lenient: false }).ok, false);
  const r = parseJsonLossless('[nan,-inf]', { nonFinite: 'string' });
  assert.equal(r.ok && r.value, ['nan', '-inf']);
});

test('__proto__ keys are plain data', () => {
  const v = ok('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
  assert.equal(Object.keys(v), ['__proto__']);
  assert.is(({} as Record<string, unknown>)['polluted'], undefined);
  assert.is(Object.getPrototypeOf(v), Object.prototype);
});

test('failures are values with an offset, including depth and trailing garbage', () => {
  for (const [text, offset] of [
    ['How is it going?', 0],
    ['{"a":1,}', 7],
    ['[1,2', 4],
    ['"open', 5],
    ['01', 2],
    ['{"a":1} x', 8],
    ['"bad \\q"', 6],
  ] as const) {
    const r = parseJsonLossless(text);
    assert.is(r.ok, false, text);
    if (!r.ok) assert.is(r.offset, offset, text);
  }
  const deep = '['.repeat(600) + ']'.repeat(600);
  const r = parseJsonLossless(deep);
  assert.is(r.ok, false);
  if (!r.ok) assert.match(r.error, /nesting/);
  assert.is(parseJsonLossless('['.repeat(100) + ']'.repeat(100)).ok, true);
});

test.run();
