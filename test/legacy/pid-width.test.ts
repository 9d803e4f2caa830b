// sniffPidWidth against every SERIAL of every capture: it must name the width the sender really
// used (known from both peers' phases), for events, IDs and state operations, 32-bit and 64-bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sniffPidWidth } from '../../legacy/codec/pid-width.ts';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import { LegacySessionDecoder } from '../../legacy/codec/capture-decoder.ts';
import { CAPTURES, replay } from './helpers.ts';

test('every uncompressed SERIAL of every capture: the sniffed width is the one the sender used', () => {
  const counts = { 32: 0, 64: 0, none: 0 };
  for (const name of CAPTURES) {
    for (const r of replay(name)) {
      if (r.msg.type !== 'SERIAL' || r.info.argInflated || r.info.argChunkLength !== r.info.argLength) continue;
      // The argument chunk is the message's last `argLength` bytes.
      const payload = r.wire.subarray(r.wire.length - r.info.argLength);
      const w = sniffPidWidth(payload);
      const body = r.msg.body;
      if (body.kind === 'event' && body.args.length === 0) {
        assert.is(w, undefined);
        counts.none++;
        continue;
      }
      assert.is(w, r.format.pid64 ? 64 : 32, `${name}: ${body.kind} ${body.kind === 'event' ? body.name : ''}`);
      counts[w!]++;
    }
  }
  assert.ok(counts[32] > 50 && counts[64] > 50, JSON.stringify(counts));
});

test('back-references and edge cases', () => {
  const event = (first: number[]): Uint8Array => new Uint8Array([0x65, 0, 0, 0, 1, 0x78, ...new Array(8).fill(0), 0, 0, 0, 1, ...first]);
  assert.is(sniffPidWidth(event([0, 0, 0, 0, 7])), 32, '32-bit back-reference to pid 7');
  assert.is(sniffPidWidth(event([0, 0, 0, 0, 0, 0, 0, 0, 7])), 64, '64-bit back-reference: high word 0');
  assert.is(sniffPidWidth(event([1, 0, 0, 0, 0, 0x88, 0x01])), 32);
  assert.is(sniffPidWidth(event([1, 0, 0, 0, 0, 0, 0, 0, 5, 0xc8, 0x01])), 64, 'cache-stable bit set');
  assert.is(sniffPidWidth(event([1, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0])), undefined, 'neither width fits');
  assert.is(sniffPidWidth(new Uint8Array([0x65, 0, 0])), undefined, 'truncated');
  assert.is(sniffPidWidth(new Uint8Array([0x7a, 1, 2, 3])), undefined, 'unknown kind');
});

test('LegacyStreamDecoder.beforeSerial sees each SERIAL argument before it is decoded, and can switch the format', () => {
  const r = replay('bro-bro-types');
  const stream = Buffer.concat(r.filter((x) => x.dir === 'c2s').map((x) => x.wire));
  const dec = new LegacyStreamDecoder();
  let calls = 0;
  dec.beforeSerial = (payload) => {
    calls++;
    const w = sniffPidWidth(payload);
    if (w !== undefined) dec.serial.format.pid64 = w === 64;
  };
  const msgs = (() => {
    dec.push(stream);
    return dec.drain();
  })();
  const serials = msgs.filter((m) => m.type === 'SERIAL');
  assert.is(calls, serials.length);
  assert.is(serials.length, 21, 'peer_description and 20 events, decoded with no phase model at all');
});

test('capture decoder: a Bro client replayed against a peer that announced no PID_64BIT (the bridge) still decodes', () => {
  // bro-bro-types with the server's CAPS changed to the bridge's (0x13): by the phase model the
  // client should then write 32-bit ids, but a replayed client writes the captured 64-bit ones.
  const session = new LegacySessionDecoder();
  const lines: { type: string }[] = [];
  for (const r of replay('bro-bro-types')) {
    const wire = r.dir === 's2c' && r.msg.type === 'CAPS' ? Uint8Array.from([...r.wire.subarray(0, 16), 0, 0, 0, 0x13, ...r.wire.subarray(20)]) : r.wire;
    lines.push(...session.push(r.dir, wire));
  }
  assert.equal(lines.filter((l) => l.type === 'error'), []);
  assert.is(lines.filter((l) => l.type === 'SERIAL').length, 42, '2 peer_descriptions, 20 events each way');
});

test.run();
