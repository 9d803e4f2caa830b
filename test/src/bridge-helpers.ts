// Shared pieces of the bridge tests: a bridge on loopback with every port ephemeral and its logs in
// memory, a native Broker peer and WebSocket clients that record what they receive, and helpers
// to wait for status events.
import { ManualClock } from '../../src/core/clock.ts';
import { Bridge, type PeerReport } from '../../src/bridge/index.ts';
import type { BridgeConfigInput } from '../../src/config/index.ts';
import { Endpoint, type StatusEvent } from '../../modern/endpoint/index.ts';
import { WebSocketClient } from '../../modern/websocket/index.ts';
import type { Data } from '../../modern/data/index.ts';
import { parseZeekMessage, type ZeekEvent } from '../../modern/data/index.ts';
import { PeerStatus, peerStatusName } from '../../modern/constants.ts';
import { until, type Harness } from '../legacy/framework-helpers.ts';

export { until };

/**
 * Resolves once a legacy framework's own side of the handshake with the bridge is done (its
 * `n`th remote_connection_handshake_done). Only then does it know what the bridge requested, so
 * only then does its send_event reach the bridge: the bridge's PEERED does not imply it, as each
 * side finishes on the other's PHASE_DONE.
 */
export function legacyHandshakeDone(h: Harness, what: string, n = 1): Promise<void> {
  return until(() => h.of('remote_connection_handshake_done').length >= n, `${what}: its side of the handshake`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out;
}

/** Loopback, every port 0, no pings (the tests stop everything themselves). */
export function testConfig(extra: BridgeConfigInput = {}): BridgeConfigInput {
  const base: BridgeConfigInput = {
    node: 'test-bridge',
    log_timezone: 'utc',
    status: { port: 0 },
    legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_retry: 0 },
    broker: { default_listen_address: '127.0.0.1', default_port: 0, default_listen_retry: 0, default_connect_retry: 0.05 },
    websocket: { listen_addr: '127.0.0.1', listen_port: 0, ping_interval: 0 },
  };
  return merge(base as Obj, extra as Obj) as BridgeConfigInput;
}

export interface TestBridge {
  bridge: Bridge;
  clock: ManualClock;
  port: { legacy: number; broker: number; websocket: number; status: number };
  reports: PeerReport[];
  /** Text written to `<name>.log` so far. */
  log(name: string): string;
  /** Report names (`peer_added`, `peer_lost`, an ErrorCode name) for one protocol, in order. */
  events(protocol: PeerReport['protocol']): string[];
  /** PeerStatus name of a registry entry (undefined when it is not there). */
  status(key: string): string | undefined;
  /** Every registry change of one peer: its status names in order, `removed` at the end if it went. */
  trail(key: string): string[];
}

export async function startBridge(config: BridgeConfigInput = {}, clock = new ManualClock()): Promise<TestBridge> {
  const logs = new Map<string, string>();
  const bridge = new Bridge({ config: testConfig(config), clock, logSink: (name, text) => logs.set(name, (logs.get(name) ?? '') + text) });
  const reports: PeerReport[] = [];
  bridge.on('report', (r) => reports.push(r));
  const changes: { key: string; what: string }[] = [];
  bridge.on('peer', (c) => changes.push({ key: c.peer.key, what: c.kind === 'removed' ? 'removed' : peerStatusName(c.peer.status) }));
  const listeners = await bridge.start();
  const port = (kind: string): number => listeners.find((l) => l.kind === kind)?.port ?? 0;
  return {
    bridge,
    clock,
    port: { legacy: port('legacy'), broker: port('broker'), websocket: port('websocket'), status: port('status') },
    reports,
    log: (name) => logs.get(name) ?? '',
    events: (protocol) => reports.filter((r) => r.protocol === protocol).map((r) => r.report.name),
    trail: (key) => changes.filter((c) => c.key === key).map((c) => c.what),
    status: (key) => {
      const rec = bridge.translator.peers.get(key);
      return rec === undefined ? undefined : peerStatusName(rec.status);
    },
  };
}

export interface Received {
  topic: string;
  event: ZeekEvent;
  value: Data;
}

function asEvent(value: Data): ZeekEvent | undefined {
  try {
    const m = parseZeekMessage(value);
    return m.kind === 'event' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** A native Broker endpoint peered with the bridge, recording events on its subscriptions. */
export async function brokerPeer(port: number, subscriptions: string[]): Promise<{ ep: Endpoint; got: Received[]; raw: { topic: string; value: Data }[]; statuses: StatusEvent[] }> {
  const ep = new Endpoint({});
  const got: Received[] = [];
  const raw: { topic: string; value: Data }[] = [];
  const statuses: StatusEvent[] = [];
  ep.on('status', (s) => statuses.push(s));
  ep.on('data', (topic, value) => {
    raw.push({ topic, value });
    const event = asEvent(value);
    if (event !== undefined) got.push({ topic, event, value });
  });
  for (const s of subscriptions) ep.subscribe(s);
  const ok = await ep.peerNoRetry('127.0.0.1', port);
  if (!ok) throw new Error('could not peer with the bridge');
  return { ep, got, raw, statuses };
}

/** A WebSocket client of the bridge's server, recording events. */
export async function wsPeer(port: number, subscriptions: string[]): Promise<{ ws: WebSocketClient; got: Received[] }> {
  const ws = new WebSocketClient({ url: `ws://127.0.0.1:${port}`, subscriptions, reconnect: false, ping_interval: 0, application_name: 'test-ws' });
  const got: Received[] = [];
  ws.on('data', (topic, value) => {
    const event = asEvent(value);
    if (event !== undefined) got.push({ topic, event, value });
  });
  await ws.connect();
  return { ws, got };
}

export const PEERED = peerStatusName(PeerStatus.PEERED);
