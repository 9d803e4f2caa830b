// Passive decoding goes on after a message it cannot read: the chunk framing is intact, so the
// message (or a stray chunk where a header was due, which Broccoli itself skips) is reported with
// `skipped` and the next message decodes. Framing errors still stop the direction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromHex } from '../../src/core/json.ts';
import { legacyCaptureDecoder } from '../../legacy/codec/capture-decoder.ts';
import { LegacyStreamDecoder, LegacyStreamEncoder, countVal, eventBody } from '../../legacy/codec/index.ts';

const VERSION = fromHex('00000008010000000000000000000010' + '0000000700000bb80000001a00000000');
const enc = new LegacyStreamEncoder({ serial: { format: { caching: false } } });
const event = (n: number) => enc.encode({ type: 'SERIAL', body: eventBody('e', [countVal(n)], 1) });

test('a stray chunk and an undecodable SERIAL are skipped with an error line; decoding goes on', () => {
  const s = legacyCaptureDecoder.session();
  assert.equal(s.push('c2s', VERSION, 0).map((m) => m.type), ['VERSION']);
  // SERIAL whose value is a plain VAL with a type sent by name (needs the type to be read)
  const args = '65' + '00000001' + '65' + '3ff0000000000000' + '00000001' + '01' + '00000000' + '8801' + '00' + '00' + '00000002' + '6d63' + '0000000000000005';
  const byName = fromHex('0000000802000000' + '00000000' + (args.length / 2).toString(16).padStart(8, '0') + args);
  const stray = fromHex('00000003010203');
  const out = s.push('c2s', Buffer.concat([event(1), stray, byName, event(2)]), 0);
  assert.equal(
    out.map((m) => [m.type, m['code'] ?? m['args']]),
    [
      ['SERIAL', [{ type: 'count', value: 1 }]],
      ['error', 'unexpected_argument_chunk'],
      ['error', 'unknown_type_name'],
      ['SERIAL', [{ type: 'count', value: 2 }]],
    ],
  );
  assert.equal(out.filter((m) => m.type === 'error').map((m) => m['skipped']), ['chunk', 'SERIAL']);
  // A zero-length chunk is broken framing: the direction stops.
  const broken = s.push('c2s', fromHex('00000000'), 0);
  assert.equal(broken.map((m) => m['code']), ['zero_length_chunk']);
  assert.is(broken[0]!['skipped'], undefined);
  assert.equal(s.push('c2s', event(3), 0), []);
});

test('a live decoder (no skipBadMessages) still fails for good on the first bad message', () => {
  const d = new LegacyStreamDecoder();
  d.push(Buffer.concat([VERSION, fromHex('00000003010203'), event(4)]));
  assert.is(d.next()!.type, 'VERSION');
  assert.throws(() => d.next(), /8-byte message header/);
  assert.throws(() => d.next(), /8-byte message header/);
  assert.is(d.error?.code, 'unexpected_argument_chunk');
  const lenient = new LegacyStreamDecoder({ skipBadMessages: true });
  lenient.push(Buffer.concat([VERSION, fromHex('00000003010203'), event(5)]));
  assert.is(lenient.next()!.type, 'VERSION');
  assert.throws(() => lenient.next(), /8-byte message header/);
  const m = lenient.next();
  assert.ok(m !== undefined && m.type === 'SERIAL' && m.body.kind === 'event');
  assert.is(lenient.skipped, 1);
  assert.is(lenient.error, undefined);
});

test('one side opening with VERSION is enough to detect legacy; a TLS answer is named in its error line', () => {
  const alert = fromHex('15030100020246');
  assert.ok(legacyCaptureDecoder.detect(VERSION, alert));
  assert.ok(legacyCaptureDecoder.detect(new Uint8Array(0), VERSION));
  assert.not.ok(legacyCaptureDecoder.detect(VERSION.subarray(0, 8), alert), 'a bare header prefix is not enough');
  assert.not.ok(legacyCaptureDecoder.detect(alert, new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n')));
  const s = legacyCaptureDecoder.session();
  assert.equal(s.push('c2s', VERSION, 0).map((m) => m.type), ['VERSION']);
  const err = s.push('s2c', alert, 0);
  assert.equal(err.map((m) => m['code']), ['oversize_chunk']);
  assert.match(String(err[0]!['note']), /TLS peer talking to a plaintext one/);
});

test.run();
