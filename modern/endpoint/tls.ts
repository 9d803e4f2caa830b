// Sockets for native peerings (spec §6). Like Broker, TLS is on unless disable_ssl: anonymous ECDH
// (AECDH-AES256-SHA at OpenSSL security level 0, group P-384, TLS 1.2, no certificates) by default,
// mutual certificate authentication when any ssl_* option is set (chain verification against the
// CA file/path only; Broker checks no host name). The TCP connector is the TLS client.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../../src/core/clock.ts';
import { BridgeError } from '../../src/core/errors.ts';
import { SocketTransport, type Transport } from '../../src/core/transport.ts';
import { usesCertificates, type ResolvedOptions } from './options.ts';

export const ANONYMOUS_CIPHERS = 'AECDH-AES256-SHA@SECLEVEL=0';
export const ANONYMOUS_CURVE = 'P-384';
export const CERTIFICATE_CIPHERS = 'HIGH:!aNULL:!MD5';

export type TlsMode = 'none' | 'anonymous' | 'certificates';

export interface SocketSetup {
  readonly mode: TlsMode;
  readonly client: tls.ConnectionOptions | undefined;
  readonly server: tls.TlsOptions | undefined;
}

export type TlsConfigErrorCode = 'tls_config';

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new BridgeError<TlsConfigErrorCode>('tls_config', `cannot read ${what} ${path}: ${(err as Error).message}`, { field: what, cause: err });
  }
}

/** OpenSSL's CA directory, read as every regular file in it (Node has no capath). */
function readCaPath(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new BridgeError<TlsConfigErrorCode>('tls_config', `cannot read ssl_capath ${dir}: ${(err as Error).message}`, { field: 'ssl_capath', cause: err });
  }
  return names
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile())
    .map((p) => readPem(p, 'ssl_capath'))
    .filter((b) => b.includes('-----BEGIN CERTIFICATE-----'));
}

export function socketSetup(o: ResolvedOptions): SocketSetup {
  if (o.disable_ssl) return { mode: 'none', client: undefined, server: undefined };
  if (!usesCertificates(o)) {
    const anon = { ciphers: ANONYMOUS_CIPHERS, ecdhCurve: ANONYMOUS_CURVE, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
    return { mode: 'anonymous', client: { ...anon, rejectUnauthorized: false }, server: { ...anon } };
  }
  const ca = [...(o.ssl_cafile ? [readPem(o.ssl_cafile, 'ssl_cafile')] : []), ...(o.ssl_capath ? readCaPath(o.ssl_capath) : [])];
  const common = {
    ...(o.ssl_certificate ? { cert: readPem(o.ssl_certificate, 'ssl_certificate') } : {}),
    ...(o.ssl_keyfile ? { key: readPem(o.ssl_keyfile, 'ssl_keyfile') } : {}),
    ...(o.ssl_passphrase ? { passphrase: o.ssl_passphrase } : {}),
    ...(ca.length > 0 ? { ca } : {}),
    ciphers: CERTIFICATE_CIPHERS,
    minVersion: 'TLSv1.2' as const,
  };
  return {
    mode: 'certificates',
    // Broker verifies the chain only: no host name or identity check.
    client: { ...common, rejectUnauthorized: true, checkServerIdentity: () => undefined },
    server: { ...common, requestCert: true, rejectUnauthorized: true },
  };
}

/** Opens a TCP connection (and TLS over it); rejects on refusal, timeout or a failed TLS handshake. */
export function dial(address: string, port: number, setup: SocketSetup, clock: Clock, timeoutMs: number, tlsTimeoutMs: number): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let done = false;
    const socket = net.connect({ host: address, port });
    let current: net.Socket = socket;
    const finish = (err: Error | undefined, t?: Transport) => {
      if (done) return;
      done = true;
      timer?.cancel();
      if (err) {
        current.destroy();
        socket.destroy();
        reject(err);
      } else {
        resolve(t!);
      }
    };
    // Keep an 'error' listener for the socket's whole life: the transport only attaches its own later.
    socket.on('error', (err) => finish(err));
    socket.once('close', () => finish(new Error('connection closed')));
    let timer = timeoutMs > 0 ? clock.setTimeout(() => finish(new Error(`connect timed out after ${timeoutMs} ms`)), timeoutMs) : undefined;
    socket.once('connect', () => {
      if (done) return;
      if (!setup.client) return finish(undefined, new SocketTransport(socket, false));
      timer?.cancel();
      // Small frames must not wait for Nagle: the TLS socket's own setNoDelay may not reach the TCP handle.
      socket.setNoDelay(true);
      timer = tlsTimeoutMs > 0 ? clock.setTimeout(() => finish(new Error(`TLS handshake timed out after ${tlsTimeoutMs} ms`)), tlsTimeoutMs) : undefined;
      const secure = tls.connect({ ...setup.client, socket });
      current = secure;
      secure.on('error', (err) => finish(err));
      secure.once('close', () => finish(new Error('TLS connection closed')));
      secure.once('secureConnect', () => finish(undefined, new SocketTransport(secure, true)));
    });
  });
}

export interface ListenerHandlers {
  connection(t: Transport): void;
  /** A connection failed before it became a transport (TLS handshake). */
  rejected(err: Error, remote: { address: string; port: number }): void;
}

/** A listening socket that hands accepted connections (after TLS) over as transports. */
export function createListener(setup: SocketSetup, h: ListenerHandlers): net.Server {
  if (!setup.server) {
    return net.createServer((socket) => {
      socket.on('error', () => undefined);
      h.connection(new SocketTransport(socket, false));
    });
  }
  const server = tls.createServer(setup.server, (socket) => {
    socket.on('error', () => undefined);
    h.connection(new SocketTransport(socket, true));
  });
  server.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
  server.on('tlsClientError', (err, socket) => {
    h.rejected(err, { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
    socket.destroy();
  });
  return server;
}

/** Binds `server`; resolves with the bound port. */
export function bind(server: net.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (address === '') server.listen(port);
    else server.listen(port, address);
  });
}
