// Zeek's message convention: building and parsing events (with and without metadata), log and
// identifier messages and batches, against the events in the captures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toHex } from '../../src/core/json.ts';
import { BrokerError } from '../../modern/errors.ts';
import { count, encodeData, enumValue, equalsData, renderData, str, timestamp, vector, type Data } from '../../modern/data/index.ts';
import { asZeekMessage, makeEvent, networkTimestamp, parseZeekMessage, toZeekData, type ZeekEvent, type ZeekMessage } from '../../modern/data/zeek-messages.ts';
import { decodeEnvelope, type Envelope } from '../../modern/native/index.ts';
import { payloadOf, referenceFrames } from './broker-fixtures.ts';

function captured(topic: string): Data {
  const ref = referenceFrames('native-alltypes').find((r) => r['topic'] === topic)!;
  return (decodeEnvelope(payloadOf(ref)) as Extract<Envelope, { type: 'data' }>).value;
}

test('events from the capture parse, and makeEvent rebuilds their exact bytes', () => {
  const ping = parseZeekMessage(captured('/bridge/test/event/ping')) as ZeekEvent;
  assert.is(ping.kind, 'event');
  assert.is(ping.name, 'ping');
  assert.is(ping.args.map(renderData).join(', '), "'hi', 42u");
  assert.is(ping.metadata, undefined);
  assert.is(toHex(encodeData(makeEvent('ping', [str('hi'), count(42)]))), toHex(encodeData(captured('/bridge/test/event/ping'))));

  const ts = parseZeekMessage(captured('/bridge/test/event/ts')) as ZeekEvent;
  assert.is(networkTimestamp(ts), 1_700_000_000_500_000_000n);
  assert.is(toHex(encodeData(makeEvent('bridge_with_ts', [str('x')], { networkTimestamp: 1_700_000_000_500_000_000n }))), toHex(encodeData(captured('/bridge/test/event/ts'))));

  const meta = parseZeekMessage(captured('/bridge/test/event/usermeta')) as ZeekEvent;
  assert.equal(meta.metadata!.map((m) => [m.key, renderData(m.value)]), [
    [1, 'ts(1700000000500000000ns)'],
    [200, "'custom'"],
  ]);
  assert.ok(equalsData(toZeekData(meta), captured('/bridge/test/event/usermeta')));

  const all = parseZeekMessage(captured('/bridge/test/event/all')) as ZeekEvent;
  assert.is(all.args.length, 29);
});

test('an empty metadata vector (Zeek 8) is kept apart from no metadata', () => {
  const e = makeEvent('x', [], { metadata: [] });
  assert.is(renderData(e), "[1u, 1u, ['x', [], []]]");
  assert.equal((parseZeekMessage(e) as ZeekEvent).metadata, []);
  assert.is(renderData(makeEvent('x', [])), "[1u, 1u, ['x', []]]");
});

test('log, identifier and batch messages round-trip', () => {
  const msgs: ZeekMessage[] = [
    { kind: 'log_create', streamId: 'Conn::LOG', writerId: 'Log::WRITER_ASCII', writerInfo: vector([str('conn')]), fields: vector([]) },
    { kind: 'log_write', streamId: 'Conn::LOG', writerId: 'Log::WRITER_ASCII', path: 'conn', serialData: new Uint8Array([0, 1, 0xff]) },
    { kind: 'identifier_update', name: 'Site::local_nets', value: count(3) },
  ];
  for (const m of msgs) assert.equal(parseZeekMessage(toZeekData(m)), m, m.kind);
  const batch: ZeekMessage = { kind: 'batch', messages: [{ kind: 'event', name: 'a', args: [] }, msgs[2]!] };
  assert.equal(parseZeekMessage(toZeekData(batch)), batch);
  assert.is(renderData(toZeekData(msgs[2]!)), "[1u, 4u, ['Site::local_nets', 3u]]");
});

test('values that break the convention are invalid_zeek_message; asZeekMessage just says no', () => {
  const bad: Data[] = [
    str('x'),
    vector([count(1), count(1)]),
    vector([count(2), count(1), vector([str('e'), vector([])])]),
    vector([{ type: 'integer', value: 1 }, count(1), vector([str('e'), vector([])])]),
    vector([count(1), count(9), vector([])]),
    vector([count(1), count(1), vector([str('e')])]),
    vector([count(1), count(1), vector([enumValue('e'), vector([])])]),
    vector([count(1), count(1), vector([str('e'), vector([]), vector([vector([count(1), str('not a time')])])])]),
    vector([count(1), count(1), vector([str('e'), vector([]), vector([vector([count(200)])])])]),
    vector([count(1), count(3), vector([enumValue('a'), enumValue('b'), str('p')])]),
  ];
  for (const v of bad) {
    assert.throws(() => parseZeekMessage(v), (e: unknown) => e instanceof BrokerError && e.code === 'invalid_zeek_message', renderData(v));
    assert.is(asZeekMessage(v), undefined);
  }
  assert.ok(asZeekMessage(makeEvent('ok', [timestamp(0)])));
});

test.run();
