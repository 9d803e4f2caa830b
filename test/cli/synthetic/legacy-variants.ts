// SYNTHETIC legacy captures exercising what the spec allows but no real capture shows. Every
// builder returns transcript text; fixtures/synthetic/README.md says what each one holds.
import * as L from '../../../legacy/codec/index.ts';
import type { Attributes, BroType, BroVal, IdObj, LegacyMessage, RecordType } from '../../../legacy/codec/index.ts';
import { LegacyConnection, TranscriptBuilder } from './session.ts';

const { BASE } = L;
const HEADER = (capture: string, notes: string) => ({ capture, client: 'SYNTHETIC (our encoder)', server: 'SYNTHETIC (our encoder)', notes });

const version = (cacheSize: number, runtime: number, cls?: string, headerPad = 0): LegacyMessage => ({
  type: 'VERSION',
  protocol: 7,
  cacheSize,
  dataFormat: 26,
  runtime,
  ...(cls !== undefined ? { class: cls } : {}),
  ...(headerPad !== 0 ? { headerPad } : {}),
});
const caps = (flags: number): LegacyMessage => ({ type: 'CAPS', flags, reserved: [0, 0] });
const DONE: LegacyMessage = { type: 'PHASE_DONE' };

function idBody(name: string, value: BroVal, attrs: Attributes | null, scope = 2, isExport = false): IdObj {
  return { name, scope, isExport, isConst: scope === 2 && !isExport ? 1 : 0, isEnumConst: 0, isType: 0, offset: 0, inferReturnType: false, weakRef: false, type: value.type, attrs, value };
}
const peerDescription = (text: string): LegacyMessage => ({ type: 'SERIAL', body: { kind: 'id', id: idBody('peer_description', L.stringVal(text), { type: BASE.string, attrs: [{ tag: 2 }] }) } });
const ev = (name: string, args: BroVal[], time = 1795318587.25): LegacyMessage => ({ type: 'SERIAL', body: L.eventBody(name, args, time) });
const state = (op: number, target: string, op1: BroVal, op2: BroVal | null = null): LegacyMessage => ({ type: 'SERIAL', body: { kind: 'state', access: { op, target, op1, op2, op3: null } } });
const funcType = (yieldType: BroType | null, flavor: number): BroType => ({
  kind: 'func',
  tag: 'func',
  internal: 7,
  networkOrder: false,
  baseType: false,
  name: '',
  yield: yieldType,
  args: L.recordType('', [{ name: 'x', type: BASE.count }]),
  argTypes: L.typeList([BASE.count]),
  flavor,
});
const fileType: BroType = { kind: 'file', tag: 'file', internal: 7, networkOrder: false, baseType: false, name: '', yield: BASE.string };
const opaqueType = (name: string): BroType => ({ kind: 'opaque', tag: 'opaque', internal: 7, networkOrder: false, baseType: false, name: '', opaqueName: name });
/** A record type whose fields carry the given attribute tags (no expressions: BROCCOLI_PEER style). */
function record(name: string, fields: { name: string; type: BroType; tags?: number[] }[]): RecordType {
  const r = L.recordType(name, fields.map((f) => ({ name: f.name, type: f.type })));
  r.fields!.forEach((f, i) => {
    const tags = fields[i]!.tags;
    if (tags !== undefined) f.attrs = { type: f.type, attrs: tags.map((tag) => ({ tag })) };
  });
  return r;
}

/**
 * Bro <-> Bro: both sides REQUEST_SYNC (the longer-running side sends state), both directions
 * compressed (zlib level 0 one way, 9 the other), the state sender's chunks cut into PARTIAL pieces
 * of at most 100 bytes, the other side's bytes in reads of 1, 2, 3, 5, 8 ... bytes; every value form
 * the fixtures lack, back-references to a value sent earlier, SYNC_POINT, REMOTE_PRINT, a 28-byte
 * PING, an exported ID.
 */
export function legacySyncCompress(): string {
  const out = new TranscriptBuilder(HEADER('legacy-sync-compress', 'SYNTHETIC: both sides sync, two-way compression, PARTIAL pieces, tiny reads, extra value forms'));
  const c = new LegacyConnection(out, 0, { s2c: { maxPiece: 100 } });
  const FIB = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];
  c.send('c2s', [version(3000, 0, '', 0xabcdef), peerDescription('syn-a')], [3, 5, 7, 1, 11, 2]);
  c.send('s2c', [version(3000, 7, '', 0x123456), peerDescription('syn-b')]);
  c.send('s2c', [caps(13), { type: 'REQUEST_EVENTS', events: ['SY::ev'] }, { type: 'REQUEST_SYNC', authoritative: false }, DONE]);
  c.send('c2s', [caps(13), { type: 'REQUEST_EVENTS', events: ['SY::ack', 'print_hook'] }, { type: 'CAPTURE_FILTER', filter: 'udp and port 53' }, { type: 'REQUEST_SYNC', authoritative: false }, DONE], [1]);
  c.send('c2s', [{ type: 'COMPRESS', level: 0 }]);
  c.send('s2c', [{ type: 'COMPRESS', level: 9 }]);
  // SYNC: s2c (runtime 7 > 0) sends its state with 32-bit ids and the old strategy.
  const tab = { ...L.tableVal(L.tableType([BASE.string], BASE.count), [[L.stringVal('alpha'), L.countVal(1)], [L.stringVal('beta'), L.countVal(2)]]), props: 2, id: '#vm#4242#1' };
  const set = { ...L.setVal(L.setType([BASE.addr]), [L.addrVal('10.0.0.1')]), props: 2, id: '#vm#4242#2' };
  c.send('s2c', [state(1, 'sync_count', L.countVal(5)), state(1, 'sync_tab', tab), state(1, 'sync_set', set), state(1, 'sync_str', L.stringVal('initial')), DONE], [13, 4, 90]);
  c.running('c2s');
  c.running('s2c');
  c.send('s2c', [
    state(4, 'sync_count', L.countVal(6), L.countVal(5)),
    state(2, '#vm#4242#1', L.listVal([L.stringVal('gamma')]), L.countVal(3)),
    state(6, '#vm#4242#1', L.listVal([L.stringVal('alpha')])),
    state(3, '#vm#4242#2', L.listVal([L.addrVal('10.0.0.2')])),
    state(1, 'sync_str', L.stringVal('updated')),
  ]);
  const Color = L.enumType('SY::Color', ['SY::RED', 'SY::GREEN', 'SY::BLUE', ['SY::BIG', 2n ** 40n]]);
  const Inner = L.recordType('SY::Inner', [
    { name: 'a', type: BASE.count },
    { name: 'b', type: BASE.string, optional: true },
  ]);
  const vecInner = L.vectorType(Inner);
  const Mid = L.recordType('SY::Mid', [
    { name: 'inner', type: Inner },
    { name: 'list', type: vecInner },
    { name: 'c', type: Color },
  ]);
  const Odd = record('SY::Odd', [
    { name: 'f', type: funcType(BASE.bool, 0), tags: [0] },
    { name: 'fl', type: fileType, tags: [0] },
    { name: 'o', type: opaqueType('md5'), tags: [0] },
    { name: 'n', type: BASE.counter, tags: [18, 2] },
  ]);
  const Outer = L.recordType('SY::Outer', [
    { name: 'mid', type: Mid },
    { name: 'odd', type: Odd },
    { name: 'when', type: BASE.interval },
  ]);
  const multiT = L.tableType([BASE.addr, BASE.port, BASE.string], Inner);
  const vvT = L.vectorType(L.vectorType(BASE.count));
  const nestT = L.tableType([BASE.string], L.tableType([BASE.count], BASE.string));
  const inner1 = L.recordVal(Inner, [L.countVal(1), L.stringVal('one')]);
  const inner2 = L.recordVal(Inner, [L.countVal(2), null]);
  const mid = L.recordVal(Mid, [inner1, L.vectorVal(vecInner, [inner2, null, L.recordVal(Inner, [L.countVal(3), L.stringVal('')])]), L.enumVal(Color, 'SY::BIG')]);
  const outer = L.recordVal(Outer, [mid, L.recordVal(Odd, [null, null, null, L.counterVal(2n ** 64n - 1n)]), L.intervalVal(-1.5)]);
  const shared = L.tableVal(multiT, [
    [[L.addrVal('10.1.2.3'), L.portVal(53, 'udp'), L.stringVal('dns')], inner1],
    [[L.addrVal('2001:db8::2'), L.portVal(0, 'unknown'), L.stringVal('')], inner2],
  ]);
  const inner = vvT.yield as L.VectorType;
  c.send(
    'c2s',
    [
      ev('SY::ev', [outer]),
      ev('SY::ev', [shared, L.setVal(L.setType([Inner]), [inner1, inner2])]),
      ev('SY::ev', [L.vectorVal(vvT, [L.vectorVal(inner, [L.countVal(1), L.countVal(2)]), null, L.vectorVal(inner, [])])]),
      ev('SY::ev', [L.tableVal(nestT, [[L.stringVal('k'), L.tableVal(nestT.yield as L.TableType, [[L.countVal(9), L.stringVal('nine')]])]])]),
      ev('SY::ev', [L.counterVal(7), L.intervalVal(0.000001), L.subnetVal('2001:db8:1:2::/64'), L.subnetVal('::/0'), L.subnetVal('10.1.2.3/32'), L.portVal(3, 'icmp'), L.portVal(0, 'unknown'), L.portVal(65535, 'udp')]),
      ev('SY::ev', [{ kind: 'enum', type: Color, value: 77, name: null }, L.enumVal(Color, 'SY::RED'), L.intVal(-(2n ** 63n)), L.intVal(2n ** 63n - 1n), L.countVal(2n ** 64n - 1n), L.boolVal(false)]),
      ev('SY::ev', [L.doubleVal(-0.25), L.timeVal(-1.5), L.timeVal(0)]),
      ev('SY::ev', [L.stringVal(new Uint8Array([0x61, 0xff, 0xfe, 0x00, 0x5c, 0x62])), L.stringVal(''), L.stringVal('x'.repeat(3000)), L.addrVal('::ffff:1.2.3.4'), L.addrVal('::'), L.addrVal('0.0.0.0')]),
      ev('SY::ev', [L.patternVal('a|b\\/c'), L.patternVal('')]),
      ev('SY::ev', [shared]), // the same table again: a back-reference to the value
      ev('SY::ev', []),
    ],
    FIB,
  );
  const idTab = L.tableVal(L.tableType([BASE.string], BASE.count), [[L.stringVal('z'), L.countVal(26)]]);
  c.send('s2c', [
    { type: 'REMOTE_PRINT', records: [{ file: '/dev/stdout', text: 'hello' }, { file: 'out.txt', text: '' }, { file: 'out.txt', text: 'ünïcödé' }] },
    { type: 'SYNC_POINT', point: 1 },
    { type: 'SYNC_POINT', point: 0xffffffff },
    { type: 'PING', seq: 7, pad: 0xdeadbeef, time1: 1795318587.1, time2: 1795318587.2, time3: 0, size: 32 },
    { type: 'PING', seq: 8, pad: 0, time1: 1795318587.1, time2: 1795318587.2, time3: 0, size: 28 },
    { type: 'SERIAL', body: { kind: 'id', id: idBody('SY::tab', idTab, { type: idTab.type, attrs: [{ tag: 2 }, { tag: 12 }] }, 1, true) } },
    ev('SY::ack', [L.stringVal('done'), L.countVal(11)]),
  ]);
  c.send('c2s', [{ type: 'PONG', seq: 7, pad: 0xdeadbeef, time1: 1795318587.1, time2: 1795318587.2, time3: 0.0001, size: 32 }]);
  c.eof();
  return out.text();
}

/**
 * Bro <-> Bro logs: REQUEST_LOGS, a LOG_CREATE_WRITER with every column type (a secondary name,
 * config entries) and a LOG_WRITE batch of three entries (unset values, nested sets/vectors, v4/v6
 * subnets); then the server dies in the middle of a message and the client goes on.
 */
export function legacyLogsCut(): string {
  const out = new TranscriptBuilder(HEADER('legacy-logs-cut', 'SYNTHETIC: every log column type; the server stops mid-message'));
  const c = new LegacyConnection(out);
  c.send('s2c', [version(3000, 3, ''), peerDescription('logs-server')]);
  c.send('c2s', [version(3000, 0, ''), peerDescription('logs-client')]);
  c.send('c2s', [caps(13), { type: 'REQUEST_LOGS' }, DONE]);
  c.send('s2c', [caps(13), DONE]);
  const col = (name: string, type: L.LogField['type'], subtype: L.LogField['subtype'] = 'void', optional = false): L.LogField => ({ name, type, subtype, optional });
  const fields = [
    col('ts', 'time'), col('b', 'bool'), col('i', 'int'), col('c', 'count'), col('ctr', 'counter'), col('d', 'double'), col('iv', 'interval'),
    col('s', 'string', 'void', true), col('p', 'port'), col('a', 'addr', 'void', true), col('n', 'subnet'), col('e', 'enum'), col('f', 'file', 'void', true),
    col('fn', 'func', 'void', true), col('st', 'table', 'addr'), col('vv', 'vector', 'string'), { ...col('id.orig_h', 'addr'), secondaryName: 'orig' },
  ];
  c.send('s2c', [{ type: 'LOG_CREATE_WRITER', stream: 13, writer: 1, path: 'synlog', rotationBase: 0, rotationInterval: 3600, networkTime: 1795318587.5, config: [['tsv', 'T'], ['', '']], fields }]);
  const row = (k: number): L.LogValue[] => [
    { type: 'time', value: 1500000000 + k }, { type: 'bool', value: k % 2 === 0 }, { type: 'int', value: -k }, { type: 'count', value: 2n ** 64n - 1n },
    { type: 'counter', value: k }, { type: 'double', value: 0.1 }, { type: 'interval', value: -2.5 }, { type: 'string', value: k === 1 ? null : 'tab\there' },
    { type: 'port', value: { port: 8, proto: 'icmp' } }, { type: 'addr', value: k === 1 ? null : '2001:db8::7' }, { type: 'subnet', value: k === 0 ? '10.0.0.0/8' : '2001:db8::/48' },
    { type: 'enum', value: 'Conn::LOG' }, { type: 'file', value: null }, { type: 'func', value: 'my_func' },
    { type: 'table', value: [{ type: 'addr', value: '1.2.3.4' }, { type: 'addr', value: '::1' }] },
    { type: 'vector', value: k === 0 ? [] : [{ type: 'string', value: 'x' }, { type: 'string', value: null }] }, { type: 'addr', value: '127.0.0.1' },
  ];
  const entries = [
    { stream: 13, writer: 1, path: 'synlog', values: row(0) },
    { stream: 12, writer: 1, path: 'communication', values: [{ type: 'string' as const, value: 'peer' }] },
    { stream: 13, writer: 1, path: 'synlog', values: row(1) },
  ];
  c.send('s2c', [{ type: 'LOG_WRITE', entries }], [4, 4, 4, 1000]);
  c.running('c2s');
  c.running('s2c');
  c.send('s2c', [ev('big', [L.stringVal('y'.repeat(2000)), L.countVal(1)], 1795318588)], [500, 12, 7]);
  c.send('c2s', [ev('after', [L.countVal(2)], 1795318588)]);
  const tail = c.bytes('s2c', [ev('cut', [L.stringVal('never complete')], 1795318589)]);
  out.raw(0, 's2c', tail.subarray(0, tail.length - 5));
  out.eof(0, 's2c');
  c.send('c2s', [{ type: 'PING', seq: 1, pad: 0, time1: 1, time2: 2, time3: 0, size: 32 }]);
  out.eof(0, 'c2s');
  return out.text();
}

function broccoliSession(c: LegacyConnection, n: number): void {
  c.enc.c2s.serial.format = { pid64: false, newCacheStrategy: false, caching: false };
  c.enc.s2c.serial.format = { pid64: false, newCacheStrategy: false, caching: false };
  c.send('c2s', [version(1000, 0)]);
  c.send('s2c', [version(3000, 3, ''), peerDescription('bro'), caps(13), { type: 'REQUEST_EVENTS', events: ['brov'] }, DONE]);
  c.send('c2s', [{ type: 'REQUEST_EVENTS', events: ['pong'] }, caps(0x12), DONE]);
  const bt = (tag: 'count' | 'addr'): BroType => L.basicType(tag, { baseType: false });
  const rv: BroVal = { kind: 'record', type: { kind: 'byname', name: 'conn_id' }, props: 0, id: '', fields: [{ kind: 'addr', type: bt('addr'), value: '10.0.0.1' }, null] };
  const en: BroVal = { kind: 'enum', type: { kind: 'byname', name: 'transport_proto' }, value: 1, name: null };
  const sv: BroVal = { kind: 'string', type: { kind: 'byname', name: 'mystr' }, value: 'by name' };
  const vec: BroVal = { kind: 'vector', type: { kind: 'byname', name: 'string_vec' }, props: 0, id: '', elements: [L.stringVal('a')] };
  c.send('c2s', [ev('brov', [rv, en, sv, vec, { kind: 'count', type: bt('count'), value: n }], 1795318400.5)]);
  c.send('s2c', [ev('pong', [L.countVal(n)], 1795318400.6)]);
}

/**
 * Two Broccoli connections interleaved in one capture: types sent by name (record, enum, string,
 * vector), base_type 0 everywhere, pid 0; then a stray 3-byte chunk where a header is due (which
 * Broccoli skips), two SERIAL 'p' packets (the second malformed) and a value whose layout needs a
 * type sent only by name (skipped with an error).
 */
export function legacyBroccoliMulti(): string {
  const out = new TranscriptBuilder(HEADER('legacy-broccoli-multi', 'SYNTHETIC: two interleaved Broccoli connections, types by name, a stray chunk'));
  const a = new LegacyConnection(out, 0);
  const b = new LegacyConnection(out, 1);
  broccoliSession(a, 0);
  broccoliSession(b, 1);
  out.raw(1, 'c2s', new Uint8Array([0, 0, 0, 3, 1, 2, 3]));
  b.send('c2s', [ev('brov', [L.countVal(99)], 1)]);
  // SERIAL 'p' (brosendpkts): seconds, microseconds, wire length, link type, tag, captured bytes;
  // the second one's data length overruns its chunk.
  const packet = (dataLength: number) => {
    const frame = Buffer.from('ffffffffffff000000000001080045000014000100004006f97c0a0000010a000002', 'hex');
    const p = Buffer.alloc(1 + 16 + 4 + 3 + 4 + frame.length);
    p[0] = 0x70;
    p.writeUInt32BE(1795318401, 1);
    p.writeUInt32BE(250000, 5);
    p.writeUInt32BE(frame.length + 6, 9);
    p.writeInt32BE(1, 13);
    p.writeUInt32BE(3, 17);
    p.write('pkt', 21);
    p.writeUInt32BE(dataLength, 24);
    frame.copy(p, 28);
    return Buffer.concat([Buffer.from([0, 0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 0, p.length]), p]);
  };
  out.raw(1, 'c2s', Buffer.concat([packet(34), packet(40)]));
  // SER_VAL with a type by name: its payload width is unknown without the type.
  const serial = [0x65, 0, 0, 0, 4, ...Buffer.from('brov'), 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0x88, 0x01, 0, 0, 0, 0, 0, 7, ...Buffer.from('mycount'), 0, 0, 0, 0, 0, 0, 0, 5];
  out.raw(0, 'c2s', new Uint8Array([0, 0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, serial.length, ...serial]));
  a.send('c2s', [ev('brov', [L.countVal(3)], 3)]);
  a.eof();
  b.eof();
  return out.text();
}

/**
 * Bro -> Broccoli `connection_finished(c: connection)`-style events: large named record types
 * (field attributes, a 40-name enum, function, file and opaque field types, a table of records
 * with `any` yields), no caching (pid 0, 32-bit), delivered in 1460-byte reads.
 */
export function legacyBroconn(): string {
  const out = new TranscriptBuilder(HEADER('legacy-broconn', 'SYNTHETIC: big connection records to a Broccoli peer in 1460-byte reads'));
  const c = new LegacyConnection(out);
  c.send('c2s', [version(1000, 0)]);
  c.send('s2c', [version(3000, 3, ''), peerDescription('bro'), caps(13), DONE]);
  c.send('c2s', [{ type: 'REQUEST_EVENTS', events: ['connection_finished'] }, caps(0x12), DONE]);
  c.enc.s2c.serial.format = { pid64: false, newCacheStrategy: false, caching: false };
  const tags = L.enumType('Analyzer::Tag', Array.from({ length: 40 }, (_, i) => `Analyzer::ANALYZER_X${String(i).padStart(4, '0')}`));
  const proto = L.enumType('transport_proto', ['unknown_transport', 'tcp', 'udp', 'icmp']);
  const connId = record('conn_id', [
    { name: 'orig_h', type: BASE.addr, tags: [18] },
    { name: 'orig_p', type: BASE.port, tags: [18] },
    { name: 'resp_h', type: BASE.addr, tags: [18] },
    { name: 'resp_p', type: BASE.port, tags: [18] },
  ]);
  const endpoint = record('endpoint', [
    { name: 'size', type: BASE.count },
    { name: 'state', type: BASE.count },
    { name: 'num_pkts', type: BASE.count, tags: [0] },
    { name: 'l2_addr', type: BASE.string, tags: [0] },
  ]);
  const queue = record('Queue::Queue', [
    { name: 'initialized', type: BASE.bool },
    { name: 'vals', type: L.tableType([BASE.count], BASE.any) },
    { name: 'hook', type: funcType(null, 2), tags: [0] },
  ]);
  const info = record('Conn::Info', [
    { name: 'ts', type: BASE.time, tags: [18] },
    { name: 'uid', type: BASE.string, tags: [18] },
    { name: 'id', type: connId, tags: [18] },
    { name: 'proto', type: proto, tags: [18] },
    { name: 'duration', type: BASE.interval, tags: [18, 0] },
    { name: 'analyzers', type: L.setType([tags]), tags: [0, 1] },
    { name: 'log_file', type: fileType, tags: [0] },
    { name: 'digest', type: opaqueType('sha1'), tags: [0] },
    { name: 'q', type: L.tableType([BASE.count], queue), tags: [0, 1, 7] },
  ]);
  const conn = record('connection', [
    { name: 'id', type: connId },
    { name: 'orig', type: endpoint },
    { name: 'resp', type: endpoint },
    { name: 'start_time', type: BASE.time },
    { name: 'service', type: L.setType([BASE.string]) },
    { name: 'history', type: BASE.string },
    { name: 'tunnel', type: L.vectorType(record('EncapsulatingConn', [{ name: 'cid', type: connId }])), tags: [0] },
    { name: 'vlan', type: BASE.int, tags: [0] },
    { name: 'conn', type: info, tags: [0] },
  ]);
  const field = (r: RecordType, i: number) => r.fields![i]!.type as never;
  const events = [1].map((i) => {
    const id = L.recordVal(connId, [L.addrVal(`10.0.0.${i}`), L.portVal(40000 + i, 'tcp'), L.addrVal(`2001:db8::${i}`), L.portVal(80, 'tcp')]);
    const ep = L.recordVal(endpoint, [L.countVal(100), L.countVal(5), L.countVal(3), null]);
    const q = L.recordVal(queue, [L.boolVal(true), L.tableVal(field(queue, 1), [[L.countVal(1), L.stringVal('any string')], [L.countVal(2), L.countVal(2)]]), null]);
    const inf = L.recordVal(info, [
      L.timeVal(1795318400.25), L.stringVal(`Cabc${i}`), id, L.enumVal(proto, 'tcp'), L.intervalVal(0.5),
      L.setVal(field(info, 5), [L.enumVal(tags, 'Analyzer::ANALYZER_X0017')]), null, null, L.tableVal(field(info, 8), [[L.countVal(7), q]]),
    ]);
    return ev('connection_finished', [L.recordVal(conn, [id, ep, ep, L.timeVal(1795318400.25), L.setVal(field(conn, 4), [L.stringVal('http')]), L.stringVal('ShADadFf'), null, L.intVal(-1), inf])], 1795318400 + i);
  });
  c.send('s2c', events, [1460]);
  c.eof();
  return out.text();
}

/**
 * LRU eviction: a Bro announcing a cache of 8 entries talks to a peer that announced PID_64BIT but
 * not NEW_CACHE_STRATEGY (old strategy: types and values share one list). Record types cycle, so
 * types are evicted and sent again in full with new pids while recently used ones are referenced.
 */
export function legacyLruOldStrategy(): string {
  const out = new TranscriptBuilder(HEADER('legacy-lru-old-strategy', 'SYNTHETIC: sender cache of 8 entries, old cache strategy, eviction and back-references'));
  const c = new LegacyConnection(out, 0, { s2c: { serial: { cacheSize: 8 } } });
  c.send('c2s', [version(3000, 0, ''), peerDescription('peer')]);
  c.send('s2c', [version(8, 5, ''), peerDescription('bro')]);
  c.send('s2c', [caps(13), DONE]);
  c.send('c2s', [caps(0x05), { type: 'REQUEST_EVENTS', events: ['lru'] }, DONE]);
  c.running('s2c', { pid64: true, newCacheStrategy: false, caching: true });
  const types = [0, 1, 2, 3].map((i) => L.recordType(`LRU::R${i}`, [{ name: `f${i}`, type: BASE.count }, { name: 'g', type: BASE.string }]));
  const order = [0, 1, 0, 2, 3, 0, 1, 1, 2, 0, 3, 3, 1];
  c.send('s2c', order.map((k, n) => ev('lru', [L.recordVal(types[k]!, [L.countVal(n), L.stringVal(`e${n}`)])], 1795318500 + n)), [37]);
  c.eof();
  return out.text();
}
