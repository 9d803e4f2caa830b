// The daemon config: the embedded default listens on loopback only with Broker's TLS default, every
// section has defaults, and every error names the source, the path and the rule — including the
// rules that span sections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { endpointOptionsOf } from '../../src/bridge/index.ts';
import { ConfigError, DEFAULT_CONFIG, DEFAULT_STATUS_PORT, isParsedConfig, parseBridgeConfig, parseConfigText } from '../../src/config/index.ts';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no error');
}

test('the embedded default: loopback only — legacy 47757, Broker 9999 with anonymous TLS, WebSocket 27759, status 27758', async () => {
  const c = parseBridgeConfig(DEFAULT_CONFIG, 'default');
  assert.equal([c.legacy.listen_interface, c.legacy.listen_port], ['127.0.0.1', 47757]);
  assert.equal([c.broker.listen, c.broker.default_listen_address, c.broker.default_port], [true, '127.0.0.1', 9999]);
  assert.equal([c.websocket.listen, c.websocket.listen_addr, c.websocket.listen_port], [true, '127.0.0.1', 27759]);
  assert.equal([c.status.enabled, c.status.address, c.status.port], [true, '127.0.0.1', DEFAULT_STATUS_PORT]);
  assert.is(DEFAULT_STATUS_PORT, 27758);
  assert.is(c.log_dir, 'logs');
  const ep = new Endpoint({ ...endpointOptionsOf(c.broker), env: {} });
  assert.is(ep.tlsMode, 'anonymous', "Broker's default: TLS without certificates");
  await ep.shutdown();
  // Broccoli's broping works against it: its events are declared and the loopback node requests them.
  assert.equal(Object.keys(c.types.events), ['ping', 'pong']);
  assert.equal(c.legacy.nodes['localhost']?.events, '/.*/');
});

test('an empty config is valid and stays on loopback; an explicit interface is kept', () => {
  const c = parseBridgeConfig({});
  assert.is(c.legacy.listen_interface, '127.0.0.1');
  assert.is(c.broker.default_listen_address, '127.0.0.1');
  assert.is(c.log_dir, '.', 'like Zeek: logs in the current directory unless told');
  assert.is(parseBridgeConfig({ legacy: { nodes: {} } }).legacy.listen_interface, '127.0.0.1');
  assert.is(parseBridgeConfig({ legacy: { listen_interface: '0.0.0.0' } }).legacy.listen_interface, '0.0.0.0');
  assert.ok(isParsedConfig(c));
  assert.is(parseBridgeConfig(c), c, 'a parsed config is not validated again');
  assert.not.ok(isParsedConfig({ ...c }));
});

test('errors name the source, the path and the rule, all at once', () => {
  const e = errorOf(() =>
    parseBridgeConfig(
      {
        legacy: { nodes: { sensor: { host: '10.0.0.1', p: 70000 } } },
        broker: { peers: [{ address: '', port: 1 }], bogus: 1 },
        websocket: { clients: [{ url: 'http://x' }] },
        types: { events: { e: ['sett[string]'] } },
        status: { port: -1 },
      },
      'bridge.json',
    ),
  );
  assert.is(e.code, 'config_invalid');
  assert.is(e.source, 'bridge.json');
  const paths = e.issues.map((i) => i.path);
  for (const p of ['legacy.nodes.sensor.p', 'broker.peers.0.address', 'broker.bogus', 'websocket.clients.0.url', 'types.events.e.0', 'status.port']) assert.ok(paths.includes(p), `${p} in ${paths.join(' ')}`);
  assert.match(e.message, 'bridge.json: legacy.nodes.sensor.p: 70000 is not a port (0-65535 or "47757/tcp")');
  assert.match(e.message, 'bridge.json: broker.bogus: unknown field (not part of the broker section)');
  assert.match(e.message, 'bridge.json: websocket.clients.0.url: expected a ws:// or wss:// URL');
  assert.match(e.message, 'bridge.json: status.port: -1 is not a port (0-65535 or "47757/tcp")');
  assert.is(e.path, e.issues[0]!.path);
});

test('rules across sections', () => {
  const twice = errorOf(() => parseBridgeConfig({ legacy: { forward_remote_events: true }, routing: { forward_remote_events: true } }));
  assert.equal(twice.issues.map((i) => i.path), ['routing.forward_remote_events']);
  const manager = errorOf(() => parseBridgeConfig({ legacy: { nodes: { m: { host: '10.0.0.1' } } }, cluster: { nodes: { m: { node_type: 'MANAGER', ip: '10.0.0.1' } } } }));
  assert.match(manager.message, 'cluster.nodes.m.node_type: legacy node "m" can play WORKER or PROXY through the bridge, not MANAGER');
  const noPort = errorOf(() =>
    parseBridgeConfig({
      legacy: { nodes: { w: { host: '10.0.0.1' } } },
      cluster: { nodes: { m: { node_type: 'MANAGER', ip: '10.0.0.9' }, w: { node_type: 'WORKER', ip: '10.0.0.1', manager: 'm' } } },
    }),
  );
  assert.match(noPort.message, 'cluster.nodes.m.p: legacy node "w" peers with its manager "m", which needs a port');
  const fmt = errorOf(() => parseBridgeConfig({ log_format: 'json', legacy: { log_format: 'ascii' } }));
  assert.match(fmt.message, 'legacy.log_format: set log_format at the top level');
  assert.is(parseBridgeConfig({ log_format: 'json', legacy: { log_format: 'json' } }).log_format, 'json');
});

test('every port and interval takes the legacy forms: "9999/tcp" and "30 secs" as well as numbers', () => {
  const c = parseBridgeConfig({
    status: { port: '27000/tcp' },
    broker: {
      default_port: '9998/tcp',
      default_connect_retry: '500 msecs',
      default_listen_retry: '2 mins',
      unpeer_timeout: '5 secs',
      connect_timeout: 2,
      handshake_timeout: '1 min',
      peers: [{ address: '10.0.0.5', port: '9997/tcp', retry: '10 secs' }, { address: '10.0.0.6', port: 9996, retry: 3 }],
    },
    websocket: {
      listen_port: '27001/tcp',
      ping_interval: '10 secs',
      clients: [{ url: 'ws://10.0.0.7', connect_timeout: '3 secs', ping_interval: '250 msecs', reconnect: { initial_delay: '2 secs', max_delay: '1 min' } }, { url: 'ws://10.0.0.8', reconnect: false }],
    },
  });
  assert.is(c.status.port, 27000);
  const b = c.broker;
  assert.equal([b.default_port, b.default_connect_retry, b.default_listen_retry, b.unpeer_timeout, b.connect_timeout, b.handshake_timeout], [9998, 0.5, 120, 5, 2, 60]);
  assert.equal(b.peers, [{ address: '10.0.0.5', port: 9997, retry: 10 }, { address: '10.0.0.6', port: 9996, retry: 3 }]);
  const w = c.websocket;
  assert.equal([w.listen_port, w.ping_interval], [27001, 10]);
  const [c1, c2] = w.clients;
  assert.equal([c1?.connect_timeout, c1?.ping_interval, c1?.reconnect], [3, 0.25, { initial_delay: 2, max_delay: 60, multiplier: 2, jitter: 0.5, max_attempts: 0 }]);
  assert.equal([c2?.reconnect, c2?.connect_timeout, c2?.ping_interval], [false, 10, 5], 'the sections\' own defaults still apply');
  // Defaults untouched; what the Broker endpoint is built from is plain numbers.
  const d = parseBridgeConfig({});
  assert.equal([d.status.port, d.broker.default_port, d.broker.default_connect_retry, d.broker.default_listen_retry, d.websocket.listen_port, d.websocket.ping_interval], [27758, 9999, 1, 30, 27759, 5]);
  assert.equal(d.websocket.clients, []);
  assert.equal(parseBridgeConfig({ websocket: { clients: [{ url: 'ws://x' }] } }).websocket.clients[0]?.reconnect, { initial_delay: 1, max_delay: 30, multiplier: 2, jitter: 0.5, max_attempts: 0 });
  const opts = endpointOptionsOf(b);
  assert.equal([opts.default_port, opts.default_connect_retry, opts.default_listen_retry], [9998, 0.5, 120]);

  const e = errorOf(() =>
    parseBridgeConfig(
      {
        status: { port: 'http' },
        broker: { default_port: '9999/udp', default_listen_retry: 'soon', peers: [{ address: '10.0.0.5', port: 70000, retry: -1 }] },
        websocket: { listen_port: 1.5, ping_interval: '5 fortnights', clients: [{ url: 'ws://x', reconnect: { initial_delay: 'later' } }, { url: 'ws://y', reconnect: true }] },
      },
      'bridge.json',
    ),
  );
  assert.equal(
    e.message.split('\n').sort(),
    [
      'bridge.json: broker.default_listen_retry: "soon" is not an interval (e.g. 30, "30 secs", "2 mins")',
      'bridge.json: broker.default_port: "9999/udp": the Broker endpoint runs over TCP only',
      'bridge.json: broker.peers.0.port: 70000 is not a port (0-65535 or "47757/tcp")',
      'bridge.json: broker.peers.0.retry: interval must be a non-negative number of seconds, got -1',
      'bridge.json: status.port: "http" is not a port (0-65535 or "47757/tcp")',
      'bridge.json: websocket.clients.0.reconnect.initial_delay: "later" is not an interval (e.g. 30, "30 secs", "2 mins")',
      'bridge.json: websocket.clients.1.reconnect: expected false or object',
      'bridge.json: websocket.listen_port: 1.5 is not a port (0-65535 or "47757/tcp")',
      'bridge.json: websocket.ping_interval: "5 fortnights" is not an interval (e.g. 30, "30 secs", "2 mins")',
    ],
  );
});

test('JSON text: syntax errors name the file', () => {
  const e = errorOf(() => parseConfigText('{"legacy": {"nodes": {}},}', 'x.json'));
  assert.is(e.code, 'config_invalid');
  assert.match(e.message, /^x\.json: .*not valid JSON/);
  assert.is(parseConfigText('{"node": "n1"}', 'y.json').node, 'n1');
});

test.run();
