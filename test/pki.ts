// A throwaway PKI made at test time with node:crypto only: ECDSA P-256 keys, X.509 v3 certificates
// (RFC 5280) whose TBSCertificate is DER-encoded here by hand and signed with ecdsa-with-SHA256.
// Keys are PKCS#8 PEM ("BEGIN PRIVATE KEY"). Test only: nothing here is meant to protect anything.
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// --- DER (X.690) -------------------------------------------------------------------------------
function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  if (n > 0xffff) throw new Error('DER value too long for this encoder');
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const octets = (b: Buffer) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
/** A non-negative INTEGER from big-endian magnitude bytes, minimal and with a 0 pad when needed. */
function int(magnitude: Buffer | number): Buffer {
  let b = typeof magnitude === 'number' ? Buffer.from([magnitude]) : magnitude;
  while (b.length > 1 && b[0] === 0 && b[1]! < 0x80) b = b.subarray(1);
  return tlv(0x02, b[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
/** BIT STRING of whole bytes (signatures, key usage bits with the trailing zero bits dropped). */
function bits(b: Buffer, unused = 0): Buffer {
  return tlv(0x03, Buffer.from([unused]), b);
}
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5), always in seconds and Z. */
function time(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(s.slice(2))) : tlv(0x18, Buffer.from(s));
}

// --- X.509 ---------------------------------------------------------------------------------------
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (cn: string, o = 'Bridge Test') => seq(set(seq(oid('2.5.4.10'), utf8(o))), set(seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
/** RFC 5280 key identifier method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(spki: Buffer): Buffer {
  // SubjectPublicKeyInfo = SEQ { AlgorithmIdentifier, BIT STRING }; P-256 keys keep every length in
  // short form, so the BIT STRING starts after the AlgorithmIdentifier and its key after 3 octets.
  const bitString = spki.subarray(2 + 2 + spki[3]!);
  return createHash('sha1').update(bitString.subarray(3)).digest();
}

export interface Identity {
  /** Common name, as in the subject. */
  cn: string;
  cert: string;
  key: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  x509: X509Certificate;
}

export interface IssueOptions {
  /** subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1 (default true for leaves; ignored for CAs). */
  san?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** A certificate for `cn` signed by `issuer`, or self-signed as a CA when issuer is undefined. */
export function issue(cn: string, issuer: Identity | undefined, opts: IssueOptions = {}): Identity {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const isCa = issuer === undefined;
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, 16 octets, never zero
  const now = Date.now();
  const exts = [
    extension('2.5.29.19', true, isCa ? seq(bool(true)) : seq()), // basicConstraints
    // keyUsage: CA keyCertSign+cRLSign+digitalSignature (0x86, 1 unused bit); leaf digitalSignature (0x80, 7).
    extension('2.5.29.15', true, isCa ? bits(Buffer.from([0x86]), 1) : bits(Buffer.from([0x80]), 7)),
    extension('2.5.29.14', false, octets(keyId(spki))), // subjectKeyIdentifier
  ];
  if (!isCa) {
    const issuerSpki = issuer.publicKey.export({ type: 'spki', format: 'der' });
    exts.push(extension('2.5.29.35', false, seq(tlv(0x80, keyId(issuerSpki))))); // authorityKeyIdentifier
    exts.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2')))); // serverAuth, clientAuth
    if (opts.san ?? true) {
      const ip = (a: string) => tlv(0x87, Buffer.from(isIPv6(a) ? [...Array(15).fill(0), 1] : a.split('.').map(Number)));
      exts.push(extension('2.5.29.17', false, seq(tlv(0x82, Buffer.from('localhost')), ip('127.0.0.1'), ip('::1'))));
    }
  }
  const tbs = seq(
    explicit(0, int(2)), // v3
    int(serial),
    ECDSA_SHA256,
    isCa ? name(cn) : name(issuer.cn),
    seq(time(opts.notBefore ?? new Date(now - 3_600_000)), time(opts.notAfter ?? new Date(now + 2 * 86_400_000))),
    name(cn),
    spki,
    explicit(3, seq(...exts)),
  );
  const signature = sign('sha256', tbs, issuer?.privateKey ?? privateKey); // DER ECDSA-Sig-Value
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { cn, cert, key, privateKey, publicKey, x509: new X509Certificate(cert) };
}

/** The shape of fixtures/broker/tls: a CA, two nodes (node-b without subjectAltName), another CA and its rogue leaf. */
export interface TestPki {
  ca: Identity;
  nodeA: Identity;
  nodeB: Identity;
  otherCa: Identity;
  rogue: Identity;
}

export function makeTestPki(): TestPki {
  const ca = issue('Bridge Test CA (test only)', undefined);
  const otherCa = issue('Other Test CA (test only, untrusted)', undefined);
  return {
    ca,
    nodeA: issue('broker-node-a', ca),
    nodeB: issue('broker-node-b', ca, { san: false }),
    otherCa,
    rogue: issue('broker-rogue', otherCa),
  };
}

/** Writes files into a fresh temporary directory; `cleanup()` removes it. */
export function tempFiles(files: Record<string, string>, prefix = 'test-pki-'): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** makeTestPki() written as fixtures/broker/tls names them: ca.pem/ca.key, node-a.pem/node-a.key, ... */
export function pkiFiles(pki: TestPki = makeTestPki(), prefix?: string): ReturnType<typeof tempFiles> & { pki: TestPki } {
  const files: Record<string, string> = {};
  const named: [string, Identity][] = [['ca', pki.ca], ['node-a', pki.nodeA], ['node-b', pki.nodeB], ['other-ca', pki.otherCa], ['rogue', pki.rogue]];
  for (const [n, id] of named) Object.assign(files, { [`${n}.pem`]: id.cert, [`${n}.key`]: id.key });
  return { ...tempFiles(files, prefix), pki };
}
