import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCapture, decodeMain, type DecodedLine } from '../../src/cli/decode.ts';
import { DECODERS, PROTOCOL_NAMES } from '../../src/cli/protocols.ts';
import { readTranscript } from '../../src/core/capture/transcript.ts';
import type { ProtocolDecoder } from '../../src/core/capture/types.ts';
import { fixtureDir } from '../core/capture-helpers.ts';
import { memoryIo, tempDir } from './helpers.ts';

const WS = `${fixtureDir('broker')}websocket-json-session`;
const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

test('decode prints one JSON object per message, conn/dir/t first, and exits 0', async () => {
  const io = memoryIo();
  assert.is(await decodeMain([`${WS}.jsonl`], io), 0);
  const out = lines(io.out());
  assert.ok(out.length > 100);
  for (const l of out) assert.equal(Object.keys(l).slice(0, 4), ['conn', 'dir', 't', 'type']);
  assert.equal([...new Set(out.map((l) => l['conn']))], [0, 1, 2, 3]);
  assert.ok(io.out().includes('"data":18446744073709551615'), '64-bit values printed exactly');
  assert.is(io.err(), '');
});

test('--conn selects one connection; the pcap decodes to the same messages as the transcript', async () => {
  const a = memoryIo();
  const b = memoryIo();
  assert.is(await decodeMain([`${WS}.jsonl`, '--conn', '3'], a), 0);
  // Content sniffing, not the file name: a pcap under another name is still a pcap.
  const dir = tempDir();
  try {
    const renamed = join(dir.path, 'capture.bin');
    copyFileSync(`${WS}.pcap`, renamed);
    assert.is(await decodeMain([renamed, '--conn', '3'], b), 0);
  } finally {
    dir.remove();
  }
  const strip = (ls: Record<string, unknown>[]) => ls.map(({ t: _t, ...rest }) => rest);
  assert.equal(strip(lines(b.out())), strip(lines(a.out())));
  assert.equal(lines(a.out()).map((l) => l['type']), ['http-request', 'http-response', 'subscribe', 'ack', 'binary']);
});

test('--strict fails the run (exit 1) after printing when any error line appears', async () => {
  const io = memoryIo();
  assert.is(await decodeMain([`${WS}.jsonl`, '--strict'], io), 1);
  assert.ok(lines(io.out()).some((l) => l['type'] === 'error' && l['code'] === 'http_trailing_bytes'));
  assert.match(io.err(), /1 error message/);
});

test('unreadable input and bad options are typed errors on stderr with a non-zero exit', async () => {
  const dir = tempDir();
  try {
    const notCapture = join(dir.path, 'notes.jsonl');
    writeFileSync(notCapture, 'hello, this is not a capture\n');
    const cases: [string[], RegExp][] = [
      [[join(dir.path, 'missing.pcap')], /file_unreadable/],
      [[notCapture], /not_a_capture/],
      [[`${WS}.jsonl`, '--protocol', 'smtp'], /unknown_protocol: unknown protocol 'smtp'/],
      [[`${WS}.jsonl`, '--conn', '9'], /no_such_connection/],
      [[`${WS}.jsonl`, '--conn', 'x'], /usage/],
      [[], /usage/],
      [[`${WS}.jsonl`, '--bogus'], /usage/],
    ];
    for (const [args, expected] of cases) {
      const io = memoryIo();
      assert.is(await decodeMain(args, io), 2, args.join(' '));
      assert.match(io.err(), expected);
      assert.is(io.out(), '');
    }
    const unregistered = PROTOCOL_NAMES.find((p) => !DECODERS.some((d) => d.protocol === p));
    if (unregistered) {
      const io = memoryIo();
      assert.is(await decodeMain([`${WS}.jsonl`, '--protocol', unregistered], io), 2);
      assert.match(io.err(), /no decoder for protocol/);
    }
  } finally {
    dir.remove();
  }
});

test('an explicit --protocol wins over detection', async () => {
  const io = memoryIo();
  await decodeMain([`${WS}.jsonl`, '--conn', '3', '--protocol', 'websocket'], io);
  assert.is(lines(io.out())[0]!['type'], 'http-request');
});

test('--protocol broker decodes a native Broker capture: handshake by spec name, Broker JSON values, Zeek events', async () => {
  const capture = `${fixtureDir('broker')}native-alltypes.jsonl`;
  const io = memoryIo();
  assert.is(await decodeMain([capture, '--protocol', 'broker'], io), 0, io.err());
  const out = lines(io.out());
  assert.is(out.length, 47, 'one line per Broker frame, like the reference decoder');
  assert.equal(out.slice(0, 6).map((l) => [l['dir'], l['type']]), [
    ['c2s', 'hello'],
    ['s2c', 'probe'],
    ['s2c', 'version_select'],
    ['s2c', 'originator_syn'],
    ['c2s', 'responder_syn_ack'],
    ['s2c', 'originator_ack'],
  ]);
  assert.equal(out[3]!['filter'], ['/bridge/test']);
  assert.not.ok(out.some((l) => l['type'] === 'error'));
  const byTopic = (topic: string) => out.find((l) => l['topic'] === topic)!;
  assert.equal(byTopic('/bridge/test/value/count')['value'], { '@data-type': 'count', data: 42 });
  assert.equal(byTopic('/bridge/test/value/port-unknown')['value'], { '@data-type': 'port', data: '0/?' });
  assert.equal(byTopic('/bridge/test/value/timespan')['value'], { '@data-type': 'timespan', data: '1500ms' });
  const ping = byTopic('/bridge/test/event/ping');
  assert.equal([ping['zeek'], ping['event'], ping['args']], ['event', 'ping', [{ '@data-type': 'string', data: 'hi' }, { '@data-type': 'count', data: 42 }]]);
  assert.equal(out.slice(-2).map((l) => [l['type'], l['bye_token']]), [
    ['ping', true],
    ['pong', true],
  ]);
  const detected = memoryIo();
  assert.is(await decodeMain([capture], detected), 0);
  assert.is(detected.out(), io.out(), 'the same lines as auto-detection picks for a ZEEK-magic capture');
});

test('--protocol overrides detection: a Broker capture read as legacy, a WebSocket one read as Broker', async () => {
  const legacy = memoryIo();
  assert.is(await decodeMain([`${fixtureDir('broker')}native-alltypes.jsonl`, '--protocol', 'legacy'], legacy), 0);
  const asLegacy = lines(legacy.out());
  assert.ok(asLegacy.length > 0);
  assert.equal([...new Set(asLegacy.map((l) => `${l['type']}/${String(l['code'])}`))], ['error/unexpected_argument_chunk'], 'legacy framing errors, no Broker message');
  const broker = memoryIo();
  assert.is(await decodeMain([`${WS}.jsonl`, '--conn', '3', '--protocol', 'broker'], broker), 0);
  // "GET " and "HTTP" read as Broker frame lengths (spec §1.7): 0x47455420 and 0x48545450 bytes.
  assert.equal(
    lines(broker.out()).map((l) => [l['dir'], l['type'], l['code'], l['action']]),
    [
      ['c2s', 'error', 'frame_too_large', 'close'],
      ['s2c', 'error', 'frame_too_large', 'close'],
    ],
  );
  assert.match(broker.out(), /frame of 1195725856 bytes/);
  const strict = memoryIo();
  assert.is(await decodeMain([`${WS}.jsonl`, '--conn', '3', '--protocol', 'broker', '--strict'], strict), 1, 'forced onto the wrong protocol, --strict fails');
});

test('connections no decoder recognises get one undecoded line (TLS is named)', () => {
  const capture = readTranscript(['{"capture":"x"}', '{"dir":"c2s","t":0,"conn":0,"hex":"160301002a"}', '{"dir":"c2s","t":1,"conn":1,"hex":"00ff"}'].join('\n'));
  const out: DecodedLine[] = [];
  decodeCapture(capture, {}, (l) => out.push(l));
  assert.equal(
    out.map((l) => [l.conn, l.type, l['tls'] ?? false]),
    [
      [0, 'undecoded', true],
      [1, 'undecoded', false],
    ],
  );
});

test('records go to each connection in capture order; a throwing decoder yields an error line for that direction only', () => {
  const calls: string[] = [];
  const fake: ProtocolDecoder = {
    protocol: 'legacy',
    detect: () => true,
    session: () => ({
      push(dir, bytes) {
        const text = Buffer.from(bytes).toString();
        if (text === 'boom') throw Object.assign(new Error('kaput'), { code: 'fake_failure' });
        calls.push(`${dir}:${text}`);
        return [{ type: 'chunk', text }];
      },
      end(dir) {
        calls.push(`${dir}:end`);
        return [];
      },
    }),
  };
  const rec = (conn: number, dir: string, text: string) => `{"dir":"${dir}","t":${conn},"conn":${conn},"hex":"${Buffer.from(text).toString('hex')}"}`;
  const capture = readTranscript([rec(0, 'c2s', 'a'), rec(1, 'c2s', 'x'), rec(0, 's2c', 'boom'), rec(0, 's2c', 'ignored'), rec(0, 'c2s', 'b'), '{"dir":"c2s","t":3,"conn":0,"eof":true}'].join('\n'));
  const out: DecodedLine[] = [];
  const summary = decodeCapture(capture, { decoders: [fake] }, (l) => out.push(l));
  assert.equal(calls, ['c2s:a', 'c2s:x', 'c2s:b', 'c2s:end', 'c2s:end', 's2c:end']);
  assert.equal(
    out.map((l) => `${l.conn}/${l.dir}/${l.type}/${String(l['text'] ?? l['code'])}`),
    ['0/c2s/chunk/a', '1/c2s/chunk/x', '0/s2c/error/fake_failure', '0/c2s/chunk/b'],
  );
  assert.equal(summary, { messages: 4, errors: 1, connections: 2 });
});

test('detection picks the right registered decoder for each kind of real capture', async () => {
  const first = async (path: string) => {
    const io = memoryIo();
    assert.is(await decodeMain([path], io), 0, io.err());
    return lines(io.out())[0]!;
  };
  assert.is((await first(`${fixtureDir('legacy')}broping.jsonl`))['type'], 'VERSION');
  assert.match(String((await first(`${fixtureDir('broker')}native-alltypes.pcap`))['type']), /^(hello|probe)$/);
  assert.is((await first(`${WS}.jsonl`))['type'], 'http-request');
  assert.equal(DECODERS.map((d) => d.protocol).sort(), [...PROTOCOL_NAMES].sort());
});

test('WebSocket data messages carry the Broker codec reading: Zeek events, invalid data', async () => {
  const io = memoryIo();
  await decodeMain([`${WS}.jsonl`, '--conn', '0'], io);
  const out = lines(io.out());
  const ping = out.find((l) => l['topic'] === '/bridge/ws/event/ping')!;
  assert.is(ping['event'], 'ping');
  assert.equal(ping['args'], [
    { '@data-type': 'string', data: 'hi' },
    { '@data-type': 'count', data: 42 },
  ]);
  const bad = out.filter((l) => l['dir'] === 'c2s' && l['data_error'] !== undefined);
  assert.ok(bad.length >= 6, 'the client error cases Broker rejected are flagged');
  assert.not.ok(out.some((l) => l['dir'] === 's2c' && l['data_error'] !== undefined), 'everything Broker sent is valid');
});

test('the installed entry point runs decode (and lists it in help)', () => {
  const bin = fileURLToPath(new URL('../../src/cli/comm-bridge.js', import.meta.url));
  const run = spawnSync(process.execPath, [bin, 'decode', `${WS}.pcap`, '--conn', '2'], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
  assert.equal(lines(run.stdout).map((l) => l['type']), ['http-request', 'http-response', 'text', 'close']);
  const help = spawnSync(process.execPath, [bin, 'help'], { encoding: 'utf8' });
  assert.match(help.stdout, /decode FILE/);
  assert.match(help.stdout, /record --listen/);
  assert.match(help.stdout, /replay FILE/);
});

test('the installed executable decodes a legacy capture with --protocol legacy (broping)', () => {
  // The file package.json registers as the `comm-bridge` bin, run as a program (shebang, mode).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
  const bin = fileURLToPath(new URL(`../../${pkg.bin['comm-bridge']}`, import.meta.url));
  const capture = fileURLToPath(new URL('../../fixtures/legacy/broping.jsonl', import.meta.url));
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` };
  const run = spawnSync(bin, ['decode', capture, '--protocol', 'legacy'], { encoding: 'utf8', env });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stderr, '');
  const out = lines(run.stdout);
  assert.equal([...new Set(out.map((l) => l['conn']))], [0]);
  assert.equal(
    out.map((l) => `${String(l['dir'])} ${String(l['type'])}${l['event'] !== undefined ? ` ${String(l['event'])}` : ''}`),
    [
      'c2s VERSION', 's2c VERSION', 's2c SERIAL', 's2c CAPS', 's2c REQUEST_EVENTS', 's2c PHASE_DONE',
      'c2s REQUEST_EVENTS', 'c2s CAPS', 'c2s PHASE_DONE',
      'c2s SERIAL ping', 's2c SERIAL pong', 'c2s SERIAL ping', 's2c SERIAL pong', 'c2s SERIAL ping', 's2c SERIAL pong',
    ],
  );
  const [cv, sv] = out;
  assert.equal([cv!['protocol'], cv!['cache_size'], cv!['data_format'], cv!['runtime']], [7, 1000, 26, 0], 'Broccoli\'s VERSION');
  assert.equal([sv!['protocol'], sv!['cache_size'], sv!['data_format'], sv!['runtime'], sv!['class']], [7, 3000, 26, 3, ''], 'Bro\'s VERSION');
  assert.equal(out[4]!['events'], ['ping']);
  assert.equal(out[6]!['events'], ['pong']);
  type Arg = { type: string; value: number };
  const pings = out.filter((l) => l['event'] === 'ping').map((l) => l['args'] as Arg[]);
  const pongs = out.filter((l) => l['event'] === 'pong').map((l) => l['args'] as Arg[]);
  assert.equal(pings.map((a) => a.map((x) => x.type)), [['time', 'count'], ['time', 'count'], ['time', 'count']]);
  assert.equal(pings.map((a) => a[1]!.value), [0, 1, 2], 'ping sequence numbers');
  assert.equal(pongs.map((a) => a.map((x) => x.type)), [['time', 'time', 'count'], ['time', 'time', 'count'], ['time', 'time', 'count']]);
  assert.equal(pongs.map((a) => a[2]!.value), [0, 1, 2], 'pong sequence numbers');
  for (let i = 0; i < 3; i++) {
    assert.is(pongs[i]![0]!.value, pings[i]![0]!.value, 'the pong echoes the ping\'s time');
    assert.ok(pongs[i]![1]!.value > pings[i]![0]!.value, 'Bro\'s receive time is later');
  }
});

test.run();
