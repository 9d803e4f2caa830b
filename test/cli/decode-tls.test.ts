// comm-bridge decode --keylog: the real TLS captures decode to the same messages as the
// decrypted transcripts recorded next to them, and keys that are missing or wrong say so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCapture, decodeMain, type DecodedLine } from '../../src/cli/decode.ts';
import { readTranscript } from '../../src/core/capture/transcript.ts';
import { fixtureDir } from '../core/capture-helpers.ts';
import { memoryIo, tempDir } from './helpers.ts';

const LEGACY = fixtureDir('legacy');
const BROKER = fixtureDir('broker');
type Line = Record<string, unknown>;

async function decode(args: string[]): Promise<{ status: number; lines: Line[]; err: string }> {
  const io = memoryIo();
  const status = await decodeMain(args, io);
  const lines = io
    .out()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  return { status, lines, err: io.err() };
}

const withoutT = (lines: Line[]) => lines.map(({ t: _t, ...rest }) => rest);
/** Lines the TLS layer adds that a decrypted transcript cannot have (alerts travel outside application data). */
const messagesOnly = (lines: Line[]) => lines.filter((l) => l['type'] !== 'tls-alert');

for (const name of ['bro-bro-tls', 'broping-tls']) {
  const keylog = `${LEGACY}tls/keylog-${name}.txt`;

  test(`${name}: the transcript with its key log decodes exactly like the decrypted transcript (t included)`, async () => {
    const tls = await decode([`${LEGACY}${name}.jsonl`, '--keylog', keylog, '--strict']);
    const plain = await decode([`${LEGACY}tls/${name}.decrypted.jsonl`]);
    assert.is(tls.status, 0, tls.err);
    assert.ok(plain.lines.length >= 15);
    assert.equal(tls.lines, plain.lines);
    assert.is(tls.lines[0]!['type'], 'VERSION');
  });

  test(`${name}: the pcap with its key log decodes to the same messages`, async () => {
    const tls = await decode([`${LEGACY}${name}.pcap`, '--keylog', keylog]);
    const plain = await decode([`${LEGACY}tls/${name}.decrypted.jsonl`]);
    assert.is(tls.status, 0, tls.err);
    assert.equal(withoutT(messagesOnly(tls.lines)), withoutT(plain.lines));
    // Timestamps are the TLS records' own, so they keep the capture's order per direction.
    for (const dir of ['c2s', 's2c']) {
      const ts = tls.lines.filter((l) => l['dir'] === dir).map((l) => l['t'] as number);
      assert.equal(ts, [...ts].sort((a, b) => a - b));
    }
  });
}

test('bro-bro-tls.pcap: the client close after the relay FIN is a fatal TLS alert line, not a message', async () => {
  const { lines } = await decode([`${LEGACY}bro-bro-tls.pcap`, '--keylog', `${LEGACY}tls/keylog-bro-bro-tls.txt`]);
  assert.equal(
    lines.filter((l) => l['type'] === 'tls-alert'),
    [{ conn: 0, dir: 'c2s', t: lines.at(-1)!['t'], type: 'tls-alert', level: 'fatal', description: 50, name: 'decode_error' }],
  );
});

for (const ext of ['jsonl', 'pcap']) {
  test(`native-tls-certs.${ext}: TLS 1.3 conns 0 and 3 decode like the plaintext transcript, TLS 1.2 GCM conn 4 gives probe + hello`, async () => {
    const tls = await decode([`${BROKER}native-tls-certs.${ext}`, '--keylog', `${BROKER}native-tls-certs.keylog`]);
    const plain = await decode([`${BROKER}native-tls-certs.plain.jsonl`]);
    assert.is(tls.status, 0, tls.err);
    const conns = (lines: Line[], ...c: number[]) => messagesOnly(lines).filter((l) => c.includes(l['conn'] as number));
    const compare = ext === 'jsonl' ? (l: Line[]) => l : withoutT;
    assert.equal(compare(conns(tls.lines, 0, 3)), compare(plain.lines));
    assert.ok(plain.lines.some((l) => l['type'] === 'data'));
    const conn4 = conns(tls.lines, 4);
    assert.equal(
      conn4.map((l) => `${String(l['dir'])} ${String(l['type'])}`),
      ['c2s hello', 's2c probe', 's2c hello'],
    );
    assert.is(conn4[2]!['sender'], '99999999-9999-5999-9999-999999999999');
    // The rejected handshakes: the server's alerts, and a line saying nothing could be decoded.
    const alerts = tls.lines.filter((l) => l['type'] === 'tls-alert' && l['conn'] !== 0).map((l) => `${String(l['conn'])} ${String(l['name'])}`);
    assert.equal(alerts, ['1 unknown_ca', '2 certificate_required']);
    for (const c of [1, 2]) {
      const undecoded = tls.lines.filter((l) => l['conn'] === c && l['type'] === 'undecoded');
      assert.is(undecoded.length, 1);
      assert.match(String(undecoded[0]!['reason']), /^TLS 1\.3 TLS_AES_256_GCM_SHA384: /);
    }
  });
}

test('without --keylog each TLS connection prints one undecoded line naming version, suite and client random', async () => {
  const { status, lines } = await decode([`${BROKER}native-tls-certs.pcap`]);
  assert.is(status, 0);
  assert.equal(
    lines.map((l) => [l['conn'], l['type'], l['tls']]),
    [0, 1, 2, 3, 4].map((c) => [c, 'undecoded', true]),
  );
  assert.match(String(lines[4]!['reason']), /^TLS 1\.2 ECDHE-ECDSA-AES256-GCM-SHA384: no key log given \(--keylog FILE\), client random 56bff713c5f2285b[0-9a-f]{48}$/);
});

test("a key log without the session's keys: the reason names the client random", async () => {
  const { status, lines } = await decode([`${LEGACY}bro-bro-tls.jsonl`, '--keylog', `${BROKER}native-tls-certs.keylog`]);
  assert.is(status, 0);
  assert.equal(lines, [
    {
      conn: 0,
      dir: 'c2s',
      t: lines[0]!['t'],
      type: 'undecoded',
      reason: 'TLS 1.3 TLS_AES_256_GCM_SHA384: no key for client random d7ea4da1b270d01d3e851963a22a6fce26cf58e2d43102d173398521e82937e6',
      tls: true,
    },
  ]);
});

test("Broker's anonymous TLS 1.2 without keys, and a capture that starts after the handshake, are named", async () => {
  const anon = await decode([`${BROKER}native-tls-anon.pcap`]);
  assert.equal(
    anon.lines.map((l) => String(l['reason']).replace(/[0-9a-f]{64}$/, 'R')),
    ['TLS 1.2 AECDH-AES256-SHA: no key log given (--keylog FILE), client random R', 'TLS 1.2 AECDH-AES256-SHA: no key log given (--keylog FILE), client random R'],
  );
  const midway = readTranscript(['{"capture":"x"}', '{"dir":"c2s","t":0,"hex":"17030300051122334455"}', '{"dir":"s2c","t":1,"hex":"1503030002abcd"}'].join('\n'));
  const out: DecodedLine[] = [];
  decodeCapture(midway, {}, (l) => out.push(l));
  assert.equal(out, [{ conn: 0, dir: 'c2s', t: 0, type: 'undecoded', reason: 'TLS without its handshake (the capture starts after the ClientHello)', tls: true }]);
});

test('--keylog is repeatable: two key logs decode a capture each needs one of', async () => {
  const both = ['--keylog', `${BROKER}native-tls-certs.keylog`, '--keylog', `${LEGACY}tls/keylog-broping-tls.txt`];
  const legacy = await decode([`${LEGACY}broping-tls.jsonl`, ...both]);
  const broker = await decode([`${BROKER}native-tls-certs.jsonl`, ...both, '--conn', '4']);
  assert.is(legacy.lines[0]!['type'], 'VERSION');
  assert.is(legacy.lines.length, 15);
  assert.equal(
    broker.lines.map((l) => l['type']),
    ['hello', 'probe', 'hello'],
  );
});

test('a wrong key gives one error line for that direction; the other direction and other connections go on', async () => {
  const dir = tempDir();
  try {
    // Flip one bit of the server's application traffic secret of conn 0, keep everything else.
    const text = readFileSync(`${BROKER}native-tls-certs.keylog`, 'utf8').replace(/^(SERVER_TRAFFIC_SECRET_0 451baad8\S+ )(.)/gm, (_m, head: string, c: string) => head + (parseInt(c, 16) ^ 1).toString(16));
    const bad = join(dir.path, 'bad.keylog');
    writeFileSync(bad, text);
    const { status, lines, err } = await decode([`${BROKER}native-tls-certs.jsonl`, '--keylog', bad, '--strict']);
    assert.is(status, 1, 'strict mode fails on the error line');
    assert.match(err, /1 error message/);
    const errors = lines.filter((l) => l['type'] === 'error');
    assert.is(errors.length, 1);
    assert.is(errors[0]!['conn'], 0);
    assert.is(errors[0]!['dir'], 's2c');
    assert.is(errors[0]!['code'], 'decrypt_failed');
    assert.match(String(errors[0]!['message']), /server record 0 under the SERVER_TRAFFIC_SECRET_0 key failed authentication/);
    assert.ok(lines.some((l) => l['conn'] === 0 && l['dir'] === 'c2s' && l['type'] === 'data'), 'the client side of conn 0 still decodes');
    assert.not.ok(lines.some((l) => l['conn'] === 0 && l['dir'] === 's2c' && l['type'] !== 'error'), 'nothing after the failure on that side');
    assert.equal(
      lines.filter((l) => l['conn'] === 4).map((l) => l['type']),
      ['hello', 'probe', 'hello'],
    );
  } finally {
    dir.remove();
  }
});

test('key log problems are typed errors with exit 2: unreadable file, malformed line (with its number)', async () => {
  const dir = tempDir();
  try {
    const bad = join(dir.path, 'bad.keylog');
    writeFileSync(bad, '# comment\nCLIENT_RANDOM 00ff\n');
    const cases: [string, RegExp][] = [
      [join(dir.path, 'missing.keylog'), /file_unreadable: cannot read key log/],
      [bad, /keylog_malformed: key log .*bad\.keylog:2: expected 'LABEL <client random hex> <secret hex>'/],
    ];
    for (const [keylog, expected] of cases) {
      const r = await decode([`${LEGACY}bro-bro-tls.jsonl`, '--keylog', keylog]);
      assert.is(r.status, 2);
      assert.match(r.err, expected);
      assert.equal(r.lines, []);
    }
  } finally {
    dir.remove();
  }
});

test('usage names --keylog', async () => {
  const r = await decode([]);
  assert.is(r.status, 2);
  assert.match(r.err, /--keylog FILE/);
});

test.run();
