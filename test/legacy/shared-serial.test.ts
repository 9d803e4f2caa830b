// send_event encodes an event's SERIAL argument once per serial format and only frames it per
// connection: the bytes on each wire must be exactly what encoding per connection gives, with and
// without compression, and a caching connection (whose bytes carry its own pids) still encodes
// its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../src/core/bytes.ts';
import { toHex } from '../../src/core/json.ts';
import { BASE, countVal, eventBody, recordType, recordVal, stringVal } from '../../legacy/codec/builders.ts';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder, SharedSerial } from '../../legacy/codec/stream-encoder.ts';
import type { SerialWriteFormat } from '../../legacy/codec/serial-writer.ts';

const rec = recordType('info', [
  { name: 'n', type: BASE.count },
  { name: 's', type: BASE.string },
]);
const body = eventBody('shared_event', [recordVal(rec, [countVal(7), stringVal('seven')]), countVal(1)], 1_700_000_000.5);

const PID32: SerialWriteFormat = { pid64: false, newCacheStrategy: false, caching: false };
const PID64: SerialWriteFormat = { pid64: true, newCacheStrategy: true, caching: false };
const CACHING: SerialWriteFormat = { pid64: true, newCacheStrategy: true, caching: true };

function bytesOf(f: (w: ByteWriter) => void): string {
  const w = new ByteWriter();
  f(w);
  return toHex(w.toBytes());
}

test('shared bytes are the bytes each connection would have written, per format', () => {
  for (const format of [PID32, PID64, CACHING]) {
    const shared = new SharedSerial(body);
    const a = new LegacyStreamEncoder({ serial: { format } });
    const b = new LegacyStreamEncoder({ serial: { format } });
    const ref = new LegacyStreamEncoder({ serial: { format } });
    const expected = toHex(ref.encode({ type: 'SERIAL', body }));
    assert.is(bytesOf((w) => a.encodeSharedInto(shared, w)), expected, `first connection, ${JSON.stringify(format)}`);
    assert.is(bytesOf((w) => b.encodeSharedInto(shared, w)), expected, `second connection, ${JSON.stringify(format)}`);
  }
});

test('the argument is encoded once for connections of one format, again for another', () => {
  const shared = new SharedSerial(body);
  const first = new LegacyStreamEncoder({ serial: { format: PID32 } });
  first.encodeSharedInto(shared, new ByteWriter());
  const remembered = shared.argsFor(first.serialShareKey!);
  assert.ok(remembered !== undefined);
  // A second connection of the same format reuses the very same bytes object.
  new LegacyStreamEncoder({ serial: { format: PID32 } }).encodeSharedInto(shared, new ByteWriter());
  assert.is(shared.argsFor(first.serialShareKey!), remembered);
  const wide = new LegacyStreamEncoder({ serial: { format: PID64 } });
  assert.is(shared.argsFor(wide.serialShareKey!), undefined);
  wide.encodeSharedInto(shared, new ByteWriter());
  assert.ok(shared.argsFor(wide.serialShareKey!) !== remembered);
  assert.is(new LegacyStreamEncoder({ serial: { format: CACHING } }).serialShareKey, undefined);
});

test('a compressing connection compresses the shared argument; the peer decodes the event', () => {
  const shared = new SharedSerial(body);
  const plain = new LegacyStreamEncoder({ serial: { format: PID32 } });
  plain.encodeSharedInto(shared, new ByteWriter());
  const zipped = new LegacyStreamEncoder({ serial: { format: PID32 } });
  const w = new ByteWriter();
  zipped.encodeInto({ type: 'COMPRESS', level: 6 }, w);
  zipped.encodeSharedInto(shared, w);
  zipped.encodeSharedInto(shared, w);
  const dec = new LegacyStreamDecoder({ serial: { format: PID32 } });
  dec.push(w.toBytes());
  const got = dec.drain();
  assert.equal(
    got.map((m) => m.type),
    ['COMPRESS', 'SERIAL', 'SERIAL'],
  );
  const m = got[2]!;
  assert.ok(m.type === 'SERIAL' && m.body.kind === 'event');
  assert.equal(m.body, body);
});

test.run();
