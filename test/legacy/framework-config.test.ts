// The legacy config section: the seed's defaults, Bro patterns as anchored RegExps, ports,
// intervals, addresses and zone ids, and errors that name the node and the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import {
  BRIDGE_LEGACY_DEFAULTS,
  LEGACY_DEFAULTS,
  broPattern,
  canonicalAddress,
  describeIssue,
  expandPattern,
  legacyConfigSchema,
  parseLegacyConfig,
  parseHost,
  type LegacyConfigError,
} from '../../legacy/config/index.ts';
import { matchInbound, resolveNode } from '../../legacy/framework/nodes.ts';

function errorOf(input: unknown): LegacyConfigError {
  try {
    parseLegacyConfig(input);
  } catch (err) {
    return err as LegacyConfigError;
  }
  throw new Error('expected a config error');
}

test('the seed\'s Communication:: defaults', () => {
  const d = LEGACY_DEFAULTS;
  assert.equal(
    [d.listen_interface, d.listen_port, d.listen_ssl, d.listen_ipv6, d.listen_ipv6_zone_id, d.listen_retry, d.compression_level],
    ['0.0.0.0', 47757, false, false, '', 30, 0],
  );
  assert.equal(d.nodes, {});
  assert.is(BRIDGE_LEGACY_DEFAULTS.listen_interface, '127.0.0.1', 'the bridge listens on loopback unless told otherwise');
});

test('the seed\'s Communication::Node defaults; compression defaults to compression_level', () => {
  const c = parseLegacyConfig({ compression_level: 4, nodes: { w: { host: '10.0.0.1' }, z: { host: '10.0.0.2', compression: 0, p: '47761/tcp' } } });
  const w = c.nodes['w']!;
  assert.equal(
    [w.connect, w.retry, w.accept_input, w.sync, w.request_logs, w.auth, w.ssl, w.p, w.class, w.events, w.capture_filter, w.zone_id, w.compression],
    [false, 0, true, false, false, false, false, undefined, undefined, undefined, undefined, undefined, undefined],
  );
  const node = resolveNode('w', w, c);
  assert.equal([node.p, node.compression, node.connected, node.peer], [47757, 4, false, undefined]);
  const z0 = resolveNode('z', c.nodes['z']!, c);
  assert.equal([z0.p, z0.compression], [47761, 0]);
});

test('intervals and ports in Bro notation', () => {
  const c = parseLegacyConfig({ listen_retry: '2 mins', listen_port: '47760/tcp', nodes: { n: { host: '::1', retry: '500 msecs' } } });
  assert.equal([c.listen_retry, c.listen_port, c.nodes['n']!.retry], [120, 47760, 0.5]);
  assert.match(errorOf({ listen_port: 70000 }).message, /listen_port: 70000 is not a port/);
  assert.match(errorOf({ listen_port: '53/udp' }).message, /TCP only/);
  assert.match(errorOf({ listen_retry: 'soon' }).message, /listen_retry: "soon" is not an interval/);
});

test('errors name the node and the field; typos are unknown fields', () => {
  const e = errorOf({ nodes: { 'worker-1': { host: '10.0.0.1', events: '/(ping/', conect: true }, 'worker-2': { host: 'not-an-ip' } } });
  assert.is(e.code, 'config_invalid');
  assert.match(e.message, /node "worker-1": field events: "\/\(ping\/": not a valid pattern/);
  assert.match(e.message, /node "worker-1": field conect: unknown field \(not part of Communication::Node\)/);
  assert.match(e.message, /node "worker-2": field host: "not-an-ip" is not an IPv4 or IPv6 address/);
  assert.ok(e.field !== undefined && e.field.startsWith('nodes.worker-'));
  assert.match(errorOf({ nodes: { w: { host: '10.0.0.1', compression: 10 } } }).message, /node "w": field compression:/);
  assert.match(errorOf({ nodes: { w: {} } }).message, /node "w": field host:/);
  assert.match(errorOf({ nodes: { w: { host: '10.0.0.1', connected: true } } }).message, /field connected: unknown field/);
});

test('embedded as the daemon\'s `legacy` section, paths carry the prefix', () => {
  const daemon = z.strictObject({ legacy: legacyConfigSchema });
  const r = daemon.safeParse({ legacy: { nodes: { w: { host: '10.0.0.1', p: -1 } } } });
  assert.not.ok(r.success);
  if (r.success) return;
  const d = describeIssue(r.error.issues[0]!);
  assert.is(d.field, 'legacy.nodes.w.p');
  assert.match(d.text, /^node "w": field p: -1 is not a port/);
  const ok = daemon.parse({ legacy: {} });
  assert.equal(ok.legacy, LEGACY_DEFAULTS);
  assert.match(errorOf({ nodes: { w: { host: '1.2.3.4', p: 'x' } } }).message, /field p/);
  try {
    parseLegacyConfig({ listen_port: 'x' }, ['legacy']);
  } catch (err) {
    assert.is((err as LegacyConfigError).field, 'legacy.listen_port');
  }
});

test('addresses: canonical form, IPv4-mapped IPv6 is IPv4, zone ids only for non-global IPv6', () => {
  assert.is(parseLegacyConfig({ nodes: { n: { host: '2001:DB8:0:0::1' } } }).nodes['n']!.host, '2001:db8::1');
  assert.is(parseLegacyConfig({ nodes: { n: { host: '::ffff:10.0.0.1' } } }).nodes['n']!.host, '10.0.0.1');
  assert.is(canonicalAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.is(canonicalAddress('fe80::1%eth0'), 'fe80::1');
  assert.equal(parseHost('[::1]'), { family: 6, address: '::1', scoped: false });
  const c = parseLegacyConfig({ nodes: { ll: { host: 'fe80::1', zone_id: 'eth0' } } });
  assert.is(c.nodes['ll']!.zone_id, 'eth0');
  assert.match(errorOf({ nodes: { v4: { host: '10.0.0.1', zone_id: 'eth0' } } }).message, /node "v4": field zone_id: zone id "eth0" needs an IPv6 address/);
  assert.match(errorOf({ nodes: { g: { host: '2001:db8::1', zone_id: 'eth0' } } }).message, /only applies to non-global/);
  assert.match(errorOf({ nodes: { bad: { host: 'fe80::1', zone_id: 'eth 0' } } }).message, /is not an interface name/);
  assert.match(errorOf({ nodes: { z: { host: 'fe80::1%eth0' } } }).message, /put the zone id in its own field/);
  assert.match(errorOf({ listen_interface: '::1' }).message, /listen_ipv6: listen_interface ::1 is IPv6: set listen_ipv6 to true/);
  assert.match(errorOf({ listen_interface: '10.0.0.1', listen_ipv6_zone_id: 'eth0' }).message, /listen_ipv6_zone_id: zone id "eth0" needs an IPv6 address/);
  assert.is(parseLegacyConfig({ listen_interface: 'fe80::1', listen_ipv6: true, listen_ipv6_zone_id: 'lo' }).listen_ipv6_zone_id, 'lo');
});

test('Bro patterns: anchored at both ends, flex syntax translated, literal names found', () => {
  const rows: [string, string[], string[], string[] | undefined][] = [
    // pattern, matches, does not match, literal names
    ['/^(ping|pong)$/', ['ping', 'pong'], ['pingx', 'xping', 'pin'], ['ping', 'pong']],
    ['/FX::fxr_.*/', ['FX::fxr_ack', 'FX::fxr_'], ['FX::fx_bool', 'xFX::fxr_ack'], undefined],
    // Exact matching: this names the event "fx_" and nothing else (spec section 14.3).
    ['/^fx_/', ['fx_'], ['fx_bool', 'FX::fx_bool'], ['fx_']],
    ['/test1|test3|test5/', ['test1', 'test5'], ['test2', 'test1x'], ['test1', 'test3', 'test5']],
    ['/print_hook/', ['print_hook'], ['print_hooks'], ['print_hook']],
    ['brohose', ['brohose'], ['brohose2'], ['brohose']],
    ['/[[:alpha:]_]+/', ['abc_def'], ['abc1'], undefined],
    ['/"a.b"|c/', ['a.b', 'c'], ['axb'], ['a.b', 'c']],
    ['/[]x]+/', [']x]'], ['y'], undefined],
    ['/a\\.b/', ['a.b'], ['axb'], ['a.b']],
  ];
  for (const [text, yes, no, literal] of rows) {
    const p = broPattern(text);
    for (const n of yes) assert.ok(p.regexp.test(n), `${text} should match ${n}`);
    for (const n of no) assert.not.ok(p.regexp.test(n), `${text} should not match ${n}`);
    assert.equal(p.literalNames, literal, `${text} literal names`);
  }
  assert.throws(() => broPattern('//'), /empty pattern/);
  assert.throws(() => broPattern('/[[:nope:]]/'), /unknown character class/);
});

test('expandPattern: literal names plus the known names that match', () => {
  const known = ['FX::fxr_ack', 'FX::fx_bool', 'ping'];
  assert.equal(expandPattern(broPattern('/FX::fxr_.*/'), known), ['FX::fxr_ack']);
  assert.equal(expandPattern(broPattern('/^(ping|pong)$/'), known), ['ping', 'pong']);
  assert.equal(expandPattern(broPattern('/nothing.*/'), known), []);
});

test('inbound node matching: host and class (both empty, or equal), first match in table order', () => {
  const c = parseLegacyConfig({
    nodes: {
      plain: { host: '10.0.0.1' },
      alpha: { host: '10.0.0.1', class: 'alpha' },
      v6: { host: '2001:db8::5' },
    },
  });
  const nodes = Object.entries(c.nodes).map(([name, n]) => resolveNode(name, n, c));
  assert.is(matchInbound(nodes, '10.0.0.1', undefined)?.name, 'plain');
  assert.is(matchInbound(nodes, '::ffff:10.0.0.1', '')?.name, 'plain');
  assert.is(matchInbound(nodes, '10.0.0.1', 'alpha')?.name, 'alpha');
  assert.is(matchInbound(nodes, '10.0.0.1', 'beta'), undefined);
  assert.is(matchInbound(nodes, '10.0.0.2', undefined), undefined);
  assert.is(matchInbound(nodes, '2001:db8:0::5', undefined)?.name, 'v6');
});

test.run();
