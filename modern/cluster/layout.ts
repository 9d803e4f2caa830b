// The cluster layout (Zeek's `Cluster::nodes`, usually cluster-layout.zeek) as a validated config
// section, and the layout queries of base/frameworks/cluster/main.zeek (Zeek 7/8).
//
//   "cluster": {
//     "nodes": {
//       "manager":  { "node_type": "MANAGER", "ip": "127.0.0.1", "p": "27761/tcp" },
//       "logger-1": { "node_type": "LOGGER",  "ip": "127.0.0.1", "p": 27762 },
//       "worker-1": { "node_type": "WORKER",  "ip": "10.0.0.7", "manager": "manager" }
//     },
//     "manager_is_logger": false
//   }
import { z } from 'zod';
import { formatAddress, parseAddress } from '../data/index.ts';

/** Zeek's Cluster::NodeType, in its enum order (NONE = 0). */
export const NODE_TYPES = ['NONE', 'CONTROL', 'LOGGER', 'MANAGER', 'PROXY', 'WORKER'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const nodeType = z
  .string()
  .transform((s) => s.replace(/^Cluster::/, '').toUpperCase())
  .pipe(z.enum(NODE_TYPES, { message: `node_type is one of ${NODE_TYPES.join(', ')} (optionally Cluster::...)` }));

const ip = z.string().transform((s, ctx) => {
  const bytes = parseAddress(s);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not an IPv4 or IPv6 address` });
    return z.NEVER;
  }
  return formatAddress(bytes);
});

/** Zeek port text ("27761/tcp", "0/unknown") or a number (tcp). 0 = not listening. */
const portSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? null : /^\s*(\d{1,5})\s*(?:\/\s*(tcp|unknown))?\s*$/.exec(v);
  const n = typeof v === 'number' ? v : m === null ? NaN : Number(m[1]);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a TCP port (0-65535 or "27761/tcp")` });
    return z.NEVER;
  }
  return n;
});

export const clusterNodeSchema = z.strictObject({
  node_type: nodeType,
  ip,
  zone_id: z.string().default(''),
  p: portSchema.default(0),
  /** Name of the manager node this node uses (workers and proxies). */
  manager: z.string().optional(),
  metrics_port: portSchema.optional(),
});

const topicsSchema = z
  .strictObject({
    logger_topic: z.string().min(1),
    manager_topic: z.string().min(1),
    proxy_topic: z.string().min(1),
    worker_topic: z.string().min(1),
    node_topic_prefix: z.string().min(1),
    nodeid_topic_prefix: z.string().min(1),
    log_topic_prefix: z.string().min(1),
  })
  .partial();

export const clusterLayoutSchema = z
  .strictObject({
    nodes: z.record(z.string(), clusterNodeSchema).default({}),
    /** No logger in the layout: the manager receives the logs (ZeekControl sets this). */
    manager_is_logger: z.boolean().default(true),
    /** Overrides of Zeek's &redef topic constants. */
    topics: topicsSchema.default({}),
  })
  .superRefine((c, ctx) => {
    for (const [name, n] of Object.entries(c.nodes)) {
      if (name === '' || name.includes('/')) {
        ctx.addIssue({ code: 'custom', path: ['nodes', name], message: 'node names become topic parts: non-empty, without "/"' });
      }
      if (n.manager === undefined) continue;
      const m = c.nodes[n.manager];
      if (m === undefined || m.node_type !== 'MANAGER') {
        ctx.addIssue({ code: 'custom', path: ['nodes', name, 'manager'], message: `${n.manager} is not a MANAGER node of the layout` });
      }
    }
  });

export type ClusterNodeInput = z.input<typeof clusterNodeSchema>;
export type ClusterNode = z.output<typeof clusterNodeSchema>;
export type ClusterLayoutInput = z.input<typeof clusterLayoutSchema>;
export type ClusterLayoutConfig = z.output<typeof clusterLayoutSchema>;

/** Zeek's Cluster::NamedNode. */
export interface NamedNode {
  readonly name: string;
  readonly node: ClusterNode;
}

export class ClusterLayout {
  readonly config: ClusterLayoutConfig;

  constructor(input: ClusterLayoutInput | ClusterLayoutConfig) {
    this.config = clusterLayoutSchema.parse(input);
  }

  get nodes(): Readonly<Record<string, ClusterNode>> {
    return this.config.nodes;
  }

  node(name: string): ClusterNode | undefined {
    return this.config.nodes[name];
  }

  /** Nodes of a type sorted by name (Zeek's nodes_with_type: strcmp order). */
  nodesWithType(type: NodeType): NamedNode[] {
    return Object.entries(this.config.nodes)
      .filter(([, n]) => n.node_type === type)
      .map(([name, node]) => ({ name, node }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Cluster::get_node_count: nodes of this type in the layout. */
  get_node_count(type: NodeType): number {
    return this.nodesWithType(type).length;
  }

  /**
   * Who `self` dials, as Zeek's Broker cluster backend does: everyone peers with the loggers,
   * proxies with their manager, workers with the proxies and their manager.
   */
  peersToConnect(self: string): NamedNode[] {
    const me = this.node(self);
    if (me === undefined) return [];
    const manager = (): NamedNode[] => {
      const m = me.manager === undefined ? undefined : this.node(me.manager);
      return m === undefined ? [] : [{ name: me.manager!, node: m }];
    };
    switch (me.node_type) {
      case 'MANAGER':
        return this.nodesWithType('LOGGER');
      case 'PROXY':
        return [...this.nodesWithType('LOGGER'), ...manager()];
      case 'WORKER':
        return [...this.nodesWithType('LOGGER'), ...this.nodesWithType('PROXY'), ...manager()];
      default:
        return [];
    }
  }
}
