import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { LegacyConfigError } from '../config/index.ts';
import type { LegacyConfig } from '../config/schema.ts';

// TLS as Bro 2.5 and Broccoli do it (section 10): the whole stream is TLS, the TCP initiator is the
// client, and authentication is mutual and mandatory: each side presents a certificate signed by
// the configured CA and requires one from the other. There are no host-name checks in either
// direction (Bro-style certificates carry a CN, not the peer's IP), so the client's
// checkServerIdentity is replaced; the CA check itself stays on.

export interface TlsMaterials {
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** PEM CA certificate(s). */
  ca: string;
  passphrase?: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Split a PEM bundle (Bro's ssl_private_key holds the certificate followed by the key). */
export function splitPem(text: string): { certs: string[]; keys: string[] } {
  const certs: string[] = [];
  const keys: string[] = [];
  for (const m of text.matchAll(BLOCK)) {
    if (m[1] === 'CERTIFICATE' || m[1] === 'TRUSTED CERTIFICATE') certs.push(m[0]);
    else if (m[1]!.endsWith('PRIVATE KEY')) keys.push(m[0]);
  }
  return { certs, keys };
}

function read(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new LegacyConfigError('config_invalid', `${field}: cannot read ${path}: ${(err as Error).message}`, { field, cause: err });
  }
}

/** Load ssl_private_key / ssl_certificate / ssl_ca_certificate; undefined when TLS is not configured. */
export function loadTlsMaterials(config: Pick<LegacyConfig, 'ssl_private_key' | 'ssl_certificate' | 'ssl_ca_certificate' | 'ssl_passphrase'>): TlsMaterials | undefined {
  if (config.ssl_private_key === undefined || config.ssl_ca_certificate === undefined) return undefined;
  const bundle = splitPem(read(config.ssl_private_key, 'ssl_private_key'));
  const certs = config.ssl_certificate !== undefined ? splitPem(read(config.ssl_certificate, 'ssl_certificate')).certs : bundle.certs;
  if (certs.length === 0) throw new LegacyConfigError('config_invalid', 'ssl_private_key: no certificate found (Bro expects the certificate followed by its key, or set ssl_certificate)', { field: 'ssl_private_key' });
  if (bundle.keys.length === 0) throw new LegacyConfigError('config_invalid', 'ssl_private_key: no private key found', { field: 'ssl_private_key' });
  const ca = splitPem(read(config.ssl_ca_certificate, 'ssl_ca_certificate')).certs;
  if (ca.length === 0) throw new LegacyConfigError('config_invalid', 'ssl_ca_certificate: no certificate found', { field: 'ssl_ca_certificate' });
  const out: TlsMaterials = { cert: certs.join('\n'), key: bundle.keys[0]!, ca: ca.join('\n') };
  if (config.ssl_passphrase !== undefined) out.passphrase = config.ssl_passphrase;
  return out;
}

/** The listener's side: a client certificate is required and checked against the CA. */
export function tlsServerOptions(m: TlsMaterials): TlsOptions {
  return { cert: m.cert, key: m.key, ca: m.ca, requestCert: true, rejectUnauthorized: true, ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}) };
}

/** The connecting side: our certificate goes out, the server's is checked against the CA only. */
export function tlsClientOptions(m: TlsMaterials): ConnectionOptions {
  return {
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
    ...(m.passphrase !== undefined ? { passphrase: m.passphrase } : {}),
  };
}
