// Throughput of the legacy codec on a typical event with a nested record argument
// (a `connection`-like record: conn_id and two endpoint records inside, a set, strings, times),
// decoded and encoded as whole byte streams, next to JSON.parse / JSON.stringify of the same
// events as typed JSON text. Median of 5 runs, with min and max.
//
//   npx tsx bench/legacy-codec.ts
import { pathToFileURL } from 'node:url';
import { ByteWriter } from '../src/core/bytes.ts';
import { LegacyStreamDecoder } from '../legacy/codec/stream-decoder.ts';
import { LegacyStreamEncoder } from '../legacy/codec/stream-encoder.ts';
import type { SerialWriteFormat } from '../legacy/codec/serial-writer.ts';
import type { LegacyMessage } from '../legacy/codec/messages.ts';
import type { SerialEvent } from '../legacy/codec/model.ts';
import {
  BASE,
  addrVal,
  countVal,
  eventBody,
  intervalVal,
  portVal,
  recordType,
  recordVal,
  setType,
  setVal,
  stringVal,
  timeVal,
} from '../legacy/codec/builders.ts';
import { typedJson } from '../legacy/codec/plain.ts';
import { fmtStat, timeInterleaved, type BenchRow, type TimedCase } from './common.ts';

export type { BenchRow } from './common.ts';

const connId = recordType('conn_id', [
  { name: 'orig_h', type: BASE.addr },
  { name: 'orig_p', type: BASE.port },
  { name: 'resp_h', type: BASE.addr },
  { name: 'resp_p', type: BASE.port },
]);
const endpoint = recordType('endpoint', [
  { name: 'size', type: BASE.count },
  { name: 'state', type: BASE.count },
  { name: 'num_pkts', type: BASE.count, optional: true },
  { name: 'num_bytes_ip', type: BASE.count, optional: true },
]);
const services = setType([BASE.string]);
const connection = recordType('connection', [
  { name: 'id', type: connId },
  { name: 'orig', type: endpoint },
  { name: 'resp', type: endpoint },
  { name: 'start_time', type: BASE.time },
  { name: 'duration', type: BASE.interval },
  { name: 'service', type: services },
  { name: 'history', type: BASE.string, optional: true },
  { name: 'uid', type: BASE.string },
]);

export function sampleEvent(i: number): SerialEvent {
  const ep = (n: number) => recordVal(endpoint, [countVal(n * 100), countVal(4), countVal(n), countVal(n * 140)]);
  const c = recordVal(connection, [
    recordVal(connId, [addrVal(`10.0.${(i >> 8) & 255}.${i & 255}`), portVal(40000 + (i % 20000), 'tcp'), addrVal('192.168.1.1'), portVal(443, 'tcp')]),
    ep(i % 50),
    ep(i % 70),
    timeVal(1500000000 + i * 0.25),
    intervalVal(1.5 + (i % 10)),
    setVal(services, [stringVal('ssl'), stringVal('http')]),
    stringVal('ShADadFf'),
    stringVal(`C${(1e9 + i * 7919).toString(36)}XyZ`),
  ]);
  return eventBody('connection_state_remove', [c], 1795318587 + i * 0.001);
}

interface Scenario {
  name: string;
  format: SerialWriteFormat;
  zlib: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'bro->bro (64-bit ids, cached types)', format: { pid64: true, newCacheStrategy: true, caching: true }, zlib: false },
  { name: 'bro->bro + zlib level 6', format: { pid64: true, newCacheStrategy: true, caching: true }, zlib: true },
  { name: 'to/from broccoli (no caching, full types)', format: { pid64: false, newCacheStrategy: false, caching: false }, zlib: false },
];

function encodeStream(messages: LegacyMessage[], s: Scenario): Uint8Array {
  const enc = new LegacyStreamEncoder({ serial: { format: s.format }, compressionLevel: 6 });
  const w = new ByteWriter(1 << 20);
  if (s.zlib) enc.encodeInto({ type: 'COMPRESS' }, w);
  for (const m of messages) enc.encodeInto(m, w);
  return w.toBytes();
}

export function runLegacyCodecBench(options: { events?: number; runs?: number } = {}): BenchRow[] {
  const n = options.events ?? 5000;
  const runs = options.runs ?? 5;
  const messages: LegacyMessage[] = Array.from({ length: n }, (_, i) => ({ type: 'SERIAL', body: sampleEvent(i) }));
  const cases: TimedCase[] = [];
  for (const s of SCENARIOS) {
    const wire = encodeStream(messages, s);
    cases.push({
      name: `decode ${s.name}`,
      events: n,
      bytes: wire.length,
      fn: () => {
        const dec = new LegacyStreamDecoder({ serial: { format: s.format } });
        dec.push(wire);
        let count = 0;
        while (dec.next() !== undefined) count++;
        if (count !== n + (s.zlib ? 1 : 0)) throw new Error(`decoded ${count} messages`);
      },
    });
    cases.push({ name: `encode ${s.name}`, events: n, bytes: wire.length, fn: () => void encodeStream(messages, s) });
  }
  // The same events as self-describing JSON (the typed form `comm-bridge decode` prints): like the
  // legacy wire, it carries each value's type.
  const texts = messages.map((m) => {
    const b = (m as { body: SerialEvent }).body;
    return JSON.stringify({ event: b.name, time: b.time, args: b.args.map(typedJson) });
  });
  const objects = texts.map((t) => JSON.parse(t) as unknown);
  const jsonBytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
  cases.push({
    name: 'JSON.parse (typed JSON text)',
    events: n,
    bytes: jsonBytes,
    fn: () => {
      for (const t of texts) JSON.parse(t);
    },
  });
  cases.push({
    name: 'JSON.stringify (typed JSON text)',
    events: n,
    bytes: jsonBytes,
    fn: () => {
      for (const o of objects) JSON.stringify(o);
    },
  });
  return timeInterleaved(cases, runs).map((r) => ({
    bench: 'legacy-codec',
    case: r.name,
    events: r.events,
    bytes: r.bytes,
    mbPerSec: r.mbPerSec,
    eventsPerSec: r.eventsPerSec,
    runs: r.runs,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = runLegacyCodecBench();
  console.log(`legacy codec, ${rows[0]!.events} events/run, median of 5 runs [min..max]`);
  console.log(`${'case'.padEnd(58)} ${'bytes'.padStart(9)}  ${'MB/s'.padStart(22)}  ${'events/s'.padStart(28)}`);
  for (const r of rows) {
    console.log(`${r.case.padEnd(58)} ${String(r.bytes).padStart(9)}  ${fmtStat(r.mbPerSec).padStart(22)}  ${fmtStat(r.eventsPerSec).padStart(28)}`);
  }
}
