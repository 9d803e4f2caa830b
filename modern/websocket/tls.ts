// TLS settings for wss://, from the PEM files the options name. Zeek 8's server uses TLS only with
// a certificate and key; peer verification (a client certificate checked against ca_file) is
// optional. Like Broker, the client checks the chain but not the host name unless asked.
import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { BridgeError } from '../../src/core/errors.ts';
import type { ResolvedClientOptions, ResolvedServerOptions } from './options.ts';

function readPem(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BridgeError('invalid_options', `cannot read ${field} '${path}': ${(err as Error).message}`, { field, cause: err });
  }
}

/** https.createServer options, or undefined for a plaintext (ws://) server. */
export function serverTlsOptions(o: ResolvedServerOptions): TlsOptions | undefined {
  const t = o.tls_options;
  if (t.cert_file === undefined || t.key_file === undefined) return undefined;
  return {
    cert: readPem(t.cert_file, 'tls_options.cert_file'),
    key: readPem(t.key_file, 'tls_options.key_file'),
    ...(t.ca_file !== '' ? { ca: readPem(t.ca_file, 'tls_options.ca_file') } : {}),
    ...(t.ciphers !== '' ? { ciphers: t.ciphers } : {}),
    minVersion: 'TLSv1.2',
    requestCert: t.enable_peer_verification,
    rejectUnauthorized: t.enable_peer_verification,
  };
}

/** Options for the ws client's TLS socket (used only for wss:// URLs). */
export function clientTlsOptions(o: ResolvedClientOptions): SecureContextOptions & { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined } {
  const t = o.tls;
  return {
    ...(t.ca_file !== undefined ? { ca: readPem(t.ca_file, 'tls.ca_file') } : {}),
    ...(t.cert_file !== undefined ? { cert: readPem(t.cert_file, 'tls.cert_file') } : {}),
    ...(t.key_file !== undefined ? { key: readPem(t.key_file, 'tls.key_file') } : {}),
    rejectUnauthorized: t.verify_peer,
    ...(t.check_hostname ? {} : { checkServerIdentity: () => undefined }),
  };
}
