// The cipher suites whose records can be decrypted, with what record protection and key schedule
// each needs. Names are OpenSSL's (what Broker and Bro configure and log), TLS 1.3 ones IANA's.

export type HashName = 'sha256' | 'sha384';
export type BulkCipher = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-cbc' | 'aes-256-cbc';

export interface CipherSuite {
  id: number;
  name: string;
  /** 0x0304 suites only in TLS 1.3; the others only in TLS 1.2. */
  tls13: boolean;
  cipher: BulkCipher;
  keyLength: number;
  /** HKDF hash (1.3) or PRF hash (1.2). */
  hash: HashName;
  /** CBC suites: the record MAC (HMAC) and its key length. */
  mac?: { hash: 'sha1' | 'sha256' | 'sha384'; length: number };
}

const gcm = (id: number, name: string, bits: 128 | 256, hash: HashName = bits === 128 ? 'sha256' : 'sha384'): CipherSuite => ({
  id,
  name,
  tls13: false,
  cipher: bits === 128 ? 'aes-128-gcm' : 'aes-256-gcm',
  keyLength: bits / 8,
  hash,
});
const chacha = (id: number, name: string): CipherSuite => ({ id, name, tls13: false, cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' });
const cbc = (id: number, name: string, bits: 128 | 256, mac: 'sha1' | 'sha256' | 'sha384'): CipherSuite => ({
  id,
  name,
  tls13: false,
  cipher: bits === 128 ? 'aes-128-cbc' : 'aes-256-cbc',
  keyLength: bits / 8,
  // RFC 5246: the PRF is SHA-256 unless the suite names SHA-384.
  hash: mac === 'sha384' ? 'sha384' : 'sha256',
  mac: { hash: mac, length: mac === 'sha1' ? 20 : mac === 'sha256' ? 32 : 48 },
});

const SUITES: readonly CipherSuite[] = [
  { id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', tls13: true, cipher: 'aes-128-gcm', keyLength: 16, hash: 'sha256' },
  { id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', tls13: true, cipher: 'aes-256-gcm', keyLength: 32, hash: 'sha384' },
  { id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', tls13: true, cipher: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' },
  gcm(0xc02b, 'ECDHE-ECDSA-AES128-GCM-SHA256', 128),
  gcm(0xc02c, 'ECDHE-ECDSA-AES256-GCM-SHA384', 256),
  gcm(0xc02f, 'ECDHE-RSA-AES128-GCM-SHA256', 128),
  gcm(0xc030, 'ECDHE-RSA-AES256-GCM-SHA384', 256),
  gcm(0x009e, 'DHE-RSA-AES128-GCM-SHA256', 128),
  gcm(0x009f, 'DHE-RSA-AES256-GCM-SHA384', 256),
  gcm(0x009c, 'AES128-GCM-SHA256', 128),
  gcm(0x009d, 'AES256-GCM-SHA384', 256),
  chacha(0xcca8, 'ECDHE-RSA-CHACHA20-POLY1305'),
  chacha(0xcca9, 'ECDHE-ECDSA-CHACHA20-POLY1305'),
  chacha(0xccaa, 'DHE-RSA-CHACHA20-POLY1305'),
  // Broker's anonymous default (AECDH-AES256-SHA) and the other common CBC suites.
  cbc(0xc018, 'AECDH-AES128-SHA', 128, 'sha1'),
  cbc(0xc019, 'AECDH-AES256-SHA', 256, 'sha1'),
  cbc(0xc009, 'ECDHE-ECDSA-AES128-SHA', 128, 'sha1'),
  cbc(0xc00a, 'ECDHE-ECDSA-AES256-SHA', 256, 'sha1'),
  cbc(0xc013, 'ECDHE-RSA-AES128-SHA', 128, 'sha1'),
  cbc(0xc014, 'ECDHE-RSA-AES256-SHA', 256, 'sha1'),
  cbc(0xc023, 'ECDHE-ECDSA-AES128-SHA256', 128, 'sha256'),
  cbc(0xc024, 'ECDHE-ECDSA-AES256-SHA384', 256, 'sha384'),
  cbc(0xc027, 'ECDHE-RSA-AES128-SHA256', 128, 'sha256'),
  cbc(0xc028, 'ECDHE-RSA-AES256-SHA384', 256, 'sha384'),
  cbc(0x0033, 'DHE-RSA-AES128-SHA', 128, 'sha1'),
  cbc(0x0039, 'DHE-RSA-AES256-SHA', 256, 'sha1'),
  cbc(0x0067, 'DHE-RSA-AES128-SHA256', 128, 'sha256'),
  cbc(0x006b, 'DHE-RSA-AES256-SHA256', 256, 'sha256'),
  cbc(0x002f, 'AES128-SHA', 128, 'sha1'),
  cbc(0x0035, 'AES256-SHA', 256, 'sha1'),
  cbc(0x003c, 'AES128-SHA256', 128, 'sha256'),
  cbc(0x003d, 'AES256-SHA256', 256, 'sha256'),
];

const BY_ID = new Map(SUITES.map((s) => [s.id, s]));

export function cipherSuite(id: number): CipherSuite | undefined {
  return BY_ID.get(id);
}

/** `ECDHE-ECDSA-AES256-GCM-SHA384`, or `0xc0ff` for suites not in the table. */
export function suiteName(id: number): string {
  return BY_ID.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}

export const TLS12 = 0x0303;
export const TLS13 = 0x0304;

export function versionName(version: number): string {
  if (version === 0x0300) return 'SSL 3.0';
  if (version >= 0x0301 && version <= 0x0304) return `TLS 1.${version - 0x0301}`;
  return `version 0x${version.toString(16).padStart(4, '0')}`;
}
