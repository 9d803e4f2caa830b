// The test PKI helper: certificates parse, chain to their CA (and only to it), carry the extensions
// the helper promises, and work in a real TLS handshake with mutual authentication.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { issue, makeTestPki, pkiFiles } from './pki.ts';

const pki = makeTestPki();

test('CAs are self-signed v3 CA certificates', () => {
  for (const ca of [pki.ca, pki.otherCa]) {
    assert.ok(ca.x509.ca, `${ca.cn} is a CA`);
    assert.ok(ca.x509.checkIssued(ca.x509), 'self-issued');
    assert.ok(ca.x509.verify(ca.publicKey), 'self-signed');
    assert.is(ca.x509.subject, `O=Bridge Test\nCN=${ca.cn.replace(',', '\\,')}`);
    assert.ok(ca.x509.checkPrivateKey(ca.privateKey));
  }
  assert.not.ok(pki.ca.x509.verify(pki.otherCa.publicKey));
});

test('leaves are signed by their CA only, with the key they come with', () => {
  for (const leaf of [pki.nodeA, pki.nodeB]) {
    assert.not.ok(leaf.x509.ca);
    assert.ok(leaf.x509.checkIssued(pki.ca.x509));
    assert.ok(leaf.x509.verify(pki.ca.publicKey));
    assert.not.ok(leaf.x509.checkIssued(pki.otherCa.x509));
    assert.not.ok(leaf.x509.verify(pki.otherCa.publicKey));
    assert.ok(leaf.x509.checkPrivateKey(leaf.privateKey));
    assert.is(leaf.x509.issuer, pki.ca.x509.subject);
    assert.equal(leaf.x509.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    assert.match(leaf.key, /^-----BEGIN PRIVATE KEY-----\n/);
  }
  assert.ok(pki.rogue.x509.checkIssued(pki.otherCa.x509));
  assert.ok(pki.rogue.x509.verify(pki.otherCa.publicKey));
  assert.not.ok(pki.rogue.x509.verify(pki.ca.publicKey));
  assert.is.not(pki.nodeA.x509.serialNumber, pki.nodeB.x509.serialNumber);
});

test('subjectAltName: localhost, 127.0.0.1 and ::1, or none', () => {
  assert.is(pki.nodeA.x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.is(pki.nodeA.x509.checkHost('localhost'), 'localhost');
  assert.is(pki.nodeA.x509.checkIP('127.0.0.1'), '127.0.0.1');
  assert.is(pki.nodeA.x509.checkIP('::1'), '::1');
  assert.is(pki.nodeB.x509.subjectAltName, undefined);
  assert.is(pki.nodeB.x509.checkIP('127.0.0.1'), undefined);
});

test('validity: now by default, UTCTime and GeneralizedTime as asked', () => {
  const now = Date.now();
  assert.ok(Date.parse(pki.nodeA.x509.validFrom) < now && now < Date.parse(pki.nodeA.x509.validTo));
  const old = issue('expired', pki.ca, { notBefore: new Date('2001-02-03T04:05:06Z'), notAfter: new Date('2051-06-07T08:09:10Z') });
  assert.is(new Date(old.x509.validFrom).toISOString(), '2001-02-03T04:05:06.000Z');
  assert.is(new Date(old.x509.validTo).toISOString(), '2051-06-07T08:09:10.000Z');
  assert.ok(old.x509.verify(pki.ca.publicKey));
});

test('pkiFiles writes the fixtures/broker/tls names and cleans up', () => {
  const files = pkiFiles(pki);
  for (const n of ['ca', 'node-a', 'node-b', 'other-ca', 'rogue']) {
    assert.ok(existsSync(files.path(`${n}.pem`)) && existsSync(files.path(`${n}.key`)), n);
  }
  assert.is(readFileSync(files.path('node-a.pem'), 'utf8'), pki.nodeA.cert);
  files.cleanup();
  assert.not.ok(existsSync(files.dir));
});

/** A TLS 1.2/1.3 handshake with mutual authentication; resolves with the client's verdict. */
async function handshake(serverCa: string, clientCa: string, clientCert = pki.nodeA): Promise<string> {
  const server = createServer({ cert: pki.nodeB.cert, key: pki.nodeB.key, ca: serverCa, requestCert: true, rejectUnauthorized: true }, (s) => {
    s.on('error', () => undefined);
    s.end('ok');
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    return await new Promise<string>((resolve) => {
      const c = connect({ host: '127.0.0.1', port, ca: clientCa, cert: clientCert.cert, key: clientCert.key, checkServerIdentity: () => undefined });
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      c.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
      c.on('close', () => resolve(got === 'ok' ? 'ok' : `closed:${got}`));
    });
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

test('TLS over loopback: the CA\'s certificates are accepted both ways, the other CA\'s are not', async () => {
  assert.is(await handshake(pki.ca.cert, pki.ca.cert), 'ok');
  // Node's server sends the CA along with its leaf, so the client sees an untrusted root.
  assert.match(await handshake(pki.ca.cert, pki.otherCa.cert), /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
  assert.is.not(await handshake(pki.ca.cert, pki.ca.cert, pki.rogue), 'ok');
});

test.run();
