// Legacy remote logs (the real bro-bro-logs capture) as Zeek LogCreate / LogWrite messages with
// Zeek's binary serial_data, and as local Zeek TSV logs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogCreateWriter, LogEntry, LogValue } from '../../legacy/codec/index.ts';
import { parseZeekMessage, renderData, type LogCreate, type LogWrite } from '../../modern/data/index.ts';
import { toHex } from '../../src/core/json.ts';
import { zeekLogWriter } from '../../src/core/zeeklog.ts';
import { TranslationDrops } from '../../src/translate/drops.ts';
import { decodeLogRecord, encodeLogRecord } from '../../src/translate/log-serial.ts';
import { LegacyLogTranslator, zeekColumns, type LogsConfigInput } from '../../src/translate/logs.ts';
import { replay } from '../legacy/helpers.ts';

const msgs = replay('bro-bro-logs').map((r) => r.msg);
const creates = msgs.filter((m): m is LogCreateWriter & { type: 'LOG_CREATE_WRITER' } => m.type === 'LOG_CREATE_WRITER');
const entries = msgs.flatMap((m) => (m.type === 'LOG_WRITE' ? m.entries : []));
const fxCreate = creates.find((c) => c.path === 'fxlog')!;

function translator(config: LogsConfigInput = { streams: { fxlog: 'FXLOG::LOG' } }) {
  const drops = new TranslationDrops();
  const files = new Map<string, string>();
  const t = new LegacyLogTranslator({
    config,
    drops,
    openLocal: (path, columns) => zeekLogWriter('ascii', (text) => files.set(path, (files.get(path) ?? '') + text), { path, columns, now: () => 0, timezone: 'utc' }),
  });
  return { t, drops, files };
}

test('bro-bro-logs: two writers and five entries were captured', () => {
  assert.equal(creates.map((c) => c.path), ['communication', 'fxlog']);
  assert.equal(entries.map((e) => e.path), ['communication', 'fxlog', 'fxlog', 'communication', 'communication']);
});

test('LOG_CREATE_WRITER -> LogCreate on zeek/logs/<stream> with WriterInfo and Zeek-numbered fields', () => {
  const { t } = translator();
  const [pub] = t.create('logs-server', fxCreate);
  assert.is(pub!.topic, 'zeek/logs/FXLOG::LOG');
  const m = parseZeekMessage(pub!.message) as LogCreate;
  assert.is(m.kind, 'log_create');
  assert.is(m.streamId, 'FXLOG::LOG');
  assert.is(m.writerId, 'Log::WRITER_ASCII');
  assert.is(renderData(m.writerInfo), "['fxlog', 0.0, 0.0, 1795318757.221251, {}, '']");
  assert.is(
    renderData(m.fields),
    "[['ts', nil, 5u, 0u, F], ['msg', nil, 7u, 0u, F], ['n', nil, 3u, 0u, F], ['host', nil, 11u, 0u, T], ['svc', nil, 10u, 0u, F], " +
      "['tags', nil, 14u, 7u, F], ['v', nil, 19u, 4u, F], ['ok', nil, 1u, 0u, F], ['net', nil, 12u, 0u, F]]",
  );
});

test('LOG_WRITE -> one LogWrite per entry; serial_data reads back to the same values', () => {
  const { t } = translator();
  for (const c of creates) t.create('logs-server', c);
  const pubs = t.write('logs-server', entries);
  assert.equal(pubs.map((p) => p.topic), ['zeek/logs/Communication::LOG', 'zeek/logs/FXLOG::LOG', 'zeek/logs/FXLOG::LOG', 'zeek/logs/Communication::LOG', 'zeek/logs/Communication::LOG']);
  pubs.forEach((p, i) => {
    const m = parseZeekMessage(p.message) as LogWrite;
    assert.is(m.kind, 'log_write');
    assert.is(m.path, entries[i]!.path);
    const bytes = typeof m.serialData === 'string' ? new Uint8Array(Buffer.from(m.serialData, 'utf8')) : m.serialData;
    assert.equal(decodeLogRecord(bytes), entries[i]!.values);
  });
});

test('serial_data bytes follow Zeek 5-8 (type, subtype VOID, present, payload; doctest layouts)', () => {
  const hex = (values: LogValue[]) => toHex(encodeLogRecord(values));
  assert.is(hex([{ type: 'addr', value: '1.2.3.4' }]), '00000001' + '0000000b' + '00000000' + '01' + '04' + '01020304');
  assert.is(hex([{ type: 'subnet', value: '1.2.0.0/16' }]), '00000001' + '0000000c' + '00000000' + '01' + '70' + '04' + '01020000');
  assert.is(hex([{ type: 'addr', value: '102:304:506:708:90a:b0c:d0e:f10' }]), '00000001' + '0000000b' + '00000000' + '01' + '06' + '0102030405060708090a0b0c0d0e0f10');
  assert.is(
    hex([{ type: 'table', value: [{ type: 'bool', value: true }, { type: 'bool', value: false }] }]),
    '00000001' + '0000000e' + '00000000' + '01' + '0000000000000002' +
      '00000001' + '00000000' + '01' + '0000000000000001' + '00000001' + '00000000' + '01' + '0000000000000000',
  );
  assert.is(hex([{ type: 'string', value: 'ABCD' }]), '00000001' + '00000007' + '00000000' + '01' + '00000004' + '41424344');
  assert.is(hex([{ type: 'port', value: { port: 22, proto: 'tcp' } }]), '00000001' + '0000000a' + '00000000' + '01' + '0000000000000016' + '00000001');
  assert.is(hex([{ type: 'counter', value: 7 }, { type: 'time', value: null }]), '00000002' + '00000003' + '00000000' + '01' + '0000000000000007' + '00000005' + '00000000' + '00');
  assert.is(hex([{ type: 'vector', value: [] }]), '00000001' + '00000013' + '00000000' + '01' + '0000000000000000');
});

test('serial_data: raw string bytes survive, bad input is a typed error', () => {
  const raw = new Uint8Array([0xff, 0x00, 0x5c]);
  const back = decodeLogRecord(encodeLogRecord([{ type: 'string', value: '\\xff\u0000\\x5c', raw }]));
  assert.equal(back[0]!.raw, raw);
  const good = encodeLogRecord([{ type: 'count', value: 1 }]);
  for (const bad of [good.subarray(0, good.length - 1), new Uint8Array([...good, 0]), new Uint8Array([0, 0, 0, 1, 0, 0, 0, 99, 0, 0, 0, 0, 1])]) {
    let code = '';
    try {
      decodeLogRecord(bad);
    } catch (err) {
      code = (err as { code: string }).code;
    }
    assert.ok(code === 'value_out_of_range' || code === 'type_mismatch', code);
  }
});

test('local logs: Zeek TSV with the legacy columns, one file per path', () => {
  const { t, files } = translator();
  for (const c of creates) t.create('logs-server', c);
  t.write('logs-server', entries);
  t.close();
  const fx = files.get('fxlog')!.split('\n');
  assert.is(fx[4], '#path\tfxlog');
  assert.is(fx[6], '#fields\tts\tmsg\tn\thost\tsvc\ttags\tv\tok\tnet');
  assert.is(fx[7], '#types\ttime\tstring\tcount\taddr\tport\tset[string]\tvector[double]\tbool\tsubnet');
  assert.is(fx[8], '1500000000.000000\tfirst\t1\t10.0.0.1\t22\ta\t1.5,2.5\tT\t10.0.0.0/8');
  assert.is(fx[9], '1500000001.000000\tsecond\t2\t-\t53\tc,b\t(empty)\tF\t2001:db8::/32');
  assert.match(fx[10]!, /^#close\t/);
  const comm = files.get('communication')!.split('\n');
  assert.match(comm[8]!, /^1795318757\.221251\tlogs-server\tparent\t-\t-\t-\tinfo\t\[#10000\/127\.0\.0\.1:35382\] peer requested logs$/);
});

test('column types map from legacy field types', () => {
  assert.equal(zeekColumns(fxCreate.fields).map((c) => c.type), ['time', 'string', 'count', 'addr', 'port', 'set[string]', 'vector[double]', 'bool', 'subnet']);
  let code = '';
  try {
    zeekColumns([{ name: 'p', type: 'pattern', subtype: 'void', optional: false }]);
  } catch (err) {
    code = (err as { code: string }).code;
  }
  assert.is(code, 'unsupported_type');
});

test('drops: writes without a writer, mismatching entries, streams that may not be guessed', () => {
  const { t, drops } = translator({ streams: {}, unknown_streams: 'drop' });
  assert.equal(t.create('p', fxCreate), []);
  assert.is(drops.count('unknown_log_stream'), 1);
  assert.equal(t.write('p', [entries[1]!]), []);
  assert.is(drops.count('unknown_log_stream'), 2);
  const ok = translator();
  ok.t.create('p', fxCreate);
  const short: LogEntry = { ...entries[1]!, values: entries[1]!.values.slice(1) };
  const wrong: LogEntry = { ...entries[1]!, values: [{ type: 'count', value: 1 }, ...entries[1]!.values.slice(1)] };
  assert.equal(ok.t.write('p', [short, wrong]), []);
  assert.is(ok.drops.count('arity_mismatch'), 1);
  assert.is(ok.drops.count('type_mismatch'), 1);
  // Writers belong to the peer that created them.
  assert.equal(ok.t.write('other-peer', [entries[1]!]), []);
  assert.is(ok.drops.count('unknown_log_stream'), 1);
});

test('creates() replays each writer once for a new Broker peer; forgetPeer drops a peer\'s writers', () => {
  const { t } = translator();
  for (const c of creates) t.create('a', c);
  t.create('b', fxCreate);
  assert.equal(t.creates().map((p) => p.topic), ['zeek/logs/Communication::LOG', 'zeek/logs/FXLOG::LOG']);
  t.forgetPeer('a');
  assert.equal(t.creates().map((p) => p.topic), ['zeek/logs/FXLOG::LOG']);
  assert.is(t.write('a', [entries[1]!]).length, 0);
  assert.is(t.write('b', [entries[1]!]).length, 1);
});

test.run();
