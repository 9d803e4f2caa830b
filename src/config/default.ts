// The config `comm-bridge run` uses without --config (and `npm start`): everything on loopback —
// legacy 47757, Broker 9999 (TLS as Broker's default: anonymous), WebSocket 27759, status 27758 —
// logs under ./logs, and a node for loopback Broccoli / Bro peers with broping's ping/pong declared,
// so `broping -p 47757 127.0.0.1` against it talks to a Zeek 8 peered with the bridge.
import type { BridgeConfigInput } from './schema.ts';
import { DEFAULT_STATUS_PORT } from './schema.ts';

export const DEFAULT_CONFIG: BridgeConfigInput = {
  node: 'comm-bridge',
  log_dir: 'logs',
  log_format: 'ascii',
  status: { enabled: true, address: '127.0.0.1', port: DEFAULT_STATUS_PORT },
  legacy: {
    listen: true,
    listen_interface: '127.0.0.1',
    listen_port: 47757,
    nodes: {
      // Any loopback peer without a class: events it sends are accepted, and the declared events
      // (types.events) matching the pattern are requested from it.
      localhost: { host: '127.0.0.1', events: '/.*/' },
    },
  },
  broker: { listen: true, default_listen_address: '127.0.0.1', default_port: 9999, peers: [] },
  websocket: { listen: true, listen_addr: '127.0.0.1', listen_port: 27759, clients: [] },
  types: {
    events: {
      ping: ['src_time: time', 'seq: count'],
      pong: ['src_time: time', 'dst_time: time', 'seq: count'],
    },
  },
  routing: { subscribe: ['zeek/to-legacy/'] },
};
