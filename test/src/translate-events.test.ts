// Event routing: topics for legacy events, which legacy peers get a Broker event, loop rules and
// counted drops. Events are the real ones from the captures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { eventBody, type BroVal } from '../../legacy/codec/index.ts';
import { count, makeEvent, parseZeekMessage, str, NONE, type Data, type ZeekEvent } from '../../modern/data/index.ts';
import { TranslationDrops } from '../../src/translate/drops.ts';
import { EventRouter, routingConfigSchema, wantsEvent, type LegacyPeerView, type RoutingConfigInput } from '../../src/translate/router.ts';
import { brokerValues, fxContext, hex, legacyEvents } from './translate-helpers.ts';

const cx = fxContext();
const fx = legacyEvents('bro-bro-types').filter((e) => e.dir === 'c2s').map((e) => e.event);
const fxBool = fx.find((e) => e.name === 'FX::fx_bool')!;
const broker = brokerValues('native-alltypes');
const ping = broker.find((v) => v.topic === '/bridge/test/event/ping')!.value;

function peer(id: number, node: string, requested: string[] = [], extra: Partial<LegacyPeerView> = {}): LegacyPeerView {
  return { id, node, running: true, requested: new Set(requested), ...extra };
}

function router(config: RoutingConfigInput = {}) {
  let now = 1_000_000;
  const drops = new TranslationDrops({ now: () => now });
  const r = new EventRouter({ config, cx, drops, now: () => now });
  return { r, drops, advance: (ms: number) => (now += ms) };
}

const origin = { hop: '11111111-1111-1111-1111-111111111111' };

test('legacy events go to zeek/legacy/<node>/ and the topics configured for the event', () => {
  const { r } = router({ events: { 'FX::fx_bool': { topics: ['zeek/fx/bools', 'zeek/cluster/manager'] } } });
  const route = r.fromLegacy(peer(1, 'sensor-1'), fxBool)!;
  assert.equal(route.publications.map((p) => p.topic), ['zeek/legacy/sensor-1/', 'zeek/fx/bools', 'zeek/cluster/manager']);
  const msg = parseZeekMessage(route.publications[0]!.message) as ZeekEvent;
  assert.is(msg.name, 'FX::fx_bool');
  assert.equal(msg.metadata?.map((m) => Number(m.key)), [1]);
  assert.is(route.publications[1]!.message, route.publications[0]!.message);
  assert.equal(route.forwards, []);
});

test('the legacy topic is a template; empty switches it off; network timestamps can be left out', () => {
  const { r } = router({ legacy_topic: 'legacy/{event}/{node}', network_timestamp: false });
  const route = r.fromLegacy(peer(1, 'w1'), fxBool)!;
  assert.equal(route.publications.map((p) => p.topic), ['legacy/FX::fx_bool/w1']);
  assert.is((parseZeekMessage(route.publications[0]!.message) as ZeekEvent).metadata, undefined);
  assert.equal(router({ legacy_topic: '' }).r.fromLegacy(peer(1, 'w1'), fxBool)!.publications, []);
});

test('subscriptions: the configured prefixes plus the per-event topics that lead back to legacy', () => {
  const { r } = router({
    subscribe: ['zeek/legacy/in/'],
    events: { a: { topics: ['t/a'] }, b: { topics: ['t/b'], to_legacy: false }, c: { topics: ['zeek/legacy/in/'] } },
  });
  assert.equal(r.subscriptions(), ['zeek/legacy/in/', 't/a']);
});

test('a Broker event goes to running peers that requested it or whose events pattern matches', () => {
  const { r } = router();
  const peers = [
    peer(1, 'asked', ['ping']),
    peer(2, 'pattern', [], { eventsPattern: /pi.g/ }),
    peer(3, 'pattern-partial', [], { eventsPattern: /pin/ }),
    peer(4, 'not-running', ['ping'], { running: false }),
    peer(5, 'other', ['pong']),
    peer(6, 'function', [], { eventsPattern: (n) => n.startsWith('p') }),
  ];
  const routes = r.fromBroker('/bridge/test/event/ping', ping, origin, peers);
  assert.is(routes.length, 1);
  assert.equal(routes[0]!.targets.map((p) => p.node), ['asked', 'pattern', 'function']);
  const ev = routes[0]!.event;
  assert.is(ev.name, 'ping');
  assert.equal(ev.args.map((a: BroVal) => a.kind), ['string', 'count']);
});

test('Bro patterns match whole event names', () => {
  const p = peer(1, 'x', [], { eventsPattern: /FX::fx_.*/ });
  assert.ok(wantsEvent(p, 'FX::fx_bool'));
  assert.not.ok(wantsEvent(p, 'MY::FX::fx_bool'));
  assert.not.ok(wantsEvent(peer(1, 'x'), 'FX::fx_bool'));
});

test('loops: events published for a legacy peer are not sent to legacy peers again', () => {
  const { r } = router();
  const src = peer(1, 'sensor', ['FX::fx_bool']);
  const route = r.fromLegacy(src, fxBool, [src, peer(2, 'other', ['FX::fx_bool'])])!;
  assert.equal(route.forwards, [], 'forward_remote_events is off by default');
  r.bindParticipant('legacy-endpoint-1', 1);
  const back = r.fromBroker('zeek/legacy/sensor/', route.publications[0]!.message, { hop: origin.hop, participant: 'legacy-endpoint-1' }, [src, peer(2, 'other', ['FX::fx_bool'])]);
  assert.equal(back, []);
  r.unbindParticipant('legacy-endpoint-1');
  const later = r.fromBroker('zeek/legacy/sensor/', route.publications[0]!.message, { hop: origin.hop, participant: 'legacy-endpoint-1' }, [peer(2, 'other', ['FX::fx_bool'])]);
  assert.is(later.length, 1);
});

test('forward_remote_events: to the other legacy peers that want it, never back to the sender', () => {
  const { r } = router({ forward_remote_events: true });
  const src = peer(1, 'a', ['FX::fx_bool']);
  const route = r.fromLegacy(src, fxBool, [src, peer(2, 'b', ['FX::fx_bool']), peer(3, 'c'), peer(4, 'd', ['FX::fx_bool'], { running: false })])!;
  assert.equal(route.forwards.map((p) => p.node), ['b']);
});

test('echo: an event a peer sends back right after getting it from Broker is dropped, later it is not', () => {
  const { r, drops, advance } = router({ echo_window_ms: 500 });
  const p = peer(7, 'bro', ['ping']);
  const [route] = r.fromBroker('t', ping, origin, [p]);
  // Another peer sending the same event is not an echo.
  assert.ok(r.fromLegacy(peer(8, 'someone-else'), route!.event) !== undefined);
  assert.is(r.fromLegacy(p, route!.event), undefined);
  assert.is(drops.count('echo_suppressed'), 1);
  assert.equal(drops.recent()[0]?.peer, 'bro');
  r.fromBroker('t', ping, origin, [p]);
  advance(501);
  assert.ok(r.fromLegacy(p, route!.event) !== undefined);
  assert.is(drops.count('echo_suppressed'), 1);
  // Different arguments are not an echo.
  r.fromBroker('t', ping, origin, [p]);
  const other = eventBody('ping', [route!.event.args[0]!, { ...route!.event.args[1]!, value: 43 } as BroVal], 0);
  assert.ok(r.fromLegacy(p, other) !== undefined);
});

test('drops are counted with their reason and direction, and nothing throws', () => {
  const { r, drops } = router();
  const peers = [peer(1, 'a', ['withnone', 'ping', 'FX::fx_count'])];
  assert.equal(r.fromBroker('t', makeEvent('withnone', [NONE]), origin, peers), []);
  assert.equal(r.fromBroker('t', makeEvent('FX::fx_count', [str('not a count')]), origin, peers), []);
  assert.equal(r.fromBroker('t', str('not a Zeek message'), origin, peers), []);
  const logWrite: Data = { type: 'vector', elements: [count(1), count(3), { type: 'vector', elements: [
    { type: 'enum_value', value: 'X::LOG' }, { type: 'enum_value', value: 'Log::WRITER_ASCII' }, str('x'), str(''),
  ] }] };
  assert.equal(r.fromBroker('zeek/logs/X', logWrite, origin, peers), []);
  const broccoliEnum = eventBody('e', [{ kind: 'enum', type: { kind: 'byname', name: 'Nope' }, value: 1, name: null }], 0);
  assert.is(r.fromLegacy(peer(2, 'b'), broccoliEnum), undefined);
  assert.equal(
    drops.rows().sort((x, y) => (x.reason < y.reason ? -1 : 1)),
    [
      { direction: 'broker_to_legacy', reason: 'no_legacy_type', count: 1 },
      { direction: 'broker_to_legacy', reason: 'not_an_event', count: 2 },
      { direction: 'broker_to_legacy', reason: 'type_mismatch', count: 1 },
      { direction: 'legacy_to_broker', reason: 'unresolved_enum', count: 1 },
    ],
  );
  assert.is(drops.count(), 5);
});

test('an event nobody wants is not translated (so not dropped either)', () => {
  const { r, drops } = router();
  assert.equal(r.fromBroker('t', makeEvent('withnone', [NONE]), origin, [peer(1, 'a')]), []);
  assert.is(drops.count(), 0);
});

test('a Batch of events gives one route per event', () => {
  const { r } = router();
  const batch: Data = { type: 'vector', elements: [count(1), count(5), { type: 'vector', elements: [ping, makeEvent('pong', [count(1)])] }] };
  const routes = r.fromBroker('t', batch, origin, [peer(1, 'a', ['ping', 'pong'])]);
  assert.equal(routes.map((x) => x.event.name), ['ping', 'pong']);
});

test('Broker -> legacy -> Broker through the router is byte-exact for the FX events', () => {
  const { r } = router({ network_timestamp: true });
  for (const ev of fx) {
    const pub = r.fromLegacy(peer(1, 'sender'), ev)!.publications[0]!;
    const [route] = r.fromBroker('zeek/legacy/sender/', pub.message, origin, [peer(2, 'receiver', [ev.name])]);
    const again = r.fromLegacy(peer(3, 'third'), route!.event)!.publications[0]!;
    assert.is(hex(again.message), hex(pub.message), ev.name);
  }
});

test('routing config: defaults, and errors naming the path', () => {
  const c = routingConfigSchema.parse({});
  assert.is(c.legacy_topic, 'zeek/legacy/{node}/');
  assert.is(c.echo_window_ms, 1000);
  const bad = routingConfigSchema.safeParse({ subscribe: ['<$>/local/data/statuses'], events: { x: { topic: 'y' } } });
  assert.not.ok(bad.success);
  const paths = (bad.error as ZodError).issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('subscribe.0'), paths.join(' '));
  assert.ok(paths.includes('events.x'), paths.join(' '));
});

test.run();
