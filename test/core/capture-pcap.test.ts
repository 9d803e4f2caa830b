// pcap/pcapng container variants, link layers and TCP reassembly corner cases, on synthetic
// captures built here byte by byte (the real captures are covered by capture-fixtures.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCapture, readCaptureFile } from '../../src/core/capture/read.ts';
import { captureToPcap, PcapWriter } from '../../src/core/capture/pcap-write.ts';
import { CaptureError } from '../../src/core/capture/errors.ts';
import { parseIp } from '../../src/core/capture/ip.ts';
import { capturePairs, fixtureDir, streamsOf } from './capture-helpers.ts';

interface Seg {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  seq: number;
  ack?: number;
  flags: string;
  data?: string;
  /** Claimed payload length on the wire when the snapshot cut it. */
  wire?: number;
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16 };

/** An Ethernet/IPv4 (or IPv6) TCP frame; checksums are left zero (readers must not care). */
function frame(s: Seg): Uint8Array {
  const src = parseIp(s.src ?? '10.0.0.1')!;
  const dst = parseIp(s.dst ?? '10.0.0.2')!;
  const payload = Buffer.from(s.data ?? '', 'latin1');
  const v6 = src.length === 16;
  const ipLen = v6 ? 40 : 20;
  const wire = s.wire ?? payload.length;
  const buf = new Uint8Array(14 + ipLen + 20 + payload.length);
  const v = new DataView(buf.buffer);
  v.setUint16(12, v6 ? 0x86dd : 0x0800);
  if (v6) {
    v.setUint32(14, 0x60000000);
    v.setUint16(18, 20 + wire);
    buf[20] = 6;
    buf.set(src, 22);
    buf.set(dst, 38);
  } else {
    buf[14] = 0x45;
    v.setUint16(16, 40 + wire);
    buf[23] = 6;
    buf.set(src, 26);
    buf.set(dst, 30);
  }
  const t = 14 + ipLen;
  v.setUint16(t, s.sport ?? 40000);
  v.setUint16(t + 2, s.dport ?? 47757);
  v.setUint32(t + 4, s.seq >>> 0);
  v.setUint32(t + 8, (s.ack ?? 0) >>> 0);
  buf[t + 12] = 0x50;
  buf[t + 13] = [...s.flags].reduce((f, c) => f | (FLAG_BITS[c] ?? 0), 0);
  buf.set(payload, t + 20);
  return buf;
}

/** Client 10.0.0.1:40000 <-> server 10.0.0.2:47757 segment helpers. */
const C = (seq: number, flags: string, data?: string, extra: Partial<Seg> = {}): Seg => ({ seq, flags, ...(data !== undefined ? { data } : {}), ...extra });
const S = (seq: number, flags: string, data?: string, extra: Partial<Seg> = {}): Seg => ({
  src: '10.0.0.2',
  dst: '10.0.0.1',
  sport: 47757,
  dport: 40000,
  seq,
  flags,
  ...(data !== undefined ? { data } : {}),
  ...extra,
});

function pcap(frames: Uint8Array[], opts: { be?: boolean; nanos?: boolean; linkType?: number; times?: number[] } = {}): Uint8Array {
  const le = !opts.be;
  const parts: Uint8Array[] = [];
  const h = new DataView(new ArrayBuffer(24));
  h.setUint32(0, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  h.setUint16(4, 2, le);
  h.setUint16(6, 4, le);
  h.setUint32(16, 65535, le);
  h.setUint32(20, opts.linkType ?? 1, le);
  parts.push(new Uint8Array(h.buffer));
  frames.forEach((f, i) => {
    const r = new DataView(new ArrayBuffer(16));
    const t = opts.times?.[i] ?? i * 0.001;
    r.setUint32(0, 1_700_000_000 + Math.floor(t), le);
    r.setUint32(4, Math.round((t % 1) * (opts.nanos ? 1e9 : 1e6)), le);
    r.setUint32(8, f.length, le);
    r.setUint32(12, f.length, le);
    parts.push(new Uint8Array(r.buffer), f);
  });
  return Buffer.concat(parts);
}

const read = (frames: Seg[]) => readCapture(pcap(frames.map(frame)));
const text = (c: ReturnType<typeof read>) =>
  c.records.map((r) => (r.kind === 'data' ? `${r.conn} ${r.dir} ${Buffer.from(r.bytes).toString('latin1')}` : `${r.conn} ${r.dir} EOF`));

const HANDSHAKE = [C(100, 'S'), S(500, 'SA', undefined, { ack: 101 }), C(101, 'A', undefined, { ack: 501 })];

test('in-order streams with handshake and FIN in both directions', () => {
  const c = read([...HANDSHAKE, C(101, 'PA', 'hello'), S(501, 'PA', 'world'), C(106, 'FA'), S(506, 'FA')]);
  assert.equal(text(c), ['0 c2s hello', '0 s2c world', '0 c2s EOF', '0 s2c EOF']);
  assert.equal(c.header['connections'], [{ conn: 0, client: '10.0.0.1:40000', server: '10.0.0.2:47757' }]);
});

test('retransmissions are delivered once, overlaps keep the first copy, out-of-order waits for the hole', () => {
  const c = read([
    ...HANDSHAKE,
    C(101, 'PA', 'abc'),
    C(101, 'PA', 'abc'), // plain retransmission
    C(107, 'PA', 'ghi'), // arrives before def
    C(102, 'PA', 'XYZW'), // overlaps delivered "bc": only "ZW" (offsets 3-4) is new
    C(104, 'PA', 'def'), // overlaps "ZW": only "f" is new
    C(110, 'FA'),
  ]);
  assert.equal(text(c).join('|'), '0 c2s abc|0 c2s ZW|0 c2s f|0 c2s ghi|0 c2s EOF');
});

test('a FIN that arrives before the last data ends the stream only after that data', () => {
  const c = read([...HANDSHAKE, C(104, 'FA', 'def'), C(101, 'PA', 'abc')]);
  assert.equal(text(c), ['0 c2s abc', '0 c2s def', '0 c2s EOF']);
});

test('RST ends both directions; a SYN answered by RST is not a connection; port reuse opens a new one', () => {
  const c = read([
    C(1, 'S', undefined, { sport: 41000 }),
    S(0, 'RA', undefined, { dport: 41000, ack: 2 }), // refused
    ...HANDSHAKE,
    C(101, 'PA', 'one'),
    S(501, 'RA'),
    C(9000, 'S'), // same ports, new ISN
    S(7000, 'SA', undefined, { ack: 9001 }),
    C(9001, 'PA', 'two'),
  ]);
  assert.equal(text(c), ['0 c2s one', '0 s2c EOF', '0 c2s EOF', '1 c2s two']);
  assert.is(c.header['refused'], 1);
  assert.is((c.header['connections'] as unknown[]).length, 2);
});

test('a capture that starts mid-connection takes the first sender as client', () => {
  const c = read([S(5000, 'PA', 'late'), C(77, 'PA', 'reply')]);
  assert.equal(text(c), ['0 c2s late', '0 s2c reply']);
  assert.equal(c.header['connections'], [{ conn: 0, client: '10.0.0.2:47757', server: '10.0.0.1:40000', syn: false }]);
});

test('sequence numbers wrap around 2^32', () => {
  const isn = 0xfffffffd;
  const c = read([C(isn, 'S'), S(1, 'SA'), C(isn + 1, 'PA', 'ab'), C(0, 'PA', 'cd'), C(2, 'PA', 'ef')]);
  assert.is(Buffer.from(streamsOf(c).bytes.get('0/c2s')!, 'hex').toString(), 'abcdef');
});

test('a segment cut by the snapshot length leaves a reported gap, and the stream continues after it', () => {
  const c = read([...HANDSHAKE, C(101, 'PA', 'ab', { wire: 5 }), C(106, 'PA', 'fg')]);
  assert.equal(text(c), ['0 c2s ab', '0 c2s fg']);
  assert.equal(c.header['gaps'], [{ conn: 0, dir: 'c2s', offset: 2, length: 3 }]);
});

test('a hole that never fills is skipped at the end of the capture and reported', () => {
  const c = read([...HANDSHAKE, C(101, 'PA', 'ab'), C(110, 'PA', 'zz'), C(112, 'FA')]);
  assert.equal(text(c), ['0 c2s ab', '0 c2s zz', '0 c2s EOF']);
  assert.equal(c.header['gaps'], [{ conn: 0, dir: 'c2s', offset: 2, length: 7 }]);
});

test('the out-of-order buffer is bounded: over the limit, the hole is given up at once', () => {
  const frames = [...HANDSHAKE, C(101, 'PA', 'a'), C(110, 'PA', 'x'.repeat(40)), C(150, 'PA', 'y'.repeat(40))].map(frame);
  const c = readCapture(pcap(frames), { limits: { maxOutOfOrderBytes: 64 } });
  const datas = c.records.filter((r) => r.kind === 'data');
  assert.is(datas.length, 3);
  assert.equal(c.header['gaps'], [{ conn: 0, dir: 'c2s', offset: 1, length: 8 }]);
});

test('IPv6 connections', () => {
  const c = read([
    C(1, 'S', undefined, { src: '2001:db8::1', dst: '::1' }),
    S(9, 'SA', undefined, { src: '::1', dst: '2001:db8::1' }),
    C(2, 'PA', 'v6!', { src: '2001:db8::1', dst: '::1' }),
  ]);
  assert.equal(text(c), ['0 c2s v6!']);
  assert.equal(c.header['connections'], [{ conn: 0, client: '[2001:db8::1]:40000', server: '[::1]:47757' }]);
});

/** Re-frames Ethernet frames for another link type. */
function relink(f: Uint8Array, linkType: number): Uint8Array {
  const ip = f.subarray(14);
  const v6 = f[12] === 0x86;
  const head = (n: number, fill: (v: DataView) => void) => {
    const h = new Uint8Array(n);
    fill(new DataView(h.buffer));
    return Buffer.concat([h, ip]);
  };
  switch (linkType) {
    case 113:
      return head(16, (v) => v.setUint16(14, v6 ? 0x86dd : 0x0800));
    case 276:
      return head(20, (v) => v.setUint16(0, v6 ? 0x86dd : 0x0800));
    case 0:
      return head(4, (v) => v.setUint32(0, v6 ? 30 : 2, true));
    case 108:
      return head(4, (v) => v.setUint32(0, v6 ? 24 : 2, false));
    default:
      return ip;
  }
}

const STREAM = [...HANDSHAKE, C(101, 'PA', 'ping'), S(501, 'PA', 'pong'), C(105, 'FA'), S(505, 'FA')];

for (const linkType of [1, 113, 276, 0, 108, 101, 228]) {
  for (const be of [false, true]) {
    test(`pcap link type ${linkType}, ${be ? 'big' : 'little'}-endian, nanosecond variant`, () => {
      const frames = STREAM.map(frame).map((f) => (linkType === 1 ? f : relink(f, linkType)));
      for (const nanos of [false, true]) {
        const c = readCapture(pcap(frames, { be, nanos, linkType, times: frames.map((_, i) => i * 0.25 + 0.000000123 * (nanos ? 1 : 0)) }));
        assert.equal(text(c), ['0 c2s ping', '0 s2c pong', '0 c2s EOF', '0 s2c EOF']);
        assert.is(c.records[0]!.t, 0.75);
      }
    });
  }
}

/** A pcapng with two interfaces (Ethernet in microseconds, SLL2 in nanoseconds). */
function pcapng(frames: Uint8Array[], le: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = (body.length + 3) & ~3;
    const b = new DataView(new ArrayBuffer(12 + padded));
    b.setUint32(0, type, le);
    b.setUint32(4, 12 + padded, le);
    new Uint8Array(b.buffer).set(body, 8);
    b.setUint32(8 + padded, 12 + padded, le);
    parts.push(new Uint8Array(b.buffer));
  };
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, le);
  shb.setUint16(4, 1, le);
  shb.setBigInt64(8, -1n, le);
  block(0x0a0d0d0a, new Uint8Array(shb.buffer));
  const idb = (linkType: number, tsresol?: number) => {
    const v = new DataView(new ArrayBuffer(tsresol === undefined ? 8 : 8 + 8 + 4));
    v.setUint16(0, linkType, le);
    v.setUint32(4, 0, le);
    if (tsresol !== undefined) {
      v.setUint16(8, 9, le);
      v.setUint16(10, 1, le);
      v.setUint8(12, tsresol);
    }
    block(1, new Uint8Array(v.buffer));
  };
  idb(1);
  idb(276, 9);
  block(0x0bad, new Uint8Array([1, 2, 3, 4])); // custom block: skipped
  frames.forEach((f, i) => {
    const iface = i % 2;
    const data = iface === 1 ? relink(f, 276) : f;
    const units = iface === 1 ? BigInt(1_700_000_000 + i) * 1_000_000_000n + 5n : BigInt(1_700_000_000 + i) * 1_000_000n;
    const v = new DataView(new ArrayBuffer(20 + data.length));
    v.setUint32(0, iface, le);
    v.setUint32(4, Number(units >> 32n), le);
    v.setUint32(8, Number(units & 0xffffffffn), le);
    v.setUint32(12, data.length, le);
    v.setUint32(16, data.length, le);
    new Uint8Array(v.buffer).set(data, 20);
    block(6, new Uint8Array(v.buffer));
  });
  return Buffer.concat(parts);
}

for (const le of [true, false]) {
  test(`pcapng, ${le ? 'little' : 'big'}-endian section, two interfaces with different link types and resolutions`, () => {
    const c = readCapture(pcapng(STREAM.map(frame), le));
    assert.is(c.header['format'], 'pcapng');
    assert.equal(text(c), ['0 c2s ping', '0 s2c pong', '0 c2s EOF', '0 s2c EOF']);
    assert.is(c.records[0]!.t, 3.000000005);
    assert.is(c.records[1]!.t, 4);
  });
}

test('simple packet blocks take the previous timestamp', () => {
  const ng = pcapng([frame(HANDSHAKE[0]!)], true);
  const data = frame(C(101, 'PA', 'spb'));
  const body = new DataView(new ArrayBuffer(4 + ((data.length + 3) & ~3)));
  body.setUint32(0, data.length, true);
  new Uint8Array(body.buffer).set(data, 4);
  const blk = new DataView(new ArrayBuffer(12 + body.byteLength));
  blk.setUint32(0, 3, true);
  blk.setUint32(4, blk.byteLength, true);
  new Uint8Array(blk.buffer).set(new Uint8Array(body.buffer), 8);
  blk.setUint32(blk.byteLength - 4, blk.byteLength, true);
  const c = readCapture(Buffer.concat([ng, new Uint8Array(blk.buffer)]));
  assert.equal(text(c), ['0 c2s spb']);
  assert.is(c.records[0]!.t, 0);
});

test('writer round trip: every fixture transcript -> pcap -> reader gives the same streams (IPv4 and IPv6, us and ns)', async () => {
  let n = 0;
  for (const sub of ['legacy', 'broker'] as const) {
    const dir = fixtureDir(sub);
    for (const name of capturePairs(dir)) {
      const jsonl = await readCaptureFile(`${dir}${name}.jsonl`);
      const want = streamsOf(jsonl);
      for (const v6 of [false, true]) {
        const bytes = captureToPcap(jsonl, {
          start: 1_700_000_000,
          nanos: v6,
          maxSegment: 1000,
          endpoints: (conn) => ({ client: { address: v6 ? '::1' : '127.0.0.1', port: 50000 + conn }, server: { address: v6 ? '::1' : '127.0.0.1', port: 47757 } }),
        });
        const back = streamsOf(readCapture(bytes));
        assert.equal(back.bytes, want.bytes, `${name} ${v6 ? 'v6' : 'v4'}`);
        assert.equal(back.ended, want.ended);
      }
      n++;
    }
  }
  assert.ok(n >= 20);
});

test('written packets carry valid IPv4 header and TCP checksums', () => {
  const out: Uint8Array[] = [];
  const w = new PcapWriter((b) => out.push(b), { start: 1_700_000_000 });
  w.open(0, { address: '127.0.0.1', port: 1234 }, { address: '127.0.0.2', port: 80 }, 0);
  w.data(0, 'c2s', 0.5, Buffer.from('odd-length payload!'));
  const pkt = out[out.length - 1]!.subarray(16);
  const sum = (b: Uint8Array, init = 0) => {
    let s = init;
    for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return s;
  };
  assert.is(sum(pkt.subarray(14, 34)), 0xffff, 'IPv4 header checksum');
  const tcp = pkt.subarray(34);
  const pseudo = sum(pkt.subarray(26, 34)) + 6 + tcp.length;
  assert.is(sum(tcp, pseudo), 0xffff, 'TCP checksum');
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, CaptureError);
    return (err as CaptureError).code;
  }
  return 'no error';
}

test('bad input ends in typed errors', () => {
  assert.is(codeOf(() => readCapture(Buffer.from('hello world'))), 'not_a_capture');
  assert.is(codeOf(() => readCapture(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0]))), 'bad_pcap');
  const huge = pcap([frame(C(1, 'S'))]);
  new DataView(huge.buffer, huge.byteOffset).setUint32(24 + 8, 0x7fffffff, true);
  assert.is(codeOf(() => readCapture(huge)), 'limit_exceeded');
  assert.is(codeOf(() => readCapture(pcap([new Uint8Array(20)], { linkType: 147 }))), 'unsupported_link_type');
  const ng = pcapng([frame(C(1, 'S'))], true);
  new DataView(ng.buffer, ng.byteOffset).setUint32(ng.length - 4, 8, true);
  assert.is(codeOf(() => readCapture(ng)), 'bad_pcap');
  const manyConns = Array.from({ length: 5 }, (_, i) => frame(C(1, 'S', undefined, { sport: 1000 + i })));
  assert.is(codeOf(() => readCapture(pcap(manyConns), { limits: { maxConnections: 4 } })), 'limit_exceeded');
});

test('a pcap cut off inside a record is read up to the cut and marked truncated', () => {
  const whole = pcap(STREAM.map(frame));
  const c = readCapture(whole.subarray(0, whole.length - 10));
  assert.is(c.header['truncated'], true);
  assert.equal(text(c).slice(0, 2), ['0 c2s ping', '0 s2c pong']);
});

test('random corruption never escapes as anything but a CaptureError', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const base = [pcap(STREAM.map(frame)), pcapng(STREAM.map(frame), true), pcapng(STREAM.map(frame), false)];
  for (let i = 0; i < 600; i++) {
    const b = Buffer.from(base[i % 3]!);
    for (let k = 0; k < 4; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    const cut = b.subarray(0, Math.floor(rnd() * b.length) + 1);
    try {
      readCapture(i % 2 ? b : cut);
    } catch (err) {
      assert.instance(err, CaptureError, String(err));
    }
  }
});

test('missing files and oversized files are typed errors', async () => {
  const err = await readCaptureFile('/nonexistent/capture.pcap').catch((e: unknown) => e);
  assert.is((err as CaptureError).code, 'file_unreadable');
  const dir = fixtureDir('legacy');
  const big = await readCaptureFile(`${dir}broping.pcap`, { limits: { maxFileBytes: 100 } }).catch((e: unknown) => e);
  assert.is((big as CaptureError).code, 'limit_exceeded');
});

test.run();
