// The daemon's status listener: GET /status (JSON: listeners, every peer of both worlds, the
// legacy connected_peers / pending_peers view including Broker peers, cluster nodes, drops) for
// `comm-bridge status`, and GET /metrics in Prometheus text format. Loopback by default; read only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BridgeError } from '../core/errors.ts';
import { stringifyJson } from '../core/json.ts';

export interface StatusSource {
  /** The /status document. */
  status(): unknown;
  /** The /metrics text. */
  metrics(): string;
}

export class StatusServer {
  private constructor(private readonly server: Server) {}

  static async listen(source: StatusSource, address: string, port: number): Promise<StatusServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      try {
        if (path === '/status') {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(stringifyJson(source.status()) + '\n');
        } else if (path === '/metrics') {
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(source.metrics());
        } else {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('try /status or /metrics\n');
        }
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`);
      }
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new BridgeError('listen_failed', `status: can't listen on ${address}:${port}: ${err.message}`, { field: 'status.port', cause: err, retriable: true })),
      );
      server.listen({ host: address, port, exclusive: true }, () => resolve());
    });
    return new StatusServer(server);
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
