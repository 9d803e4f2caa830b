// Every message of every legacy capture decodes to what the capture README says it carries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lines, replay } from './helpers.ts';

const bro = (runtime: number, cls = "''") => `VERSION 7 3000 26 ${runtime} ${cls}`;
const broccoli = 'VERSION 7 1000 26 0 -';
const pd = (name: string) => `ID peer_description = "${name}"`;

/** fx-sender's events; the order of set/table elements follows each Bro's hash order. */
function fxEvents(tags: string, table: string, set: string): string[] {
  return [
    'event FX::fx_bool(T)',
    'event FX::fx_int(int:-42)',
    'event FX::fx_count(count:42)',
    'event FX::fx_double(double:3.5)',
    'event FX::fx_time(time:1500000000.5)',
    'event FX::fx_interval(interval:90)',
    'event FX::fx_string("hello\\u0000world")',
    'event FX::fx_port(80/tcp, 53/udp, 8/icmp)',
    'event FX::fx_addr(addr:192.168.1.2, addr:2001:db8::1)',
    'event FX::fx_subnet(subnet:10.0.0.0/8, subnet:2001:db8::/32)',
    'event FX::fx_enum(FX::GREEN(1))',
    'event FX::fx_record([a=count:7, b="seven"])',
    `event FX::fx_outer([name="outer", inner=[a=count:7, b="seven"], tags=set{${tags}}, nums=vector(count:1, count:2, count:3), stamp=time:1500000000.25, maybe=<unset>])`,
    `event FX::fx_table(table{${table}})`,
    `event FX::fx_set(set{${set}})`,
    'event FX::fx_table2(table{addr:10.1.2.3,53/udp->"dns"})',
    'event FX::fx_vector(vector("a", "b", "c"))',
    'event FX::fx_pattern(pattern/^?(fo+[a-z])$?/)',
    'event FX::fx_multi([a=count:7, b="seven"], [a=count:8, b=<unset>], FX::RED(0), FX::BLUE(2))',
    'event FX::fx_done(count:19)',
  ];
}

function fxAcks(outerTags: string): string[] {
  const texts = [
    'bool T',
    'int -42',
    'count 42',
    'double 3.5',
    'time 1500000000.5',
    'interval 1.0 min 30.0 secs',
    'string hello\\u0000world',
    'port 80/tcp 53/udp 8/icmp',
    'addr 192.168.1.2 2001:db8::1',
    'subnet 10.0.0.0/8 2001:db8::/32',
    'enum FX::GREEN',
    'record [a=7, b=seven]',
    `outer [name=outer, inner=[a=7, b=seven], tags={\\n${outerTags}\\n}, nums=[1, 2, 3], stamp=1500000000.25, maybe=<uninitialized>]`,
    'table 2',
    'set 3',
    'table2 1',
    'vector [a, b, c]',
    'pattern /^?(fo+[a-z])$?/',
    'multi [a=7, b=seven] [a=8, b=<uninitialized>] FX::RED FX::BLUE',
    'done 19',
  ];
  return texts.map((t, i) => `event FX::fxr_ack("${t}", count:${i + 1})`);
}

const senderHandshake = ['CAPS 0xd', 'REQUEST_EVENTS FX::fxr_ack', "CAPTURE_FILTER 'tcp port 80'", 'PHASE_DONE'];
const ping = (t1: string, t2: string) => `PING 1 ${t1} ${t2} 0.000000 pad=00000000`;
const pong = (t1: string, t2: string, t3: string) => `PONG 1 ${t1} ${t2} ${t3} pad=00000000`;

function receiverEvents(name: string, conn = 0): string[] {
  const re = replay(name).find((r) => r.conn === conn && r.dir === 's2c' && r.msg.type === 'REQUEST_EVENTS');
  assert.ok(re && re.msg.type === 'REQUEST_EVENTS');
  const events = [...re.msg.events];
  // Bro lists exactly the fx events the receiver knows, in its hash order.
  assert.equal([...events].sort(), fxEvents('', '', '').map((e) => /event ([^(]+)\(/.exec(e)![1]).sort());
  return events;
}

test('bro-bro-types: every value type sender->receiver, an ack per event, PING/PONG', () => {
  const fx = receiverEvents('bro-bro-types');
  assert.equal(lines('bro-bro-types', 'c2s'), [
    bro(0),
    pd('fx-sender'),
    ...senderHandshake,
    ping('1795318587.194176', '1795318587.196267'),
    ...fxEvents('"x", "y"', '"two"->count:2, "one"->count:1', 'count:10, count:30, count:20'),
  ]);
  assert.equal(lines('bro-bro-types', 's2c'), [
    bro(3),
    pd('fx-receiver'),
    'CAPS 0xd',
    `REQUEST_EVENTS ${fx.join(',')}`,
    'PHASE_DONE',
    pong('1795318587.194176', '1795318587.196267', '0.006035'),
    ...fxAcks('y,\\nx'),
  ]);
});

test('bro-bro-types: 32-bit ids and the old strategy in the handshake, 64-bit and the new strategy when RUNNING', () => {
  const msgs = replay('bro-bro-types');
  const id = msgs.find((m) => m.dir === 'c2s' && m.msg.type === 'SERIAL')!;
  assert.equal(id.format, { pid64: false, newCacheStrategy: false, caching: true });
  const first = msgs.find((m) => m.dir === 'c2s' && m.msg.type === 'SERIAL' && m.msg.body.kind === 'event')!;
  assert.equal(first.format, { pid64: true, newCacheStrategy: true, caching: true });
  // 13.5: FX::fx_bool(T) is Val pid 5 with a stable BroType pid 6 (0xca01) after peer_description's 1-4.
  assert.ok(Buffer.from(first.wire).toString('hex').includes('01000000000000000588010001010000000000000006ca01'));
  // The receiver's second ack back-references the string and count types by pid (2 and 7).
  const ack2 = msgs.filter((m) => m.dir === 's2c' && m.msg.type === 'SERIAL')[2]!;
  assert.ok(Buffer.from(ack2.wire).toString('hex').includes('010000000000000008880600010000000000000000020000000769'));
  // Header padding is garbage and kept; the peer id is zero.
  assert.is(first.msg.headerPad, 0x0f524b);
});

test('bro-bro-types: value details (record types, enum tables, patterns, nested containers)', () => {
  const events = replay('bro-bro-types').filter((m) => m.dir === 'c2s' && m.msg.type === 'SERIAL');
  const arg = (name: string, i = 0) => {
    const m = events.find((e) => e.msg.type === 'SERIAL' && e.msg.body.kind === 'event' && e.msg.body.name === name)!;
    return (m.msg as { body: { args: unknown[] } }).body.args[i] as import('../../legacy/codec/model.ts').BroVal;
  };
  const e = arg('FX::fx_enum');
  assert.is(e.kind, 'enum');
  if (e.kind === 'enum' && e.type.kind === 'enum') {
    assert.is(e.type.name, 'FX::Color');
    assert.equal(e.type.names.map((n) => n.name), ['FX::BLUE', 'FX::GREEN', 'FX::RED']);
    assert.is(e.type.counter, 3);
  }
  const outer = arg('FX::fx_outer');
  assert.is(outer.kind, 'record');
  if (outer.kind === 'record' && outer.type.kind === 'record') {
    assert.is(outer.type.name, 'FX::Outer');
    assert.equal(outer.type.fields!.map((f) => f.name), ['name', 'inner', 'tags', 'nums', 'stamp', 'maybe']);
    const maybe = outer.type.fields![5]!;
    assert.equal(maybe.attrs!.attrs, [{ tag: 0 }]);
  }
  const p = arg('FX::fx_pattern');
  assert.ok(p.kind === 'pattern' && p.matcher.anywhere === '^?(.|\\n)*(fo+[a-z])' && p.matcher.exact === '^?(fo+[a-z])$?');
  const s = arg('FX::fx_string');
  assert.ok(s.kind === 'string' && s.value === 'hello\u0000world' && s.raw === undefined);
  // fx_multi's first argument is a back-reference to fx_record's value: the same object.
  assert.is(arg('FX::fx_multi', 0), arg('FX::fx_record', 0));
});

test('bro-bro-class-mismatch: handshake completes, nothing requested from the sender of class "beta"', () => {
  assert.equal(lines('bro-bro-class-mismatch', 'c2s'), [
    bro(0, "'beta'"),
    pd('fx-sender'),
    ...senderHandshake,
    'PING 1 1795318801.294487 1795318801.295786 0.000000 pad=05000000',
  ]);
  assert.equal(lines('bro-bro-class-mismatch', 's2c'), [bro(3), pd('fx-receiver'), 'CAPS 0xd', 'PHASE_DONE', 'PONG 1 1795318801.294487 1795318801.295786 0.005172 pad=05000000']);
  const version = replay('bro-bro-class-mismatch')[0]!;
  assert.is(version.info.argLength, 21);
});

test('bro-bro-compress-oneway: COMPRESS, then every sender chunk in the zlib format (sizes as captured)', () => {
  assert.equal(lines('bro-bro-compress-oneway', 'c2s'), [
    bro(0),
    pd('fx-sender'),
    ...senderHandshake,
    'COMPRESS',
    ping('1795318855.182622', '1795318855.184722'),
    ...fxEvents('"x", "y"', '"one"->count:1, "two"->count:2', 'count:10, count:20, count:30'),
  ]);
  assert.equal(lines('bro-bro-compress-oneway', 's2c').slice(-21), [pong('1795318855.182622', '1795318855.184722', '0.007607'), ...fxAcks('y,\\nx')]);
  const c2s = replay('bro-bro-compress-oneway').filter((m) => m.dir === 'c2s');
  const after = c2s.slice(c2s.findIndex((m) => m.msg.type === 'COMPRESS') + 1);
  assert.equal(
    after.map((m) => [m.info.argChunkLength, m.info.argLength]),
    [[33, 32], [46, 69], [34, 68], [32, 70], [38, 71], [36, 69], [37, 73], [40, 67], [57, 129], [56, 111], [49, 121], [74, 151], [71, 176], [257, 908], [82, 376], [78, 417], [74, 298], [48, 166], [70, 116], [57, 161], [24, 58]],
  );
  assert.ok(after.every((m) => m.info.argInflated));
  // Headers travel raw: 8 bytes + trailer 0 = a 12-byte chunk.
  assert.equal([...after[0]!.wire.subarray(0, 16)], [0, 0, 0, 12, 0x0f, 0x94, 0xa4, 0x28, 0, 0, 0, 0, 0, 0, 0, 0]);
  // The first compressed bytes carry the zlib header of level 9 (78 da).
  assert.equal([...after[0]!.wire.subarray(20, 22)], [0x78, 0xda]);
  // The other direction stays plain.
  assert.ok(replay('bro-bro-compress-oneway').filter((m) => m.dir === 's2c').every((m) => !m.info.argInflated));
});

test('bro-bro-logs: REQUEST_LOGS, LOG_CREATE_WRITER per writer, one LOG_WRITE batch of 5 entries', () => {
  assert.equal(lines('bro-bro-logs', 'c2s'), [bro(0), pd('logs-client'), 'CAPS 0xd', 'REQUEST_EVENTS print_hook', 'REQUEST_LOGS', 'PHASE_DONE']);
  const s2c = replay('bro-bro-logs').filter((m) => m.dir === 's2c').map((m) => m.msg);
  assert.equal(s2c.slice(0, 4).map((m) => m.type), ['VERSION', 'SERIAL', 'CAPS', 'PHASE_DONE']);
  const [comm, fxlog, write] = s2c.slice(4);
  assert.ok(comm?.type === 'LOG_CREATE_WRITER' && fxlog?.type === 'LOG_CREATE_WRITER' && write?.type === 'LOG_WRITE');
  assert.equal([comm.stream, comm.writer, comm.path, comm.rotationBase, comm.rotationInterval, comm.config], [12, 1, 'communication', 0, 0, []]);
  assert.is(comm.networkTime.toFixed(3), '1795318753.711');
  assert.equal(
    comm.fields.map((f) => `${f.name}:${f.type}${f.optional ? '?' : ''}`),
    ['ts:time', 'peer:string?', 'src_name:string?', 'connected_peer_desc:string?', 'connected_peer_addr:addr?', 'connected_peer_port:port?', 'level:string?', 'message:string'],
  );
  assert.equal(
    fxlog.fields.map((f) => `${f.name}:${f.type}[${f.subtype}]${f.optional ? '?' : ''}`),
    ['ts:time[void]', 'msg:string[void]', 'n:count[void]', 'host:addr[void]?', 'svc:port[void]', 'tags:table[string]', 'v:vector[double]', 'ok:bool[void]', 'net:subnet[void]'],
  );
  assert.equal(write.entries.map((e) => `${e.path}(${e.stream},${e.writer})`), ['communication(12,1)', 'fxlog(13,1)', 'fxlog(13,1)', 'communication(12,1)', 'communication(12,1)']);
  const plain = (i: number) => write.entries[i]!.values.map((v) => v.value);
  assert.equal(plain(1), [1500000000, 'first', 1, '10.0.0.1', { port: 22, proto: 'tcp' }, [{ type: 'string', value: 'a' }], [{ type: 'double', value: 1.5 }, { type: 'double', value: 2.5 }], true, '10.0.0.0/8']);
  const second = plain(2);
  assert.equal(second.slice(0, 5), [1500000001, 'second', 2, null, { port: 53, proto: 'udp' }]);
  assert.equal((second[5] as { value: unknown }[]).map((v) => v.value).sort(), ['b', 'c']);
  assert.equal(second.slice(6), [[], false, '2001:db8::/32']);
  assert.equal(plain(0).slice(1, 3), ['logs-server', 'parent']);
  assert.is(plain(0)[7], '[#10000/127.0.0.1:35382] peer requested logs');
});

test('bro-bro-print: one REMOTE_PRINT with 107 records of 10,148 bytes', () => {
  const msgs = replay('bro-bro-print');
  assert.equal(lines('bro-bro-print', 'c2s'), [bro(0), pd('print-client'), 'CAPS 0xd', 'REQUEST_EVENTS print_hook', 'PHASE_DONE']);
  const print = msgs.find((m) => m.msg.type === 'REMOTE_PRINT')!;
  assert.is(print.dir, 's2c');
  assert.is(print.info.argLength, 10148);
  if (print.msg.type !== 'REMOTE_PRINT') throw new Error('unreachable');
  const recs = print.msg.records;
  assert.is(recs.length, 107);
  assert.ok(recs.every((r) => r.file === 'fxprint.txt'));
  assert.equal(recs.slice(0, 2).map((r) => r.text), ['short line one', 'short line two, 42, 10.0.0.1']);
  const pad = '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz';
  assert.is(recs[2]!.text, `filler 001 ${pad}`);
  assert.is(recs[106]!.text, `filler 105 ${pad}`);
});

test('bro-bro-retry: two sessions on two connections, each a full handshake and the fx traffic', () => {
  const fx = receiverEvents('bro-bro-retry');
  assert.equal(lines('bro-bro-retry', 'c2s', 0), [bro(6), pd('fx-sender'), ...senderHandshake, ping('1795318786.163284', '1795318786.164888'), ...fxEvents('"y", "x"', '"two"->count:2, "one"->count:1', 'count:20, count:30, count:10')]);
  assert.equal(lines('bro-bro-retry', 's2c', 0), [bro(3), pd('fx-receiver'), 'CAPS 0xd', `REQUEST_EVENTS ${fx.join(',')}`, 'PHASE_DONE', pong('1795318786.163284', '1795318786.164888', '0.001284'), ...fxAcks('x,\\ny')]);
  const second = lines('bro-bro-retry', 'c2s', 1);
  assert.equal(second.slice(0, 2), [bro(9), pd('fx-sender')]);
  assert.is(second.filter((l) => l.startsWith('event FX::fx_')).length, 20);
  assert.equal(lines('bro-bro-retry', 's2c', 1).slice(0, 2), [bro(2), pd('fx-receiver')]);
  assert.is(lines('bro-bro-retry', 's2c', 1).filter((l) => l.startsWith('event FX::fxr_ack')).length, 20);
});

test('bro-bro-sync-runtime: the longer-running side sends its state (32-bit ids), then updates (64-bit)', () => {
  assert.equal(lines('bro-bro-sync-runtime', 'c2s'), [bro(0), pd('sync-client'), 'CAPS 0xd', 'REQUEST_SYNC 0', 'PHASE_DONE']);
  assert.equal(lines('bro-bro-sync-runtime', 's2c'), [
    bro(3),
    pd('sync-server'),
    'CAPS 0xd',
    'REQUEST_SYNC 0',
    'PHASE_DONE',
    'STATE op=1 sync_count count:5',
    'STATE op=1 sync_tab table{"beta"->count:2, "alpha"->count:1}',
    'STATE op=1 sync_set set{addr:10.0.0.1}',
    'STATE op=1 sync_str "initial"',
    'PHASE_DONE',
    'STATE op=4 sync_count count:6 op2=count:5',
    'STATE op=2 #vm#17018#1 list("gamma") op2=count:3',
    'STATE op=6 #vm#17018#1 list("alpha")',
    'STATE op=3 #vm#17018#2 list(addr:10.0.0.2)',
    'STATE op=1 sync_str "updated"',
  ]);
  const states = replay('bro-bro-sync-runtime').filter((m) => m.msg.type === 'SERIAL' && m.msg.body.kind === 'state');
  assert.equal(states.map((s) => s.format.pid64), [false, false, false, false, true, true, true, true, true]);
  const tab = states[1]!.msg;
  if (tab.type === 'SERIAL' && tab.body.kind === 'state' && tab.body.access.op1.kind === 'table') {
    assert.is(tab.body.access.op1.id, '#vm#17018#1');
    assert.is(tab.body.access.op1.props, 2);
    assert.equal(tab.body.access.op1.attrs!.attrs, [{ tag: 12 }]);
  } else assert.unreachable('sync_tab is a table');
  // INCR's old value is a back-reference to the value sent during SYNC (same object).
  const incr = states[4]!.msg;
  const first = states[0]!.msg;
  assert.ok(incr.type === 'SERIAL' && incr.body.kind === 'state' && first.type === 'SERIAL' && first.body.kind === 'state');
  assert.is(incr.body.access.op2, first.body.access.op1);
});

test('bro-bro-tls (decrypted): the same traffic as bro-bro-types inside TLS', () => {
  const name = 'tls/bro-bro-tls.decrypted';
  const fx = receiverEvents(name);
  assert.equal(lines(name, 'c2s'), [bro(0), pd('fx-sender'), ...senderHandshake, ping('1795319799.645576', '1795319799.647788'), ...fxEvents('"y", "x"', '"one"->count:1, "two"->count:2', 'count:20, count:30, count:10')]);
  assert.equal(lines(name, 's2c'), [bro(4), pd('fx-receiver'), 'CAPS 0xd', `REQUEST_EVENTS ${fx.join(',')}`, 'PHASE_DONE', pong('1795319799.645576', '1795319799.647788', '0.009722'), ...fxAcks('x,\\ny')]);
});

const broHandshake = (events: string) => [bro(3), pd('bro'), 'CAPS 0xd', `REQUEST_EVENTS ${events}`, 'PHASE_DONE'];

test('broping and broping-tls: Broccoli pings, Bro pongs (pid 0, 32-bit, Broccoli VERSION without class)', () => {
  for (const [name, runtime, times] of [
    ['broping', 3, [['1795318347.874340', '1795318347.921847'], ['1795318348.875851', '1795318348.876945'], ['1795318349.876404', '1795318349.877481']]],
    ['tls/broping-tls.decrypted', 4, [['1795319862.037199', '1795319862.082787'], ['1795319863.040701', '1795319863.042867'], ['1795319864.041355', '1795319864.043396']]],
  ] as const) {
    const ts = (s: string) => String(Number(s));
    assert.equal(lines(name, 'c2s'), [broccoli, 'REQUEST_EVENTS pong', 'CAPS 0x12', 'PHASE_DONE', ...times.map(([t], i) => `event ping(time:${ts(t)}, count:${i})`)]);
    const s2c = lines(name, 's2c');
    assert.equal(s2c.slice(0, 5), [bro(runtime), ...broHandshake('ping').slice(1)]);
    assert.equal(s2c.slice(5), times.map(([t1, t2], i) => `event pong(time:${ts(t1)}, time:${ts(t2)}, count:${i})`));
  }
  const ping = replay('broping').find((m) => m.dir === 'c2s' && m.msg.type === 'SERIAL')!;
  assert.is(ping.info.argLength, 0x57);
  // 13.4: Val pid 0, type time/DOUBLE with base_type 0 and no name, then the double.
  const hex = ['01', '00000000', '8801', '00', '01', '01', '00000000', '8a01', '00', '06', '03', '00', '00', '00000000', '41dac09892f7f530'].join('');
  assert.ok(Buffer.from(ping.wire).toString('hex').includes(hex));
});

test('broping-record: record arguments, anonymous record type from Broccoli, named pong_data from Bro', () => {
  const c2s = lines('broping-record', 'c2s');
  assert.equal(c2s.slice(4), ['event ping([seq=count:0, src_time=time:1795318373.812947])', 'event ping([seq=count:1, src_time=time:1795318374.814327])', 'event ping([seq=count:2, src_time=time:1795318375.815028])']);
  const pongs = replay('broping-record').filter((m) => m.dir === 's2c' && m.msg.type === 'SERIAL' && m.msg.body.kind === 'event');
  assert.is(pongs.length, 3);
  const arg = (pongs[0]!.msg as { body: { args: import('../../legacy/codec/model.ts').BroVal[] } }).body.args[0]!;
  assert.ok(arg.kind === 'record' && arg.type.kind === 'record' && arg.type.name === 'pong_data');
  assert.equal(lines('broping-record', 's2c').slice(5, 6), ['event pong([seq=count:0, src_time=time:1795318373.812947, dst_time=time:1795318373.857588])']);
});

test('broccoli-vectors, broccoli-v6addrs-v4, brohose, broenum', () => {
  assert.equal(lines('broccoli-vectors', 's2c').slice(5), ['event bro_vector(vector("a", "b", "c", "d", "e"))', 'event bro_vector(vector("one", "two", "three"))']);
  const words = ['a', 'b', 'c', 'd', 'e', 'additional element', 'one', 'two', 'three', 'additional element'];
  const idx = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3];
  assert.equal(lines('broccoli-vectors', 'c2s').slice(4), words.map((w, i) => `event broccoli_vector_element(count:${idx[i]}, "${w}")`));
  assert.equal(lines('broccoli-v6addrs-v4', 'c2s').slice(4), ['event broccoli_addr(addr:1.2.3.4)', 'event broccoli_subnet(subnet:10.0.0.0/16)', 'event broccoli_addr(addr:2607:f8b0:4009:802::1014)', 'event broccoli_subnet(subnet:2607:f8b0::/32)']);
  assert.equal(lines('broccoli-v6addrs-v4', 's2c').slice(5), ['event bro_addr(addr:1.2.3.4)', 'event bro_subnet(subnet:10.0.0.0/16)', 'event bro_addr(addr:2607:f8b0:4009:802::1014)', 'event bro_subnet(subnet:2607:f8b0::/32)']);
  assert.equal(lines('brohose', 'c2s'), [broccoli, 'CAPS 0x12', 'PHASE_DONE', ...['8157-0-0', '8157-1-0', '8157-2-0', '8156-0-0', '8156-1-0', '8156-2-0'].map((id) => `event brohose("${id}")`)]);
  assert.equal(lines('brohose', 's2c'), broHandshake('brohose'));
  // The enum type comes by name; the value has garbage in its upper half (beyond 2^53: a bigint).
  const e = replay('broenum').find((m) => m.msg.type === 'SERIAL' && m.msg.body.kind === 'event')!.msg;
  assert.ok(e.type === 'SERIAL' && e.body.kind === 'event');
  const v = e.body.args[0]!;
  assert.ok(v.kind === 'enum');
  assert.equal(v.type, { kind: 'byname', name: 'enumtest::enumtype' });
  assert.is(v.value, 3330185635498557440n);
  assert.is(v.name, null);
});

test('version-mismatch and dataformat-mismatch: the synthetic VERSIONs decode, Bro answers with its own', () => {
  assert.equal(lines('version-mismatch'), ["c2s VERSION 6 1000 26 0 'synth'", `s2c ${bro(3)}`, `s2c ${pd('fx-receiver')}`]);
  assert.equal(lines('dataformat-mismatch'), ["c2s VERSION 7 1000 25 0 'synth'", `s2c ${bro(3)}`, `s2c ${pd('fx-receiver')}`]);
});

test.run();
