// Two endpoints over loopback, plaintext, anonymous TLS (Broker's default) and TLS with certificates
// the test makes (test/pki.ts):
// peering, a routing update, every data type in both directions, a graceful unpeer; status events in
// order and peers() after each step on both sides.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PeerStatus } from '../../modern/constants.ts';
import { count, equalsData, makeEvent, str, type Data } from '../../modern/data/index.ts';
import { Endpoint, type EndpointOptions } from '../../modern/endpoint/index.ts';
import { decodeEnvelope } from '../../modern/native/index.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { referenceFrames } from './broker-fixtures.ts';
import { names, record, waitFor } from './endpoint-helpers.ts';
import { pkiFiles } from '../pki.ts';

const A = '11111111-1111-5111-8111-111111111111';
const B = '99999999-9999-5999-9999-999999999999';
/** ca, node-a, node-b (no subjectAltName), other-ca and rogue (signed by other-ca), made for this run. */
const generated = pkiFiles(undefined, 'endpoint-pki-');
const PKI = generated.dir;

/** Every value (and Zeek event) the alltypes capture carries, with its topic. */
function allTypes(): [string, Data][] {
  return referenceFrames('native-alltypes')
    .filter((f) => f.dir === 'c2s' && f.msg === 'data')
    .map((f) => decodeEnvelope(fromHex(f.frame_hex).subarray(4)))
    .flatMap((e) => (e.type === 'data' ? [[e.topic, e.value] as [string, Data]] : []));
}

interface Mode {
  name: string;
  a: EndpointOptions;
  b: EndpointOptions;
  tls: 'none' | 'anonymous' | 'certificates';
}

/** node-a's key encrypted with a passphrase, and a CA directory (ssl_capath), made by the test. */
function certificateFiles(): { keyfile: string; passphrase: string; capath: string } {
  const passphrase = 'test-only-passphrase';
  const keyfile = join(PKI, 'node-a.encrypted.key');
  writeFileSync(keyfile, generated.pki.nodeA.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }));
  const capath = join(PKI, 'cas');
  mkdirSync(capath, { recursive: true });
  writeFileSync(join(capath, 'ca.pem'), generated.pki.ca.cert);
  return { keyfile, passphrase, capath };
}

function modes(): Mode[] {
  const files = certificateFiles();
  return [
    { name: 'plaintext', a: { disable_ssl: true }, b: { disable_ssl: true }, tls: 'none' },
    { name: 'anonymous TLS', a: {}, b: {}, tls: 'anonymous' },
    {
      name: 'TLS with certificates',
      a: { ssl_certificate: join(PKI, 'node-a.pem'), ssl_keyfile: files.keyfile, ssl_passphrase: files.passphrase, ssl_capath: files.capath },
      b: { ssl_certificate: join(PKI, 'node-b.pem'), ssl_keyfile: join(PKI, 'node-b.key'), ssl_cafile: join(PKI, 'ca.pem') },
      tls: 'certificates',
    },
  ];
}

for (const mode of modes()) {
  test(`${mode.name}: peer, exchange every data type, unpeer`, async () => {
    const a = new Endpoint({ ...mode.a, node_id: A, env: {} });
    const b = new Endpoint({ ...mode.b, node_id: B, env: {} });
    assert.is(a.tlsMode, mode.tls);
    const ea = record(a);
    const eb = record(b);
    const atB: [string, Data][] = [];
    const atA: [string, Data][] = [];
    b.on('data', (t, v) => atB.push([t, v]));
    a.on('data', (t, v) => atA.push([t, v]));
    try {
      a.subscribe('/bridge/reply');
      const port = await b.listen('127.0.0.1', 0, 0);
      assert.ok(port > 0);
      assert.equal(b.peers(), []);
      assert.is(await a.peer('127.0.0.1', port, 0), true);
      await waitFor(() => eb.length === 2, 3000, 'peer_added at B');
      assert.equal(names(ea), ['endpoint_discovered 99999999', 'peer_added 99999999']);
      assert.equal(names(eb), ['endpoint_discovered 11111111', 'peer_added 11111111']);
      assert.equal(ea[1]!.port, port, 'peer_added carries the dialled address');
      assert.is(ea[0]!.port, undefined, 'endpoint_discovered carries the id only');
      assert.equal(a.peers(), [{ peer: { id: B, network: { address: '127.0.0.1', bound_port: port, retry: 0 } }, status: PeerStatus.PEERED, outbound: true }]);
      const [pb] = b.peers();
      assert.equal([pb?.peer.id, pb?.status, pb?.outbound, pb?.peer.network?.address], [A, PeerStatus.PEERED, false, '127.0.0.1']);
      assert.ok(a.isOutboundPeering('127.0.0.1', port));
      assert.not.ok(b.isOutboundPeering('127.0.0.1', pb!.peer.network!.bound_port));

      // B subscribes after peering: A learns it from a routing update.
      assert.not.ok(a.hasRemoteSubscriber('/bridge/test/value/count'));
      b.subscribe('/bridge/test');
      await waitFor(() => a.hasRemoteSubscriber('/bridge/test/value/count'), 3000, 'the routing update');
      assert.ok(b.hasRemoteSubscriber('/bridge/reply/x'), 'B knew A filter from the handshake');

      const values = allTypes();
      assert.ok(values.length >= 33);
      for (const [topic, value] of values) assert.is(a.publish(topic, value), 1);
      assert.is(a.publish('/elsewhere', str('nobody')), 0, 'no peer subscribed');
      await waitFor(() => atB.length === values.length, 3000, 'all values at B');
      values.forEach(([topic, value], i) => {
        assert.is(atB[i]![0], topic);
        assert.ok(equalsData(atB[i]![1], value), `value ${topic}`);
      });
      for (let i = 0; i < 3; i++) b.publish('/bridge/reply', makeEvent('bridge_reply', [count(30 + i), str(values[i]![0])]));
      await waitFor(() => atA.length === 3, 3000, 'replies at A');
      assert.ok(equalsData(atA[2]![1], makeEvent('bridge_reply', [count(32), str(values[2]![0])])));
      assert.equal(atB.length, values.length, 'B does not receive its own publications');

      const stats = a.peeringStats().get(B)!;
      assert.is(stats.messages_out >= values.length, true);
      assert.is(stats.messages_in >= 3, true);

      assert.is(await a.unpeer('127.0.0.1', port), true);
      await waitFor(() => eb.length === 4, 3000, 'peer_lost at B');
      assert.equal(names(ea), ['endpoint_discovered 99999999', 'peer_added 99999999', 'peer_removed 99999999', 'endpoint_unreachable 99999999']);
      assert.equal(names(eb), ['endpoint_discovered 11111111', 'peer_added 11111111', 'peer_lost 11111111', 'endpoint_unreachable 11111111']);
      assert.equal(ea[2]!.message, 'removed connection to remote peer');
      assert.equal(eb[2]!.message, 'lost connection to remote peer');
      assert.equal(a.peers(), []);
      assert.equal(b.peers(), []);
      assert.not.ok(a.isOutboundPeering('127.0.0.1', port));
      assert.is(await a.unpeer('127.0.0.1', port), false, 'nothing left to unpeer');
      assert.equal(ea.at(-1)!.name, 'peer_invalid');
      assert.equal(ea.at(-1)!.message, 'cannot unpeer from unknown peer');
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  });
}

test('anonymous TLS: the listener negotiates AECDH-AES256-SHA on P-384 over TLS 1.2 without a certificate', async () => {
  const b = new Endpoint({ node_id: B, env: {} });
  try {
    const port = await b.listen('127.0.0.1', 0, 0);
    const socket = tls.connect({ host: '127.0.0.1', port, ciphers: 'AECDH-AES256-SHA@SECLEVEL=0', ecdhCurve: 'P-384', minVersion: 'TLSv1.2', rejectUnauthorized: false });
    const first = await new Promise<Buffer>((resolve, reject) => {
      socket.once('data', resolve);
      socket.once('error', reject);
    });
    assert.is(socket.getProtocol(), 'TLSv1.2');
    assert.is(socket.getCipher().standardName, 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA');
    assert.is(socket.getEphemeralKeyInfo() && (socket.getEphemeralKeyInfo() as { name?: string }).name, 'secp384r1');
    assert.is(socket.getPeerCertificate().subject, undefined, 'no server certificate');
    assert.is(toHex(first.subarray(0, 9)), '00000005075a45454b', 'the probe arrives inside TLS');
    socket.destroy();
  } finally {
    await b.shutdown();
  }
});

test('TLS modes do not mix: plaintext, anonymous and untrusted certificates all fail with peer_unavailable', async () => {
  const files = certificateFiles();
  const server = new Endpoint({ node_id: B, ssl_certificate: join(PKI, 'node-b.pem'), ssl_keyfile: join(PKI, 'node-b.key'), ssl_cafile: join(PKI, 'ca.pem'), env: {} });
  const clients = [
    new Endpoint({ node_id: A, disable_ssl: true, env: {}, connect_timeout: 2 }),
    new Endpoint({ node_id: A, env: {} }),
    new Endpoint({ node_id: A, ssl_certificate: join(PKI, 'rogue.pem'), ssl_keyfile: join(PKI, 'rogue.key'), ssl_cafile: join(PKI, 'ca.pem'), env: {} }),
    new Endpoint({ node_id: A, ssl_certificate: join(PKI, 'node-a.pem'), ssl_keyfile: files.keyfile, ssl_passphrase: files.passphrase, ssl_cafile: join(PKI, 'other-ca.pem'), env: {} }),
  ];
  const warnings: string[] = [];
  server.on('warning', (w) => warnings.push(w.message));
  const serverEvents = record(server);
  try {
    const port = await server.listen('127.0.0.1', 0, 0);
    for (const c of clients) {
      const ev = record(c);
      assert.is(await c.peerNoRetry('127.0.0.1', port), false, `${c.tlsMode} client`);
      assert.equal(ev.map((e) => e.name), ['peer_unavailable']);
      assert.equal(c.peers(), []);
    }
    assert.equal(serverEvents.filter((e) => e.kind === 'status'), [], 'no peering at the server');
    assert.equal(server.peers(), []);
  } finally {
    for (const c of clients) await c.shutdown();
    await server.shutdown();
  }
});

test.after(() => generated.cleanup());

test.run();
