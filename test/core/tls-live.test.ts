// Record protection against a real TLS stack: Node's OpenSSL talks to itself on loopback through
// a recording relay, its 'keylog' events make the key log, and the recorded bytes must decrypt to
// what each side wrote. Covers the suites and modes the captured peers do not use: TLS 1.3
// AES-128/ChaCha20, TLS 1.2 ChaCha20, AES-CBC with encrypt-then-MAC and MAC-then-encrypt, Broker's
// anonymous AECDH-AES256-SHA, and a TLS 1.2 renegotiation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect, createServer, type ConnectionOptions, type TlsOptions, type TLSSocket } from 'node:tls';
import type { CaptureRecord } from '../../src/core/capture/types.ts';
import { parseKeyLog } from '../../src/core/capture/tls/keylog.ts';
import { decryptCapture } from '../../src/core/capture/tls/decrypt-capture.ts';
import { TlsSession } from '../../src/core/capture/tls/session.ts';

const PKI = new URL('../../fixtures/broker/tls/', import.meta.url);
const pem = (name: string) => readFileSync(new URL(name, PKI));
const CERT = { key: pem('node-a.key'), cert: pem('node-a.pem') };

interface Recorded {
  records: CaptureRecord[];
  keylog: string;
  protocol: string | null;
  cipher: string;
  /** What the client received. */
  replies: string;
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * The client writes each message once the previous one came back; the server echoes everything
 * upper-cased (however TCP splits it). `between` runs after the first echo (e.g. a renegotiation).
 */
async function converse(serverOptions: TlsOptions, clientOptions: ConnectionOptions, messages: string[], between?: (client: TLSSocket) => Promise<void>): Promise<Recorded> {
  let keylog = '';
  const sockets = new Set<Socket>();
  const server = createServer(serverOptions, (s) => {
    s.on('data', (d: Buffer) => s.write(d.toString().toUpperCase()));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  server.on('keylog', (line: Buffer) => (keylog += line.toString()));
  const serverPort = await listen(server);
  const records: CaptureRecord[] = [];
  let t = 0;
  const relay = createTcpServer((c) => {
    const up = tcpConnect(serverPort, '127.0.0.1');
    for (const s of [c, up]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    c.on('data', (b: Buffer) => (records.push({ kind: 'data', conn: 0, dir: 'c2s', t: t++, bytes: new Uint8Array(b) }), up.write(b)));
    up.on('data', (b: Buffer) => (records.push({ kind: 'data', conn: 0, dir: 's2c', t: t++, bytes: new Uint8Array(b) }), c.write(b)));
    c.on('end', () => (records.push({ kind: 'eof', conn: 0, dir: 'c2s', t: t++ }), up.end()));
    up.on('end', () => (records.push({ kind: 'eof', conn: 0, dir: 's2c', t: t++ }), c.end()));
  });
  const relayPort = await listen(relay);
  try {
    const client = connect({ host: '127.0.0.1', port: relayPort, ca: pem('ca.pem'), ...clientOptions });
    client.on('keylog', (line: Buffer) => (keylog += line.toString()));
    let replies = '';
    let protocol: string | null = null;
    let cipher = '';
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let expected = 0;
      let waiting = false;
      const send = () => {
        if (next < messages.length) {
          expected += messages[next]!.length;
          client.write(messages[next++]!);
        } else client.end();
      };
      client.once('secureConnect', () => {
        protocol = client.getProtocol();
        cipher = client.getCipher().name;
        send();
      });
      client.on('data', (d: Buffer) => {
        replies += d.toString();
        if (replies.length < expected) return;
        if (next === 1 && between && !waiting) {
          waiting = true;
          between(client).then(send, reject);
        } else send();
      });
      client.on('error', reject);
      client.on('close', () => resolve());
    });
    return { records, keylog, protocol, cipher, replies };
  } finally {
    for (const s of sockets) s.destroy();
    await close(relay);
    await close(server);
  }
}

function decrypt(rec: Recorded): { c2s: string; s2c: string; notes: unknown[]; description: string | undefined } {
  const result = decryptCapture({ header: {}, records: rec.records }, { keyLog: parseKeyLog(rec.keylog) });
  const out = { c2s: '', s2c: '' };
  for (const r of result.capture.records) if (r.kind === 'data') out[r.dir] += Buffer.from(r.bytes).toString();
  return { ...out, notes: result.notes.map((n) => n.message), description: result.connections.get(0)?.description };
}

/** Encrypt-then-MAC as the ServerHello of the recording announced it. */
function negotiatedEtm(rec: Recorded): boolean | undefined {
  const session = new TlsSession();
  for (const r of rec.records) if (r.kind === 'data') session.push(r.dir, r.bytes, r.t);
  return session.info.encryptThenMac;
}

// The middle one needs two records each way (at most 2^14 bytes of plaintext per record).
const MESSAGES = ['hello', 'x'.repeat(20000), 'bye'];
const EXPECT = { c2s: MESSAGES.join(''), s2c: MESSAGES.join('').toUpperCase() };

const CASES: { name: string; server: TlsOptions; client: ConnectionOptions; cipher: string; etm?: boolean }[] = [
  { name: 'TLS 1.3 AES-128-GCM', server: { ...CERT, ciphers: 'TLS_AES_128_GCM_SHA256' }, client: {}, cipher: 'TLS_AES_128_GCM_SHA256' },
  { name: 'TLS 1.3 ChaCha20-Poly1305', server: { ...CERT, ciphers: 'TLS_CHACHA20_POLY1305_SHA256' }, client: {}, cipher: 'TLS_CHACHA20_POLY1305_SHA256' },
  { name: 'TLS 1.2 ChaCha20-Poly1305', server: CERT, client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }, cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305' },
  { name: 'TLS 1.2 AES-128-GCM', server: CERT, client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }, cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
  { name: 'TLS 1.2 CBC, encrypt-then-MAC', server: CERT, client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' }, cipher: 'ECDHE-ECDSA-AES128-SHA', etm: true },
  {
    name: 'TLS 1.2 CBC SHA-384, MAC-then-encrypt',
    server: { ...CERT, secureOptions: constants.SSL_OP_NO_ENCRYPT_THEN_MAC },
    client: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-SHA384' },
    cipher: 'ECDHE-ECDSA-AES256-SHA384',
    etm: false,
  },
  {
    // What Broker negotiates when TLS is on without certificates.
    name: 'TLS 1.2 anonymous AECDH-AES256-SHA (Broker default)',
    server: { ciphers: 'AECDH-AES256-SHA@SECLEVEL=0' },
    client: { maxVersion: 'TLSv1.2', ciphers: 'AECDH-AES256-SHA@SECLEVEL=0', rejectUnauthorized: false },
    cipher: 'AECDH-AES256-SHA',
  },
];

for (const c of CASES) {
  test(`${c.name}: the recorded bytes decrypt to what both sides wrote`, async () => {
    const rec = await converse(c.server, c.client, MESSAGES);
    assert.is(rec.cipher, c.cipher, 'the intended suite was negotiated');
    assert.is(rec.replies, EXPECT.s2c);
    const got = decrypt(rec);
    assert.equal(got.notes, []);
    assert.is(got.c2s, EXPECT.c2s);
    assert.is(got.s2c, EXPECT.s2c);
    assert.is(got.description, `${rec.protocol === 'TLSv1.3' ? 'TLS 1.3' : 'TLS 1.2'} ${c.cipher}`);
    if (c.etm !== undefined) assert.is(negotiatedEtm(rec), c.etm);
  });
}

test('TLS 1.2 renegotiation: the new keys take over at the next ChangeCipherSpec', async () => {
  const rec = await converse(CERT, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }, ['before', 'after'], (client) => {
    return new Promise<void>((resolve, reject) => {
      const ok = client.renegotiate({ rejectUnauthorized: true }, (err) => (err ? reject(err) : resolve()));
      if (!ok) reject(new Error('renegotiation refused'));
    });
  });
  // Two sessions in one key log: the second ClientHello has its own random.
  assert.is(parseKeyLog(rec.keylog).size, 2);
  const got = decrypt(rec);
  assert.equal(got.notes, []);
  assert.is(got.c2s, 'beforeafter');
  assert.is(got.s2c, 'BEFOREAFTER');
});

test.run();
