// Throughput of the Broker codecs on a typical Zeek event with a nested record-like argument
// (connection_state_remove(c: connection): conn_id and two endpoint records as vectors, a set of
// services, times, strings, plus NetworkTimestamp metadata): bin v1 and WebSocket JSON, decode and
// encode, next to JSON.parse / JSON.stringify of the same events as Broker's JSON text.
// Median of 5 runs, with min and max.
//
//   npx tsx bench/broker-codec.ts
import { pathToFileURL } from 'node:url';
import { ByteWriter } from '../src/core/bytes.ts';
import {
  addr,
  count,
  dataMessageToJson,
  dataMessageToJsonBytes,
  decodeData,
  encodeData,
  makeEvent,
  NONE,
  parseDataMessage,
  port,
  set,
  str,
  timespan,
  timestamp,
  vector,
  writeData,
  type Data,
} from '../modern/data/index.ts';
import { dataEnvelope, decodeEnvelope, FrameReader, NIL_ENDPOINT, writeEnvelope } from '../modern/native/index.ts';
import { fmtStat, timeInterleaved, type BenchRow, type TimedCase } from './common.ts';

export type { BenchRow } from './common.ts';

const SENDER = '11111111-1111-5111-8111-111111111111';
const TOPIC = 'zeek/cluster/worker';

export function sampleEvent(i: number): Data {
  const endpoint = (n: number) => vector([count(n * 100), count(4), count(n), count(n * 140)]);
  const connection = vector([
    vector([addr(`10.0.${(i >> 8) & 255}.${i & 255}`), port(40000 + (i % 20000), 'tcp'), addr('192.168.1.1'), port(443, 'tcp')]),
    endpoint(i % 50),
    endpoint(i % 70),
    timestamp(1_500_000_000_000_000_000n + BigInt(i) * 250_000_000n),
    timespan(1_500_000_000 + (i % 10) * 1_000_000_000),
    set([str('ssl'), str('http')]),
    str('ShADadFf'),
    str(`C${(1e9 + i * 7919).toString(36)}XyZ`),
    NONE,
  ]);
  return makeEvent('connection_state_remove', [connection], { networkTimestamp: 1_795_318_587_000_000_000n + BigInt(i) * 1_000_000n });
}

export function runBrokerCodecBench(options: { events?: number; runs?: number } = {}): BenchRow[] {
  const n = options.events ?? 5000;
  const runs = options.runs ?? 5;
  const values = Array.from({ length: n }, (_, i) => sampleEvent(i));
  const payloads = values.map((v) => encodeData(v));
  const valueBytes = payloads.reduce((sum, p) => sum + p.length, 0);

  const w = new ByteWriter(1 << 20);
  for (const v of values) writeEnvelope(w, dataEnvelope(SENDER, NIL_ENDPOINT, TOPIC, v));
  const stream = w.toBytes();

  const texts = values.map((v) => dataMessageToJson(TOPIC, v));
  const textBytes = values.map((v) => dataMessageToJsonBytes(TOPIC, v));
  const jsonBytes = textBytes.reduce((sum, t) => sum + t.length, 0);
  const objects = texts.map((t) => JSON.parse(t) as unknown);

  const ew = new ByteWriter(1 << 20);
  const cases: TimedCase[] = [
    {
      name: 'bin v1 decode (value)',
      events: n,
      bytes: valueBytes,
      fn: () => {
        for (const p of payloads) decodeData(p);
      },
    },
    {
      name: 'bin v1 decode (frames: framing + envelope + value)',
      events: n,
      bytes: stream.length,
      fn: () => {
        const r = new FrameReader({ phase: 'established' });
        r.push(stream);
        let k = 0;
        for (let f = r.next(); f !== undefined; f = r.next()) {
          decodeEnvelope(f);
          k++;
        }
        if (k !== n) throw new Error(`decoded ${k} frames`);
      },
    },
    {
      name: 'bin v1 encode (value, reused writer)',
      events: n,
      bytes: valueBytes,
      fn: () => {
        ew.reset();
        for (const v of values) writeData(ew, v);
      },
    },
    {
      name: 'bin v1 encode (frames: envelope + value)',
      events: n,
      bytes: stream.length,
      fn: () => {
        ew.reset();
        for (const v of values) writeEnvelope(ew, dataEnvelope(SENDER, NIL_ENDPOINT, TOPIC, v));
      },
    },
    {
      name: 'JSON v1 decode (Broker JSON bytes -> value)',
      events: n,
      bytes: jsonBytes,
      fn: () => {
        for (const t of textBytes) parseDataMessage(t);
      },
    },
    {
      name: 'JSON v1 encode (value -> Broker JSON text)',
      events: n,
      bytes: jsonBytes,
      fn: () => {
        for (const v of values) dataMessageToJson(TOPIC, v);
      },
    },
    {
      name: 'JSON.parse (same Broker JSON text)',
      events: n,
      bytes: jsonBytes,
      fn: () => {
        for (const t of texts) JSON.parse(t);
      },
    },
    {
      name: 'JSON.stringify (same objects)',
      events: n,
      bytes: jsonBytes,
      fn: () => {
        for (const o of objects) JSON.stringify(o);
      },
    },
  ];
  return timeInterleaved(cases, runs, 3).map((r) => ({
    bench: 'broker-codec',
    case: r.name,
    events: r.events,
    bytes: r.bytes,
    mbPerSec: r.mbPerSec,
    eventsPerSec: r.eventsPerSec,
    runs: r.runs,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = runBrokerCodecBench();
  console.log(`Broker codecs, ${rows[0]!.events} events/run (${Math.round(rows[0]!.bytes! / rows[0]!.events!)} B bin v1, ${Math.round(rows[4]!.bytes! / rows[4]!.events!)} B JSON each), median of 5 runs [min..max]`);
  console.log(`${'case'.padEnd(52)} ${'bytes'.padStart(9)}  ${'MB/s'.padStart(22)}  ${'events/s'.padStart(28)}`);
  for (const r of rows) {
    const mb = fmtStat(r.mbPerSec);
    const ev = fmtStat(r.eventsPerSec);
    console.log(`${r.case.padEnd(52)} ${String(r.bytes).padStart(9)}  ${mb.padStart(22)}  ${ev.padStart(28)}`);
  }
  const dec = rows[0]!.eventsPerSec!.median;
  const parse = rows[6]!.eventsPerSec!.median;
  console.log(`bin v1 value decode vs JSON.parse of the same event: ${(dec / parse).toFixed(2)}x`);
}
