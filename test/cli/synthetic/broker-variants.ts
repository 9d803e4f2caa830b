// SYNTHETIC Broker captures (native peering) from our own encoders: every data type and corner of
// the binary encoding, every Zeek message kind, all fourteen store commands, pings, frames Broker
// drops, and handshakes that end in drop_conn. See fixtures/synthetic/README.md.
import * as D from '../../../modern/data/index.ts';
import type { Data } from '../../../modern/data/index.ts';
import * as N from '../../../modern/native/index.ts';
import { TranscriptBuilder } from './session.ts';

const A = '11111111-1111-5111-8111-111111111111';
const B = '99999999-9999-5999-9999-999999999999';
const hs = N.encodeHandshake;
const env = (e: N.Envelope): Uint8Array => N.encodeEnvelope(e);
const join = (frames: Uint8Array[]): Uint8Array => Buffer.concat(frames);
const ent = (endpoint: string, object: number): N.EntityId => ({ endpoint, object });
const NIL = ent(N.NIL_ENDPOINT, 0);

/** Values the real captures do not show: extremes, empty and nested containers, long strings. */
export const BROKER_VALUES: readonly Data[] = [
  D.NONE,
  D.count(2n ** 64n - 1n),
  D.integer(-(2n ** 63n)),
  D.real(-0.1),
  D.real(Number.NaN),
  D.real(-Infinity),
  D.str(''),
  D.str('z'.repeat(20000)), // a 3-byte varbyte length
  D.str(new Uint8Array([0xff, 0x00, 0x41])),
  D.addr('::ffff:1.2.3.4'),
  D.addr('::'),
  D.subnet('0.0.0.0', 0),
  D.subnet('2001:db8::', 128),
  D.port(0, 'unknown'),
  D.port(65535, 'icmp'),
  D.timestamp(-1500000000n),
  D.timestamp(1700000000123456789n),
  D.timespan(0),
  D.timespan(-1),
  D.enumValue(''),
  D.set([]),
  D.set([D.count(1), D.str('x'), D.NONE, D.addr('1.2.3.4')]),
  D.table([[D.NONE, D.NONE]]),
  D.table([[D.vector([D.count(1), D.str('k')]), D.table([[D.set([D.str('in')]), D.vector([D.NONE, D.vector([D.vector([])])])]])]]),
  D.vector(Array.from({ length: 200 }, (_, i) => D.count(i))),
];

export function brokerAll(): string {
  const out = new TranscriptBuilder({ capture: 'broker-all', client: 'SYNTHETIC (our encoder)', server: 'SYNTHETIC (our encoder)', notes: 'SYNTHETIC: every data form, Zeek message kinds, store commands, dropped frames, drop_conn' });
  // conn 0: the connector has the smaller id and originates; its first frames arrive byte by byte.
  out.raw(0, 'c2s', hs(N.hello(A)), [1]);
  out.raw(0, 's2c', join([hs(N.probe()), hs(N.hello(B))]));
  out.raw(0, 'c2s', join([hs(N.versionSelect(A)), hs(N.originatorSyn(['/a', '/b/c', '']))]));
  out.raw(0, 's2c', hs(N.responderSynAck([])));
  out.raw(0, 'c2s', hs(N.originatorAck()));
  out.raw(0, 'c2s', join(BROKER_VALUES.map((v, i) => env(N.dataEnvelope(A, N.NIL_ENDPOINT, `/a/value/${i}`, v)))), [7, 1000, 3]);
  // What Broker drops: an empty frame (skipped silently), trailing bytes, a duplicate set element,
  // an unknown envelope type; the frame after them decodes.
  const good = env(N.dataEnvelope(A, B, '/a/after-bad', D.str('still here')));
  /** A data frame to `topic` whose body (after the 37 + topic bytes) is `body`. */
  const withBody = (topic: string, body: number[]) => N.frame(join([env(N.dataEnvelope(A, B, topic, D.NONE)).subarray(4, -1), new Uint8Array(body)]));
  const trailing = withBody('/a/trailing', [0x02, 0, 0, 0, 0, 0, 0, 0, 1, 0x00]);
  const dup = withBody('/a/dupset', [0x0c, 2, 0x02, 0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 0, 0, 0, 1]);
  const unknownType = env(N.dataEnvelope(A, B, '/a/type9', D.count(1)));
  unknownType[4 + 32] = 9;
  out.raw(0, 'c2s', join([new Uint8Array(4), trailing, dup, unknownType, good]));
  const ev = D.makeEvent('ev', [D.count(1), D.vector([D.str('rec'), D.NONE])], {
    metadata: [
      { key: 1, value: D.timestamp(1700000000000000000n) },
      { key: 200, value: D.str('u') },
    ],
  });
  const zeek: Data[] = [
    ev,
    D.makeEvent('ev_zeek8', [], { metadata: [] }),
    D.toZeekData({ kind: 'log_create', streamId: 'Conn::LOG', writerId: 'Log::WRITER_ASCII', writerInfo: D.vector([D.str('conn'), D.NONE]), fields: D.vector([]) }),
    D.toZeekData({ kind: 'log_write', streamId: 'Conn::LOG', writerId: 'Log::WRITER_ASCII', path: 'conn', serialData: new Uint8Array([0, 1, 2, 255]) }),
    D.toZeekData({ kind: 'identifier_update', name: 'Test::x', value: D.table([[D.str('a'), D.count(1)]]) }),
    D.toZeekData({ kind: 'batch', messages: [D.parseZeekMessage(ev), D.parseZeekMessage(D.makeEvent('in_batch', [D.bool(true)]))] }),
  ];
  out.raw(0, 's2c', join(zeek.map((v, i) => env(N.dataEnvelope(B, N.NIL_ENDPOINT, `zeek/x/${i}`, v)))));
  const ping = N.ping(A, B, new Uint8Array([1, 2, 3]));
  out.raw(0, 'c2s', join([env(N.routingUpdate(A, B, ['/a', '/z'])), env(ping), env(N.ping(A, B, new Uint8Array(0)))]));
  out.raw(0, 's2c', env(N.pongFor(ping)));
  const cmds: N.CommandMessage[] = [
    { seq: 1, sender: ent(B, 8), receiver: NIL, command: { type: 'put', key: D.str('k'), value: D.count(1), publisher: ent(B, 8) } },
    { seq: 2, sender: ent(B, 8), receiver: NIL, command: { type: 'put', key: D.str('k'), value: D.count(1), expiry: 2000000000, publisher: ent(B, 8) } },
    { seq: 3, sender: ent(A, 7), receiver: ent(B, 8), command: { type: 'put_unique', key: D.str('u'), value: D.set([]), expiry: 5, who: ent(A, 9), reqId: 1, publisher: ent(A, 7) } },
    { seq: 4, sender: ent(B, 8), receiver: NIL, command: { type: 'put_unique_result', inserted: true, who: ent(A, 9), reqId: 1, publisher: ent(B, 8) } },
    { seq: 5, sender: ent(B, 8), receiver: NIL, command: { type: 'erase', key: D.count(7), publisher: ent(B, 8) } },
    { seq: 6, sender: ent(B, 8), receiver: NIL, command: { type: 'expire', key: D.count(7), publisher: ent(B, 8) } },
    { seq: 7, sender: ent(A, 7), receiver: ent(B, 8), command: { type: 'add', key: D.str('c'), value: D.count(1), initType: 'count', expiry: -1, publisher: ent(A, 7) } },
    { seq: 8, sender: ent(A, 7), receiver: ent(B, 8), command: { type: 'subtract', key: D.str('c'), value: D.count(1), publisher: ent(A, 7) } },
    { seq: 9, sender: ent(A, 7), receiver: ent(B, 8), command: { type: 'clear', publisher: ent(A, 7) } },
    { seq: 0, sender: ent(A, 7), receiver: ent(B, 8), command: { type: 'attach_writer', offset: 1, heartbeatInterval: 5 } },
    { seq: 0, sender: ent(A, 7), receiver: NIL, command: { type: 'keepalive', seq: 9 } },
    { seq: 0, sender: ent(B, 8), receiver: ent(A, 7), command: { type: 'cumulative_ack', seq: 2n ** 64n - 1n } },
    { seq: 0, sender: ent(A, 7), receiver: NIL, command: { type: 'nack', seqs: [3, 4, 2n ** 63n] } },
    { seq: 1, sender: ent(B, 8), receiver: ent(A, 7), command: { type: 'ack_clone', offset: 1, heartbeatInterval: 5, snapshot: [[D.str('k'), D.count(1)], [D.vector([]), D.NONE]] } },
    { seq: 0, sender: ent(B, 8), receiver: ent(A, 7), command: { type: 'retransmit_failed', seq: 3 } },
  ];
  out.raw(0, 's2c', join(cmds.map((command) => env({ type: 'command', ...N.header(B, A, 'st/<$>/data/clone'), command }))));
  out.eof(0, 'c2s');
  out.eof(0, 's2c');
  // conn 1: a hello with a bad magic, answered by drop_conn code 38.
  out.event('accepted', 1);
  const badHello = hs(N.hello(A));
  badHello.set([0, 0, 0, 0], 5);
  out.raw(1, 'c2s', badHello);
  out.raw(1, 's2c', join([hs(N.probe()), hs(N.dropConn(B, 38 as N.DropConn['code'], 'wrong magic number'))]));
  out.eof(1, 's2c');
  // conn 2: versions 2..3 offered; a drop_conn with a code Broker does not know and a long text.
  out.raw(2, 'c2s', hs({ ...N.hello(A), minVersion: 2, maxVersion: 3 }));
  out.raw(2, 's2c', join([hs(N.probe()), hs({ ...N.dropConn(B, 2 as N.DropConn['code'], 'x'.repeat(300)), rawCode: 250 })]));
  out.eof(2, 's2c');
  return out.text();
}
