import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatTranscript, readTranscript, TranscriptWriter } from '../../src/core/capture/transcript.ts';
import { CaptureError } from '../../src/core/capture/errors.ts';
import { readCaptureFile } from '../../src/core/capture/read.ts';
import { fixtureDir, streamsOf } from './capture-helpers.ts';

test('legacy dialect: header, spaced keys, no conn (= 0)', () => {
  const c = readTranscript('{"capture": "x", "notes": "n"}\n{"dir": "c2s", "t": 0.25, "hex": "0001"}\r\n{"dir": "s2c", "t": 0.5, "hex": "ff"}\n\n');
  assert.equal(c.header, { capture: 'x', notes: 'n' });
  assert.equal(
    c.records.map((r) => [r.kind, r.conn, r.dir, r.t, r.kind === 'data' ? [...r.bytes] : null]),
    [
      ['data', 0, 'c2s', 0.25, [0, 1]],
      ['data', 0, 's2c', 0.5, [255]],
    ],
  );
});

test('broker dialect: relay events and WebSocket annotations are not input; eof and error lines end a direction', () => {
  const lines = [
    '{"capture":"ws","format":"x"}',
    '{"t":1,"conn":0,"event":"accepted"}',
    '{"dir":"c2s","t":1.1,"conn":0,"hex":"474554"}',
    '{"dir":"c2s","t":1.1,"conn":0,"http":"GET"}',
    '{"dir":"c2s","t":1.2,"conn":0,"ws_opcode":2,"fin":true,"masked":true,"hex":"0102"}',
    '{"t":2,"event":"target-unreachable","error":"[Errno 111] Connection refused"}',
    '{"dir":"s2c","t":3,"conn":1,"error":"[Errno 104] Connection reset by peer"}',
    '{"dir":"c2s","t":3.5,"conn":1,"eof":true}',
    '{"t":4,"event":"proxy-exit"}',
  ];
  const c = readTranscript(lines.join('\n'));
  assert.equal(
    c.records.map((r) => `${r.kind} ${r.conn} ${r.dir} ${r.t}`),
    ['data 0 c2s 1.1', 'eof 1 s2c 3', 'eof 1 c2s 3.5'],
  );
});

test('a transcript without header line starts with records', () => {
  const c = readTranscript('{"dir":"c2s","t":0,"conn":2,"hex":"41"}');
  assert.equal(c.header, {});
  assert.is(c.records[0]!.conn, 2);
});

for (const [bad, why] of [
  ['{"capture":1}\n{"dir":"c2s","t":0,"hex":"zz"}', 'hex'],
  ['{"capture":1}\nnot json', 'JSON'],
  ['{"capture":1}\n{"dir":"up","t":0,"hex":"00"}', 'dir'],
  ['{"capture":1}\n{"dir":"c2s","hex":"00"}', '"t"'],
  ['{"capture":1}\n{"dir":"c2s","t":0,"conn":-1,"hex":"00"}', 'conn'],
  ['{"capture":1}\n[1,2]', 'object'],
] as const) {
  test(`bad line (${why}) is a bad_transcript_line error naming line 2`, () => {
    try {
      readTranscript(bad);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, CaptureError);
      assert.is((err as CaptureError).code, 'bad_transcript_line');
      assert.is((err as CaptureError).field, 'line 2');
      assert.match((err as Error).message, why);
    }
  });
}

test('over-long lines are refused', () => {
  try {
    readTranscript(`{"dir":"c2s","t":0,"hex":"${'00'.repeat(100)}"}`, { maxRecordBytes: 50 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as CaptureError).code, 'limit_exceeded');
  }
});

test('writer produces the fixtures format exactly', () => {
  const lines: string[] = [];
  const w = new TranscriptWriter((l) => lines.push(l), { capture: 'rec', client: 'a', server: 'b', notes: '', format: 'comm-bridge record' });
  w.event(0.0000004, 'accepted', { conn: 0 });
  w.data(0, 'c2s', 1.23456789, Uint8Array.of(0xde, 0xad));
  w.eof(0, 's2c', 2);
  w.error(0, 'c2s', 2.5, '[Errno 104] Connection reset by peer');
  w.event(3, 'target-unreachable', { error: 'ECONNREFUSED' });
  w.event(4, 'proxy-exit');
  assert.equal(lines, [
    '{"capture":"rec","client":"a","server":"b","notes":"","format":"comm-bridge record"}\n',
    '{"t":0,"conn":0,"event":"accepted"}\n',
    '{"dir":"c2s","t":1.234568,"conn":0,"hex":"dead"}\n',
    '{"dir":"s2c","t":2,"conn":0,"eof":true}\n',
    '{"dir":"c2s","t":2.5,"conn":0,"error":"[Errno 104] Connection reset by peer"}\n',
    '{"t":3,"event":"target-unreachable","error":"ECONNREFUSED"}\n',
    '{"t":4,"event":"proxy-exit"}\n',
  ]);
});

test('format -> read round trip keeps every stream of a real capture', async () => {
  const dir = fixtureDir('broker');
  const original = await readCaptureFile(`${dir}websocket-json-session.jsonl`);
  const again = readTranscript(formatTranscript(original));
  assert.equal(again.header, original.header);
  assert.equal(streamsOf(again), streamsOf(original));
  assert.is(again.records.length, original.records.length);
});

test.run();
