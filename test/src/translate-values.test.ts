// One test per row of the value table, each direction, plus the typed drops. Broker values are
// compared by their bin v1 bytes, legacy values by their typed JSON (types included).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addrVal,
  boolVal,
  countVal,
  counterVal,
  doubleVal,
  enumVal,
  intervalVal,
  intVal,
  patternVal,
  portVal,
  recordVal,
  setVal,
  stringVal,
  subnetVal,
  tableVal,
  timeVal,
  typedJson,
  typeName,
  vectorVal,
  type BroType,
  type BroVal,
  type EnumType,
  type RecordType,
  type SetType,
  type TableType,
  type VectorType,
} from '../../legacy/codec/index.ts';
import {
  NONE,
  addr,
  bool,
  count,
  enumValue,
  integer,
  port,
  real,
  set,
  str,
  subnet,
  table,
  timespan,
  timestamp,
  vector,
  type Data,
} from '../../modern/data/index.ts';
import { stringifyJson } from '../../src/core/json.ts';
import { VALUE_ROWS, toBroker, toLegacy, type LegacyTypeKey } from '../../src/translate/values.ts';
import { inferLegacyType } from '../../src/translate/infer.ts';
import { fxContext, hex } from './translate-helpers.ts';

const cx = fxContext();
const T = (text: string): BroType => cx.types.type(text);
const color = cx.types.enum('FX::Color') as EnumType;
const inner = cx.types.record('FX::Inner') as RecordType;

interface Row {
  key: LegacyTypeKey;
  what: string;
  legacy: BroVal;
  broker: Data;
  /** Declared type for Broker -> legacy (the legacy value's own type when omitted). */
  type?: BroType;
  check?: (d: Data, back: BroVal) => void;
}

const ROWS: Row[] = [
  { key: 'bool', what: 'T', legacy: boolVal(true), broker: bool(true) },
  { key: 'int', what: '-42', legacy: intVal(-42), broker: integer(-42) },
  { key: 'int', what: 'int64 minimum (bigint)', legacy: intVal(-(2n ** 63n)), broker: integer(-(2n ** 63n)) },
  { key: 'count', what: 'uint64 maximum', legacy: countVal(2n ** 64n - 1n), broker: count(2n ** 64n - 1n) },
  { key: 'counter', what: 'counter is a Broker count, and back a counter when declared', legacy: counterVal(5), broker: count(5), type: T('counter') },
  { key: 'double', what: '-0.1', legacy: doubleVal(-0.1), broker: real(-0.1) },
  { key: 'time', what: 'epoch seconds -> ns', legacy: timeVal(1500000000.5), broker: timestamp(1_500_000_000_500_000_000n) },
  { key: 'time', what: 'microsecond network time', legacy: timeVal(1795318587.194254), broker: timestamp(1_795_318_587_194_254_000n) },
  { key: 'interval', what: '90 secs', legacy: intervalVal(90), broker: timespan(90_000_000_000) },
  { key: 'interval', what: 'negative fraction', legacy: intervalVal(-0.000001), broker: timespan(-1000) },
  { key: 'string', what: 'embedded NUL', legacy: stringVal('hello\u0000world'), broker: str('hello\u0000world') },
  {
    key: 'string',
    what: 'invalid UTF-8 bytes preserved',
    legacy: stringVal(new Uint8Array([0xff, 0x41, 0x00, 0xc3])),
    broker: str(new Uint8Array([0xff, 0x41, 0x00, 0xc3])),
    check: (d, back) => {
      assert.instance((d as Data & { type: 'string' }).value, Uint8Array);
      assert.equal((back as BroVal & { kind: 'string' }).raw, new Uint8Array([0xff, 0x41, 0x00, 0xc3]));
    },
  },
  {
    key: 'addr',
    what: 'IPv4 stays IPv4 (v4-mapped in Broker, one word in legacy)',
    legacy: addrVal('192.168.1.2'),
    broker: addr('192.168.1.2'),
    check: (d) => assert.is(hex(d), '0600000000000000000000ffffc0a80102'),
  },
  { key: 'addr', what: 'IPv6', legacy: addrVal('2001:db8::1'), broker: addr('2001:db8::1') },
  {
    key: 'subnet',
    what: 'IPv4 width is family-relative in legacy, 128-based in Broker',
    legacy: subnetVal('10.0.0.0/8'),
    broker: subnet('10.0.0.0/8'),
    check: (d) => assert.is((d as Data & { type: 'subnet' }).length, 104),
  },
  { key: 'subnet', what: 'IPv6', legacy: subnetVal('2001:db8::/32'), broker: subnet('2001:db8::/32') },
  { key: 'port', what: 'udp kept', legacy: portVal(53, 'udp'), broker: port(53, 'udp') },
  { key: 'port', what: 'icmp kept', legacy: portVal(8, 'icmp'), broker: port(8, 'icmp') },
  { key: 'port', what: 'unknown protocol', legacy: portVal(0, 'unknown'), broker: port(0, 'unknown') },
  { key: 'enum', what: 'fully qualified name', legacy: enumVal(color, 'FX::GREEN'), broker: enumValue('FX::GREEN') },
  {
    key: 'record',
    what: 'fields in order, unset as none',
    legacy: recordVal(inner, [countVal(8), null]),
    broker: vector([count(8), NONE]),
  },
  {
    key: 'record',
    what: 'nested record (FX::Outer)',
    legacy: recordVal(cx.types.record('FX::Outer')!, [
      stringVal('outer'),
      recordVal(inner, [countVal(7), stringVal('seven')]),
      setVal(T('set[string]') as SetType, [stringVal('x'), stringVal('y')]),
      vectorVal(T('vector of count') as VectorType, [countVal(1), countVal(2)]),
      timeVal(1500000000.25),
      null,
    ]),
    broker: vector([
      str('outer'),
      vector([count(7), str('seven')]),
      set([str('x'), str('y')]),
      vector([count(1), count(2)]),
      timestamp(1_500_000_000_250_000_000n),
      NONE,
    ]),
  },
  {
    key: 'table',
    what: 'single index: bare keys',
    legacy: tableVal(T('table[string] of count') as TableType, [
      [stringVal('one'), countVal(1)],
      [stringVal('two'), countVal(2)],
    ]),
    broker: table([
      [str('one'), count(1)],
      [str('two'), count(2)],
    ]),
  },
  {
    key: 'table',
    what: 'multi-index keys are vectors',
    legacy: tableVal(T('table[addr, port] of string') as TableType, [[[addrVal('10.1.2.3'), portVal(53, 'udp')], stringVal('dns')]]),
    broker: table([[vector([addr('10.1.2.3'), port(53, 'udp')]), str('dns')]]),
  },
  {
    key: 'set',
    what: 'single index',
    legacy: setVal(T('set[count]') as SetType, [countVal(10), countVal(20)]),
    broker: set([count(10), count(20)]),
  },
  {
    key: 'set',
    what: 'multi-index keys are vectors',
    legacy: setVal(T('set[string, count]') as SetType, [[stringVal('a'), countVal(1)]]),
    broker: set([vector([str('a'), count(1)])]),
  },
  {
    key: 'vector',
    what: 'holes are none',
    legacy: vectorVal(T('vector of string') as VectorType, [stringVal('a'), null, stringVal('c')]),
    broker: vector([str('a'), NONE, str('c')]),
  },
  {
    key: 'pattern',
    what: 'Zeek order [exact, anywhere]',
    legacy: patternVal('fo+[a-z]'),
    broker: vector([str('^?(fo+[a-z])$?'), str('^?(.|\\n)*(fo+[a-z])')]),
    check: (d) => assert.is(((d as Data & { type: 'vector' }).elements[0] as Data & { type: 'string' }).value, '^?(fo+[a-z])$?'),
  },
];

const legacyText = (v: BroVal) => `${typeName(v.type)} ${stringifyJson(typedJson(v))}`;

test('every row of the value table has test cases', () => {
  const keys = new Set(ROWS.map((r) => r.key));
  for (const row of VALUE_ROWS) for (const k of row.legacy) assert.ok(keys.has(k), `no test case for the ${k} row`);
});

for (const r of ROWS) {
  test(`row ${r.key} (${r.what}): legacy -> Broker`, () => {
    const d = toBroker(r.legacy, cx);
    assert.is(hex(d), hex(r.broker));
    r.check?.(d, r.legacy);
  });
  test(`row ${r.key} (${r.what}): Broker -> legacy`, () => {
    const back = toLegacy(r.broker, r.type ?? r.legacy.type, cx);
    assert.is(legacyText(back), legacyText(r.legacy));
    r.check?.(r.broker, back);
    // And the way back is the identity on the Broker side.
    assert.is(hex(toBroker(back, cx)), hex(r.broker));
  });
}

test('row record: Broker -> legacy builds the declared named record', () => {
  const v = toLegacy(vector([count(7), str('seven')]), T('FX::Inner'), cx);
  assert.is(v.type, inner);
  assert.is(typeName(v.type), 'FX::Inner');
});

test('row enum: the declared enum gives the number, whatever the sender numbered', () => {
  const v = toLegacy(enumValue('FX::BLUE'), color, cx) as BroVal & { kind: 'enum' };
  assert.is(v.value, 2);
  assert.is(v.type, color);
});

test('inference without a signature: atomic types map one to one', () => {
  const cases: [Data, string][] = [
    [bool(false), 'bool'],
    [count(1), 'count'],
    [integer(1), 'int'],
    [real(1), 'double'],
    [str('x'), 'string'],
    [addr('1.2.3.4'), 'addr'],
    [subnet('10.0.0.0/8'), 'subnet'],
    [port(80, 'tcp'), 'port'],
    [timestamp(0), 'time'],
    [timespan(0), 'interval'],
  ];
  for (const [d, name] of cases) assert.is(typeName(inferLegacyType(d, cx)), name);
});

test('inference: enum names find their declared enum, unknown ones get an anonymous enum of that name', () => {
  assert.is(inferLegacyType(enumValue('FX::RED'), cx), color);
  const t = inferLegacyType(enumValue('Log::WRITER_ASCII'), cx) as EnumType;
  assert.equal(t.names.map((n) => n.name), ['Log::WRITER_ASCII']);
  const v = toLegacy(enumValue('Log::WRITER_ASCII'), undefined, cx);
  assert.is(hex(toBroker(v, cx)), hex(enumValue('Log::WRITER_ASCII')));
});

test('inference: homogeneous vectors are typed, mixed ones are vector of any; holes allowed', () => {
  assert.is(typeName(inferLegacyType(vector([count(1), NONE, count(2)]), cx)), 'vector of count');
  assert.is(typeName(inferLegacyType(vector([count(1), str('two')]), cx)), 'vector of any');
  assert.is(typeName(inferLegacyType(vector([]), cx)), 'vector of any');
});

test('inference: vector keys of sets and tables are multi-indexes', () => {
  assert.is(typeName(inferLegacyType(set([vector([str('a'), count(1)])]), cx)), 'set[string, count]');
  const nested = table([[vector([count(1), str('k')]), table([[str('inner'), bool(true)]])]]);
  assert.is(typeName(inferLegacyType(nested, cx)), 'table[count, string] of table[string] of bool');
  assert.is(hex(toBroker(toLegacy(nested, undefined, cx), cx)), hex(nested));
});

function code(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

test('drop: a Broker none has no legacy type (argument, set element, index part)', () => {
  assert.is(code(() => toLegacy(NONE, undefined, cx)), 'no_legacy_type');
  assert.is(code(() => toLegacy(NONE, T('count'), cx)), 'no_legacy_type');
  assert.is(code(() => toLegacy(set([NONE]), undefined, cx)), 'no_legacy_type');
  assert.is(code(() => toLegacy(set([set([count(1)])]), undefined, cx)), 'no_legacy_type');
  assert.is(code(() => toLegacy(table([[table([]), count(1)]]), undefined, cx)), 'no_legacy_type');
});

test('drop: values that do not fit the declared type', () => {
  assert.is(code(() => toLegacy(count(1), T('string'), cx)), 'type_mismatch');
  assert.is(code(() => toLegacy(integer(1), T('count'), cx)), 'type_mismatch');
  assert.is(code(() => toLegacy(vector([str('a')]), T('pattern'), cx)), 'type_mismatch');
  assert.is(code(() => toLegacy(table([[str('a'), count(1)]]), T('set[string]'), cx)), 'type_mismatch');
  assert.is(code(() => toLegacy(str('x'), T('table[string] of count'), cx)), 'type_mismatch');
});

test('drop: arity of records and multi-index keys', () => {
  assert.is(code(() => toLegacy(vector([count(1)]), inner, cx)), 'arity_mismatch');
  assert.is(code(() => toLegacy(vector([count(1), str('a'), str('b')]), inner, cx)), 'arity_mismatch');
  assert.is(code(() => toLegacy(set([vector([str('a')])]), T('set[string, count]'), cx)), 'arity_mismatch');
});

test('drop: heterogeneous sets without a declaration', () => {
  assert.is(code(() => toLegacy(set([count(1), count(2), str('x')]), undefined, cx)), 'heterogeneous_container');
  assert.is(code(() => toLegacy(table([[count(1), bool(true)], [str('x'), bool(false)]]), undefined, cx)), 'heterogeneous_container');
});

test('drop: enum names and numbers nobody declared', () => {
  assert.is(code(() => toLegacy(enumValue('FX::PURPLE'), color, cx)), 'unknown_enum_name');
  const broccoli: BroVal = { kind: 'enum', type: { kind: 'byname', name: 'Other::kind' }, value: 7, name: null };
  assert.is(code(() => toBroker(broccoli, cx)), 'unresolved_enum');
  const known: BroVal = { kind: 'enum', type: { kind: 'byname', name: 'FX::Color' }, value: 1, name: null };
  assert.is(hex(toBroker(known, cx)), hex(enumValue('FX::GREEN')));
});

test('drop: numbers the other side cannot hold', () => {
  assert.is(code(() => toBroker(timeVal(Number.NaN), cx)), 'value_out_of_range');
  assert.is(code(() => toBroker(intervalVal(1e10), cx)), 'value_out_of_range');
  assert.is(code(() => toBroker(subnetVal('10.0.0.0/33'), cx)), 'value_out_of_range');
  assert.is(code(() => toBroker(addrVal('not-an-address'), cx)), 'value_out_of_range');
});

test('drop: nesting beyond the limit', () => {
  let d: Data = count(1);
  for (let i = 0; i < 80; i++) d = vector([d]);
  assert.is(code(() => toLegacy(d, undefined, cx)), 'depth_exceeded');
  let v: BroVal = countVal(1);
  for (let i = 0; i < 80; i++) v = vectorVal(cx.types.vectorOf(v.type) as VectorType, [v]);
  assert.is(code(() => toBroker(v, { types: cx.types, maxDepth: 16 })), 'depth_exceeded');
});

test('a type only known by name resolves through the registry; unknown names are an error', () => {
  const v = toLegacy(vector([count(1), NONE]), { kind: 'byname', name: 'FX::Inner' }, cx);
  assert.is(v.type, inner);
  assert.is(code(() => toLegacy(vector([]), { kind: 'byname', name: 'Nope::T' }, cx)), 'unknown_type');
});

test.run();
