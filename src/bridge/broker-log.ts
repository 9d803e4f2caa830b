// broker.log: the peer status changes and errors of both worlds, with the columns and values of
// Zeek's base/frameworks/broker/log.zeek (ts, ty = Broker::STATUS / Broker::ERROR, ev =
// peer-added / peer-removed / peer-lost / the error code in lower case with dashes, peer.address,
// peer.bound_port, message) plus two columns saying which peer it was: peer.protocol (legacy,
// broker, websocket) and peer.name (node name, endpoint id or application name). Like Zeek, the
// endpoint_discovered / endpoint_unreachable statuses are not logged.
import type { ZeekColumn, ZeekLogWriter } from '../core/zeeklog.ts';
import type { BrokerReport } from '../translate/status.ts';
import type { PeerProtocol } from '../translate/peer-registry.ts';

export const BROKER_LOG_COLUMNS: readonly ZeekColumn[] = [
  { name: 'ts', type: 'time' },
  { name: 'ty', type: 'enum' },
  { name: 'ev', type: 'string' },
  { name: 'peer.address', type: 'string' },
  { name: 'peer.bound_port', type: 'port' },
  { name: 'message', type: 'string' },
  { name: 'peer.protocol', type: 'string' },
  { name: 'peer.name', type: 'string' },
];

const LOGGED_STATUSES: ReadonlySet<string> = new Set(['peer_added', 'peer_removed', 'peer_lost']);

/** Zeek's `ev` text: peer_added -> peer-added; an ErrorCode name the same way. */
export function brokerLogEv(report: BrokerReport): string {
  return report.name.toLowerCase().replaceAll('_', '-');
}

export class BrokerLog {
  constructor(
    private readonly writer: ZeekLogWriter,
    private readonly now: () => number,
  ) {}

  /** Logs a report (statuses other than peer_added/removed/lost are skipped, as Zeek does). */
  write(report: BrokerReport, protocol: PeerProtocol, name: string | undefined): void {
    if (report.kind === 'status' && !LOGGED_STATUSES.has(report.name)) return;
    const network = report.context?.network;
    this.writer.write({
      ts: this.now() / 1000,
      ty: report.kind === 'status' ? 'Broker::STATUS' : 'Broker::ERROR',
      ev: brokerLogEv(report),
      'peer.address': network?.address,
      'peer.bound_port': network?.bound_port,
      message: report.message,
      'peer.protocol': protocol,
      'peer.name': name,
    });
  }

  close(): void {
    this.writer.close();
  }
}
