import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import { BridgeError } from '../../src/core/errors.ts';
import { SocketTransport, type Transport } from '../../src/core/transport.ts';
import { addrToUri, parseHost, withZone } from '../config/address.ts';
import { tlsServerOptions, type TlsMaterials } from './tls.ts';

// Bro's listen(listen_interface, listen_port, listen_ssl, listen_ipv6, listen_ipv6_zone_id,
// listen_retry): 0.0.0.0 is the IPv4 wildcard, plus `::` when listen_ipv6 is set; an IPv6
// interface needs listen_ipv6 (checked by the config schema) and may carry a zone id. While the
// port is in use the bind is retried every listen_retry seconds, with a log line each time.

export type ListenErrorCode = 'listen_failed';

export interface ListenerOptions {
  interface: string;
  port: number;
  ipv6: boolean;
  zoneId: string;
  /** Seconds between bind attempts while the address is in use; 0 = fail at once. */
  retrySeconds: number;
  tls: TlsMaterials | undefined;
  clock: Clock;
  onConnection(t: Transport): void;
  log(level: 1 | 2, msg: string): void;
}

export interface ListeningAddress {
  address: string;
  port: number;
  family: 4 | 6;
  ssl: boolean;
}

/** One socket to bind. */
export interface ListenTarget {
  host: string;
  ipv6Only: boolean;
}

/**
 * The sockets Bro's listen() binds for an interface: the IPv4 wildcard alone, or with
 * listen_ipv6 the IPv4 wildcard plus `::` (IPv6 only, the same port); `::` (dual stack); any
 * other address by itself, an IPv6 one with its zone id.
 */
export function listenTargets(iface: string, ipv6: boolean, zoneId: string): ListenTarget[] {
  const parsed = parseHost(iface);
  if (parsed?.address === '0.0.0.0') return ipv6 ? [{ host: '0.0.0.0', ipv6Only: false }, { host: '::', ipv6Only: true }] : [{ host: '0.0.0.0', ipv6Only: false }];
  if (parsed?.address === '::') return [{ host: '::', ipv6Only: false }];
  return [{ host: withZone(parsed?.address ?? iface, parsed?.family === 6 ? zoneId : undefined), ipv6Only: false }];
}

export class Listener {
  private readonly servers: Server[] = [];
  private readonly retries = new Set<TimerHandle>();
  private stopped = false;

  constructor(private readonly o: ListenerOptions) {}

  /** Where we accept connections now (a target still waiting for its port is not listed). */
  addresses(): ListeningAddress[] {
    return this.servers.flatMap((s) => {
      const a = s.address() as AddressInfo | null;
      return a === null ? [] : [{ address: a.address, port: a.port, family: a.family === 'IPv6' ? 6 : 4, ssl: this.o.tls !== undefined } as ListeningAddress];
    });
  }

  /** Bind every target; resolves once each is bound or waiting for its retry, rejects if one cannot bind. */
  async start(): Promise<void> {
    let port = this.o.port;
    for (const target of this.targets()) {
      const server = await this.bind(target, port, 1);
      // With port 0 a second target (the :: of listen_ipv6) must take the port the first one got.
      if (server !== undefined && port === 0) port = (server.address() as AddressInfo).port;
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries) t.cancel();
    this.retries.clear();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  /** What start() binds, in order (protected so a test can bind two loopback targets instead). */
  protected targets(): ListenTarget[] {
    return listenTargets(this.o.interface, this.o.ipv6, this.o.zoneId);
  }

  private server(): Server {
    const onSocket = (socket: Socket, tls: boolean): void => {
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.o.onConnection(new SocketTransport(socket, tls));
    };
    if (this.o.tls === undefined) return createNetServer((s) => onSocket(s, false));
    const server = createTlsServer(tlsServerOptions(this.o.tls), (s: TLSSocket) => onSocket(s, true));
    server.on('tlsClientError', (err, socket) => {
      this.o.log(2, `can't init peer io for ${addrToUri(socket.remoteAddress ?? '?')}:${socket.remotePort ?? '?'}: ${err.message}`);
    });
    return server;
  }

  private bind(target: ListenTarget, port: number, attempt: number): Promise<Server | undefined> {
    const where = `${addrToUri(target.host)}:${port}`;
    return new Promise((resolve, reject) => {
      if (this.stopped) return resolve(undefined);
      const server = this.server();
      const onError = (err: NodeJS.ErrnoException): void => {
        server.close();
        if (err.code === 'EADDRINUSE' && this.o.retrySeconds > 0 && !this.stopped) {
          this.o.log(2, `can't listen on ${where}: address already in use (attempt ${attempt}), retrying in ${this.o.retrySeconds} s`);
          const timer = this.o.clock.setTimeout(() => {
            this.retries.delete(timer);
            this.bind(target, port, attempt + 1).catch((e: Error) => this.o.log(2, e.message));
          }, this.o.retrySeconds * 1000);
          this.retries.add(timer);
          return resolve(undefined);
        }
        this.o.log(2, `can't listen on ${where}: ${err.message}`);
        reject(new BridgeError<ListenErrorCode>('listen_failed', `can't listen on ${where}: ${err.message}`, { field: 'listen_interface', cause: err, retriable: err.code === 'EADDRINUSE' }));
      };
      server.once('error', onError);
      server.listen({ host: target.host, port, ipv6Only: target.ipv6Only, exclusive: true }, () => {
        server.off('error', onError);
        if (this.stopped) {
          server.close();
          return resolve(undefined);
        }
        this.servers.push(server);
        const a = server.address() as AddressInfo;
        this.o.log(1, `listening on ${addrToUri(a.address)}:${a.port}${this.o.tls !== undefined ? ' (ssl)' : ''}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`);
        resolve(server);
      });
    });
  }
}
