// Bad input ends in a specific LegacyError code (with field, offset and cause), never in an
// untyped exception or a hang.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflate } from 'pako';
import { ByteWriter } from '../../src/core/bytes.ts';
import { BridgeError } from '../../src/core/errors.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { LegacyError, type LegacyErrorCode } from '../../legacy/codec/errors.ts';
import { LegacyStreamDecoder, type StreamDecoderOptions } from '../../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder } from '../../legacy/codec/stream-encoder.ts';
import { writeChunk } from '../../legacy/codec/framing.ts';
import { checkVersion, makeVersion } from '../../legacy/codec/version.ts';
import { ChunkDeflater } from '../../legacy/codec/compression.ts';
import { BASE, addrVal, countVal, eventBody, portVal, vectorType, vectorVal } from '../../legacy/codec/builders.ts';
import type { BroVal } from '../../legacy/codec/model.ts';
import { CAPTURES, streams } from './helpers.ts';

const hex = (...parts: string[]) => parts.join('').replace(/\s+/g, '');
const u32 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
const chunk = (payload: string) => u32(payload.length / 2) + payload;
const header = (type: number) => chunk(type.toString(16).padStart(2, '0') + '000000' + '00000000');
const str = (s: string) => u32(s.length) + Buffer.from(s).toString('hex');
const serial = (...payload: string[]) => header(2) + chunk(hex(...payload));
const countType = '01 01 00000000 8a01 00 03 02 00 00 00000000';
const countValue = (n: number) => hex('01 00000000 8801 00', countType, '00000000', u32(n));
const event = (...args: string[]) => hex('65', str('ev'), '41dac09892f7f590', u32(args.length), ...args);

function run(input: string | Uint8Array, options: StreamDecoderOptions = {}): unknown[] {
  const d = new LegacyStreamDecoder(options);
  d.push(typeof input === 'string' ? fromHex(hex(input)) : input);
  const out = d.drain();
  d.end();
  return out;
}

function expectCode(code: LegacyErrorCode, fn: () => unknown): LegacyError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, LegacyError, `expected a LegacyError, got ${String(err)}`);
    assert.instance(err, BridgeError);
    assert.is((err as LegacyError).code, code, (err as Error).message);
    return err as LegacyError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

test('truncated: inside a chunk, between header and argument, inside a SERIAL', () => {
  const e0 = expectCode('truncated', () => run('00000008 0100'));
  assert.is(e0.field, 'chunk');
  const e1 = expectCode('truncated', () => run(header(1) + '00000011 0000000700'));
  assert.is(e1.field, 'VERSION.args');
  const e2 = expectCode('truncated', () => run(header(2)));
  assert.is(e2.field, 'SERIAL.args');
  const e3 = expectCode('truncated', () => run(serial(hex('65', str('ev'), '41dac09892f7f590', u32(1)))));
  assert.is(e3.field, 'event.args');
  assert.instance(e3.cause, BridgeError);
  assert.ok(e3.offset !== undefined && e3.offset > 0);
});

test('limit_exceeded: a 64-bit cache id beyond 2^53', () => {
  const v = hex('01 0020000000000001 8801 00', countType);
  expectCode('limit_exceeded', () => run(serial(event(v)), { serial: { format: { pid64: true, newCacheStrategy: false } } }));
});

test('oversize_chunk and oversize_message: length limits, checked before the payload arrives', () => {
  const e = expectCode('oversize_chunk', () => run('01000001', { limits: { maxChunkSize: 1 << 20 } }));
  assert.is(e.offset, 0);
  const piece = 'aa'.repeat(60);
  expectCode('oversize_message', () => run(u32(0x80000000 | 60) + piece + u32(60) + piece, { limits: { maxMessageSize: 100 } }));
  expectCode('oversize_chunk', () => writeChunk(new ByteWriter(), new Uint8Array(40), { maxPiece: 16, noPartial: true }));
  const enc = new LegacyStreamEncoder({ noPartial: true, maxPiece: 64 });
  expectCode('oversize_chunk', () => enc.encode({ type: 'REQUEST_EVENTS', events: ['x'.repeat(100)] }));
});

test('zero_length_chunk, whole or as a PARTIAL piece', () => {
  expectCode('zero_length_chunk', () => run('00000000'));
  expectCode('zero_length_chunk', () => run(u32(0x80000000)));
});

test('unknown_message_type: internal types and anything unassigned', () => {
  for (const type of [0x00, 0x03, 0x05, 0x13, 0x1a, 0x21, 0xff]) {
    const e = expectCode('unknown_message_type', () => run(header(type)));
    assert.is(e.field, 'header.type');
  }
});

test('unexpected_argument_chunk: a non-8-byte chunk where a header is due', () => {
  expectCode('unexpected_argument_chunk', () => run(chunk('0000000700000bb80000001a00000000')));
});

test('malformed_message: argument layouts that do not fit their type', () => {
  expectCode('malformed_message', () => run(header(0x11) + chunk('0000000d00000000')));
  expectCode('malformed_message', () => run(header(0x0f) + chunk('00'.repeat(20))));
  expectCode('malformed_message', () => run(header(0x01) + chunk('00000007000003e8')));
  expectCode('malformed_message', () => run(header(0x0d) + chunk('0000000100')));
  expectCode('malformed_message', () => run(header(0x17) + chunk('6600')));
  expectCode('malformed_message', () => run(serial(event(countValue(1)), '00')));
  expectCode('malformed_message', () => run(serial(hex('65', str('ev'), '41dac09892f7f590', 'ffffffff'))));
});

test('unknown_serial_kind: connections, timers, packets and garbage', () => {
  for (const kind of ['63', '74', '70', '00', 'ff']) expectCode('unknown_serial_kind', () => run(serial(kind)));
});

test('unknown_serial_type: a type where a value is due, an abstract type class', () => {
  expectCode('unknown_serial_type', () => run(serial(event(hex('01 00000000 8a01 00')))));
  expectCode('unknown_serial_type', () => run(serial(event(hex('01 00000000 8801 00 01 01 00000000 8a03 00')))));
  // A back-reference decoded as the wrong family is refused too.
  expectCode('bad_value', () => run(serial(event(hex('01 00000001 8801 00 01 00 00000001')))));
});

test('unknown_type_tag', () => {
  expectCode('unknown_type_tag', () => run(serial(event(hex('01 00000000 8801 00 01 01 00000000 8a01 00 63 02 00 00 00000000 0000000000000001')))));
});

test('unsupported_object: attribute expressions, file values', () => {
  const attrs = hex('01 00000000 8c01 00 01 01 00000000 8a01 00 08 04 00 01 00000000 00000001 01');
  const id = hex('69 01 00000000 9001 00', str('x'), '02 00 00000000 00000000 00000000 00000000 00 00', '01 01 00000000 8a01 00 08 04 00 01 00000000', '01', attrs);
  expectCode('unsupported_object', () => run(serial(id)));
  expectCode('unsupported_object', () => run(serial(event(hex('01 00000000 8801 00 01 01 00000000 8a09 00 15 07 00 00 00000000', countType)))));
});

test('unknown_type_name: a plain value whose type came by name only', () => {
  expectCode('unknown_type_name', () => run(serial(event(hex('01 00000000 8801 00 00', str('my_count'), '0000000000000001')))));
  // With a resolver it decodes.
  const [m] = run(serial(event(hex('01 00000000 8801 00 00', str('my_count'), '0000000000000001'))), {
    serial: { typeByName: (name) => (name === 'my_count' ? BASE.count : undefined) },
  }) as [{ body: { args: BroVal[] } }];
  assert.equal(m.body.args[0]!.kind, 'count');
});

test('bad_value: address width, port bits, value class vs type', () => {
  const addrType = '01 01 00000000 8a01 00 0d 05 00 01 00000000';
  expectCode('bad_value', () => run(serial(event(hex('01 00000000 8804 00', addrType, '00000003 01020304 01020304 01020304')))));
  const portType = '01 01 00000000 8a01 00 0c 02 00 01 00000000';
  expectCode('bad_value', () => run(serial(event(hex('01 00000000 8803 00', portType, '00000000 00040050')))));
  expectCode('bad_value', () => run(serial(event(hex('01 00000000 880a 00', countType, '00000000 00000001')))));
});

test('nesting_too_deep: vectors of vectors beyond the limit', () => {
  let v: BroVal = countVal(1);
  let t = BASE.count as import('../../legacy/codec/model.ts').BroType;
  for (let i = 0; i < 12; i++) {
    t = vectorType(t);
    v = vectorVal(t as never, [v]);
  }
  const bytes = new LegacyStreamEncoder().encode({ type: 'SERIAL', body: eventBody('deep', [v], 0) });
  expectCode('nesting_too_deep', () => run(bytes, { limits: { maxNestingDepth: 10 } }));
  assert.is(run(bytes, { limits: { maxNestingDepth: 40 } }).length, 1);
});

test('cache_miss: a back-reference to an object the receiver never saw', () => {
  const e = expectCode('cache_miss', () => run(serial(event(hex('00 0000002a')))));
  assert.match(e.message, /unknown object 42 referenced/);
});

test('cache_limit: more cached objects than maxCacheEntries', () => {
  const v = (pid: number) => hex('01', u32(pid), '8801 00 01 01', u32(pid + 1), '8a01 00 03 02 00 00 00000000 0000000000000001');
  expectCode('cache_limit', () => run(serial(event(v(1), v(3))), { limits: { maxCacheEntries: 3 } }));
  assert.is(run(serial(event(v(1), v(3))), { limits: { maxCacheEntries: 4 } }).length, 1);
});

function compressed(...chunks: string[]): string {
  return header(0x12) + chunks.join('');
}

test('zlib_garbage: bad deflate data, wrong announced length, leftover input, missing trailer', () => {
  // A PING header sent raw in the compressed format, then its argument as garbage.
  const pingHeader = chunk('0f000000' + '00000000' + '00000000');
  expectCode('zlib_garbage', () => run(compressed(pingHeader, chunk('deadbeefdeadbeef' + '20000000'))));
  const def = new ChunkDeflater(6);
  const ping = toHex(def.encode(new Uint8Array(32)));
  const wrongLength = ping.slice(0, -8) + '21000000';
  expectCode('zlib_garbage', () => run(compressed(pingHeader, chunk(wrongLength))));
  const leftover = ping.slice(0, -8) + 'abcdef' + '20000000';
  expectCode('zlib_garbage', () => run(compressed(pingHeader, chunk(leftover))));
  expectCode('zlib_garbage', () => run(compressed(chunk('0f00'))));
  // Sanity: the same chunk with its own trailer decodes.
  assert.is(run(compressed(pingHeader, chunk(ping))).length, 2);
});

test('decompression_bomb: an announced length over the limit; an over-long stream stops at length + 1', () => {
  expectCode('decompression_bomb', () => run(compressed(chunk('789c0300' + 'ffffff7f'))));
  expectCode('decompression_bomb', () => run(compressed(chunk('789c0300' + '00010000')), { limits: { maxDecompressedSize: 255 } }));
  // 8 MiB of zeros (8 KiB compressed) announced as 32 bytes: refused without inflating it all.
  const bomb = deflate(new Uint8Array(8 << 20)).subarray(0, -4);
  const payload = toHex(bomb) + '20000000';
  const e = expectCode('zlib_garbage', () => run(compressed(chunk('0f000000' + '00000000' + '00000000'), chunk(payload))));
  assert.match(e.message, /more than/);
});

test('version_mismatch and data_format_mismatch (checks for the state machine)', () => {
  assert.is(checkVersion(makeVersion()), undefined);
  assert.is(checkVersion({ ...makeVersion(), dataFormat: 0 }), undefined);
  assert.is(checkVersion({ ...makeVersion(), protocol: 6 })?.code, 'version_mismatch');
  assert.is(checkVersion({ ...makeVersion(), dataFormat: 25 })?.code, 'data_format_mismatch');
});

test('invalid_value: the encoder refuses what it cannot put on the wire', () => {
  const enc = new LegacyStreamEncoder();
  expectCode('invalid_value', () => enc.encode({ type: 'SERIAL', body: eventBody('e', [addrVal('not-an-address')], 0) }));
  expectCode('invalid_value', () => enc.encode({ type: 'SERIAL', body: eventBody('e', [portVal(70000, 'tcp')], 0) }));
  expectCode('invalid_value', () => enc.encode({ type: 'REQUEST_EVENTS', events: [] }));
  expectCode('invalid_value', () => enc.encode({ type: 'REMOTE_PRINT', records: [{ file: 'f', text: 'a\u0000b' }] }));
  expectCode('invalid_value', () => enc.encode({ type: 'COMPRESS', level: 10 }));
  expectCode('invalid_value', () => new LegacyStreamEncoder({ serial: { format: { pid64: false } } }).encode({ type: 'SERIAL', body: eventBody('e', [{ kind: 'count', type: BASE.count, value: 1.5 }], 0) }));
});

test('a failed decoder stays failed with the same error', () => {
  const d = new LegacyStreamDecoder();
  d.push(fromHex('00000000'));
  const first = expectCode('zero_length_chunk', () => d.next());
  try {
    d.push(fromHex(header(0x0e)));
    assert.unreachable();
  } catch (err) {
    assert.is(err, first);
  }
});

test('mutated captures: every outcome is messages or a LegacyError, never a hang or a TypeError', () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const inputs = CAPTURES.flatMap((name) => streams(name).map((s) => s.bytes));
  let failures = 0;
  for (let i = 0; i < 1500; i++) {
    const src = inputs[rnd(inputs.length)]!;
    const bytes = src.slice();
    const flips = 1 + rnd(4);
    for (let k = 0; k < flips; k++) bytes[rnd(bytes.length)] = rnd(256);
    const cut = rnd(4) === 0 ? bytes.subarray(0, rnd(bytes.length)) : bytes;
    const d = new LegacyStreamDecoder({ serial: { format: { pid64: rnd(2) === 1, newCacheStrategy: false } } });
    try {
      d.push(cut);
      d.drain();
      d.end();
    } catch (err) {
      if (!(err instanceof LegacyError)) throw err;
      failures++;
    }
  }
  assert.ok(failures > 100);
});

test.run();
