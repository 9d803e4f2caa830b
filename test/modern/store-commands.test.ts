// Data-store commands: all 14 round-trip, every command in the master/clone capture re-encodes to
// its bytes, and bad payloads are typed errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../../src/core/bytes.ts';
import { fromHex, toHex } from '../../src/core/json.ts';
import { BrokerError } from '../../modern/errors.ts';
import { count, set, str, vector } from '../../modern/data/index.ts';
import {
  COMMAND_TYPES,
  decodeCommand,
  decodeEnvelope,
  formatEntityId,
  NIL_ENTITY,
  writeCommand,
  type CommandMessage,
  type EntityId,
  type Envelope,
  type StoreCommand,
} from '../../modern/native/index.ts';
import { payloadOf, referenceFrames } from './broker-fixtures.ts';

const M: EntityId = { endpoint: '79c55daf-5a93-5f8d-916d-2a0f4ee8e676', object: 8 };
const C: EntityId = { endpoint: '762c8aa5-b291-5b09-95ab-538df74ddf72', object: 7 };

const ALL: StoreCommand[] = [
  { type: 'put', key: str('k'), value: str('v'), publisher: M },
  { type: 'put', key: str('k-exp'), value: str('short-lived'), expiry: 2_000_000_000, publisher: M },
  { type: 'put_unique', key: str('u'), value: count(1), who: { endpoint: C.endpoint, object: 9 }, reqId: 1, publisher: C },
  { type: 'put_unique_result', inserted: false, who: C, reqId: 2n ** 60n, publisher: M },
  { type: 'erase', key: str('k'), publisher: C },
  { type: 'expire', key: vector([count(1)]), publisher: M },
  { type: 'add', key: str('pre-set'), value: count(4), initType: 'set', expiry: 1_000_000_000, publisher: C },
  { type: 'subtract', key: str('pre-count'), value: count(2), publisher: C },
  { type: 'clear', publisher: M },
  { type: 'attach_writer', offset: 1, heartbeatInterval: 5 },
  { type: 'keepalive', seq: 17 },
  { type: 'cumulative_ack', seq: 2n ** 64n - 1n },
  { type: 'nack', seqs: [3, 5, 9] },
  { type: 'ack_clone', offset: 1, heartbeatInterval: 5, snapshot: [[str('pre-set'), set([count(1), count(2)])], [count(7), vector([str('vec'), count(1)])]] },
  { type: 'retransmit_failed', seq: 4 },
];

function encode(msg: CommandMessage): Uint8Array {
  const w = new ByteWriter(32);
  writeCommand(w, msg);
  return w.toBytes();
}

function errorOf(fn: () => unknown): BrokerError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, BrokerError);
    return err as BrokerError;
  }
  throw new Error('expected a BrokerError');
}

test('all 14 commands round-trip field by field', () => {
  assert.is(new Set(ALL.map((c) => c.type)).size, COMMAND_TYPES.length);
  for (const command of ALL) {
    const msg: CommandMessage = { seq: 3, sender: M, receiver: NIL_ENTITY, command };
    const bytes = encode(msg);
    assert.is(bytes[56], COMMAND_TYPES.indexOf(command.type), command.type);
    const back = decodeCommand(bytes);
    assert.equal(back, msg, command.type);
    assert.is(toHex(encode(back)), toHex(bytes));
  }
});

test('spec §2.7.2 layouts', () => {
  const nack = encode({ seq: 0, sender: C, receiver: NIL_ENTITY, command: { type: 'nack', seqs: [0] } });
  assert.is(toHex(nack), '0000000000000000' + '762c8aa5b2915b0995ab538df74ddf72' + '0000000000000007' + '00'.repeat(24) + '0b' + '01' + '0000000000000000');
  const put = encode({ seq: 3, sender: M, receiver: NIL_ENTITY, command: { type: 'put', key: str('k-exp'), value: str('short-lived'), expiry: 2_000_000_000, publisher: M } });
  assert.ok(toHex(put).endsWith('00' + '05056b2d657870' + '050b73686f72742d6c69766564' + '01' + '0000000077359400' + '79c55daf5a935f8d916d2a0f4ee8e676' + '0000000000000008'));
  const add = encode({ seq: 7, sender: C, receiver: M, command: { type: 'add', key: str('pre-set'), value: count(4), initType: 'set', publisher: C } });
  assert.ok(toHex(add).includes('05' + '0507' + '7072652d736574' + '020000000000000004' + '0c' + '00'));
});

test('every command of the master/clone capture re-encodes to its bytes', () => {
  const seen = new Set<string>();
  for (const ref of referenceFrames('native-store-master-clone')) {
    if (ref.msg !== 'command') continue;
    const payload = payloadOf(ref);
    const env = decodeEnvelope(payload) as Extract<Envelope, { type: 'command' }>;
    const body = payload.subarray(37 + env.topic.length);
    assert.is(toHex(encode(env.command)), toHex(body));
    const refCmd = ref['command'] as { sender: string; receiver: string; type: string };
    assert.is(formatEntityId(env.command.sender), refCmd.sender);
    assert.is(formatEntityId(env.command.receiver), refCmd.receiver);
    seen.add(env.command.command.type);
  }
  for (const t of ['put', 'put_unique', 'put_unique_result', 'erase', 'expire', 'add', 'subtract', 'clear', 'attach_writer', 'keepalive', 'cumulative_ack', 'nack', 'ack_clone']) {
    assert.ok(seen.has(t), `capture has ${t}`);
  }
});

test('bad command payloads', () => {
  const good = encode({ seq: 1, sender: M, receiver: NIL_ENTITY, command: { type: 'put', key: str('k'), value: str('v'), publisher: M } });
  const unknown = good.slice();
  unknown[56] = 14;
  assert.is(errorOf(() => decodeCommand(unknown)).code, 'invalid_command');
  const flag = good.slice();
  flag[57 + 3 + 3] = 2;
  assert.is(errorOf(() => decodeCommand(flag)).code, 'invalid_value');
  assert.is(errorOf(() => decodeCommand(new Uint8Array([...good, 0]))).code, 'trailing_bytes');
  assert.is(errorOf(() => decodeCommand(good.subarray(0, good.length - 1))).code, 'truncated');
  const initType = encode({ seq: 1, sender: C, receiver: M, command: { type: 'add', key: str('k'), value: count(1), initType: 'count', publisher: C } });
  initType[57 + 3 + 9] = 15;
  assert.is(errorOf(() => decodeCommand(initType)).code, 'invalid_value');
  const nack = fromHex('0000000000000000' + '00'.repeat(48) + '0b' + 'ff0f');
  assert.is(errorOf(() => decodeCommand(nack)).code, 'truncated');
  const dup = encode({ seq: 1, sender: M, receiver: NIL_ENTITY, command: { type: 'put', key: str('k'), value: set([count(1)]), publisher: M } });
  const v = toHex(dup).replace('0c01020000000000000001', '0c02020000000000000001020000000000000001');
  assert.is(errorOf(() => decodeCommand(fromHex(v))).code, 'duplicate_element');
});

test.run();
