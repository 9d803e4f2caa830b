// Decoded views of Broker values that must not lose information: timestamps Broker's text cannot
// show (sub-millisecond, pre-epoch) carry their nanoseconds; a Zeek batch lists its messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataToJsonObject } from '../../modern/data/json-object.ts';
import { count, str, timestamp, vector } from '../../modern/data/values.ts';
import { makeEvent, parseZeekMessage, toZeekData } from '../../modern/data/zeek-messages.ts';
import { dataEnvelope, NIL_ENDPOINT, envelopeView } from '../../modern/native/index.ts';

test('timestamps keep their nanoseconds when the millisecond text cannot show them', () => {
  assert.equal(dataToJsonObject(timestamp(1700000000500000000n)), { '@data-type': 'timestamp', data: '2023-11-14T22:13:20.500' });
  assert.equal(dataToJsonObject(timestamp(1700000000123456789n)), { '@data-type': 'timestamp', data: '2023-11-14T22:13:20.123', ns: 1700000000123456789n });
  // Broker renders pre-epoch values wrongly; the exact value is kept beside its text.
  assert.equal(dataToJsonObject(timestamp(-1500000000)), { '@data-type': 'timestamp', data: '1969-12-31T23:59:59.000', ns: -1500000000 });
  assert.equal(dataToJsonObject(timestamp(0)), { '@data-type': 'timestamp', data: '1970-01-01T00:00:00.000' });
});

test('a Zeek batch shows each message it carries', () => {
  const ev = makeEvent('ping', [str('hi'), count(42)], { networkTimestamp: 1700000000000000001n });
  const batch = toZeekData({ kind: 'batch', messages: [parseZeekMessage(ev), parseZeekMessage(makeEvent('pong', []))] });
  const view = envelopeView(dataEnvelope('11111111-1111-5111-8111-111111111111', NIL_ENDPOINT, 'zeek/t', batch));
  assert.is(view['zeek'], 'batch');
  assert.is(view['messages'], 2);
  assert.equal(view['batch'], [
    {
      zeek: 'event',
      event: 'ping',
      args: [{ '@data-type': 'string', data: 'hi' }, { '@data-type': 'count', data: 42 }],
      metadata: [{ key: 1, value: { '@data-type': 'timestamp', data: '2023-11-14T22:13:20.000', ns: 1700000000000000001n } }],
    },
    { zeek: 'event', event: 'pong', args: [] },
  ]);
  assert.equal(envelopeView(dataEnvelope('11111111-1111-5111-8111-111111111111', NIL_ENDPOINT, 'x', vector([count(1)])))['zeek'], undefined);
});

test.run();
