// The stream decoder accepts input split at any byte boundary: one byte at a time, or cut in two
// at every offset (sampled for the long streams), always yielding the same messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LegacyStreamDecoder } from '../../legacy/codec/stream-decoder.ts';
import { CAPTURES, describe, replay, type Replayed } from './helpers.ts';

interface DirectionCase {
  label: string;
  bytes: Uint8Array;
  expected: Replayed[];
}

function cases(): DirectionCase[] {
  const out: DirectionCase[] = [];
  for (const name of CAPTURES) {
    const msgs = replay(name);
    const keys = new Set(msgs.map((m) => `${m.conn}/${m.dir}`));
    for (const key of keys) {
      const expected = msgs.filter((m) => `${m.conn}/${m.dir}` === key);
      const end = expected[expected.length - 1]!.info.end;
      const bytes = new Uint8Array(end);
      for (const m of expected) bytes.set(m.wire, m.info.offset);
      out.push({ label: `${name} ${key}`, bytes, expected });
    }
  }
  return out;
}

/** Decode `pieces` in order, switching the SERIAL format per message as the sender did. */
function decode(c: DirectionCase, pieces: Iterable<Uint8Array>): string[] {
  const dec = new LegacyStreamDecoder();
  const got: string[] = [];
  const step = () => {
    for (;;) {
      const next = c.expected[got.length];
      if (next !== undefined) dec.serial.format = next.format;
      const m = dec.next();
      if (m === undefined) return;
      got.push(`${describe(m)} @${dec.info.offset}-${dec.info.end}`);
    }
  };
  for (const p of pieces) {
    dec.push(p);
    step();
  }
  dec.end();
  return got;
}

const ALL = cases();
const want = (c: DirectionCase) => c.expected.map((m) => `${describe(m.msg)} @${m.info.offset}-${m.info.end}`);

test('every direction of every capture, fed one byte at a time', () => {
  for (const c of ALL) {
    const bytes = c.bytes;
    function* oneByOne() {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    }
    assert.equal(decode(c, oneByOne()), want(c), c.label);
  }
});

test('every direction of every capture, cut in two at every offset (sampled beyond 6000 bytes)', () => {
  let runs = 0;
  for (const c of ALL) {
    const n = c.bytes.length;
    const stride = n <= 6000 ? 1 : Math.ceil(n / 600);
    const expected = want(c);
    for (let cut = 0; cut <= n; cut += stride) {
      // Copies, so a decoder that kept views of the caller's buffer would be caught by the reuse below.
      const a = c.bytes.slice(0, cut);
      const b = c.bytes.slice(cut);
      const got = decode(c, [a, b]);
      a.fill(0xee);
      b.fill(0xee);
      assert.equal(got, expected, `${c.label} cut at ${cut}`);
      runs++;
    }
  }
  assert.ok(runs > 5000);
});

test('pieces of random sizes give the same messages', () => {
  let seed = 12345;
  const rnd = (max: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (seed % max);
  };
  for (const c of ALL) {
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < c.bytes.length; ) {
      const n = rnd(97);
      pieces.push(c.bytes.subarray(at, at + n));
      at += n;
    }
    assert.equal(decode(c, pieces), want(c), c.label);
  }
});

test.run();
