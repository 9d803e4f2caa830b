// Opening protected records of one direction: TLS 1.3 AEAD (RFC 8446 5.2-5.4), TLS 1.2 AEAD
// (RFC 5288 GCM with an explicit nonce, RFC 7905 ChaCha20-Poly1305) and TLS 1.1+/1.2 CBC with
// HMAC, MAC-then-encrypt or encrypt-then-MAC (RFC 7366). Each decrypter owns its sequence number.
import { createDecipheriv, createHmac, timingSafeEqual, type DecipherGCM } from 'node:crypto';
import { tlsError } from './errors.ts';
import { nextTrafficSecret, tls12Prf, trafficKeys } from './kdf.ts';
import type { CipherSuite } from './suites.ts';

export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;

const TAG = 16;
const AES_BLOCK = 16;

export interface OpenedRecord {
  /** The real content type (TLS 1.3: from inside the plaintext). */
  type: number;
  plaintext: Uint8Array;
}

export interface RecordDecrypter {
  /**
   * Opens the next record of the direction; `header` is its 5 bytes as sent. Throws `decrypt_failed`
   * with a message saying what failed; the caller adds whose record and which key.
   */
  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord;
  /** Records opened so far (the next record's sequence number). */
  readonly seq: number;
}

/** Writes the 64-bit sequence number big-endian at `at`. */
function putSeq(out: Uint8Array, at: number, seq: number): void {
  const hi = Math.floor(seq / 0x1_0000_0000);
  const lo = seq >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

/** nonce = iv XOR (0000 || seq), into `out` (RFC 8446 5.3, RFC 7905 2). */
function xorNonce(out: Uint8Array, iv: Uint8Array, seq: number): void {
  putSeq(out, 4, seq);
  for (let i = 0; i < 4; i++) out[i] = iv[i]!;
  for (let i = 4; i < 12; i++) out[i] = iv[i]! ^ out[i]!;
}

function aeadOpen(cipher: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG) throw tlsError('decrypt_failed', 'is shorter than its authentication tag');
  const body = sealed.subarray(0, sealed.length - TAG);
  const d = createDecipheriv(cipher as 'aes-128-gcm', key, nonce, { authTagLength: TAG }) as DecipherGCM;
  d.setAAD(aad, { plaintextLength: body.length });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plain = d.update(body);
  try {
    d.final();
  } catch (cause) {
    throw tlsError('decrypt_failed', 'failed authentication', { cause });
  }
  return plain;
}

/** TLS 1.3: one traffic secret; KeyUpdate moves to the next. */
export class Tls13Decrypter implements RecordDecrypter {
  seq = 0;
  private key: Uint8Array;
  private iv: Uint8Array;
  private readonly nonce = new Uint8Array(12);

  constructor(
    private readonly suite: CipherSuite,
    private secret: Uint8Array,
  ) {
    ({ key: this.key, iv: this.iv } = trafficKeys(suite.hash, secret, suite.keyLength));
  }

  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord {
    xorNonce(this.nonce, this.iv, this.seq);
    const inner = aeadOpen(this.suite.cipher, this.key, this.nonce, header, fragment);
    this.seq++;
    // TLSInnerPlaintext: content, the real type, then zero padding.
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) throw tlsError('unexpected_message', 'holds only padding (no content type)', { field: 'TLSInnerPlaintext' });
    return { type: inner[end]!, plaintext: inner.subarray(0, end) };
  }

  updates = 0;

  /** After the peer's KeyUpdate: application_traffic_secret_N+1, sequence back to 0. */
  update(): void {
    this.updates++;
    this.secret = nextTrafficSecret(this.suite.hash, this.secret);
    ({ key: this.key, iv: this.iv } = trafficKeys(this.suite.hash, this.secret, this.suite.keyLength));
    this.seq = 0;
  }
}

/** One side's write keys from the TLS 1.2 key block. */
export interface Tls12WriteKeys {
  macKey: Uint8Array;
  key: Uint8Array;
  /** GCM: the 4-byte salt; ChaCha20: the 12-byte IV; CBC: empty (explicit IVs). */
  iv: Uint8Array;
}

/** Splits the RFC 5246 6.3 key block: client MAC, server MAC, client key, server key, client IV, server IV. */
export function tls12KeyBlock(suite: CipherSuite, masterSecret: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): { client: Tls12WriteKeys; server: Tls12WriteKeys } {
  const macLength = suite.mac?.length ?? 0;
  const ivLength = suite.cipher === 'chacha20-poly1305' ? 12 : suite.mac ? 0 : 4;
  const seed = new Uint8Array(64);
  seed.set(serverRandom, 0);
  seed.set(clientRandom, 32);
  const block = tls12Prf(suite.hash, masterSecret, 'key expansion', seed, 2 * (macLength + suite.keyLength + ivLength));
  let at = 0;
  const take = (n: number) => block.slice(at, (at += n));
  const clientMac = take(macLength);
  const serverMac = take(macLength);
  const clientKey = take(suite.keyLength);
  const serverKey = take(suite.keyLength);
  return { client: { macKey: clientMac, key: clientKey, iv: take(ivLength) }, server: { macKey: serverMac, key: serverKey, iv: take(ivLength) } };
}

/** TLS 1.2 additional data / MAC header: seq_num, type, version, length. */
function pseudoHeader(out: Uint8Array, seq: number, header: Uint8Array, length: number): Uint8Array {
  putSeq(out, 0, seq);
  out[8] = header[0]!;
  out[9] = header[1]!;
  out[10] = header[2]!;
  out[11] = length >> 8;
  out[12] = length & 0xff;
  return out;
}

export class Tls12AeadDecrypter implements RecordDecrypter {
  seq = 0;
  private readonly nonce = new Uint8Array(12);
  private readonly aad = new Uint8Array(13);

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: Tls12WriteKeys,
  ) {}

  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord {
    let sealed = fragment;
    if (this.suite.cipher === 'chacha20-poly1305') {
      xorNonce(this.nonce, this.keys.iv, this.seq);
    } else {
      // GCM: 4-byte implicit salt, 8-byte explicit nonce in front of the ciphertext.
      if (fragment.length < 8 + TAG) throw tlsError('decrypt_failed', 'is too short for GCM');
      this.nonce.set(this.keys.iv, 0);
      this.nonce.set(fragment.subarray(0, 8), 4);
      sealed = fragment.subarray(8);
    }
    const plaintextLength = Math.max(0, sealed.length - TAG);
    const plaintext = aeadOpen(this.suite.cipher, this.keys.key, this.nonce, pseudoHeader(this.aad, this.seq, header, plaintextLength), sealed);
    this.seq++;
    return { type: header[0]!, plaintext };
  }
}

export class Tls12CbcDecrypter implements RecordDecrypter {
  seq = 0;
  private readonly macHeader = new Uint8Array(13);
  private readonly macLength: number;
  private readonly macHash: string;

  constructor(
    private readonly suite: CipherSuite,
    private readonly keys: Tls12WriteKeys,
    /** RFC 7366 encrypt_then_mac was negotiated. */
    private readonly encryptThenMac: boolean,
  ) {
    this.macLength = suite.mac!.length;
    this.macHash = suite.mac!.hash;
  }

  private mac(header: Uint8Array, ...parts: Uint8Array[]): Buffer {
    let length = 0;
    for (const p of parts) length += p.length;
    const h = createHmac(this.macHash, this.keys.macKey);
    h.update(pseudoHeader(this.macHeader, this.seq, header, length));
    for (const p of parts) h.update(p);
    return h.digest();
  }

  private fail(why: string): never {
    throw tlsError('decrypt_failed', why);
  }

  open(header: Uint8Array, fragment: Uint8Array): OpenedRecord {
    let encrypted = fragment;
    if (this.encryptThenMac) {
      if (fragment.length < this.macLength) this.fail('is shorter than its MAC');
      encrypted = fragment.subarray(0, fragment.length - this.macLength);
      if (!timingSafeEqual(this.mac(header, encrypted), fragment.subarray(encrypted.length))) this.fail('failed its MAC check');
    }
    if (encrypted.length < 2 * AES_BLOCK || encrypted.length % AES_BLOCK !== 0) this.fail(`has a CBC body of ${encrypted.length} bytes`);
    const d = createDecipheriv(this.suite.cipher, this.keys.key, encrypted.subarray(0, AES_BLOCK));
    d.setAutoPadding(false);
    const padded = d.update(encrypted.subarray(AES_BLOCK));
    const pad = padded[padded.length - 1]!;
    const contentEnd = padded.length - 1 - pad - (this.encryptThenMac ? 0 : this.macLength);
    if (contentEnd < 0) this.fail('has impossible padding');
    for (let i = padded.length - 1 - pad; i < padded.length - 1; i++) if (padded[i] !== pad) this.fail('has bad padding');
    const content = padded.subarray(0, contentEnd);
    if (!this.encryptThenMac && !timingSafeEqual(this.mac(header, content), padded.subarray(contentEnd, contentEnd + this.macLength))) this.fail('failed its MAC check');
    this.seq++;
    return { type: header[0]!, plaintext: content };
  }
}

/** The TLS 1.2 decrypter for one side's write keys. */
export function tls12Decrypter(suite: CipherSuite, keys: Tls12WriteKeys, encryptThenMac: boolean): RecordDecrypter {
  return suite.mac ? new Tls12CbcDecrypter(suite, keys, encryptThenMac) : new Tls12AeadDecrypter(suite, keys);
}
