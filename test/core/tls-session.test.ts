// The passive TLS session on built streams: key schedule steps the real captures do not show
// (KeyUpdate, HelloRetryRequest, split handshake messages, padding), and every way it fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { TlsSession, type TlsEvent } from '../../src/core/capture/tls/session.ts';
import { parseKeyLog } from '../../src/core/capture/tls/keylog.ts';
import { hkdfExpandLabel, tls12Prf } from '../../src/core/capture/tls/kdf.ts';
import { HandshakeAssembler, RecordFramer } from '../../src/core/capture/tls/framing.ts';
import type { Direction } from '../../src/core/capture/types.ts';
import { clientHello, handshake, hex, HRR_RANDOM, record, serverHello, Tls13Sealer, tls13Secrets } from './tls-helpers.ts';

const h = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const text = (s: string) => Buffer.from(s);
const FINISHED = (n: number) => handshake(20, randomBytes(n));

test('HKDF-Expand-Label matches RFC 8448 (server handshake key and IV of the simple 1-RTT trace)', () => {
  const secret = h('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38');
  assert.is(hex(hkdfExpandLabel('sha256', secret, 'key', new Uint8Array(0), 16)), '3fce516009c21727d0f2e4e86ee403bc');
  assert.is(hex(hkdfExpandLabel('sha256', secret, 'iv', new Uint8Array(0), 12)), '5d313eb2671276ee13000b30');
});

test('the TLS 1.2 PRF (P_SHA256) matches the published test vector', () => {
  const out = tls12Prf('sha256', h('9bbe436ba940f017b17652849a71db35'), 'test label', h('a0ba9f936cda311827a6f796ffd5198c'), 100);
  assert.is(
    hex(out),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
      '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
  );
});

/** A TLS 1.3 session built record by record: client and server sealers plus the key log. */
function tls13(suite = 0x1301, secretLength = 32) {
  const random = randomBytes(32);
  const secrets = tls13Secrets(random, secretLength);
  return {
    random,
    keyLog: parseKeyLog(secrets.keylog),
    hello: record(22, clientHello(random), 0x0301),
    serverHello: record(22, serverHello({ version: 0x0304, suite })),
    client: { hs: new Tls13Sealer(suite, secrets.clientHandshake), app: new Tls13Sealer(suite, secrets.client0) },
    server: { hs: new Tls13Sealer(suite, secrets.serverHandshake), app: new Tls13Sealer(suite, secrets.server0) },
  };
}

function run(session: TlsSession, steps: [Direction, Uint8Array][]): TlsEvent[] {
  const out: TlsEvent[] = [];
  steps.forEach(([dir, bytes], i) => out.push(...session.push(dir, bytes, i)));
  return out;
}

const plain = (events: TlsEvent[]) => events.map((e) => (e.kind === 'data' ? `${e.dir}:${Buffer.from(e.bytes).toString()}` : `${e.dir}:${e.kind}`));

for (const [suite, len] of [
  [0x1301, 32],
  [0x1302, 48],
  [0x1303, 32],
] as const) {
  test(`TLS 1.3 suite 0x${suite.toString(16)}: handshake keys until Finished, then application keys; KeyUpdate; padding; split messages`, () => {
    const s = tls13(suite, len);
    const session = new TlsSession({ keyLog: s.keyLog });
    const ee = handshake(8, randomBytes(40));
    const events = run(session, [
      ['c2s', s.hello],
      ['s2c', Buffer.concat([s.serverHello, record(20, Buffer.from([1]))])],
      // EncryptedExtensions split over two records, Finished at the end of the second.
      ['s2c', s.server.hs.seal(22, ee.subarray(0, 10))],
      ['s2c', s.server.hs.seal(22, Buffer.concat([ee.subarray(10), FINISHED(len)]), 7)],
      ['s2c', s.server.app.seal(23, text('server says hi'), 100)],
      ['c2s', Buffer.concat([record(20, Buffer.from([1])), s.client.hs.seal(22, FINISHED(len))])],
      ['c2s', Buffer.concat([s.client.app.seal(23, text('one')), s.client.app.seal(23, text('two'))])],
      // The server updates its keys; its next records use the new secret.
      ['s2c', s.server.app.seal(22, handshake(24, Buffer.from([0])))],
      ['s2c', (s.server.app.update(), s.server.app.seal(23, text('after update')))],
      ['s2c', s.server.app.seal(21, Buffer.from([1, 0]))],
    ]);
    assert.equal(plain(events), ['s2c:server says hi', 'c2s:one', 'c2s:two', 's2c:after update', 's2c:alert']);
    const { clientRandom, ...info } = session.info;
    assert.is(hex(clientRandom!), hex(s.random));
    assert.equal(info, { version: 0x0304, cipherSuite: suite, encryptThenMac: false });
    assert.is(session.describe(), `TLS 1.3 ${{ 0x1301: 'TLS_AES_128_GCM_SHA256', 0x1302: 'TLS_AES_256_GCM_SHA384', 0x1303: 'TLS_CHACHA20_POLY1305_SHA256' }[suite]}`);
  });
}

test('records split anywhere (here byte by byte) give the same plaintext, timed by their first byte', () => {
  const s = tls13();
  const stream = Buffer.concat([s.serverHello, s.server.hs.seal(22, FINISHED(32)), s.server.app.seal(23, text('abc')), s.server.app.seal(23, text('def'))]);
  const session = new TlsSession({ keyLog: s.keyLog });
  session.push('c2s', s.hello, 0);
  const out: TlsEvent[] = [];
  const appStart = stream.length - 2 * (5 + 3 + 1 + 16);
  for (let i = 0; i < stream.length; i++) out.push(...session.push('s2c', stream.subarray(i, i + 1), i));
  assert.equal(
    out.map((e) => (e.kind === 'data' ? [Buffer.from(e.bytes).toString(), e.t] : e.kind)),
    [
      ['abc', appStart],
      ['def', appStart + 5 + 3 + 1 + 16],
    ],
  );
});

test('HelloRetryRequest: the second ServerHello sets the keys', () => {
  const s = tls13();
  const session = new TlsSession({ keyLog: s.keyLog });
  const events = run(session, [
    ['c2s', s.hello],
    ['s2c', record(22, serverHello({ version: 0x0304, suite: 0x1301, random: HRR_RANDOM }))],
    ['c2s', Buffer.concat([record(20, Buffer.from([1])), record(22, clientHello(s.random))])],
    ['s2c', Buffer.concat([s.serverHello, s.server.hs.seal(22, FINISHED(32)), s.server.app.seal(23, text('ok'))])],
  ]);
  assert.equal(plain(events), ['s2c:ok']);
});

test('a corrupted record is one decrypt_failed error; that side stops, the other goes on', () => {
  const s = tls13();
  const session = new TlsSession({ keyLog: s.keyLog });
  const bad = s.server.hs.seal(22, FINISHED(32));
  bad[10]! ^= 0x40;
  const events = run(session, [
    ['c2s', s.hello],
    ['s2c', s.serverHello],
    ['s2c', bad],
    ['s2c', s.server.hs.seal(22, FINISHED(32))],
    ['c2s', Buffer.concat([s.client.hs.seal(22, FINISHED(32)), s.client.app.seal(23, text('still here'))])],
  ]);
  assert.equal(plain(events), ['s2c:error', 'c2s:still here']);
  const err = events[0]!.kind === 'error' ? events[0]!.error : undefined;
  assert.is(err?.code, 'decrypt_failed');
  assert.match(err!.message, /server record 0 under the SERVER_HANDSHAKE_TRAFFIC_SECRET key failed authentication/);
  assert.is(err!.offset, s.serverHello.length);
});

test('missing secrets: the direction reports what is missing once, then stays quiet', () => {
  const s = tls13();
  const onlyHandshake = parseKeyLog(
    [`SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_HANDSHAKE_TRAFFIC_SECRET`]
      .map((l) => {
        const line = (s.keyLog.lookup(s.random)! as Record<string, Uint8Array>)[l === 'SERVER_HANDSHAKE_TRAFFIC_SECRET' ? 'serverHandshakeTrafficSecret' : 'clientHandshakeTrafficSecret']!;
        return `${l} ${hex(s.random)} ${hex(line)}`;
      })
      .join('\n'),
  );
  const steps: [Direction, Uint8Array][] = [
    ['c2s', s.hello],
    ['s2c', Buffer.concat([s.serverHello, s.server.hs.seal(22, FINISHED(32))])],
    ['s2c', s.server.app.seal(23, text('x'))],
    ['s2c', s.server.app.seal(23, text('y'))],
  ];
  const events = run(new TlsSession({ keyLog: onlyHandshake }), steps);
  assert.equal(plain(events), ['s2c:undecrypted']);
  assert.match((events[0] as { reason: string }).reason, new RegExp(`^TLS 1\\.3 TLS_AES_128_GCM_SHA256: no SERVER_TRAFFIC_SECRET_0 for client random ${hex(s.random)}$`));
  const none = run(new TlsSession(), steps);
  assert.match((none[0] as { reason: string }).reason, /no key log given \(--keylog FILE\)/);
});

test('what is not decrypted is said in the reason: TLS 1.1, unknown suites, compression', () => {
  const random = randomBytes(32);
  const keyLog = parseKeyLog(`CLIENT_RANDOM ${hex(random)} ${'11'.repeat(48)}`);
  const reasonFor = (hello: Buffer) => {
    const session = new TlsSession({ keyLog });
    const events = run(session, [
      ['c2s', record(22, clientHello(random))],
      ['s2c', Buffer.concat([record(22, hello), record(20, Buffer.from([1])), record(22, randomBytes(40))])],
    ]);
    assert.is(events.length, 1);
    return (events[0] as { reason: string }).reason;
  };
  assert.is(reasonFor(serverHello({ version: 0x0302, suite: 0xc014 })), 'TLS 1.1 is not decrypted (only TLS 1.2 and 1.3)');
  assert.is(reasonFor(serverHello({ version: 0x0303, suite: 0x000a })), 'TLS 1.2 0x000a: cipher suite 0x000a is not decrypted');
  assert.is(reasonFor(serverHello({ version: 0x0303, suite: 0x1301 })), 'TLS 1.2 TLS_AES_128_GCM_SHA256: cipher suite TLS_AES_128_GCM_SHA256 is not decrypted');
  assert.match(reasonFor(serverHello({ version: 0x0303, suite: 0xc02f, compression: 1 })), /TLS compression \(method 1\) is not supported/);
});

test('bad records and limits are typed errors, never exceptions', () => {
  const first = (steps: [Direction, Uint8Array][], limits = {}) => {
    const e = run(new TlsSession({ limits }), steps).find((x) => x.kind === 'error');
    return e?.kind === 'error' ? e.error : undefined;
  };
  const s = tls13();
  assert.is(first([['c2s', Buffer.from('GET / HTTP/1.1\r\n')]])?.code, 'record_malformed');
  assert.is(first([['c2s', Buffer.from([22, 2, 0, 0, 1, 1])]])?.code, 'record_malformed');
  assert.is(first([['c2s', Buffer.from([23, 3, 3, 0xff, 0xff])]])?.code, 'record_overflow');
  assert.is(first([['c2s', record(22, randomBytes(600))]], { maxRecordBytes: 512 })?.code, 'record_overflow');
  assert.is(first([['c2s', record(22, handshake(11, randomBytes(300)))]], { maxHandshakeMessageBytes: 256 })?.code, 'limit_exceeded');
  assert.is(first([['c2s', record(22, handshake(1, randomBytes(20)))]])?.code, 'handshake_malformed');
  assert.is(first([['c2s', record(23, randomBytes(20))]])?.code, 'unexpected_message');
  // TLS 1.3 holds protected records to 2^14 + 256 bytes.
  const big = tls13();
  const events = run(new TlsSession({ keyLog: big.keyLog }), [
    ['c2s', big.hello],
    ['s2c', Buffer.concat([big.serverHello, record(23, randomBytes(16384 + 257))])],
  ]);
  assert.is(events[0]?.kind === 'error' && events[0].error.code, 'record_overflow');
  // A record of nothing but padding has no content type.
  const pad = run(new TlsSession({ keyLog: s.keyLog }), [
    ['c2s', s.hello],
    ['s2c', Buffer.concat([s.serverHello, s.server.hs.seal(0, new Uint8Array(0), 5)])],
  ]);
  assert.is(pad[0]?.kind === 'error' && pad[0].error.code, 'unexpected_message');
});

test('records before a bad header in the same chunk are still delivered, then one error', () => {
  const s = tls13();
  const events = run(new TlsSession({ keyLog: s.keyLog }), [
    ['c2s', s.hello],
    ['s2c', Buffer.concat([s.serverHello, s.server.hs.seal(22, FINISHED(32)), s.server.app.seal(23, text('ok')), Buffer.from('HTTP/1.1 200 OK')])],
    ['s2c', s.server.app.seal(23, text('ignored'))],
  ]);
  assert.equal(plain(events), ['s2c:ok', 's2c:error']);
  assert.is(events[1]!.kind === 'error' && events[1]!.error.code, 'record_malformed');
});

test('0-RTT early data is reported unsupported', () => {
  const random = randomBytes(32);
  const events = run(new TlsSession(), [['c2s', Buffer.concat([record(22, clientHello(random, { earlyData: true })), record(23, randomBytes(40))])]]);
  assert.is(events[0]?.kind === 'error' && events[0].error.code, 'unsupported');
});

test('end(): a record cut off by the close is a truncated error; a clean close is silent', () => {
  const session = new TlsSession();
  session.push('c2s', record(22, clientHello(randomBytes(32))).subarray(0, 30), 0);
  const events = session.end('c2s', 1);
  assert.is(events.length, 1);
  assert.is(events[0]!.kind === 'error' && events[0]!.error.code, 'truncated');
  assert.equal(session.end('s2c', 1), []);
  assert.equal(session.push('c2s', randomBytes(10), 2), [], 'nothing after the end');
});

test('framing primitives: record start times across chunks, handshake messages across pushes', () => {
  const framer = new RecordFramer({ maxRecordBytes: 1000 });
  const a = record(22, Buffer.from('aaaa'));
  const b = record(23, Buffer.from('bbbbbb'));
  assert.equal(framer.push(a.subarray(0, 3), 1), []);
  const got = framer.push(Buffer.concat([a.subarray(3), b.subarray(0, 2)]), 2);
  assert.equal(got.map((r) => [r.type, r.t, r.offset, Buffer.from(r.fragment).toString()]), [[22, 1, 0, 'aaaa']]);
  assert.equal(framer.push(b.subarray(2), 3).map((r) => [r.type, r.t, r.offset]), [[23, 2, a.length]]);
  assert.is(framer.pending, 0);

  const hs = new HandshakeAssembler({ maxHandshakeMessageBytes: 100 });
  const m1 = handshake(8, Buffer.from('xy'));
  const m2 = handshake(20, Buffer.from('zzz'));
  const both = Buffer.concat([m1, m2]);
  assert.equal(hs.push(both.subarray(0, 5)), []);
  assert.not.ok(hs.idle);
  assert.equal(hs.push(both.subarray(5)).map((m) => [m.type, Buffer.from(m.body).toString()]), [
    [8, 'xy'],
    [20, 'zzz'],
  ]);
  assert.ok(hs.idle);
});

test.run();
