// ClientSession without sockets: a fake link records what the server would put on the wire and
// can pretend to be congested, so queueing, overflow policies, input numbering and error order are
// checked exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { count, dataMessageToJson, str, type Data } from '../../modern/data/index.ts';
import { LocalHub } from '../../modern/local-hub.ts';
import { ClientSession, SessionState, type ClientLink, type SessionConfig } from '../../modern/websocket/index.ts';
import type { OverflowPolicy, WebSocketFlavor } from '../../modern/websocket/options.ts';
import { Observer } from './websocket-helpers.ts';

class FakeLink implements ClientLink {
  sent: string[] = [];
  congested = false;
  closedWith: { code: number; reason: string } | undefined;
  dropped = false;
  sendText(text: Uint8Array | string): void {
    this.sent.push(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }
  drop(): void {
    this.dropped = true;
  }
}

interface Setup {
  hub: LocalHub;
  link: FakeLink;
  session: ClientSession;
  log: string[];
}

function setup(o: { flavor?: WebSocketFlavor; maxQueue?: number; overflow?: OverflowPolicy } = {}): Setup {
  const hub = new LocalHub('77777777-7777-5777-8777-777777777777');
  const link = new FakeLink();
  const log: string[] = [];
  const config: SessionConfig = {
    flavor: o.flavor ?? 'broker',
    version: o.flavor === 'zeek' ? '8.0.0' : '2.8.0-dev',
    maxQueue: o.maxQueue ?? 3,
    overflow: o.overflow ?? 'disconnect',
    encode: (topic: string, value: Data) => Buffer.from(dataMessageToJson(topic, value)),
    events: {
      added: (s) => log.push(`added ${s.info.subscriptions.join(',')}`),
      lost: () => log.push('lost'),
      overflow: (_s, disconnected) => log.push(`overflow ${disconnected}`),
      internalError: (_s, err) => log.push(`internal ${String(err)}`),
    },
  };
  const session = new ClientSession(hub, link, config, { address: '127.0.0.1', port: 5555 }, 'tester');
  return { hub, link, session, log };
}

const msg = (topic: string, n: number) => dataMessageToJson(topic, count(n));
const text = (s: string) => Buffer.from(s);

test('subscription → ack first, then attached with the subscriptions as filter', () => {
  const { hub, link, session, log } = setup();
  session.onText(text('["/a","/b"]'));
  assert.equal(link.sent, ['{"type":"ack","endpoint":"77777777-7777-5777-8777-777777777777","version":"2.8.0-dev"}']);
  assert.is(session.state, SessionState.ACTIVE);
  assert.equal(log, ['added /a,/b']);
  hub.publish('/a/1', count(1));
  hub.publish('/c/1', count(2));
  hub.publish('/bx', count(3));
  assert.equal(link.sent.slice(1), [msg('/a/1', 1), msg('/bx', 3)], 'prefix match like Broker: /b matches /bx');
});

test('input numbering counts every text after the subscription; errors keep the connection open', () => {
  const { hub, link, session } = setup();
  const seen = new Observer(hub, ['/t']);
  session.onText(text('[]'));
  session.onText(text('How is it going?'));
  session.onText(text('"str"'));
  session.onText(text(msg('/t/ok', 7)));
  session.onText(text('{"type":"data-message","topic":"/t/x","@data-type":"count","data":1.0}'));
  session.onText(text('{"type":"data-message","topic":"/t/d","@data-type":"set","data":[{"@data-type":"count","data":1},{"@data-type":"count","data":1}]}'));
  session.onText(text('{"@data-type":"count","data":5}'));
  session.onText(text(msg('/t/ok2', 8)));
  assert.equal(link.sent.slice(1), [
    '{"type":"error","code":"deserialization_failed","context":"input #1 contained malformed JSON -> caf::pec::unexpected_character(1, 1)"}',
    '{"type":"error","code":"deserialization_failed","context":"input #2 expected a JSON object"}',
    '{"type":"error","code":"deserialization_failed","context":"input #4 contained invalid data"}',
    '{"type":"error","code":"deserialization_failed","context":"input #5 caused an internal error -> deserialization_failed(\\"failed to parse data\\")"}',
  ]);
  assert.equal(
    seen.received.map((r) => r.topic),
    ['/t/ok', '/t/ok2'],
  );
  assert.is(session.counters.inputs, 7);
  assert.is(session.counters.published, 2);
  assert.is(session.state, SessionState.ACTIVE);
});

test('never receives its own publications; other participants do', () => {
  const a = setup();
  const other = new Observer(a.hub, ['/x']);
  a.session.onText(text('["/x"]'));
  a.session.onText(text(msg('/x/1', 1)));
  assert.is(a.link.sent.length, 1, 'only the ack');
  assert.is(other.received.length, 1);
  assert.is(other.received[0]!.origin.participant, a.session.id);
  other.handle.publish('/x/2', count(2));
  assert.equal(a.link.sent.slice(1), [msg('/x/2', 2)]);
});

test('broker flavor: bad first message → Close 1011 with Broker reason, detached', () => {
  for (const first of ['{"not":"an array"}', '[1]', 'garbage']) {
    const { link, session, log } = setup();
    session.onText(text(first));
    assert.equal(link.closedWith, { code: 1011, reason: 'caf::sec::disposed("destroyed producer_resource without opening it")' }, first);
    assert.is(link.sent.length, 0);
    assert.is(session.state, SessionState.CLOSED);
    assert.equal(log, [], 'never added, so never lost');
  }
});

test('zeek flavor: bad subscriptions → error reply, no ack, later input ignored; ack with -websocket- id; missing topic refused', () => {
  const bad = setup({ flavor: 'zeek' });
  bad.session.onText(text('{"not":"an array"}'));
  bad.session.onText(text('["/a"]'));
  assert.equal(bad.link.sent, ['{"type":"error","code":"deserialization_failed","context":"subscriptions not an array"}']);
  assert.is(bad.session.state, SessionState.REFUSED);
  const notString = setup({ flavor: 'zeek' });
  notString.session.onText(text('["/a", 1]'));
  assert.equal(notString.link.sent, ['{"type":"error","code":"deserialization_failed","context":"individual subscription not a string"}']);
  const ok = setup({ flavor: 'zeek' });
  ok.session.onText(text('[]'));
  assert.is(ok.link.sent[0], `{"type":"ack","endpoint":"77777777-7777-5777-8777-777777777777-websocket-${ok.session.id}","version":"8.0.0"}`);
  ok.session.onText(text('{"@data-type":"count","data":5}'));
  assert.is(ok.link.sent[1], '{"type":"error","code":"deserialization_failed","context":"no topic in top-level JSON object"}');
});

test('binary frame → dropped without a Close frame, detached', () => {
  const { hub, link, session, log } = setup();
  session.onText(text('["/a"]'));
  session.onBinary();
  assert.ok(link.dropped);
  assert.is(link.closedWith, undefined);
  assert.is(hub.size, 0);
  assert.equal(log, ['added /a', 'lost']);
});

test('congested socket: messages queue and flush in order on drain, errors in line with data', () => {
  const { hub, link, session } = setup({ maxQueue: 10 });
  session.onText(text('["/q"]'));
  link.congested = true;
  hub.publish('/q/1', count(1));
  session.onText(text('bad'));
  hub.publish('/q/2', count(2));
  assert.is(link.sent.length, 1);
  assert.is(session.queued, 3);
  link.congested = false;
  session.onDrain();
  assert.equal(link.sent.slice(1), [msg('/q/1', 1), '{"type":"error","code":"deserialization_failed","context":"input #1 contained malformed JSON -> caf::pec::unexpected_character(1, 1)"}', msg('/q/2', 2)]);
  assert.is(session.queued, 0);
});

test('overflow disconnect: the client that does not keep up is dropped, the others keep receiving', () => {
  const slow = setup({ maxQueue: 2, overflow: 'disconnect' });
  const fastLink = new FakeLink();
  const fast = new ClientSession(slow.hub, fastLink, { ...(slow.session as unknown as { config: SessionConfig }).config }, { address: '127.0.0.1', port: 1 }, undefined);
  slow.session.onText(text('["/q"]'));
  fast.onText(text('["/q"]'));
  slow.link.congested = true;
  for (let i = 1; i <= 4; i++) slow.hub.publish(`/q/${i}`, count(i));
  assert.ok(slow.link.dropped);
  assert.is(slow.session.state, SessionState.CLOSED);
  assert.is(slow.session.counters.dropped, 3, 'two queued and the one that did not fit');
  assert.equal(slow.log, ['added /q', 'added /q', 'overflow true', 'lost'], 'the fast session shares the event log');
  assert.is(fastLink.sent.length, 5, 'ack + all four');
});

test('overflow drop_oldest / drop_newest keep the connection and count drops', () => {
  for (const [policy, expect] of [
    ['drop_oldest', [3, 4]],
    ['drop_newest', [1, 2]],
  ] as const) {
    const { hub, link, session, log } = setup({ maxQueue: 2, overflow: policy });
    session.onText(text('["/q"]'));
    link.congested = true;
    for (let i = 1; i <= 4; i++) hub.publish(`/q/${i}`, count(i));
    assert.is(session.counters.dropped, 2, policy);
    assert.equal(log.filter((l) => l.startsWith('overflow')), ['overflow false', 'overflow false']);
    link.congested = false;
    session.onDrain();
    assert.equal(link.sent.slice(1), expect.map((i) => msg(`/q/${i}`, i)), policy);
    assert.is(session.state, SessionState.ACTIVE);
  }
});

test('an encoder failure is reported as internal, never thrown into the hub', () => {
  const { hub, link, session, log } = setup();
  (session as unknown as { config: SessionConfig }).config.encode = () => {
    throw new Error('boom');
  };
  session.onText(text('["/q"]'));
  hub.publish('/q/1', str('x'));
  assert.is(link.sent.length, 1);
  assert.ok(log.some((l) => l.startsWith('internal')));
});

test.run();
