import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { BridgeError } from '../../src/core/errors.ts';
import { stringifyJson, fromHex, toHex } from '../../src/core/json.ts';

test('writer and reader agree on every big-endian primitive', () => {
  const w = new ByteWriter(4);
  w.u8(0xab).u16(0x1234).u32(0xdeadbeef).i32(-2).u64(0xffff_ffff_ffff_ffffn).i64(-7n).f64(1.5).u32le(32).u64(2 ** 40 + 5);
  const bytes = w.toBytes();
  assert.is(toHex(bytes.subarray(0, 7)), 'ab1234deadbeef');
  const r = new ByteReader(bytes);
  assert.is(r.u8('a'), 0xab);
  assert.is(r.u16('b'), 0x1234);
  assert.is(r.u32('c'), 0xdeadbeef);
  assert.is(r.i32('d'), -2);
  assert.is(r.u64('e'), 0xffff_ffff_ffff_ffffn);
  assert.is(r.i64('f'), -7n);
  assert.is(r.f64('g'), 1.5);
  assert.is(r.u32le('h'), 32);
  assert.is(r.u64small('i'), 2 ** 40 + 5);
  assert.is(r.remaining, 0);
});

test('truncated input names the field and the absolute offset', () => {
  const r = new ByteReader(fromHex('000102'), 100);
  r.u8('first');
  try {
    r.u32('length');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, BridgeError);
    const e = err as BridgeError;
    assert.is(e.code, 'truncated');
    assert.is(e.field, 'length');
    assert.is(e.offset, 101);
    assert.match(e.message, /length needs 4 byte\(s\), 2 left/);
  }
});

test('u64small refuses values beyond 2^53', () => {
  const r = new ByteReader(fromHex('0020000000000000'));
  try {
    r.u64small('count');
    assert.unreachable();
  } catch (err) {
    assert.is((err as BridgeError).code, 'limit_exceeded');
  }
});

test('take returns a view, not a copy', () => {
  const src = fromHex('0102030405');
  const r = new ByteReader(src);
  r.skip(1, 'x');
  const v = r.take(3, 'y');
  src[2] = 0xff;
  assert.is(toHex(v), '02ff04');
});

test('writer grows past its initial size and can be reused', () => {
  const w = new ByteWriter(2);
  for (let i = 0; i < 1000; i++) w.u32(i);
  assert.is(w.length, 4000);
  assert.is(new ByteReader(w.toBytes()).skip(3996, 'x') ?? 0, 0);
  w.reset().u8(9);
  assert.is(toHex(w.toBytes()), '09');
});

test('ascii writes ASCII text in one pass and leaves the writer untouched otherwise', () => {
  const w = new ByteWriter(2);
  w.u8(9);
  assert.ok(w.ascii('event_1'));
  assert.equal([...w.peek()], [9, 101, 118, 101, 110, 116, 95, 49]);
  assert.ok(w.ascii(''));
  assert.not.ok(w.ascii('caf\u00e9'));
  assert.not.ok(w.ascii('\u{1f600}'));
  assert.is(w.length, 8, 'nothing written for non-ASCII');
  assert.equal([...w.peek()], [9, 101, 118, 101, 110, 116, 95, 49]);
});

test('JSON output keeps 64-bit integers exact', () => {
  assert.is(stringifyJson({ c: 18446744073709551615n, i: -9223372036854775808n, s: 'x' }), '{"c":18446744073709551615,"i":-9223372036854775808,"s":"x"}');
});

test.run();
