// cluster.log: Zeek's Cluster::Info (ts, node, message), in Zeek's TSV or JSON log format.
import { zeekLogWriter, type ZeekColumn, type ZeekLogOptions, type ZeekLogWriter } from '../../src/core/zeeklog.ts';

export interface ClusterLogEntry {
  /** Seconds since the epoch (Zeek: network_time()). */
  readonly ts: number;
  /** The node writing the line (Cluster::node). */
  readonly node: string;
  readonly message: string;
}

export const CLUSTER_LOG_COLUMNS: readonly ZeekColumn[] = [
  { name: 'ts', type: 'time' },
  { name: 'node', type: 'string' },
  { name: 'message', type: 'string' },
];

export class ClusterLog {
  private readonly writer: ZeekLogWriter;

  constructor(sink: (text: string) => void, options: { format?: 'ascii' | 'json' } & Omit<ZeekLogOptions, 'path' | 'columns'> = {}) {
    const { format, ...rest } = options;
    this.writer = zeekLogWriter(format ?? 'ascii', sink, { ...rest, path: 'cluster', columns: CLUSTER_LOG_COLUMNS });
  }

  write(entry: ClusterLogEntry): void {
    this.writer.write({ ts: entry.ts, node: entry.node, message: entry.message });
  }

  close(): void {
    this.writer.close();
  }
}
