// The codec's building blocks on their own: PARTIAL framing, the zlib chunk format, both caches,
// string escaping, address text, 64-bit integers, builders and the plain/typed views.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { toHex } from '../../src/core/json.ts';
import { ChunkReader, writeChunk } from '../../legacy/codec/framing.ts';
import { ChunkDeflater, ChunkInflater } from '../../legacy/codec/compression.ts';
import { ReceiverCache, SenderCache } from '../../legacy/codec/serial-cache.ts';
import { SerType } from '../../legacy/codec/constants.ts';
import { decodeText, escapeBytes, unescapeText } from '../../legacy/codec/strings.ts';
import { formatV6, parseAddr, parseSubnet } from '../../legacy/codec/addr.ts';
import { readI64, readU64, writeI64 } from '../../legacy/codec/int64.ts';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder } from '../../legacy/codec/stream-encoder.ts';
import { SerialDecoder } from '../../legacy/codec/serial-reader.ts';
import { SerialEncoder } from '../../legacy/codec/serial-writer.ts';
import { BASE, countVal, enumType, eventBody, patternVal, portVal, recordType, recordVal, stringVal, typeList } from '../../legacy/codec/builders.ts';
import { toPlain, typedJson } from '../../legacy/codec/plain.ts';
import type { BroVal } from '../../legacy/codec/model.ts';

test('framing: chunks larger than a physical chunk go out as PARTIAL pieces and come back whole', () => {
  const payload = Uint8Array.from({ length: 50 }, (_, i) => i);
  const w = new ByteWriter();
  writeChunk(w, payload, { maxPiece: 16 });
  const wire = w.toBytes();
  assert.is(toHex(wire.subarray(0, 4)), '80000010');
  assert.is(wire.length, 50 + 4 * 4);
  const r = new ChunkReader({ maxChunkSize: 16, maxMessageSize: 64 });
  r.push(wire);
  const got = r.next()!;
  assert.equal([...got], [...payload]);
  assert.is(r.offset, 4);
  assert.is(r.next(), undefined);
  // Exactly one physical chunk's worth is not split.
  const w2 = new ByteWriter();
  writeChunk(w2, payload.subarray(0, 16), { maxPiece: 16 });
  assert.is(toHex(w2.toBytes().subarray(0, 4)), '00000010');
});

test('framing: a 2.5 MB event crosses the default 1 MiB - 4 limit and is reassembled', () => {
  const big = 'x'.repeat(2_500_000);
  const enc = new LegacyStreamEncoder({ serial: { format: { caching: false } } });
  const wire = enc.encode({ type: 'SERIAL', body: eventBody('big', [stringVal(big)], 0) });
  const prefix = (at: number) => new ByteReader(wire, 0, at).u32('len');
  assert.is(prefix(12), (0x80000000 | (1024 * 1024 - 4)) >>> 0);
  const dec = new LegacyStreamDecoder();
  dec.push(wire);
  const m = dec.next();
  assert.ok(m?.type === 'SERIAL' && m.body.kind === 'event');
  const v = m.body.args[0]!;
  assert.ok(v.kind === 'string' && v.value === big);
  assert.throws(() => new LegacyStreamEncoder({ noPartial: true }).encode({ type: 'SERIAL', body: eventBody('big', [stringVal(big)], 0) }));
});

test('compression: short chunks raw with trailer 0, longer ones deflated with a little-endian length', () => {
  const def = new ChunkDeflater(9);
  const inf = new ChunkInflater(1 << 20);
  const small = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.is(toHex(def.encode(small)), '0102030405060708' + '00000000');
  const chunks = [new Uint8Array(29).fill(7), new Uint8Array(30).fill(7), Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff), new Uint8Array(300)];
  for (const c of chunks) {
    const z = def.encode(c).slice();
    const trailer = z.subarray(z.length - 4);
    assert.is(new ByteReader(trailer).u32le('n'), c.length >= 30 ? c.length : 0);
    if (c.length >= 30) assert.equal([...z.subarray(z.length - 8, z.length - 4)], [0x00, 0x00, 0xff, 0xff]);
    assert.equal([...inf.decode(z, 0)], [...c]);
  }
  for (let level = 0; level <= 9; level++) {
    const d = new ChunkDeflater(level);
    const i = new ChunkInflater(1 << 20);
    const data = Uint8Array.from({ length: 1000 }, (_, k) => k % 13);
    assert.equal([...i.decode(d.encode(data).slice(), 0)], [...data], `level ${level}`);
  }
});

test('sender cache: pids run on across messages, lookups move to MRU, trimming drops the oldest', () => {
  const c = new SenderCache(2);
  const [a, b, x, t] = [{}, {}, {}, {}];
  assert.is(c.register(a, SerType.VAL, false), 1);
  assert.is(c.register(b, SerType.VAL, false), 2);
  c.endSerialization();
  assert.is(c.lookup(a), 1); // a is now the most recent
  assert.is(c.register(x, SerType.RE_MATCHER, false), 3);
  c.endSerialization(); // the matcher (not a BroObj) is dropped, then nothing to trim
  assert.is(c.lookup(x), 0);
  assert.is(c.register(t, SerType.VAL, false), 4);
  c.endSerialization(); // 3 entries > 2: b (least recently used) goes
  assert.is(c.lookup(b), 0);
  assert.is(c.lookup(a), 1);
  c.clear();
  assert.is(c.size, 0);
  assert.is(c.register(a, SerType.VAL, false), 5);
});

test('new cache strategy: types live in their own list, trimmed separately', () => {
  const c = new SenderCache(1);
  const [type, val1, val2] = [{}, {}, {}];
  c.register(type, SerType.BRO_TYPE, true);
  c.register(val1, SerType.VAL, true);
  c.register(val2, SerType.VAL, true);
  c.endSerialization();
  assert.is(c.lookup(type), 1);
  assert.is(c.lookup(val1), 0);
  assert.is(c.lookup(val2), 3);
  const old = new SenderCache(1);
  old.register(type, SerType.BRO_TYPE, false);
  old.register(val1, SerType.VAL, false);
  old.endSerialization();
  assert.is(old.lookup(type), 0);
});

test('receiver cache: pid 0 is never cached; its eviction mirrors the sender over many messages', () => {
  const r = new ReceiverCache(3000, 100);
  assert.is(r.register(0, {}, 'val', SerType.VAL, false, 0), undefined);
  assert.is(r.size, 0);
  // Random traffic through a real encoder/decoder pair with a tiny capacity: no cache miss ever.
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (const strategy of [false, true]) {
    const format = { pid64: strategy, newCacheStrategy: strategy, caching: true };
    const enc = new SerialEncoder({ format, cacheSize: 3 });
    const full = new SerialEncoder({ format: { ...format, caching: false } });
    const dec = new SerialDecoder({ format, cacheSize: 3 });
    const pool: BroVal[] = Array.from({ length: 12 }, (_, i) => (i % 2 ? countVal(i) : stringVal(`s${i}`)));
    let backrefs = 0;
    for (let i = 0; i < 300; i++) {
      const args = Array.from({ length: 1 + rnd(3) }, () => pool[rnd(pool.length)]!);
      const w = new ByteWriter();
      enc.encode(eventBody('e', args, 0), w);
      const bytes = w.toBytes();
      if (bytes.length < full.encodeToBytes(eventBody('e', args, 0)).length) backrefs++;
      const body = dec.decode(bytes);
      assert.ok(body.kind === 'event');
      assert.equal(body.args.map(toPlain), args.map(toPlain));
      assert.is(dec.cache.size, enc.cache.size);
    }
    assert.ok(backrefs > 0);
  }
});

test('strings: valid UTF-8 (with NULs and a BOM) is text; anything else is escaped losslessly', () => {
  const valid = new TextEncoder().encode('\ufeffhello\u0000wörld ✓');
  assert.equal(decodeText(valid, 0, valid.length), { text: '\ufeffhello\u0000wörld ✓', raw: undefined });
  const bad = Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x5c, 0x78, 0x34, 0x31, 0xc3, 0xa9, 0xff]);
  const d = decodeText(bad, 0, bad.length);
  assert.is(d.text, 'caf\\xe9\\x5cx41é\\xff');
  assert.equal([...unescapeText(d.text)], [...bad]);
  let seed = 3;
  for (let i = 0; i < 200; i++) {
    const bytes = Uint8Array.from({ length: 1 + (i % 40) }, () => ((seed = (seed * 69069 + 1) >>> 0) >>> 24));
    assert.equal([...unescapeText(escapeBytes(bytes))], [...bytes]);
  }
});

test('addresses: Bro/inet_ntop rendering and its exact inverse', () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0], '::'],
    [[0, 0, 0, 1], '::1'],
    [[0x20010db8, 0, 0, 1], '2001:db8::1'],
    [[0x2607f8b0, 0x40090802, 0, 0x1014], '2607:f8b0:4009:802::1014'],
    [[0, 0, 0xffff, 0x01020304], '::ffff:1.2.3.4'],
    [[0, 0, 0, 0x01020304], '::1.2.3.4'],
    [[0x00010000, 0x00010000, 0, 1], '1:0:1::1'],
    [[0x00010000, 0x00000001, 0x00000000, 0x00010000], '1::1:0:0:1:0'],
    [[0x20010db8, 0, 0, 0], '2001:db8::'],
    [[0x00010002, 0x00030004, 0x00050006, 0x00070008], '1:2:3:4:5:6:7:8'],
  ];
  for (const [words, text] of cases) {
    assert.is(formatV6(words[0]!, words[1]!, words[2]!, words[3]!), text);
    assert.equal(parseAddr(text), words);
  }
  assert.equal(parseAddr('10.1.2.3'), [0x0a010203]);
  assert.equal(parseSubnet('10.0.0.0/8'), { words: [0x0a000000], width: 8 });
  for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', 'gggg::', '1:2:3:4:5:6:7:8:9', '']) assert.is(parseAddr(bad), undefined, bad);
});

test('64-bit integers: numbers while exact, bigints beyond, two\'s complement either way', () => {
  const values = [0, 1, -1, 42, -42, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 63n), 2n ** 63n - 1n];
  for (const v of values) {
    const w = new ByteWriter();
    writeI64(w, v);
    const got = readI64(new ByteReader(w.toBytes()), 'v');
    assert.is(typeof got, typeof v === 'bigint' ? 'bigint' : 'number');
    assert.is(BigInt(got), BigInt(v));
  }
  const w = new ByteWriter();
  writeI64(w, 2n ** 64n - 1n);
  assert.is(readU64(new ByteReader(w.toBytes()), 'v'), 2n ** 64n - 1n);
});

test('builders: enum names sorted as Bro sends them, patterns rendered, pure type lists', () => {
  const e = enumType('FX::Color', ['FX::RED', 'FX::GREEN', 'FX::BLUE']);
  assert.equal(e.names, [
    { name: 'FX::BLUE', value: 2 },
    { name: 'FX::GREEN', value: 1 },
    { name: 'FX::RED', value: 0 },
  ]);
  assert.is(e.counter, 3);
  const p = patternVal('fo+[a-z]');
  assert.ok(p.kind === 'pattern' && p.matcher.exact === '^?(fo+[a-z])$?' && p.matcher.anywhere === '^?(.|\\n)*(fo+[a-z])');
  assert.is(typeList([BASE.string, BASE.string]).pure, BASE.string);
  assert.is(typeList([BASE.string, BASE.count]).pure, null);
});

test('plain and typed views', () => {
  const Inner = recordType('FX::Inner', [
    { name: 'a', type: BASE.count },
    { name: 'b', type: BASE.string, optional: true },
  ]);
  const r = recordVal(Inner, [countVal(7), null]);
  assert.equal(toPlain(r), { a: 7, b: null });
  assert.equal(typedJson(r), { type: 'record', value: [{ type: 'count', value: 7 }, null], name: 'FX::Inner', fields: ['a', 'b'] });
  assert.equal(typedJson(portVal(8, 'icmp')), { type: 'port', value: '8/icmp' });
  assert.equal(typedJson(stringVal(Uint8Array.of(0xff))), { type: 'string', value: '\\xff', escaped: true });
});

test.run();
