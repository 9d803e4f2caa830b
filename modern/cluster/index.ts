// The Cluster framework seen from one Broker endpoint: layout, topics, hello / node_up / node_down.
export * from './layout.ts';
export * from './topics.ts';
export * from './view.ts';
export * from './cluster-log.ts';
