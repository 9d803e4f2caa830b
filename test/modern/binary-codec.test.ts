// bin v1: the spec's examples both ways, round trips of every type, and one test per way bad
// input can fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { ErrorCode } from '../../modern/constants.ts';
import { BrokerError } from '../../modern/errors.ts';
import {
  addr,
  bool,
  count,
  decodeData,
  decodeDataAt,
  encodeData,
  enumValue,
  equalsData,
  integer,
  NONE,
  port,
  readData,
  readVarbyte,
  real,
  renderData,
  set,
  str,
  subnet,
  table,
  timespan,
  timestamp,
  vector,
  writeData,
  writeVarbyte,
  type Data,
} from '../../modern/data/index.ts';

const EXAMPLES: [string, Data][] = [
  ['00', NONE],
  ['0101', bool(true)],
  ['02000000000000002a', count(42)],
  ['03fffffffffffffff9', integer(-7)],
  ['043ff8000000000000', real(1.5)],
  ['05026869', str('hi')],
  ['0600000000000000000000ffffc0a80101', addr('192.168.1.1')],
  ['0620010db8000000000000000000000001', addr('2001:db8::1')],
  ['0700000000000000000000ffff0a00000068', subnet('10.0.0.0/8')],
  ['08005001', port(80, 'tcp')],
  ['08003502', port(53, 'udp')],
  ['08000803', port(8, 'icmp')],
  ['0a0000000059682f00', timespan(1_500_000_000)],
  ['0b03746370', enumValue('tcp')],
  ['0e0202000000000000000105016'.concat('1'), vector([count(1), str('a')])],
  ['0c00', set([])],
  ['0d0105016b0101', table([[str('k'), bool(true)]])],
];

test('spec §2.3 examples decode and encode byte for byte', () => {
  for (const [hex, value] of EXAMPLES) {
    assert.is(toHex(encodeData(value)), hex, renderData(value));
    assert.ok(equalsData(decodeData(fromHex(hex)), value), hex);
  }
});

function errorOf(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, BrokerError);
    return err as BrokerError;
  }
  throw new Error('expected a BrokerError');
}

test('varbyte: LEB128 examples, 5-byte maximum, u32 truncation', () => {
  const enc = (n: number) => {
    const w = new ByteWriter(8);
    writeVarbyte(w, n);
    return toHex(w.toBytes());
  };
  assert.is(enc(0), '00');
  assert.is(enc(127), '7f');
  assert.is(enc(128), '8001');
  assert.is(enc(300), 'ac02');
  assert.is(enc(0xffffffff), 'ffffffff0f');
  assert.is(enc(2 ** 32 + 5), '05', 'only the low 32 bits are written, like Broker');
  const dec = (hex: string) => readVarbyte(new ByteReader(fromHex(hex)), 'n');
  assert.is(dec('ac02'), 300);
  assert.is(dec('ffffffff0f'), 0xffffffff);
  assert.is(dec('ffffffff7f'), 0xffffffff, 'bits above 32 in the 5th byte are dropped');
  assert.is(errorOf(() => dec('ffffffffff01')).code, 'invalid_value');
  assert.throws(() => dec('80'), (e: unknown) => (e as { code?: string }).code === 'truncated');
});

test('64-bit integers are numbers when safe and bigints otherwise, exact at every boundary', () => {
  const cases: [Data, unknown][] = [
    [count(0), 0],
    [count(2 ** 53 - 1), 2 ** 53 - 1],
    [count(2n ** 53n), 2n ** 53n],
    [count(2n ** 64n - 1n), 2n ** 64n - 1n],
    [integer(-(2 ** 53) + 1), -(2 ** 53) + 1],
    [integer(-(2n ** 53n)), -(2n ** 53n)],
    [integer(-(2n ** 63n)), -(2n ** 63n)],
    [integer(2n ** 63n - 1n), 2n ** 63n - 1n],
    [integer(-1), -1],
    [timestamp(1_700_000_000_500_000_000n), 1_700_000_000_500_000_000n],
    [timespan(-1500), -1500],
  ];
  for (const [v, expected] of cases) {
    const back = decodeData(encodeData(v));
    assert.is((back as { value: unknown }).value, expected, renderData(v));
    assert.is(typeof (back as { value: unknown }).value, typeof expected);
  }
  assert.is(toHex(encodeData(integer(-(2n ** 63n)))), '038000000000000000');
  assert.is(toHex(encodeData(count(2n ** 64n - 1n))), '02ffffffffffffffff');
});

test('every type round-trips, including nested containers as table keys', () => {
  const v = vector([
    NONE,
    bool(false),
    real(-0.1),
    real(Number.POSITIVE_INFINITY),
    str(''),
    str('grüße ☃ 😀'),
    str(new Uint8Array([0xff, 0xfe, 0x00])),
    str('\ufeffbom'),
    addr('::'),
    subnet('2001:db8::/32'),
    port(0, 'unknown'),
    timestamp(-1_500_000_000),
    enumValue('Log::WRITER_ASCII'),
    set([count(2), count(1), str('x')]),
    table([[vector([count(1), str('k')]), table([[str('inner'), bool(true)]])]]),
  ]);
  const bytes = encodeData(v);
  const back = decodeData(bytes);
  assert.ok(equalsData(back, v));
  assert.is(toHex(encodeData(back)), toHex(bytes));
  const s = (back as Extract<Data, { type: 'vector' }>).elements[6] as Extract<Data, { type: 'string' }>;
  assert.instance(s.value, Uint8Array, 'invalid UTF-8 stays bytes');
  const bom = (back as Extract<Data, { type: 'vector' }>).elements[7] as Extract<Data, { type: 'string' }>;
  assert.is(bom.value, '\ufeffbom', 'a leading BOM is kept');
});

test('short strings and containers of every small size decode exactly (the fast paths)', () => {
  for (let n = 0; n <= 10; n++) {
    const ascii = 'abcdefghij'.slice(0, n);
    const text = 'äbcdefghij'.slice(0, n);
    const bytes = Uint8Array.from({ length: n }, (_, i) => 0xf8 - i);
    const v = vector(Array.from({ length: n }, (_, i) => count(i)));
    const back = decodeData(encodeData(vector([str(ascii), str(text), str(bytes), v, set(v.elements)])));
    const [a, t, b, w, st] = (back as Extract<Data, { type: 'vector' }>).elements as Extract<Data, { type: 'string' | 'vector' | 'set' }>[];
    assert.is((a as { value: unknown }).value, ascii, `ascii ${n}`);
    assert.is((t as { value: unknown }).value, text, `utf-8 ${n}`);
    assert.equal((b as { value: unknown }).value, n === 0 ? '' : bytes, `bytes ${n}`);
    assert.ok(equalsData(w!, v) && equalsData(st!, set(v.elements)), `containers ${n}`);
  }
  for (const s of ['x'.repeat(127), 'x'.repeat(128), `${'x'.repeat(126)}é`, `é${'x'.repeat(300)}`]) {
    const bytes = encodeData(enumValue(s));
    assert.is(toHex(bytes), toHex(Uint8Array.of(11, ...varbyteOf(Buffer.byteLength(s)), ...Buffer.from(s))), `${s.length} chars`);
    assert.ok(equalsData(decodeData(bytes), enumValue(s)));
  }
});

function varbyteOf(n: number): number[] {
  const w = new ByteWriter();
  writeVarbyte(w, n);
  return [...w.toBytes()];
}

test('decoders keep wire order of sets and tables; equality ignores it', () => {
  const unsorted = fromHex('0c03020000000000000002020000000000000001050178');
  const v = decodeData(unsorted);
  assert.is(renderData(v), "{2u, 1u, 'x'}");
  assert.is(toHex(encodeData(v)), toHex(unsorted));
  assert.ok(equalsData(v, set([count(1), count(2), str('x')])));
});

test('readData reads one value and leaves the rest; decodeData rejects trailing bytes', () => {
  const r = new ByteReader(fromHex('0101ff'));
  assert.ok(equalsData(readData(r), bool(true)));
  assert.is(r.offset, 2);
  const e = errorOf(() => decodeData(fromHex('0101ff')));
  assert.is(e.code, 'trailing_bytes');
  assert.is(e.offset, 2);
  assert.is(e.ec, ErrorCode.DESERIALIZATION_FAILED);
});

test('decodeDataAt decodes in place inside a larger buffer, errors counted from the given base', () => {
  const inner = encodeData(vector([count(1), str('event_1')]));
  const outer = new Uint8Array(inner.length + 12).fill(0xee);
  outer.set(inner, 5);
  assert.ok(equalsData(decodeDataAt(outer, 5, 5 + inner.length, 40 - 5), vector([count(1), str('event_1')])));
  const trailing = errorOf(() => decodeDataAt(outer, 5, 5 + inner.length + 2, 40 - 5));
  assert.equal([trailing.code, trailing.offset, trailing.message], ['trailing_bytes', 40 + inner.length, `2 byte(s) after the value (field data, offset ${40 + inner.length})`]);
  const short = errorOf(() => decodeDataAt(outer, 5, 5 + inner.length - 1, 40 - 5));
  const same = errorOf(() => decodeData(inner.subarray(0, inner.length - 1), {}, 40));
  assert.equal([short.code, short.offset, short.message], [same.code, same.offset, same.message]);
  assert.is(short.code, 'truncated');
});

test('bad input: each failure is its own typed error with an offset', () => {
  const cases: [string, string, number][] = [
    ['', 'truncated', 0],
    ['02000000', 'truncated', 1],
    ['2000', 'invalid_tag', 0],
    ['0f', 'invalid_tag', 0],
    ['08005004', 'invalid_value', 3],
    ['0700000000000000000000ffff0a00000081', 'invalid_value', 17],
    ['0c020200000000000000010200000000000000'.concat('01'), 'duplicate_element', 0],
    ['0d02050161000501610101', 'duplicate_element', 0],
    ['050568656c6c', 'truncated', 2],
    ['0eff', 'truncated', 2],
    ['0e05000000', 'truncated', 1],
    ['0e010e01', 'truncated', 3],
  ];
  for (const [hex, code, offset] of cases) {
    const e = errorOf(() => decodeData(fromHex(hex)));
    assert.is(e.code, code, hex);
    assert.is(e.offset, offset, `${hex} offset`);
    assert.is(e.ec, ErrorCode.DESERIALIZATION_FAILED, hex);
  }
});

test('limits: depth, container size and string length', () => {
  let deep: Data = NONE;
  for (let i = 0; i < 10; i++) deep = vector([deep]);
  const bytes = encodeData(deep);
  assert.ok(equalsData(decodeData(bytes, { maxDepth: 10 }), deep));
  assert.is(errorOf(() => decodeData(bytes, { maxDepth: 9 })).code, 'limit_exceeded');
  const big = encodeData(vector([count(1), count(2), count(3)]));
  assert.is(errorOf(() => decodeData(big, { maxContainerSize: 2 })).code, 'limit_exceeded');
  const s = encodeData(str('hello'));
  assert.is(errorOf(() => decodeData(s, { maxStringLength: 4 })).code, 'limit_exceeded');
  // 100,000 nested vectors are refused by the default depth limit instead of overflowing the stack.
  const hostile = new Uint8Array(200_001).fill(0x0e);
  for (let i = 1; i < hostile.length; i += 2) hostile[i] = 1;
  hostile[hostile.length - 1] = 0;
  assert.is(errorOf(() => decodeData(hostile)).code, 'limit_exceeded');
});

test('the encoder rejects values outside their type range', () => {
  const bad: Data[] = [
    { type: 'count', value: -1 },
    { type: 'count', value: 2n ** 64n },
    { type: 'integer', value: 2n ** 63n },
    { type: 'integer', value: 1.5 },
    { type: 'port', number: 65536, protocol: 'tcp' },
    { type: 'subnet', address: new Uint8Array(16), length: 129 },
    { type: 'address', value: new Uint8Array(4) },
  ];
  for (const v of bad) assert.is(errorOf(() => encodeData(v)).code, 'invalid_argument', JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x)));
  // An unsafe but integral number is written exactly.
  assert.is(toHex(encodeData({ type: 'count', value: 2 ** 60 })), '021000000000000000');
});

test('writeData appends to a reused writer without disturbing earlier bytes', () => {
  const w = new ByteWriter(4);
  w.u8(0xaa);
  writeData(w, str('x'.repeat(100)));
  writeData(w, count(7));
  const out = w.toBytes();
  assert.is(out[0], 0xaa);
  const r = new ByteReader(out, 0, 1);
  assert.is(renderData(readData(r)), `'${'x'.repeat(100)}'`);
  assert.is(renderData(readData(r)), '7u');
  assert.is(r.remaining, 0);
});

test.run();
