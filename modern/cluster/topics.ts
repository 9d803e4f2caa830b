// The Cluster framework's topics (base/frameworks/cluster/main.zeek, setup-subscriptions.zeek).
import type { ClusterLayout, NodeType } from './layout.ts';

export const CLUSTER_TOPICS = {
  logger_topic: 'zeek/cluster/logger',
  manager_topic: 'zeek/cluster/manager',
  proxy_topic: 'zeek/cluster/proxy',
  worker_topic: 'zeek/cluster/worker',
  node_topic_prefix: 'zeek/cluster/node/',
  nodeid_topic_prefix: 'zeek/cluster/nodeid/',
  /** Broker::default_log_topic_prefix. */
  log_topic_prefix: 'zeek/logs/',
} as const;

export type ClusterTopics = { -readonly [K in keyof typeof CLUSTER_TOPICS]: string };

/** The default topics with the layout's overrides. */
export function clusterTopics(layout?: ClusterLayout): ClusterTopics {
  const out: ClusterTopics = { ...CLUSTER_TOPICS };
  for (const [k, v] of Object.entries(layout?.config.topics ?? {})) if (v !== undefined) out[k as keyof ClusterTopics] = v;
  return out;
}

/** Cluster::node_topic: `zeek/cluster/node/<name>/`. */
export function node_topic(name: string, topics: ClusterTopics = CLUSTER_TOPICS): string {
  return `${topics.node_topic_prefix}${name}/`;
}

/** Cluster::nodeid_topic: `zeek/cluster/nodeid/<id>/`. */
export function nodeid_topic(id: string, topics: ClusterTopics = CLUSTER_TOPICS): string {
  return `${topics.nodeid_topic_prefix}${id}/`;
}

/** The broadcast topic of a node type (none for NONE and CONTROL). */
export function typeTopic(type: NodeType, topics: ClusterTopics = CLUSTER_TOPICS): string | undefined {
  switch (type) {
    case 'LOGGER':
      return topics.logger_topic;
    case 'MANAGER':
      return topics.manager_topic;
    case 'PROXY':
      return topics.proxy_topic;
    case 'WORKER':
      return topics.worker_topic;
    default:
      return undefined;
  }
}

/**
 * What a node subscribes to (setup-subscriptions.zeek plus the Broker backend's log subscription):
 * its type topic, its node-id topic, its node topic; loggers (and a manager that is the logger) also
 * the log topic prefix. A NONE node subscribes to nothing.
 */
export function clusterSubscriptions(type: NodeType, name: string, nodeId: string, options: { managerIsLogger?: boolean; topics?: ClusterTopics } = {}): string[] {
  const topics = options.topics ?? CLUSTER_TOPICS;
  if (type === 'NONE') return [];
  const out: string[] = [];
  if (type === 'LOGGER' || (type === 'MANAGER' && (options.managerIsLogger ?? true))) out.push(topics.log_topic_prefix);
  const t = typeTopic(type, topics);
  if (t !== undefined) out.push(t);
  out.push(nodeid_topic(nodeId, topics), node_topic(name, topics));
  return out;
}
