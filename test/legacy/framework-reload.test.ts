// Reloading the nodes table at runtime (the daemon's SIGHUP) and sending to chosen peers:
// unchanged nodes keep their connections, removed and changed ones are dropped, new ones dialled;
// options that only apply at start are reported, not applied; a bad table changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal } from '../../legacy/codec/builders.ts';
import { LegacyConfigError } from '../../legacy/config/index.ts';
import { planReload, resolveNode, type Node } from '../../legacy/framework/index.ts';
import { LEGACY_DEFAULTS } from '../../legacy/config/index.ts';
import { startFramework, until, type Harness } from './framework-helpers.ts';

const running = (h: Harness, n = 1): Promise<void> => until(() => h.of('remote_connection_handshake_done').length >= n, 'handshake done');

function table(nodes: Record<string, Parameters<typeof resolveNode>[1]>): Map<string, Node> {
  return new Map(Object.entries(nodes).map(([k, v]) => [k, resolveNode(k, v, LEGACY_DEFAULTS)]));
}

const node = (host: string, extra: Partial<Parameters<typeof resolveNode>[1]> = {}): Parameters<typeof resolveNode>[1] => ({
  host, connect: false, retry: 0, accept_input: true, sync: false, request_logs: false, auth: false, ssl: false, ...extra,
});

test('planReload: unchanged / changed / added / removed by every configured field', () => {
  const before = table({ a: node('10.0.0.1'), b: node('10.0.0.2', { events: '/x/' }), c: node('10.0.0.3') });
  const after = table({ a: node('10.0.0.1'), b: node('10.0.0.2', { events: '/y/' }), d: node('10.0.0.4') });
  assert.equal(planReload(before, after), { added: ['d'], removed: ['c'], changed: ['b'], unchanged: ['a'] });
  // The port resolved from listen_port counts, not how it was written.
  const explicit = new Map([['a', resolveNode('a', node('10.0.0.1', { p: 47757 }), LEGACY_DEFAULTS)]]);
  assert.equal(planReload(table({ a: node('10.0.0.1') }), explicit).unchanged, ['a']);
  assert.equal(planReload(table({ a: node('10.0.0.1') }), table({ a: node('10.0.0.1', { retry: 5 }) })).changed, ['a']);
});

test('reload_nodes: an unchanged peer stays connected, a removed one is dropped, a new one dialled', async () => {
  const b = await startFramework({ nodes: { a: { host: '127.0.0.1' } } });
  const c = await startFramework({ nodes: { a: { host: '127.0.0.1' } } });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true, retry: 1 } } });
  await running(a);
  const bId = [...a.fw.connected_peers.keys()][0]!;
  const bNode = a.fw.nodes.get('b');

  const r = a.fw.reload_nodes({ listen: false, listen_interface: '127.0.0.1', listen_port: 1, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true, retry: '1 sec' }, c: { host: '127.0.0.1', p: c.port, connect: true } } });
  assert.equal(r, { added: ['c'], removed: [], changed: [], unchanged: ['b'], needsRestart: ['listen_port'] });
  assert.is(a.fw.config.listen_port, 0, 'start-only options keep their running values');
  assert.is(a.fw.nodes.get('b'), bNode, 'the unchanged node keeps its Node object');
  await running(a, 2);
  assert.equal([...a.fw.connected_peers.values()].map((n) => n.name).sort(), ['b', 'c']);
  assert.is(a.of('remote_connection_closed').length, 0, 'nothing was dropped');
  assert.ok(a.fw.connected_peers.has(bId));

  // An invalid table changes nothing.
  assert.throws(() => a.fw.reload_nodes({ nodes: { x: { host: 'nope' } } }, ['legacy']), (e: unknown) => e instanceof LegacyConfigError && e.field === 'legacy.nodes.x.host');
  assert.equal([...a.fw.nodes.keys()], ['b', 'c']);

  // Remove b, change c (retry): b is dropped for good, c reconnects.
  const r2 = a.fw.reload_nodes({ listen: false, listen_interface: '127.0.0.1', listen_port: 0, nodes: { c: { host: '127.0.0.1', p: c.port, connect: true, retry: 2 } } });
  assert.equal(r2, { added: [], removed: ['b'], changed: ['c'], unchanged: [], needsRestart: [] });
  await until(() => a.of('remote_connection_closed').length === 2, 'b and the old c closed');
  await running(a, 3);
  assert.equal([...a.fw.connected_peers.values()].map((n) => n.name), ['c']);
  assert.is(a.fw.pending_peers.size, 0, 'b is not retried');
  assert.match(a.log(), /nodes reloaded: added c \(needs a restart: listen_port\)/);
  await a.fw.stop();
  await b.fw.stop();
  await c.fw.stop();
});

test('send_event with `to`: chosen RUNNING peers whatever they requested, never exceptPeer', async () => {
  const b = await startFramework({ nodes: { a: { host: '127.0.0.1' } } });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true } } });
  await running(a);
  await running(b);
  const id = [...b.fw.connected_peers.keys()][0]!;
  assert.is(b.fw.send_event('unrequested', [countVal(1)]), 0, 'nobody requested it');
  assert.is(b.fw.send_event('unrequested', [countVal(2)], { to: [id] }), 1);
  assert.is(b.fw.send_event('unrequested', [countVal(3)], { to: [id], exceptPeer: id }), 0);
  assert.is(b.fw.send_event('unrequested', [countVal(4)], { to: [424242] }), 0, 'unknown ids are skipped');
  await until(() => a.of('remote_event').length === 1, 'the event at a');
  assert.equal(a.of('remote_event').map(([e]) => e.args[0]), [countVal(2)]);
  assert.ok(b.fw.peers()[0]!.queuedBytes >= 0);
  await a.fw.stop();
  await b.fw.stop();
});

test('remote_connection_closed is raised with the tables settled: a retried node is back in pending_peers', async () => {
  const b = await startFramework({ nodes: { a: { host: '127.0.0.1' } } });
  const a = await startFramework({ listen: false, nodes: { b: { host: '127.0.0.1', p: b.port, connect: true, retry: 1 } } });
  await running(a);
  const seen: string[] = [];
  a.fw.on('remote_connection_closed', (p) => seen.push(`pending=${a.fw.pending_peers.has(p.id)} connected=${a.fw.connected_peers.has(p.id)}`));
  await b.fw.stop();
  await until(() => seen.length === 1, 'closed at a');
  assert.equal(seen, ['pending=true connected=false']);
  await a.fw.stop();
});

test.run();
