import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZeekAsciiWriter, ZeekJsonWriter, zeekLogWriter, type ZeekColumn } from '../../src/core/zeeklog.ts';
import { zeekDoubleText, zeekJsonNumber, zeekTimeText } from '../../src/core/zeeklog-numbers.ts';
import { BridgeError } from '../../src/core/errors.ts';

const COLUMNS: ZeekColumn[] = [
  { name: 'ts', type: 'time' },
  { name: 'peer', type: 'string' },
  { name: 'id.orig_h', type: 'addr' },
  { name: 'id.orig_p', type: 'port' },
  { name: 'n', type: 'count' },
  { name: 'delta', type: 'int' },
  { name: 'ratio', type: 'double' },
  { name: 'took', type: 'interval' },
  { name: 'ok', type: 'bool' },
  { name: 'level', type: 'enum' },
  { name: 'net', type: 'subnet' },
  { name: 'tags', type: 'set[string]' },
  { name: 'v', type: 'vector[count]' },
];

const OPEN = Date.UTC(2026, 0, 2, 3, 4, 5);

function ascii(rows: Record<string, unknown>[], extra = {}): string {
  let text = '';
  const w = new ZeekAsciiWriter((t) => (text += t), { path: 'communication', columns: COLUMNS, now: () => OPEN, timezone: 'utc', ...extra });
  for (const r of rows) w.write(r as never);
  w.close();
  return text;
}

test('ASCII: header, typed row, unset and empty markers, #close — exact text', () => {
  const text = ascii([
    {
      ts: 1500000000.25,
      peer: 'bro-a',
      'id.orig_h': '::ffff:127.0.0.1',
      'id.orig_p': '47757/tcp',
      n: 18446744073709551615n,
      delta: -42,
      ratio: 3,
      took: 0.5,
      ok: true,
      level: 'Log::WARNING',
      net: '2001:DB8:0:0::/32',
      tags: ['a', 'b'],
      v: [1, 2, 3],
    },
    { ts: 1500000001, peer: '', tags: [], v: [] },
  ]);
  assert.is(
    text,
    [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\tcommunication',
      '#open\t2026-01-02-03-04-05',
      '#fields\tts\tpeer\tid.orig_h\tid.orig_p\tn\tdelta\tratio\ttook\tok\tlevel\tnet\ttags\tv',
      '#types\ttime\tstring\taddr\tport\tcount\tint\tdouble\tinterval\tbool\tenum\tsubnet\tset[string]\tvector[count]',
      '1500000000.250000\tbro-a\t127.0.0.1\t47757\t18446744073709551615\t-42\t3.0\t0.500000\tT\tLog::WARNING\t2001:db8::/32\ta,b\t1,2,3',
      '1500000001.000000\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\t(empty)\t(empty)',
      '#close\t2026-01-02-03-04-05',
      '',
    ].join('\n'),
  );
});

test('ASCII escaping: separators, backslash, non-printables, reserved markers, set separator only inside sets', () => {
  const text = ascii([{ peer: 'a\tb\\c\nd,e\x7f\u00e9', tags: ['x,y', '-', '(empty)', ''], level: '-' }]);
  const row = text.split('\n')[8]!.split('\t');
  assert.is(row[1], 'a\\x09b\\x5cc\\x0ad,e\\x7f\\xc3\\xa9');
  assert.is(row[9], '\\x2d');
  assert.is(row[11], 'x\\x2cy,\\x2d,\\x28empty),(empty)');
});

test('ASCII utf8 option keeps valid UTF-8 and still escapes invalid bytes', () => {
  const text = ascii([{ peer: Buffer.concat([Buffer.from('grüße ☃'), Buffer.from([0xff, 0xc3])]) }], { utf8: true });
  assert.is(text.split('\n')[8]!.split('\t')[1], 'grüße ☃\\xff\\xc3');
});

test('the output reads back with the zeek-cut rules (header-driven column lookup)', () => {
  const text = ascii([{ ts: 1, peer: 'p', n: 7 }]);
  const lines = text.split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
  const row = lines.find((l) => l !== '' && !l.startsWith('#'))!.split('\t');
  assert.is(row.length, fields.length);
  assert.is(row[fields.indexOf('n')], '7');
  assert.is(row[fields.indexOf('peer')], 'p');
});

test('number rendering follows Zeek: times keep six decimals, doubles trim and mark integers', () => {
  assert.equal(
    [0, 1.5, -0.0000001, 1700000000.123456, 3e9].map(zeekTimeText),
    ['0.000000', '1.500000', '-0.000000', '1700000000.123456', '3e+09'],
  );
  assert.equal(
    [0, 3, 0.1, 1 / 3, 2.9999999, 1e-7, 3e9, 12345678901.5, NaN, -Infinity].map(zeekDoubleText),
    ['0.0', '3.0', '0.1', '0.333333', '3', '0', '3000000000.0', '12345678901.5', 'nan', '-inf'],
  );
  assert.equal([1500000000.25, 3, 1e22, 1e-7, NaN, -0].map(zeekJsonNumber), ['1500000000.25', '3.0', '1e22', '1e-7', 'null', '-0.0']);
});

test('JSON: column order, unset fields omitted, typed values, exact 64-bit counts', () => {
  let text = '';
  const w = new ZeekJsonWriter((t) => (text += t), { columns: COLUMNS });
  w.write({ ts: 1500000000.25, peer: 'a"b\u0001', 'id.orig_p': 80, n: 18446744073709551615n, ratio: 2, ok: false, tags: ['x'], v: [], net: '10.1.2.0/24' });
  assert.is(
    text,
    '{"ts":1500000000.25,"peer":"a\\"b\\\\x01","id.orig_p":80,"n":18446744073709551615,"ratio":2.0,"ok":false,"net":"10.1.2.0/24","tags":["x"],"v":[]}\n',
  );
});

test('invalid values and schemas are typed errors', () => {
  const code = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      assert.instance(err, BridgeError);
      return (err as BridgeError).code;
    }
    return 'none';
  };
  assert.is(code(() => ascii([{ n: -1 }])), 'log_value_invalid');
  assert.is(code(() => ascii([{ 'id.orig_h': 'not-an-ip' }])), 'log_value_invalid');
  assert.is(code(() => ascii([{ net: '10.0.0.0/33' }])), 'log_value_invalid');
  assert.is(code(() => ascii([{ tags: 'x' }])), 'log_value_invalid');
  assert.is(code(() => new ZeekAsciiWriter(() => {}, { path: 'x', columns: [{ name: 'a', type: 'table' as never }] })), 'log_schema_invalid');
  assert.is(code(() => new ZeekJsonWriter(() => {}, { columns: [{ name: 'a', type: 'count' }, { name: 'a', type: 'count' }] })), 'log_schema_invalid');
});

test('zeekLogWriter picks the format', () => {
  let a = '';
  let j = '';
  const columns: ZeekColumn[] = [{ name: 'n', type: 'count' }];
  const wa = zeekLogWriter('ascii', (t) => (a += t), { path: 'x', columns, now: () => OPEN, timezone: 'utc' });
  const wj = zeekLogWriter('json', (t) => (j += t), { path: 'x', columns });
  wa.write({ n: 1 });
  wj.write({ n: 1 });
  wa.close();
  wj.close();
  assert.ok(a.startsWith('#separator') && a.includes('\n1\n#close'));
  assert.is(j, '{"n":1}\n');
});

test('#open uses local time unless told otherwise', () => {
  let text = '';
  new ZeekAsciiWriter((t) => (text += t), { path: 'x', columns: [{ name: 'a', type: 'count' }], now: () => OPEN });
  const d = new Date(OPEN);
  const local = [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()].map((n, i) => String(n).padStart(i ? 2 : 4, '0')).join('-');
  assert.ok(text.includes(`#open\t${local}\n`));
});

test.run();
