// The data model: constructors and their validation, exact equality across number/bigint, Broker's
// canonical order, canonical sets/tables, and the compact rendering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BrokerError } from '../../modern/errors.ts';
import {
  addr,
  bool,
  compareData,
  count,
  enumValue,
  equalsData,
  hasDuplicates,
  int64,
  integer,
  NONE,
  port,
  real,
  renderData,
  reprReal,
  set,
  str,
  subnet,
  subnetPrefix,
  table,
  timespan,
  timestamp,
  timestampFromDate,
  vector,
  type Data,
} from '../../modern/data/index.ts';

test('Int64: number when safe, bigint beyond, -0 folded', () => {
  assert.is(int64(5n), 5);
  assert.is(int64(2n ** 53n - 1n), 2 ** 53 - 1);
  assert.is(int64(2n ** 53n), 2n ** 53n);
  assert.is(int64(-(2n ** 53n) + 1n), -(2 ** 53) + 1);
  assert.is(int64(2 ** 60), 2n ** 60n);
  assert.ok(Object.is(int64(-0), 0));
  assert.throws(() => int64(1.5), (e: unknown) => e instanceof BrokerError && e.code === 'invalid_argument');
  assert.is(count(7n).value, 7);
});

test('constructors validate their ranges', () => {
  const bad = [
    () => count(-1),
    () => count(2n ** 64n),
    () => integer(2n ** 63n),
    () => timestamp(-(2n ** 63n) - 1n),
    () => port(65536),
    () => port('80/sctp'),
    () => addr('1.2.3'),
    () => addr(new Uint8Array(5)),
    () => subnet('10.0.0.0/33'),
    () => subnet('2001:db8::/129'),
    () => str('\ud800'),
  ];
  for (const f of bad) assert.throws(f, (e: unknown) => e instanceof BrokerError && e.code === 'invalid_argument');
  assert.is(renderData(port('53/udp')), 'port(53/udp)');
  assert.is(renderData(port('0/?')), 'port(0/?)');
  assert.is(renderData(addr(new Uint8Array([10, 0, 0, 1]))), 'addr(10.0.0.1)');
  assert.is(renderData(subnet(addr('10.1.2.3'), 8)), 'subn(10.0.0.0/8)');
  const sn = subnet('10.1.2.3/8');
  assert.is(sn.length, 104);
  assert.is(subnetPrefix(sn.address, sn.length), 8);
  assert.is(renderData(timestampFromDate(new Date(1_700_000_000_500))), 'ts(1700000000500000000ns)');
  assert.is(renderData(str(new Uint8Array([0x68, 0x69]))), "'hi'", 'valid UTF-8 bytes become text');
});

test('equality is exact and mixes number and bigint forms', () => {
  assert.ok(equalsData({ type: 'count', value: 5 }, { type: 'count', value: 5n }));
  assert.not.ok(equalsData(count(5), integer(5)));
  assert.not.ok(equalsData(real(1), count(1)));
  assert.ok(equalsData(real(-0), real(0)));
  assert.ok(equalsData(real(NaN), real(NaN)));
  assert.ok(equalsData(str('é'), str(new Uint8Array([0xc3, 0xa9]))));
  assert.not.ok(equalsData(vector([count(1)]), vector([count(1), NONE])));
  assert.ok(equalsData(set([count(2), count(1)]), { type: 'set', elements: [count(2), count(1)] }));
  assert.not.ok(equalsData(set([count(1)]), set([count(2)])));
  assert.ok(equalsData(table([[str('b'), count(2)], [str('a'), count(1)]]), { type: 'table', entries: [[str('b'), count(2)], [str('a'), count(1)]] }));
  assert.not.ok(equalsData(table([[str('a'), count(1)]]), table([[str('a'), count(2)]])));
  assert.ok(equalsData(addr('::ffff:1.2.3.4'), addr('1.2.3.4')));
});

test('canonical order: by type tag first, then by value', () => {
  const sorted: Data[] = [
    NONE,
    bool(false),
    bool(true),
    count(1),
    count(2n ** 64n - 1n),
    integer(-(2n ** 63n)),
    integer(-1),
    integer(2),
    real(-Infinity),
    real(-1.5),
    real(3),
    real(NaN),
    str(''),
    str('A'),
    str('a'),
    str('ab'),
    str('\uffff'),
    str('😀'),
    str(new Uint8Array([0xff])),
    addr('1.2.3.4'),
    addr('2001:db8::1'),
    subnet('10.0.0.0/8'),
    subnet('10.0.0.0/16'),
    port(53, 'tcp'),
    port(53, 'udp'),
    port(80, 'unknown'),
    timestamp(0),
    timespan(-5),
    enumValue('A::B'),
    set([]),
    set([count(1)]),
    set([count(1), count(2)]),
    set([count(2)]),
    table([[count(1), str('a')]]),
    table([[count(1), str('b')]]),
    vector([]),
    vector([NONE]),
    vector([count(1), count(0)]),
    vector([count(2)]),
  ];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = 0; j < sorted.length; j++) {
      const c = compareData(sorted[i]!, sorted[j]!);
      assert.is(Math.sign(c), Math.sign(i - j), `${renderData(sorted[i]!)} vs ${renderData(sorted[j]!)}`);
    }
  }
});

test('set() and table() sort canonically and resolve duplicates like Broker containers', () => {
  assert.is(renderData(set([str('x'), count(2), count(1), count(2)])), "{1u, 2u, 'x'}");
  assert.is(renderData(table([[str('b'), count(1)], [str('a'), count(2)], [str('b'), count(3)]])), "{'a' -> 2u, 'b' -> 3u}");
  assert.ok(hasDuplicates([count(3), count(1), count(3)]));
  assert.not.ok(hasDuplicates([count(3), count(1), integer(3)]));
  assert.ok(hasDuplicates([real(0), real(-0)]));
  // Unsorted sets compare by their sorted elements.
  assert.is(compareData({ type: 'set', elements: [count(2), count(1)] }, set([count(1), count(3)])), -1);
});

test('rendering follows the reference notation (Python repr for reals and strings)', () => {
  const cases: [number, string][] = [
    [1.5, '1.5'],
    [3, '3.0'],
    [-0.1, '-0.1'],
    [1.25e-7, '1.25e-07'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [123456789012345680, '1.2345678901234568e+17'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [-0, '-0.0'],
    [1e300, '1e+300'],
    [NaN, 'nan'],
    [-Infinity, '-inf'],
  ];
  for (const [x, s] of cases) assert.is(reprReal(x), s);
  assert.is(renderData(integer(0)), '+0');
  assert.is(renderData(integer(-7)), '-7');
  assert.is(renderData(str("it's")), '"it\'s"');
  assert.is(renderData(str('a\'b"c')), "'a\\'b\"c'");
  assert.is(renderData(str('\x00\x7f\u00a0\u2028é')), "'\\x00\\x7f\\xa0\\u2028é'");
  assert.is(renderData(str(new Uint8Array([0x61, 0xff, 0x27]))), 'b"a\\xff\'"');
  assert.is(renderData(enumValue('Log::WRITER_ASCII')), 'enum(Log::WRITER_ASCII)');
  assert.is(renderData(table([])), '{}');
  assert.is(renderData(vector([set([]), table([[vector([count(1), str('k')]), table([[str('inner'), bool(true)]])]])])), "[{}, {[1u, 'k'] -> {'inner' -> T}}]");
});

test.run();
