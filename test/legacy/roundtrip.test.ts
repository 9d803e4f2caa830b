// Encoding what was decoded gives back the captured bytes: every message the bridge could send
// (all of them; only the header padding is garbage, and it is carried through headerPad), including
// Bro's cached SERIALs (pids and back-references come out of the sender cache) and zlib chunks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../src/core/json.ts';
import { LegacyStreamEncoder } from '../../legacy/codec/stream-encoder.ts';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import type { LegacyMessage } from '../../legacy/codec/messages.ts';
import {
  BASE,
  countVal,
  enumType,
  enumVal,
  eventBody,
  recordType,
  recordVal,
  setType,
  setVal,
  stringVal,
  timeVal,
  vectorType,
  vectorVal,
  addrVal,
  subnetVal,
  portVal,
  patternVal,
  tableType,
  tableVal,
  intVal,
  boolVal,
} from '../../legacy/codec/builders.ts';
import { CAPTURES, replay } from './helpers.ts';

function reencode(name: string): { exact: number; total: number; firstDiff?: string } {
  const encoders = new Map<string, LegacyStreamEncoder>();
  let exact = 0;
  let firstDiff: string | undefined;
  const msgs = replay(name);
  for (const m of msgs) {
    // In bro-bro-retry the client is one Bro process that reconnects: its pid counter runs on.
    const key = name === 'bro-bro-retry' && m.dir === 'c2s' ? 'client' : `${m.conn}/${m.dir}`;
    let enc = encoders.get(key);
    if (enc === undefined) encoders.set(key, (enc = new LegacyStreamEncoder({ compressionLevel: 9 })));
    if (m.msg.type === 'VERSION') {
      enc.reset();
      enc.serial.cache.capacity = m.msg.cacheSize;
    }
    enc.serial.format = m.format;
    const bytes = enc.encode(m.msg);
    if (toHex(bytes) === toHex(m.wire)) exact++;
    else firstDiff ??= `${m.dir} ${m.msg.type}: want ${toHex(m.wire).slice(0, 120)} got ${toHex(bytes).slice(0, 120)}`;
  }
  return firstDiff === undefined ? { exact, total: msgs.length } : { exact, total: msgs.length, firstDiff };
}

for (const name of CAPTURES) {
  test(`${name}: every message re-encodes to the captured bytes`, () => {
    const r = reencode(name);
    assert.ok(r.total > 0);
    assert.is(r.firstDiff, undefined);
    assert.is(r.exact, r.total);
  });
}

test('without the garbage padding the header goes out as zeros, the rest unchanged', () => {
  const m = replay('broping').find((r) => r.dir === 's2c' && r.msg.type === 'VERSION')!;
  const { headerPad, ...clean } = m.msg;
  assert.is(headerPad, 0xa50b01);
  const bytes = new LegacyStreamEncoder().encode(clean as LegacyMessage);
  const want = new Uint8Array(m.wire);
  want.set([0, 0, 0], 5);
  assert.is(toHex(bytes), toHex(want));
});

const Color = enumType('FX::Color', ['FX::RED', 'FX::GREEN', 'FX::BLUE']);
const Inner = recordType('FX::Inner', [
  { name: 'a', type: BASE.count },
  { name: 'b', type: BASE.string, optional: true },
]);
const Outer = recordType('FX::Outer', [
  { name: 'name', type: BASE.string },
  { name: 'inner', type: Inner },
  { name: 'tags', type: setType([BASE.string]) },
  { name: 'nums', type: vectorType(BASE.count) },
  { name: 'stamp', type: BASE.time },
  { name: 'maybe', type: BASE.addr, optional: true },
]);

function sampleEvent() {
  const outerFields = Outer.fields!;
  return eventBody(
    'FX::fx_everything',
    [
      recordVal(Outer, [
        stringVal('outer'),
        recordVal(Inner, [countVal(7), stringVal('seven')]),
        setVal(outerFields[2]!.type as never, [stringVal('x'), stringVal('y')]),
        vectorVal(outerFields[3]!.type as never, [countVal(1), null, countVal(2n ** 60n)]),
        timeVal(1500000000.25),
        null,
      ]),
      enumVal(Color, 'FX::GREEN'),
      stringVal(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x5c])),
      addrVal('2001:db8::1'),
      subnetVal('10.0.0.0/8'),
      portVal(53, 'udp'),
      patternVal('fo+[a-z]'),
      tableVal(tableType([BASE.addr, BASE.port], BASE.string), [[[addrVal('10.1.2.3'), portVal(53, 'udp')], stringVal('dns')]]),
      intVal(-(2n ** 63n)),
      boolVal(false),
    ],
    1795318587.25,
  );
}

test('built values survive encode -> decode in every SERIAL format, with caching and without', () => {
  for (const format of [
    { pid64: false, newCacheStrategy: false, caching: false },
    { pid64: false, newCacheStrategy: false, caching: true },
    { pid64: true, newCacheStrategy: true, caching: true },
  ]) {
    const enc = new LegacyStreamEncoder({ serial: { format } });
    const dec = new LegacyStreamDecoder({ serial: { format } });
    const body = sampleEvent();
    // Twice: the second time (with caching) the types and the enum go out as back-references.
    const first = enc.encode({ type: 'SERIAL', body });
    const second = enc.encode({ type: 'SERIAL', body: { ...body, args: body.args.slice(1) } });
    if (format.caching) assert.ok(second.length < first.length / 2, `second message shrinks with caching (${second.length} vs ${first.length})`);
    dec.push(first);
    dec.push(second);
    const [a, b] = dec.drain();
    assert.ok(a?.type === 'SERIAL' && a.body.kind === 'event' && b?.type === 'SERIAL' && b.body.kind === 'event');
    assert.equal(a.body, body);
    assert.equal(b.body.args, body.args.slice(1));
    if (format.caching) assert.is(b.body.args[0], a.body.args[1]);
    // A decoder with the same cache history re-encodes to the same bytes.
    const again = new LegacyStreamEncoder({ serial: { format } });
    assert.is(toHex(again.encode(a)), toHex(first));
    assert.is(toHex(again.encode(b)), toHex(second));
  }
});

test('towards a no-caching peer every object is sent in full with pid 0', () => {
  const enc = new LegacyStreamEncoder({ serial: { format: { caching: false } } });
  const bytes = enc.encode({ type: 'SERIAL', body: eventBody('e', [countVal(1), countVal(2)], 0) });
  const hex = toHex(bytes);
  // Both values carry a full count type, pid 0, base_type 1.
  assert.is(hex.split('01010000000' + '08a0100030200010000000000').length - 1, 2);
  assert.is(enc.serial.cache.size, 0);
});

test.run();
