// Peer status tables (one test per row), legacy connection events as Broker reports, the unified
// peer registry with its legacy view, status table and metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, PeerStatus, StatusCode } from '../../modern/constants.ts';
import { TranslationDrops } from '../../src/translate/drops.ts';
import { translationError } from '../../src/translate/errors.ts';
import { dropMetrics, prometheusText } from '../../src/translate/metrics.ts';
import { PeerRegistry, type PeerChange } from '../../src/translate/peer-registry.ts';
import {
  LEGACY_ERROR_TABLE,
  LEGACY_STATE_STATUS,
  NIL_ENDPOINT_ID,
  errorCodeForLegacyReason,
  legacyEventToBrokerReports,
  legacyPeerStatus,
  type LegacyPeerState,
} from '../../src/translate/status.ts';

const STATES: [LegacyPeerState, boolean, PeerStatus][] = [
  ['pending', false, PeerStatus.CONNECTING],
  ['pending', true, PeerStatus.RECONNECTING],
  ['setup', false, PeerStatus.CONNECTED],
  ['handshake', false, PeerStatus.CONNECTED],
  ['sync', false, PeerStatus.CONNECTED],
  ['running', false, PeerStatus.PEERED],
  ['closed', false, PeerStatus.DISCONNECTED],
];

for (const [state, reconnecting, status] of STATES) {
  test(`state row: ${state}${reconnecting ? ' (after a session)' : ''} -> PeerStatus ${status}`, () => {
    assert.is(legacyPeerStatus(state, reconnecting), status);
  });
}

test('every legacy state has a row', () => {
  assert.equal(Object.keys(LEGACY_STATE_STATUS).sort(), [...new Set(STATES.map((s) => s[0]))].sort());
});

// Reasons as Bro logs them and as the codec/framework/Node report them.
const ERRORS: [string, string | undefined, ErrorCode][] = [
  ['remote protocol version mismatch: got 6, but expected 7', undefined, ErrorCode.PEER_INCOMPATIBLE],
  ['data format version 25, expected 26', 'data_format_mismatch', ErrorCode.PEER_INCOMPATIBLE],
  ['certificate verify failed', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', ErrorCode.PEER_INVALID],
  ['peer did not send version', undefined, ErrorCode.UNEXPECTED_HANDSHAKE_MESSAGE],
  ['misconfiguration: authoritative state on both sides', undefined, ErrorCode.INVALID_PEERING_REQUEST],
  ['chunk of 70000000 bytes', 'oversize_chunk', ErrorCode.INVALID_MESSAGE],
  ['unserialization error', undefined, ErrorCode.DESERIALIZATION_FAILED],
  ['zlib stream garbage', 'zlib_garbage', ErrorCode.DESERIALIZATION_FAILED],
  ['connect ETIMEDOUT 10.0.0.1:47757', 'ETIMEDOUT', ErrorCode.CONNECTION_TIMEOUT],
  ['handshake timeout after 60 s', undefined, ErrorCode.PEER_TIMEOUT],
  ["can't connect to 10.0.0.1:47757: Connection refused", 'ECONNREFUSED', ErrorCode.PEER_UNAVAILABLE],
  ['connection closed during handshake', undefined, ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE],
  ['bridge is terminating', undefined, ErrorCode.SHUTTING_DOWN],
  ['something nobody expected', undefined, ErrorCode.UNSPECIFIED],
];

for (const [reason, code, ec] of ERRORS) {
  test(`error row: ${code ?? reason} -> ${ec}`, () => {
    assert.is(errorCodeForLegacyReason(reason, code), ec);
  });
}

test('every error table row is exercised', () => {
  const used = new Set(ERRORS.map(([r, c]) => LEGACY_ERROR_TABLE.findIndex((row) => (c !== undefined && row.match.test(c)) || row.match.test(r))));
  LEGACY_ERROR_TABLE.forEach((row, i) => assert.ok(used.has(i), row.why));
});

const sensor = { host: '10.0.0.7', port: 47757, retry: 30 };

test('handshake_done -> endpoint_discovered, peer_added (established -> nothing yet)', () => {
  assert.equal(legacyEventToBrokerReports({ type: 'remote_connection_established', peer: sensor }), []);
  const r = legacyEventToBrokerReports({ type: 'remote_connection_handshake_done', peer: { ...sensor, endpointId: 'aaaaaaaa-0000-0000-0000-000000000001' } });
  assert.equal(r.map((x) => x.name), ['endpoint_discovered', 'peer_added']);
  assert.equal(r[1], {
    kind: 'status',
    code: StatusCode.PEER_ADDED,
    name: 'peer_added',
    context: { id: 'aaaaaaaa-0000-0000-0000-000000000001', network: { address: '10.0.0.7', bound_port: 47757, retry: 30 } },
    message: 'handshake successful',
  });
  assert.equal(r[0]!.context, { id: 'aaaaaaaa-0000-0000-0000-000000000001' });
});

test('closed -> peer_removed when we closed, peer_lost when the peer did; then endpoint_unreachable', () => {
  const local = legacyEventToBrokerReports({ type: 'remote_connection_closed', peer: sensor, closedBy: 'local', wasRunning: true });
  assert.equal(local.map((x) => x.name), ['peer_removed', 'endpoint_unreachable']);
  const remote = legacyEventToBrokerReports({ type: 'remote_connection_closed', peer: sensor, closedBy: 'remote', wasRunning: true });
  assert.equal(remote.map((x) => x.name), ['peer_lost', 'endpoint_unreachable']);
  assert.is(remote[0]!.context?.id, NIL_ENDPOINT_ID);
});

test('closed before RUNNING: no status; peer_disconnect_during_handshake when the peer went away', () => {
  assert.equal(legacyEventToBrokerReports({ type: 'remote_connection_closed', peer: sensor, closedBy: 'local', wasRunning: false }), []);
  const r = legacyEventToBrokerReports({ type: 'remote_connection_closed', peer: sensor, closedBy: 'remote', wasRunning: false });
  assert.equal(r.map((x) => [x.kind, x.code]), [['error', ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE]]);
});

test('error -> Broker error with the table code and the reason as message', () => {
  const [r] = legacyEventToBrokerReports({ type: 'remote_connection_error', peer: sensor, reason: 'peer did not send version' });
  assert.equal(r, {
    kind: 'error',
    code: ErrorCode.UNEXPECTED_HANDSHAKE_MESSAGE,
    name: 'unexpected_handshake_message',
    message: 'peer did not send version',
    context: { id: NIL_ENDPOINT_ID, network: { address: '10.0.0.7', bound_port: 47757, retry: 30 } },
  });
});

function registry() {
  let now = 1000;
  const changes: PeerChange[] = [];
  const reg = new PeerRegistry({ now: () => now, onChange: (c) => changes.push(c) });
  return { reg, changes, tick: () => (now += 1000) };
}

test('registry: both worlds in one list with status changes reported once', () => {
  const { reg, changes, tick } = registry();
  reg.upsert('legacy:10000', { protocol: 'legacy', name: 'sensor-1', address: '10.0.0.7', port: 47757, peerId: 10000, status: legacyPeerStatus('pending') });
  reg.upsert('broker:e1', { protocol: 'broker', name: 'zeek-manager', address: '127.0.0.1', port: 9999, endpointId: 'e1', outbound: true });
  reg.upsert('websocket:c1', { protocol: 'websocket', name: 'ws-client', address: '::1', port: 50000, endpointId: 'c1', class: 'my-app' });
  tick();
  reg.setStatus('legacy:10000', legacyPeerStatus('running'));
  reg.setStatus('legacy:10000', legacyPeerStatus('running'));
  reg.setStatus('broker:e1', PeerStatus.PEERED, 'handshake successful');
  reg.setStatus('websocket:c1', PeerStatus.CONNECTED);
  assert.equal(reg.list().map((p) => [p.name, p.status]), [
    ['sensor-1', PeerStatus.PEERED],
    ['zeek-manager', PeerStatus.PEERED],
    ['ws-client', PeerStatus.CONNECTED],
  ]);
  assert.equal(changes.map((c) => c.kind), ['added', 'added', 'added', 'status', 'status', 'status']);
  const st = changes[4]!;
  assert.ok(st.kind === 'status' && st.previous === PeerStatus.INITIALIZING && st.message === 'handshake successful');
  assert.is(reg.get('legacy:10000')!.since, 2000);
  reg.remove('websocket:c1');
  assert.is(changes.at(-1)!.kind, 'removed');
  assert.is(reg.get('websocket:c1'), undefined);
});

test('registry: Broker peers in the legacy connected_peers / pending_peers view', () => {
  const { reg } = registry();
  reg.upsert('legacy:10000', { protocol: 'legacy', name: 'sensor-1', address: '10.0.0.7', port: 47757, peerId: 10000, status: PeerStatus.PEERED });
  reg.upsert('broker:e1', { protocol: 'broker', name: 'manager', address: '127.0.0.1', port: 9999, endpointId: 'e1', status: PeerStatus.PEERED });
  reg.upsert('broker:e2', { protocol: 'broker', name: 'logger', address: '127.0.0.2', port: 9999, endpointId: 'e2', status: PeerStatus.RECONNECTING });
  reg.upsert('broker:e3', { protocol: 'broker', name: 'gone', address: '127.0.0.3', port: 9999, endpointId: 'e3', status: PeerStatus.DISCONNECTED });
  const v = reg.legacyView();
  assert.equal(v.connected_peers, [{ id: 1_000_000, host: '127.0.0.1', p: 9999, descr: 'broker:e1', connected: true, protocol: 'broker' }]);
  assert.equal(v.pending_peers.map((p) => [p.id, p.descr, p.connected]), [[1_000_001, 'broker:e2', false]]);
  assert.equal(reg.legacyView(true).connected_peers.map((p) => p.descr), ['sensor-1', 'broker:e1']);
});

test('registry: status table and metrics carry traffic, queue depth and last error', () => {
  const { reg } = registry();
  reg.upsert('legacy:1', { protocol: 'legacy', name: 'broping', address: '127.0.0.1', port: 47800, peerId: 1, status: PeerStatus.PEERED });
  reg.upsert('broker:e1', { protocol: 'broker', name: 'zeek', address: '::1', port: 9999, status: PeerStatus.CONNECTING });
  reg.traffic('legacy:1', { eventsIn: 3, eventsOut: 2, bytesIn: 300, bytesOut: 200, queueDepth: 4 });
  reg.traffic('legacy:1', { eventsIn: 1 });
  reg.setError('broker:e1', 'peer_unavailable', 'unable to connect to remote peer');
  const table = reg.statusTable().split('\n');
  assert.match(table[0]!, /^NAME\s+PROTOCOL\s+ADDRESS\s+STATUS\s+EVENTS IN\/OUT/);
  assert.match(table[1]!, /^broping\s+legacy\s+127\.0\.0\.1:47800\s+peered\s+4\/2\s+300\/200\s+-$/);
  assert.match(table[2]!, /^zeek\s+broker\s+\[::1\]:9999\s+connecting\s+0\/0\s+0\/0\s+peer_unavailable: unable to connect to remote peer$/);
  const drops = new TranslationDrops();
  drops.record('broker_to_legacy', 'x', translationError('no_legacy_type', 'none'));
  const text = prometheusText([...reg.metrics(), dropMetrics(drops)]);
  assert.match(text, /# TYPE comm_bridge_peers gauge\ncomm_bridge_peers\{protocol="legacy",status="peered"\} 1\ncomm_bridge_peers\{protocol="broker",status="connecting"\} 1\n/);
  assert.match(text, /comm_bridge_peer_events_total\{peer="broping",protocol="legacy",direction="in"\} 4\n/);
  assert.match(text, /comm_bridge_peer_queue_depth\{peer="broping",protocol="legacy"\} 4\n/);
  assert.match(text, /comm_bridge_translation_drops_total\{direction="broker_to_legacy",reason="no_legacy_type"\} 1\n/);
});

test('prometheus text escapes label values', () => {
  assert.is(
    prometheusText([{ name: 'm', help: 'h', type: 'gauge', samples: [{ labels: { peer: 'a"b\\c\nd' }, value: NaN }] }]),
    '# HELP m h\n# TYPE m gauge\nm{peer="a\\"b\\\\c\\nd"} NaN\n',
  );
});

test.run();
