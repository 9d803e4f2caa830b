import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { SocketTransport, type Transport } from '../../src/core/transport.ts';
import { withZone } from '../config/address.ts';
import { tlsClientOptions, type TlsMaterials } from './tls.ts';

// Outbound connections (Bro's connect(ip, zone_id, p, our_class, retry, ssl)). A seam: tests and
// other transports can pass their own Dialer to the framework.

export interface DialTarget {
  host: string;
  zoneId: string | undefined;
  port: number;
  /** Set for a node with ssl = T. */
  tls: TlsMaterials | undefined;
}

export type Dialer = (target: DialTarget) => Promise<Transport>;

/** How long a TCP connect (and TLS handshake) may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 30_000;

export const socketDialer: Dialer = (t) =>
  new Promise((resolve, reject) => {
    const host = withZone(t.host, t.zoneId);
    const socket: Socket = t.tls !== undefined ? tlsConnect({ host, port: t.port, ...tlsClientOptions(t.tls) }) : netConnect({ host, port: t.port });
    // Errors between the connect and the session's start must not go unhandled; the transport
    // reports later ones through its close handler.
    socket.on('error', () => undefined);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS / 1000} s`)));
    const fail = (err: Error): void => reject(err);
    socket.once('error', fail);
    socket.once(t.tls !== undefined ? 'secureConnect' : 'connect', () => {
      socket.off('error', fail);
      socket.setTimeout(0);
      resolve(new SocketTransport(socket, t.tls !== undefined));
    });
  });
