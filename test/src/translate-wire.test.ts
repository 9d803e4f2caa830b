// The whole pure path on real data: Broker events from the captures -> legacy events -> the legacy
// wire (SERIAL bytes, every format) -> decoded again, and through the Translator facade with a
// LocalHub standing in for the Broker endpoint.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZodError } from 'zod';
import { LegacyStreamDecoder, LegacyStreamEncoder, type SerialEvent } from '../../legacy/codec/index.ts';
import { parseZeekMessage, type Data, type ZeekEvent } from '../../modern/data/index.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { PeerStatus } from '../../modern/constants.ts';
import { prometheusText } from '../../src/translate/metrics.ts';
import { Translator } from '../../src/translate/translator.ts';
import { brokerEventToLegacy, legacyEventToBroker } from '../../src/translate/events.ts';
import { FX_TYPES, brokerValues, canon, fxContext, hex, legacyEvents } from './translate-helpers.ts';

const cx = fxContext();
const FORMATS = [
  { pid64: false, newCacheStrategy: false, caching: false },
  { pid64: false, newCacheStrategy: false, caching: true },
  { pid64: true, newCacheStrategy: true, caching: true },
];

function wire(events: SerialEvent[], format: (typeof FORMATS)[number]): SerialEvent[] {
  const enc = new LegacyStreamEncoder({ serial: { format } });
  const dec = new LegacyStreamDecoder({ serial: { format } });
  for (const body of events) dec.push(enc.encode({ type: 'SERIAL', body }));
  return dec.drain().map((m) => {
    if (m.type !== 'SERIAL' || m.body.kind !== 'event') throw new Error(`not an event: ${m.type}`);
    return m.body;
  });
}

test('translated FX events encode on the legacy wire and decode to the same values (every SERIAL format)', () => {
  const fx = legacyEvents('bro-bro-types').map((e) => e.event);
  const translated = fx.map((ev) => brokerEventToLegacy(parseZeekMessage(legacyEventToBroker(ev, cx)) as ZeekEvent, cx, () => 0));
  for (const format of FORMATS) {
    const decoded = wire(translated, format);
    assert.is(decoded.length, fx.length);
    decoded.forEach((d, i) => {
      assert.is(d.name, fx[i]!.name);
      assert.equal(d.args.map(canon), fx[i]!.args.map(canon), `${d.name} ${JSON.stringify(format)}`);
      // And from the wire back to Broker: the bytes a Zeek peer would get.
      assert.is(hex(legacyEventToBroker(d, cx)), hex(legacyEventToBroker(fx[i]!, cx)), d.name);
    });
  }
});

test('Broker values inferred without declarations encode on the legacy wire too', () => {
  const values = brokerValues('native-alltypes').filter((v) => v.topic.startsWith('/bridge/test/value/') && !/\/(none|set)$/.test(v.topic));
  const events = values.map((v) => brokerEventToLegacy({ kind: 'event', name: 'v', args: [v.value] }, cx, () => 0));
  for (const format of FORMATS) {
    wire(events, format).forEach((d, i) => {
      assert.is(hex(legacyEventToBroker(d, cx, { networkTimestamp: false })), hex(legacyEventToBroker(events[i]!, cx, { networkTimestamp: false })), values[i]!.topic);
      const args = (parseZeekMessage(legacyEventToBroker(d, cx)) as ZeekEvent).args;
      assert.is(hex(args[0]!), hex(values[i]!.value), values[i]!.topic);
    });
  }
});

test('Translator: one config validated (errors name the path), parts wired, metrics of peers and drops', () => {
  let err: unknown;
  try {
    new Translator({ types: { events: { e: ['sett[string]'] } }, routing: { echo_window_ms: -1 } });
  } catch (e) {
    err = e;
  }
  assert.instance(err, ZodError);
  const paths = (err as ZodError).issues.map((i) => i.path.join('.'));
  assert.ok(paths.includes('types.events.e.0') && paths.includes('routing.echo_window_ms'), paths.join(' '));

  const drops: string[] = [];
  const t = new Translator({ types: FX_TYPES, routing: { subscribe: ['zeek/to-legacy/'] } }, { now: () => 5000, onDrop: (d) => drops.push(d.code) });
  assert.equal(t.router.subscriptions(), ['zeek/to-legacy/']);
  const hub = new LocalHub();
  const got: { topic: string; value: Data }[] = [];
  hub.attach({ id: 'zeek', onData: (topic, value) => got.push({ topic, value }) }, ['zeek/legacy/']);
  const bridge = hub.attach({ id: 'bridge', onData: () => undefined }, t.router.subscriptions());
  const sensor = { id: 1, node: 'sensor-1', running: true, requested: new Set<string>() };
  const fxBool = legacyEvents('bro-bro-types')[0]!.event;
  for (const p of t.router.fromLegacy(sensor, fxBool)!.publications) bridge.publish(p.topic, p.message);
  assert.equal(got.map((g) => [g.topic, (parseZeekMessage(g.value) as ZeekEvent).name]), [['zeek/legacy/sensor-1/', 'FX::fx_bool']]);
  t.peers.upsert('legacy:1', { protocol: 'legacy', name: 'sensor-1', address: '10.0.0.7', port: 47757, peerId: 1, status: PeerStatus.PEERED });
  t.router.fromBroker('zeek/to-legacy/', got[0]!.value, { hop: hub.nodeId }, [{ ...sensor, id: 2, requested: new Set(['FX::fx_bool']) }]);
  t.router.fromBroker('zeek/to-legacy/', { type: 'string', value: 'junk' }, { hop: hub.nodeId }, []);
  assert.equal(drops, ['not_an_event']);
  const text = prometheusText(t.metrics());
  assert.match(text, /comm_bridge_peers\{protocol="legacy",status="peered"\} 1/);
  assert.match(text, /comm_bridge_translation_drops_total\{direction="broker_to_legacy",reason="not_an_event"\} 1/);
});

test.run();
