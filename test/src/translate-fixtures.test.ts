// Real values from the captures through the translator: every legacy event of every legacy
// capture survives legacy -> Broker -> legacy, every Broker value of the all-types capture survives
// Broker -> legacy -> Broker byte for byte (or is dropped with the documented reason).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderData, type Data } from '../../modern/data/index.ts';
import { brokerEventToLegacy, legacyEventToBroker } from '../../src/translate/events.ts';
import { toBroker, toLegacy } from '../../src/translate/values.ts';
import { TypeRegistry } from '../../src/translate/type-registry.ts';
import { parseZeekMessage, networkTimestamp, type ZeekEvent } from '../../modern/data/index.ts';
import { CAPTURES } from '../legacy/helpers.ts';
import { brokerValues, canon, fxContext, hex, legacyEvents } from './translate-helpers.ts';

const cx = fxContext();
const fx = legacyEvents('bro-bro-types');

test('bro-bro-types: the 20 FX events and their 20 acks are all there', () => {
  assert.is(fx.filter((e) => e.event.name.startsWith('FX::fx_')).length, 20);
  assert.is(fx.filter((e) => e.event.name === 'FX::fxr_ack').length, 20);
});

const EXPECTED: Record<string, string> = {
  'FX::fx_bool': 'T',
  'FX::fx_int': '-42',
  'FX::fx_count': '42u',
  'FX::fx_double': '3.5',
  'FX::fx_time': 'ts(1500000000500000000ns)',
  'FX::fx_interval': 'span(90000000000ns)',
  'FX::fx_string': "'hello\\x00world'",
  'FX::fx_port': 'port(80/tcp) port(53/udp) port(8/icmp)',
  'FX::fx_addr': 'addr(192.168.1.2) addr(2001:db8::1)',
  'FX::fx_subnet': 'subn(10.0.0.0/8) subn(2001:db8::/32)',
  'FX::fx_enum': 'enum(FX::GREEN)',
  'FX::fx_record': "[7u, 'seven']",
  'FX::fx_outer': "['outer', [7u, 'seven'], {'x', 'y'}, [1u, 2u, 3u], ts(1500000000250000000ns), nil]",
  'FX::fx_table': "{'one' -> 1u, 'two' -> 2u}",
  'FX::fx_set': '{10u, 20u, 30u}',
  'FX::fx_table2': "{[addr(10.1.2.3), port(53/udp)] -> 'dns'}",
  'FX::fx_vector': "['a', 'b', 'c']",
  'FX::fx_pattern': "['^?(fo+[a-z])$?', '^?(.|\\\\n)*(fo+[a-z])']",
  'FX::fx_multi': "[7u, 'seven'] [8u, nil] enum(FX::RED) enum(FX::BLUE)",
  'FX::fx_done': '19u',
};

for (const { event } of fx.filter((e) => e.event.name.startsWith('FX::fx_'))) {
  test(`bro-bro-types ${event.name}: Broker arguments as Zeek expects them`, () => {
    const msg = parseZeekMessage(legacyEventToBroker(event, cx)) as ZeekEvent;
    assert.is(msg.name, event.name);
    assert.is(msg.args.map(renderData).join(' '), EXPECTED[event.name]);
    // The SERIAL's network time becomes the NetworkTimestamp metadata, exactly.
    assert.is(BigInt(networkTimestamp(msg)!), BigInt(Math.round(event.time * 1e6)) * 1000n);
  });
  test(`bro-bro-types ${event.name}: legacy -> Broker -> legacy keeps every value`, () => {
    const msg = parseZeekMessage(legacyEventToBroker(event, cx)) as ZeekEvent;
    const back = brokerEventToLegacy(msg, cx, () => 0);
    assert.is(back.name, event.name);
    assert.is(back.time, event.time);
    assert.equal(back.args.map(canon), event.args.map(canon));
    // Declared types are what comes back: the anonymous record the sender built is FX::Inner now.
    assert.equal(back.args.map((a) => a.type), cx.types.event(event.name));
  });
  test(`bro-bro-types ${event.name}: Broker -> legacy -> Broker is byte-exact`, () => {
    const data = legacyEventToBroker(event, cx);
    const back = legacyEventToBroker(brokerEventToLegacy(parseZeekMessage(data) as ZeekEvent, cx, () => 0), cx);
    assert.is(hex(back), hex(data));
  });
}

// What an operator declares for the Broccoli test programs: only records need it (a Broker vector
// is never guessed to be a record) and Broccoli's enums (sent as a number without names).
const BROCCOLI = {
  'broping-record': {
    records: { ping_data: ['seq: count', 'src_time: time'], pong_data: ['seq: count', 'src_time: time', 'dst_time: time'] },
    events: { ping: ['ping_data'], pong: ['pong_data'] },
  },
  broenum: { enums: { 'enumtest::enumtype': [['ENUM1', 0], ['ENUM3', 3330185635498557440]] } },
} as const;

test('every event of every legacy capture survives legacy -> Broker -> legacy (declared or inferred types)', () => {
  let n = 0;
  for (const capture of CAPTURES) {
    const decl = (BROCCOLI as Record<string, Parameters<typeof TypeRegistry.from>[0]>)[capture];
    const bare = { types: TypeRegistry.from(decl ?? {}) };
    for (const { event } of legacyEvents(capture)) {
      const c = event.name.startsWith('FX::') ? cx : bare;
      const data = event.args.map((a) => toBroker(a, c));
      const back = data.map((d, i) => toLegacy(d, c.types.event(event.name)?.[i], c));
      const want = event.args.map(canon);
      const got = back.map(canon);
      if (event.name === 'enumtest') {
        // Broccoli sent the number without its name table; the declaration supplied the name.
        assert.is(renderData(data[0]!), 'enum(enumtest::ENUM3)');
      } else assert.equal(got, want, `${capture} ${event.name}`);
      n++;
    }
  }
  assert.ok(n > 100, `${n} events`);
});

const values = brokerValues('native-alltypes');
const DROPPED: Record<string, string> = {
  '/bridge/test/value/none': 'no_legacy_type',
  '/bridge/test/value/set': 'heterogeneous_container',
};

for (const { topic, value } of values.filter((v) => v.topic.startsWith('/bridge/test/value/'))) {
  test(`native-alltypes ${topic}: Broker -> legacy -> Broker${DROPPED[topic] ? ' (dropped)' : ''}`, () => {
    let code = '';
    let back: Data | undefined;
    try {
      back = toBroker(toLegacy(value, undefined, cx), cx);
    } catch (err) {
      code = (err as { code: string }).code;
    }
    if (DROPPED[topic] !== undefined) assert.is(code, DROPPED[topic]);
    else assert.is(hex(back!), hex(value), renderData(value));
  });
}

test('native-alltypes: the all-types event without a declaration is dropped for its none argument', () => {
  const all = values.find((v) => v.topic === '/bridge/test/event/all')!;
  const ev = parseZeekMessage(all.value) as ZeekEvent;
  let code = '';
  try {
    brokerEventToLegacy(ev, cx, () => 0);
  } catch (err) {
    code = (err as { code: string }).code;
  }
  assert.is(code, 'no_legacy_type');
  assert.is(ev.args.length, 29);
});

test('native-alltypes: with a declaration, the all-types event arguments after the none are exact', () => {
  const all = values.find((v) => v.topic === '/bridge/test/event/all')!;
  const ev = parseZeekMessage(all.value) as ZeekEvent;
  const types = TypeRegistry.from({
    events: {
      // `any` where Zeek's own declaration could not be precise (mixed set and vector elements).
      bridge_all_types: [
        'any', 'bool', 'bool', 'count', 'count', 'int', 'int', 'double', 'double', 'string', 'string', 'string', 'string',
        'addr', 'addr', 'subnet', 'subnet', 'port', 'port', 'port', 'port', 'time', 'interval', 'any', 'set[any]',
        'table[string] of count', 'vector of any', 'vector of any', 'table[count, string] of table[string] of bool',
      ],
    },
  });
  const c = { types };
  const rest = { ...ev, args: ev.args.slice(1) };
  // The leading none has no legacy form at all; the other 28 arguments go through.
  const sig = types.event('bridge_all_types')!.slice(1);
  const back = rest.args.map((a, i) => {
    try {
      return hex(toBroker(toLegacy(a, sig[i], c), c));
    } catch (err) {
      return (err as { code: string }).code;
    }
  });
  assert.equal(back, rest.args.map(hex));
});

test('native-alltypes: NetworkTimestamp metadata becomes the legacy event time, and back', () => {
  const withTs = values.find((v) => v.topic === '/bridge/test/event/ts')!;
  const ev = parseZeekMessage(withTs.value) as ZeekEvent;
  const legacy = brokerEventToLegacy(ev, cx, () => 0);
  assert.is(legacy.time, 1700000000.5);
  assert.is(hex(legacyEventToBroker(legacy, cx)), hex(withTs.value));
  const ping = parseZeekMessage(values.find((v) => v.topic === '/bridge/test/event/ping')!.value) as ZeekEvent;
  assert.is(brokerEventToLegacy(ping, cx, () => 1234.5).time, 1234.5);
});

test.run();
