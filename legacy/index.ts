// The legacy side of the bridge: Bro 2.5 / Broccoli's Communication framework (protocol 7).
//   codec/      pure wire codec (bytes <-> typed messages)
//   config/     the `legacy` config section: Communication:: options and the nodes table
//   peer/       one connection's state machine
//   framework/  listener, connect_peer, pending_peers / connected_peers, the seed's events
export * as codec from './codec/index.ts';
export * from './config/index.ts';
export * from './peer/index.ts';
export * from './framework/index.ts';
