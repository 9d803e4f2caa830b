// The `comm-bridge decode` adapter: detection, one JSON-ready object per message with typed values,
// phases followed across both directions, error lines that stop only the broken direction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecodedMessage, Direction } from '../../src/core/capture/types.ts';
import { fromHex } from '../../src/core/json.ts';
import { legacyCaptureDecoder } from '../../legacy/codec/capture-decoder.ts';
import { CAPTURES, loadCapture, streams } from './helpers.ts';

type Line = DecodedMessage & { dir: Direction; conn: number };

function decode(name: string, strict = false): Line[] {
  const out: Line[] = [];
  const sessions = new Map<number, ReturnType<typeof legacyCaptureDecoder.session>>();
  const capture = loadCapture(name);
  for (const r of capture.records) {
    let s = sessions.get(r.conn);
    if (s === undefined) sessions.set(r.conn, (s = legacyCaptureDecoder.session({ strict })));
    const msgs = r.kind === 'data' ? s.push(r.dir, r.bytes, r.t) : s.end(r.dir);
    for (const m of msgs) out.push({ ...m, dir: r.dir, conn: r.conn });
  }
  for (const [conn, s] of sessions) for (const dir of ['c2s', 's2c'] as const) for (const m of s.end(dir)) out.push({ ...m, dir, conn });
  return out;
}

const serials = (lines: Line[], dir: Direction) => lines.filter((l) => l.dir === dir && l.type === 'SERIAL');
const eventLine = (lines: Line[], name: string) => lines.find((l) => l['event'] === name)!;

test('detect: legacy openings yes; TLS, HTTP and empty streams no', () => {
  for (const name of CAPTURES) {
    const [c2s, s2c] = ['c2s', 's2c'].map((dir) => streams(name).find((s) => s.conn === 0 && s.dir === dir)?.bytes ?? new Uint8Array(0));
    assert.ok(legacyCaptureDecoder.detect(c2s!.subarray(0, 4096), s2c!.subarray(0, 4096)), name);
  }
  const tls = streams('bro-bro-tls');
  assert.not.ok(legacyCaptureDecoder.detect(tls[0]!.bytes, tls[1]!.bytes));
  assert.not.ok(legacyCaptureDecoder.detect(new TextEncoder().encode('GET / HTTP/1.1\r\n'), new Uint8Array(0)));
  assert.not.ok(legacyCaptureDecoder.detect(new Uint8Array(0), new Uint8Array(0)));
  assert.ok(legacyCaptureDecoder.detect(fromHex('0000000801'), new Uint8Array(0)));
});

test('every plaintext capture decodes without error lines (except the rejected VERSIONs)', () => {
  for (const name of CAPTURES) {
    const errors = decode(name).filter((l) => l.type === 'error');
    if (name === 'version-mismatch' || name === 'dataformat-mismatch') {
      assert.is(errors.length, 1, name);
      assert.is(errors[0]!['code'], name === 'version-mismatch' ? 'version_mismatch' : 'data_format_mismatch');
      assert.match(String(errors[0]!['action']), /close connection/);
      assert.is(errors[0]!.dir, 'c2s');
    } else assert.equal(errors, [], name);
  }
});

test('bro-bro-types: envelope fields and typed arguments', () => {
  const lines = decode('bro-bro-types');
  const v = lines.find((l) => l.type === 'VERSION' && l.dir === 's2c')!;
  assert.equal(
    { protocol: v['protocol'], cache_size: v['cache_size'], data_format: v['data_format'], runtime: v['runtime'], class: v['class'], header_pad: v['header_pad'] },
    { protocol: 7, cache_size: 3000, data_format: 26, runtime: 3, class: '', header_pad: '234849' },
  );
  const caps = lines.find((l) => l.type === 'CAPS')!;
  assert.equal([caps['flags'], caps['flag_names']], [13, ['COMPRESSION', 'PID_64BIT', 'NEW_CACHE_STRATEGY']]);
  const ping = lines.find((l) => l.type === 'PING')!;
  assert.equal([ping['seq'], ping['time1'], ping['time3'], ping['pad'], ping['size']], [1, 1795318587.194176, 0, '00000000', 32]);
  const id = serials(lines, 'c2s')[0]!;
  assert.equal([id['kind'], id['id'], id['id_type'], id['value'], id['attributes']], ['id', 'peer_description', 'string', { type: 'string', value: 'fx-sender' }, ['&redef']]);
  assert.equal(eventLine(lines, 'FX::fx_port')['args'], [
    { type: 'port', value: '80/tcp' },
    { type: 'port', value: '53/udp' },
    { type: 'port', value: '8/icmp' },
  ]);
  assert.equal(eventLine(lines, 'FX::fx_int')['args'], [{ type: 'int', value: -42 }]);
  assert.equal(eventLine(lines, 'FX::fx_interval')['args'], [{ type: 'interval', value: 90 }]);
  assert.equal(eventLine(lines, 'FX::fx_enum')['args'], [{ type: 'enum', value: 'FX::GREEN', number: 1, enum_type: 'FX::Color' }]);
  const outer = (eventLine(lines, 'FX::fx_outer')['args'] as { name: string; fields: string[]; value: unknown[] }[])[0]!;
  assert.is(outer.name, 'FX::Outer');
  assert.equal(outer.fields, ['name', 'inner', 'tags', 'nums', 'stamp', 'maybe']);
  assert.equal(outer.value[2], { type: 'set', value: [{ type: 'string', value: 'x' }, { type: 'string', value: 'y' }] });
  assert.equal(outer.value[5], null);
  assert.equal(eventLine(lines, 'FX::fx_table2')['args'], [
    { type: 'table', value: [{ key: [{ type: 'addr', value: '10.1.2.3' }, { type: 'port', value: '53/udp' }], value: { type: 'string', value: 'dns' } }] },
  ]);
  assert.equal(eventLine(lines, 'FX::fx_pattern')['args'], [{ type: 'pattern', value: '^?(fo+[a-z])$?', anywhere: '^?(.|\\n)*(fo+[a-z])' }]);
  assert.equal(eventLine(lines, 'FX::fx_string')['args'], [{ type: 'string', value: 'hello\u0000world' }]);
  assert.is(eventLine(lines, 'FX::fx_bool')['time'], 1795318587.194254);
});

test('compressed chunks report their wire and inflated sizes', () => {
  const lines = decode('bro-bro-compress-oneway');
  assert.equal(eventLine(lines, 'FX::fx_outer')['zlib'], { compressed: 257, inflated: 908 });
  assert.equal(lines.find((l) => l.type === 'PING')!['zlib'], { compressed: 33, inflated: 32 });
  assert.is(lines.find((l) => l.type === 'PONG')!['zlib'], undefined);
});

test('logs, prints and state operations', () => {
  const logs = decode('bro-bro-logs');
  const write = logs.find((l) => l.type === 'LOG_WRITE')!;
  const entries = write['entries'] as { path: string; values: { type: string; value: unknown }[] }[];
  assert.is(entries.length, 5);
  assert.equal(entries[1]!.values.slice(3, 7), [
    { type: 'addr', value: '10.0.0.1' },
    { type: 'port', value: '22/tcp' },
    { type: 'set', value: [{ type: 'string', value: 'a' }] },
    { type: 'vector', value: [{ type: 'double', value: 1.5 }, { type: 'double', value: 2.5 }] },
  ]);
  assert.equal(entries[1]!.values[8], { type: 'subnet', value: '10.0.0.0/8' });
  const print = decode('bro-bro-print').find((l) => l.type === 'REMOTE_PRINT')!;
  assert.is(print['count'], 107);
  const states = serials(decode('bro-bro-sync-runtime'), 's2c').filter((l) => l['kind'] === 'state');
  assert.equal(states.map((s) => `${s['op']} ${s['target']}`), [
    'ASSIGN sync_count',
    'ASSIGN sync_tab',
    'ASSIGN sync_set',
    'ASSIGN sync_str',
    'INCR sync_count',
    'ASSIGN_IDX #vm#17018#1',
    'DEL #vm#17018#1',
    'ADD #vm#17018#2',
    'ASSIGN sync_str',
  ]);
  assert.equal(states[4]!['op2'], { type: 'count', value: 5 });
  assert.is((states[1]!['op1'] as { id: string }).id, '#vm#17018#1');
});

test('Broccoli specifics: enum by name with a 64-bit garbage value, VERSION without class', () => {
  const lines = decode('broenum');
  assert.equal(eventLine(lines, 'enumtest')['args'], [{ type: 'enum', value: null, number: 3330185635498557440n, enum_type: 'enumtest::enumtype' }]);
  assert.is(lines[0]!['class'], null);
});

test('malformed input: an error line with code and action, only that direction stops', () => {
  const s = legacyCaptureDecoder.session();
  const version = fromHex('00000008010000000000000000000010' + '0000000700000bb80000001a00000000');
  assert.equal(s.push('c2s', version, 0).map((m) => m.type), ['VERSION']);
  const bad = s.push('c2s', fromHex('0000000821000000' + '00000000'), 0);
  assert.equal(bad.map((m) => [m.type, m['code']]), [['error', 'unknown_message_type']]);
  assert.match(String(bad[0]!['action']), /close connection/);
  assert.equal(s.push('c2s', version, 0), []);
  assert.equal(s.push('s2c', version, 0).map((m) => m.type), ['VERSION']);
  assert.equal(s.push('s2c', fromHex('00000008'), 0), []);
  assert.equal(s.end('s2c').map((m) => m['code']), ['truncated']);
});

test('strict mode flags messages sent before VERSION', () => {
  const s = legacyCaptureDecoder.session({ strict: true });
  const out = s.push('c2s', fromHex('000000080e000000' + '00000000'), 0);
  assert.equal(out.map((m) => m.type), ['PHASE_DONE', 'error']);
  const lax = legacyCaptureDecoder.session();
  assert.equal(lax.push('c2s', fromHex('000000080e000000' + '00000000'), 0).map((m) => m.type), ['PHASE_DONE']);
});

test.run();
