// The two handshake messages a passive decoder must read: ClientHello (its random names the
// session in the key log) and ServerHello (version, cipher suite, extensions that change record
// protection). RFC 8446 4.1.2-4.1.4, RFC 5246 7.4.1.
import { ByteReader } from '../../bytes.ts';
import { isBridgeError } from '../../errors.ts';
import { tlsError } from './errors.ts';

export const HANDSHAKE_CLIENT_HELLO = 1;
export const HANDSHAKE_SERVER_HELLO = 2;
export const HANDSHAKE_NEW_SESSION_TICKET = 4;
export const HANDSHAKE_FINISHED = 20;
export const HANDSHAKE_KEY_UPDATE = 24;

const EXT_ENCRYPT_THEN_MAC = 22;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_EARLY_DATA = 42;

/** SHA-256("HelloRetryRequest"): the random of a ServerHello that is really a HelloRetryRequest. */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export interface ClientHello {
  random: Uint8Array;
  /** The client offered 0-RTT data (TLS 1.3 early_data extension). */
  earlyData: boolean;
}

export interface ServerHello {
  random: Uint8Array;
  /** Negotiated version: supported_versions when present, else legacy_version. */
  version: number;
  cipherSuite: number;
  compression: number;
  encryptThenMac: boolean;
  helloRetryRequest: boolean;
}

function parse<T>(what: string, body: Uint8Array, read: (r: ByteReader) => T): T {
  try {
    return read(new ByteReader(body));
  } catch (err) {
    if (isBridgeError(err) && err.code === 'truncated') throw tlsError('handshake_malformed', `${what} is cut short`, { field: err.field ?? what, cause: err });
    throw err;
  }
}

/** Calls `each(type, data)` for every extension of a hello; absent extensions are allowed (TLS 1.2). */
function extensions(r: ByteReader, each: (type: number, data: Uint8Array) => void): void {
  if (r.remaining === 0) return;
  const total = r.u16('extensions.length');
  const base = r.position;
  const ext = new ByteReader(r.take(total, 'extensions'), base);
  while (ext.remaining > 0) {
    const type = ext.u16('extension.type');
    each(type, ext.take(ext.u16('extension.length'), 'extension.data'));
  }
}

export function parseClientHello(body: Uint8Array): ClientHello {
  return parse('ClientHello', body, (r) => {
    r.skip(2, 'ClientHello.legacy_version');
    const random = r.take(32, 'ClientHello.random').slice();
    r.skip(r.u8('legacy_session_id.length'), 'legacy_session_id');
    r.skip(r.u16('cipher_suites.length'), 'cipher_suites');
    r.skip(r.u8('legacy_compression_methods.length'), 'legacy_compression_methods');
    let earlyData = false;
    extensions(r, (type) => {
      if (type === EXT_EARLY_DATA) earlyData = true;
    });
    return { random, earlyData };
  });
}

export function parseServerHello(body: Uint8Array): ServerHello {
  return parse('ServerHello', body, (r) => {
    let version = r.u16('ServerHello.legacy_version');
    const random = r.take(32, 'ServerHello.random').slice();
    r.skip(r.u8('legacy_session_id.length'), 'legacy_session_id');
    const cipherSuite = r.u16('ServerHello.cipher_suite');
    const compression = r.u8('ServerHello.compression_method');
    let encryptThenMac = false;
    extensions(r, (type, data) => {
      if (type === EXT_ENCRYPT_THEN_MAC) encryptThenMac = true;
      else if (type === EXT_SUPPORTED_VERSIONS) {
        if (data.length !== 2) throw tlsError('handshake_malformed', `supported_versions in ServerHello has ${data.length} bytes`, { field: 'supported_versions' });
        version = (data[0]! << 8) | data[1]!;
      }
    });
    return { random, version, cipherSuite, compression, encryptThenMac, helloRetryRequest: HRR_RANDOM.equals(random) };
  });
}
