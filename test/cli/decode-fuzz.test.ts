// Random mutations of real and synthetic captures (fixed seed, fixed counts): `comm-bridge decode`
// must exit 0 or 2, print only JSON lines that start with conn/dir/t/type, never let an exception
// escape, never take long, and not grow memory without bound. The same mutations are fed to each
// protocol decoder's session directly in random read sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMain } from '../../src/cli/decode.ts';
import { DECODERS } from '../../src/cli/protocols.ts';
import { readCapture } from '../../src/core/capture/read.ts';
import { formatTranscript } from '../../src/core/capture/transcript.ts';
import type { CaptureRecord, DecodedMessage, Direction } from '../../src/core/capture/types.ts';
import { fixtureDir } from '../core/capture-helpers.ts';
import { SYNTHETIC_DIR } from './synthetic/make.ts';
import { memoryIo, tempDir } from './helpers.ts';

const SEEDS = [
  `${fixtureDir('legacy')}broping.jsonl`,
  `${fixtureDir('legacy')}bro-bro-types.pcap`,
  `${fixtureDir('legacy')}bro-bro-compress-oneway.jsonl`,
  `${fixtureDir('legacy')}bro-bro-logs.jsonl`,
  `${fixtureDir('legacy')}bro-bro-sync-runtime.jsonl`,
  `${fixtureDir('broker')}native-alltypes.jsonl`,
  `${fixtureDir('broker')}native-nodes-connector-originates.pcap`,
  `${fixtureDir('broker')}websocket-json-session.jsonl`,
  `${SYNTHETIC_DIR}legacy-sync-compress.jsonl`,
  `${SYNTHETIC_DIR}legacy-broccoli-multi.null-v6-ns.pcap`,
  `${SYNTHETIC_DIR}websocket-variants.jsonl`,
  `${SYNTHETIC_DIR}broker-all.jsonl`,
];

/** Deterministic PRNG (LCG): the same mutations on every run. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

function mutate(bytes: Uint8Array, rnd: (n: number) => number): Uint8Array {
  let out = Buffer.from(bytes);
  for (let i = 1 + rnd(4); i > 0 && out.length > 0; i--) {
    const at = rnd(out.length);
    switch (rnd(6)) {
      case 0:
        out[at]! ^= 1 << rnd(8);
        break;
      case 1:
        out[at] = rnd(256);
        break;
      case 2:
        out[at] = [0x00, 0xff, 0x7f, 0x80][rnd(4)]!;
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, at), Buffer.from([rnd(256), rnd(256), rnd(256)].slice(0, 1 + rnd(3))), out.subarray(at)]);
        break;
      case 4:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + rnd(16))]);
        break;
      default:
        out = out.subarray(0, at);
    }
  }
  return out;
}

/** A mutated copy of a capture file: transcript records changed, dropped or repeated; pcap bytes changed. */
function mutateCapture(path: string, file: Uint8Array, rnd: (n: number) => number): Uint8Array {
  if (!path.endsWith('.jsonl')) {
    const b = Buffer.from(file);
    for (let i = 1 + rnd(6); i > 0; i--) b[24 + rnd(b.length - 24)] = rnd(256);
    return rnd(5) === 0 ? mutate(b, rnd) : b;
  }
  const capture = readCapture(file);
  const records = capture.records.slice();
  for (let i = 1 + rnd(3); i > 0 && records.length > 0; i--) {
    const k = rnd(records.length);
    const r = records[k]!;
    const op = rnd(5);
    if (op <= 2 && r.kind === 'data') records[k] = { ...r, bytes: mutate(r.bytes, rnd) };
    else if (op === 3) records.splice(k, 1);
    else records.splice(k, 0, r);
  }
  return Buffer.from(formatTranscript({ header: capture.header, records }));
}

test('decodeMain on mutated captures: exit 0 or 2, JSON lines with conn/dir/t/type, quick, bounded memory', async () => {
  const rnd = rng(20261122);
  const dir = tempDir();
  const files = SEEDS.map((path) => ({ path, bytes: readFileSync(path) }));
  const before = process.memoryUsage().rss;
  const exits = new Map<number, number>();
  try {
    for (let i = 0; i < 100; i++) {
      const seed = files[rnd(files.length)]!;
      const path = join(dir.path, `case${seed.path.endsWith('.jsonl') ? '.jsonl' : '.pcap'}`);
      writeFileSync(path, mutateCapture(seed.path, seed.bytes, rnd));
      const io = memoryIo();
      // CPU time, not wall time: the machine may be busy with other work.
      const started = process.cpuUsage();
      const code = await decodeMain([path], io);
      const used = process.cpuUsage(started);
      const where = `case ${i} from ${seed.path}: ${io.err().slice(0, 300)}`;
      assert.ok(used.user + used.system < 1_500_000, `${where} took ${(used.user + used.system) / 1000} ms of CPU`);
      assert.ok(code === 0 || code === 2, `${where} exit ${code}`);
      exits.set(code, (exits.get(code) ?? 0) + 1);
      for (const line of io.out().split('\n')) {
        if (line === '') continue;
        const obj = JSON.parse(line) as Record<string, unknown>;
        assert.equal(Object.keys(obj).slice(0, 4), ['conn', 'dir', 't', 'type'], where);
      }
    }
  } finally {
    dir.remove();
  }
  assert.ok((exits.get(0) ?? 0) > 60, 'most mutations still decode (with error lines)');
  assert.ok(process.memoryUsage().rss - before < 512 << 20, 'memory stays bounded');
});

function streams(path: string): Map<number, Record<Direction, Uint8Array[]>> {
  const out = new Map<number, Record<Direction, Uint8Array[]>>();
  for (const r of readCapture(readFileSync(path)).records as CaptureRecord[]) {
    if (r.kind !== 'data') continue;
    if (!out.has(r.conn)) out.set(r.conn, { c2s: [], s2c: [] });
    out.get(r.conn)![r.dir].push(r.bytes);
  }
  return out;
}

test('every protocol decoder survives mutated streams in random read sizes', () => {
  const rnd = rng(7);
  const inputs = SEEDS.filter((p) => p.endsWith('.jsonl')).flatMap((p) => [...streams(p).values()]);
  let lines = 0;
  for (let i = 0; i < 250; i++) {
    const conn = inputs[rnd(inputs.length)]!;
    const decoder = DECODERS[rnd(DECODERS.length)]!;
    const session = decoder.session({ strict: rnd(2) === 0 });
    const out: DecodedMessage[] = [];
    const where = `case ${i} (${decoder.protocol})`;
    try {
      for (const dir of ['c2s', 's2c'] as const) {
        const all = Buffer.concat(conn[dir]);
        const bytes = rnd(4) === 0 ? all : mutate(all, rnd);
        for (let at = 0; at < bytes.length; ) {
          const n = 1 + rnd(rnd(2) === 0 ? 16 : 4096);
          out.push(...session.push(dir, bytes.subarray(at, at + n), 0));
          at += n;
        }
      }
      out.push(...session.end('c2s'), ...session.end('s2c'));
    } catch (err) {
      assert.unreachable(`${where} threw ${(err as Error).stack}`);
    }
    for (const m of out) assert.type(m.type, 'string', where);
    lines += out.length;
  }
  assert.ok(lines > 500);
});

test('a capture whose packets hold no TCP connection says so on stderr (exit 0, no output)', async () => {
  const dir = tempDir();
  try {
    const pcap = Buffer.from(readFileSync(`${SYNTHETIC_DIR}legacy-lru-old-strategy.raw.pcap`));
    // LINKTYPE_RAW -> LINKTYPE 147 (user-defined): every packet is skipped.
    pcap.writeUInt32LE(147, 20);
    const path = join(dir.path, 'user.pcap');
    writeFileSync(path, pcap);
    const io = memoryIo();
    assert.is(await decodeMain([path], io), 2, 'no packet on a supported link type is an error');
    assert.match(io.err(), /unsupported_link_type/);
    pcap.writeUInt32LE(101, 20);
    // Make every IP version nibble 7: packets on a supported link type that are not IP.
    const view = new DataView(pcap.buffer, pcap.byteOffset);
    for (let off = 24; off + 16 < pcap.length; ) {
      const len = view.getUint32(off + 8, true);
      pcap[off + 16] = 0x75;
      off += 16 + len;
    }
    writeFileSync(path, pcap);
    const io2 = memoryIo();
    assert.is(await decodeMain([path], io2), 0);
    assert.is(io2.out(), '');
    assert.match(io2.err(), /warning: no TCP connection with data in \d+ packet\(s\) \(skipped: \d+ not-ip\)/);
  } finally {
    dir.remove();
  }
});

test.run();
