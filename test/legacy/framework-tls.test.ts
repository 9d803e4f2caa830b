// TLS between two frameworks (over 127.0.0.1 and ::1) with the spec's mutual-certificate rules
// (section 10): both sides present a certificate signed by the configured CA, no host-name checks;
// a client without a certificate, a certificate from another CA, and a plaintext peer are all
// refused. The certificates are made by the test (test/pki.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { countVal } from '../../legacy/codec/builders.ts';
import { splitPem } from '../../legacy/framework/tls.ts';
import { escapeRegExp, loopbackCase, LOOPBACKS, startFramework, until, uriHost } from './framework-helpers.ts';
import { issue, tempFiles } from '../pki.ts';

// Certificates made for this run (test/pki.ts), CN only like Bro's (no subjectAltName): the test CA
// with a listener and a connector certificate, and a rogue CA of its own with a leaf it signed.
const testCa = issue('legacy-test-CA', undefined);
const rogueCa = issue('rogue-CA', undefined);
const [listenerId, connectorId, rogueId] = [issue('listener.test', testCa, { san: false }), issue('connector.test', testCa, { san: false }), issue('rogue.test', rogueCa, { san: false })];
const files = tempFiles(
  {
    'ca.pem': testCa.cert,
    'rogue-ca.pem': rogueCa.cert,
    // Bro's ssl_private_key layout: the certificate followed by its key, in one file.
    'listener-bundle.pem': listenerId.cert + listenerId.key,
    'connector-bundle.pem': connectorId.cert + connectorId.key,
    'rogue-bundle.pem': rogueId.cert + rogueId.key,
  },
  'legacy-tls-test-',
);
const dir = files.dir;
const listener = files.path('listener-bundle.pem');
const connector = files.path('connector-bundle.pem');
const ca = files.path('ca.pem');
const rogue = { ca: files.path('rogue-ca.pem'), bundle: files.path('rogue-bundle.pem') };

test('splitPem separates the certificate chain from the key in a Bro-style bundle', () => {
  const parts = splitPem(readFileSync(listener, 'utf8'));
  assert.is(parts.certs.length, 1);
  assert.is(parts.keys.length, 1);
  assert.match(parts.keys[0]!, /^-----BEGIN PRIVATE KEY-----/);
});


// The live cases run over IPv4 and IPv6 loopback, like framework-peering.test.ts.
for (const host of LOOPBACKS) {
  const t = loopbackCase(test, host);
  const listen = { listen_interface: host, listen_ipv6: host.includes(':') };
  const at = escapeRegExp(uriHost(host));

  t('ssl: node ssl=T to listen_ssl=T, mutual certificates from the test CA, events both ways', async () => {
    const b = await startFramework({ ...listen, listen_ssl: true, ssl_private_key: listener, ssl_ca_certificate: ca, nodes: { a: { host, events: '/^(ping)$/' } } });
    const a = await startFramework({ listen: false, ssl_private_key: connector, ssl_ca_certificate: ca, nodes: { b: { host, p: b.port, connect: true, ssl: true, events: '/^(pong)$/' } } });
    await until(() => a.of('remote_event_registered').length === 1 && b.of('remote_event_registered').length === 1, 'registered over TLS');
    a.fw.send_event('ping', [countVal(1)]);
    b.fw.send_event('pong', [countVal(2)]);
    await until(() => a.of('remote_event').length === 1 && b.of('remote_event').length === 1, 'events over TLS');
    assert.match(b.log(), new RegExp(`listening on ${at}:\\d+ \\(ssl\\)`));
    assert.match(b.log(), new RegExp(`accepted SSL connection from ${at}:\\d+`));
    assert.match(a.log(), new RegExp(`connecting to ${at}:\\d+ \\(ssl\\)`));
    await a.fw.stop();
    await b.fw.stop();
  });

  t('ssl: a client without a certificate is refused ("can\'t init peer io")', async () => {
    const b = await startFramework({ ...listen, listen_ssl: true, ssl_private_key: listener, ssl_ca_certificate: ca });
    const s = tlsConnect({ host, port: b.port, ca: readFileSync(ca), checkServerIdentity: () => undefined });
    let closed = false;
    s.on('error', () => undefined);
    s.on('close', () => (closed = true));
    s.resume();
    await until(() => closed, 'refused');
    await until(() => /can't init peer io/.test(b.log()), 'logged');
    assert.is(b.fw.peers().length, 0);
    await b.fw.stop();
  });

  t('ssl: a plaintext peer on a TLS listener gets nowhere', async () => {
    const b = await startFramework({ ...listen, listen_ssl: true, ssl_private_key: listener, ssl_ca_certificate: ca });
    const s = netConnect({ host, port: b.port });
    let closed = false;
    s.on('error', () => undefined);
    s.on('close', () => (closed = true));
    s.resume();
    s.write(Buffer.from('0000000801000000000000000000001000000007000003e80000001a00000000', 'hex'));
    await until(() => closed, 'closed');
    assert.is(b.of('remote_connection_established').length, 0);
    await b.fw.stop();
  });

  t('ssl: a certificate from another CA is refused in both directions', async () => {
    // A rogue client against our listener.
    const b = await startFramework({ ...listen, listen_ssl: true, ssl_private_key: listener, ssl_ca_certificate: ca });
    const a = await startFramework({ listen: false, ssl_private_key: rogue.bundle, ssl_ca_certificate: ca, nodes: { b: { host, p: b.port, connect: true, ssl: true } } });
    await until(() => a.fw.pending_peers.size === 0, 'the rogue client gave up');
    await until(() => /can't init peer io/.test(b.log()), 'listener logged the refusal');
    assert.is(b.of('remote_connection_established').length, 0);
    assert.is(a.of('remote_connection_handshake_done').length, 0);
    await a.fw.stop();
    await b.fw.stop();
    // Our client against a rogue listener: the server certificate does not verify.
    const rb = await startFramework({ ...listen, listen_ssl: true, ssl_private_key: rogue.bundle, ssl_ca_certificate: rogue.ca });
    const ra = await startFramework({ listen: false, ssl_private_key: connector, ssl_ca_certificate: ca, nodes: { b: { host, p: rb.port, connect: true, ssl: true } } });
    await until(() => ra.of('remote_connection_error').length === 1, 'client refused the server');
    assert.match(ra.of('remote_connection_error')[0]![1], new RegExp(`can't connect to ${at}:\\d+: `));
    assert.is(rb.of('remote_connection_established').length, 0);
    await ra.fw.stop();
    await rb.fw.stop();
  });
}

test('ssl configuration errors name the field', async () => {
  const { CommunicationFramework } = await import('../../legacy/framework/framework.ts');
  assert.throws(() => new CommunicationFramework({ config: { listen_ssl: true } }), /ssl_private_key/);
  assert.throws(
    () => new CommunicationFramework({ config: { listen_ssl: true, ssl_private_key: join(dir, 'missing.pem'), ssl_ca_certificate: ca } }),
    /ssl_private_key: cannot read/,
  );
  const onlyCert = join(dir, 'only-cert.pem');
  writeFileSync(onlyCert, listenerId.cert);
  assert.throws(() => new CommunicationFramework({ config: { listen_ssl: true, ssl_private_key: onlyCert, ssl_ca_certificate: ca } }), /no private key/);
});

test.after(() => files.cleanup());

test.run();
