import { zeekLogWriter, type ZeekColumn, type ZeekLogWriter } from '../../src/core/zeeklog.ts';
import { addrToUri } from '../config/address.ts';
import type { EventPeer } from '../peer/types.ts';

// communication.log with the columns of Bro 2.5's `Communication::Info`, written the way Bro's
// handlers write it: core lines about a peer are prefixed "[#<id>/<host>:<port>] " (remote_log_peer),
// `peer` is our own peer_description, src_name is child/parent/script, level info/error. The
// connected_peer_* columns (unused by Bro 2.5) carry the peer a line is about.

export const COMMUNICATION_LOG_COLUMNS: readonly ZeekColumn[] = [
  { name: 'ts', type: 'time' },
  { name: 'peer', type: 'string' },
  { name: 'src_name', type: 'string' },
  { name: 'connected_peer_desc', type: 'string' },
  { name: 'connected_peer_addr', type: 'addr' },
  { name: 'connected_peer_port', type: 'port' },
  { name: 'level', type: 'string' },
  { name: 'message', type: 'string' },
];

const SRC_NAMES: Readonly<Record<number, string>> = { 1: 'child', 2: 'parent', 3: 'script' };

/** "[#10000/127.0.0.1:35382]", Bro's remote_log_peer prefix. */
export function peerTag(p: EventPeer): string {
  return `[#${p.id}/${addrToUri(p.host)}:${p.p}]`;
}

export interface CommunicationLogOptions {
  format: 'ascii' | 'json';
  /** Our peer_description: the `peer` column. */
  peerDescription: string;
  /** Wall clock, ms. */
  now: () => number;
  timezone?: 'local' | 'utc';
}

export class CommunicationLog {
  private readonly writer: ZeekLogWriter;
  private closed = false;

  constructor(
    sink: (text: string) => void,
    private readonly options: CommunicationLogOptions,
  ) {
    this.writer = zeekLogWriter(options.format, sink, {
      path: 'communication',
      columns: COMMUNICATION_LOG_COLUMNS,
      now: options.now,
      ...(options.timezone !== undefined ? { timezone: options.timezone } : {}),
    });
  }

  /** One line; lines after close() (late socket errors during shutdown) are dropped. */
  write(level: number, src: number, message: string, p?: EventPeer): void {
    if (this.closed) return;
    this.writer.write({
      ts: this.options.now() / 1000,
      peer: this.options.peerDescription,
      src_name: SRC_NAMES[src] ?? String(src),
      connected_peer_desc: p === undefined || p.descr === '' ? undefined : p.descr,
      connected_peer_addr: p?.host,
      connected_peer_port: p?.p,
      level: level === 2 ? 'error' : 'info',
      message: p === undefined ? message : `${peerTag(p)} ${message}`,
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
  }
}
