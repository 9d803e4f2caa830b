// Data-store commands, the payload of command envelopes (spec §2.7.2): seq u64, sender entity,
// receiver entity, command index, then that command's fields in order with nothing after them.
import { ByteReader, type ByteWriter } from '../../src/core/bytes.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import { DEFAULT_DATA_LIMITS, readData, readI64, readU64, readVarbyte, type DataLimits } from '../data/binary-decode.ts';
import { writeData, writeInt64, writeVarbyte } from '../data/binary-encode.ts';
import { DATA_TYPES, DataTag, type Data, type DataType, type Int64 } from '../data/types.ts';
import { bufferView } from '../data/utf8.ts';
import { readEntityId, writeEntityId, type EntityId } from './endpoint-id.ts';

/** Command names by index byte. */
export const COMMAND_TYPES = [
  'put',
  'put_unique',
  'put_unique_result',
  'erase',
  'expire',
  'add',
  'subtract',
  'clear',
  'attach_writer',
  'keepalive',
  'cumulative_ack',
  'nack',
  'ack_clone',
  'retransmit_failed',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

/** `expiry` is a relative timespan in ns; absent means no expiry (flag byte 00 on the wire). */
export type StoreCommand =
  | { readonly type: 'put'; readonly key: Data; readonly value: Data; readonly expiry?: Int64; readonly publisher: EntityId }
  | {
      readonly type: 'put_unique';
      readonly key: Data;
      readonly value: Data;
      readonly expiry?: Int64;
      readonly who: EntityId;
      readonly reqId: Int64;
      readonly publisher: EntityId;
    }
  | { readonly type: 'put_unique_result'; readonly inserted: boolean; readonly who: EntityId; readonly reqId: Int64; readonly publisher: EntityId }
  | { readonly type: 'erase'; readonly key: Data; readonly publisher: EntityId }
  | { readonly type: 'expire'; readonly key: Data; readonly publisher: EntityId }
  | {
      readonly type: 'add';
      readonly key: Data;
      readonly value: Data;
      /** Type of the value to create when the key is absent (count, set, string, …). */
      readonly initType: DataType;
      readonly expiry?: Int64;
      readonly publisher: EntityId;
    }
  | { readonly type: 'subtract'; readonly key: Data; readonly value: Data; readonly expiry?: Int64; readonly publisher: EntityId }
  | { readonly type: 'clear'; readonly publisher: EntityId }
  | { readonly type: 'attach_writer'; readonly offset: Int64; readonly heartbeatInterval: number }
  | { readonly type: 'keepalive'; readonly seq: Int64 }
  | { readonly type: 'cumulative_ack'; readonly seq: Int64 }
  | { readonly type: 'nack'; readonly seqs: readonly Int64[] }
  | { readonly type: 'ack_clone'; readonly offset: Int64; readonly heartbeatInterval: number; readonly snapshot: readonly (readonly [Data, Data])[] }
  | { readonly type: 'retransmit_failed'; readonly seq: Int64 };

export interface CommandMessage {
  /** The producer's channel sequence number (0 for nack, attach_writer, keepalive, cumulative_ack). */
  readonly seq: Int64;
  readonly sender: EntityId;
  /** The target store object; nil for broadcasts. */
  readonly receiver: EntityId;
  readonly command: StoreCommand;
}

type Ctx = { r: ByteReader; limits: DataLimits; buf: ReturnType<typeof bufferView> };

function data(c: Ctx): Data {
  return readData(c.r, c.limits, c.buf);
}

function expiry(r: ByteReader): Int64 | undefined {
  const flag = r.u8('expiry.flag');
  if (flag === 0) return undefined;
  if (flag !== 1) throw new BrokerError('invalid_value', `optional expiry flag ${flag} is not 0 or 1`, { field: 'expiry.flag', offset: r.position - 1 });
  return readI64(r, 'expiry');
}

function withExpiry<T extends object>(cmd: T, e: Int64 | undefined): T & { expiry?: Int64 } {
  return e === undefined ? cmd : { ...cmd, expiry: e };
}

function readCommand(c: Ctx, type: CommandType): StoreCommand {
  const r = c.r;
  switch (type) {
    case 'put': {
      const key = data(c);
      const value = data(c);
      const e = expiry(r);
      return withExpiry({ type, key, value, publisher: readEntityId(r, 'publisher') }, e);
    }
    case 'put_unique': {
      const key = data(c);
      const value = data(c);
      const e = expiry(r);
      const who = readEntityId(r, 'who');
      const reqId = readU64(r, 'req_id');
      return withExpiry({ type, key, value, who, reqId, publisher: readEntityId(r, 'publisher') }, e);
    }
    case 'put_unique_result': {
      const inserted = r.u8('inserted') !== 0;
      const who = readEntityId(r, 'who');
      const reqId = readU64(r, 'req_id');
      return { type, inserted, who, reqId, publisher: readEntityId(r, 'publisher') };
    }
    case 'erase':
    case 'expire': {
      const key = data(c);
      return { type, key, publisher: readEntityId(r, 'publisher') };
    }
    case 'add': {
      const key = data(c);
      const value = data(c);
      const tag = r.u8('init_type');
      const initType = DATA_TYPES[tag];
      if (initType === undefined) throw new BrokerError('invalid_value', `init_type ${tag} is not a data type tag`, { field: 'init_type', offset: r.position - 1 });
      const e = expiry(r);
      return withExpiry({ type, key, value, initType, publisher: readEntityId(r, 'publisher') }, e);
    }
    case 'subtract': {
      const key = data(c);
      const value = data(c);
      const e = expiry(r);
      return withExpiry({ type, key, value, publisher: readEntityId(r, 'publisher') }, e);
    }
    case 'clear':
      return { type, publisher: readEntityId(r, 'publisher') };
    case 'attach_writer': {
      const offset = readU64(r, 'offset');
      return { type, offset, heartbeatInterval: r.u16('heartbeat_interval') };
    }
    case 'keepalive':
    case 'cumulative_ack':
    case 'retransmit_failed':
      return { type, seq: readU64(r, 'seq') };
    case 'nack': {
      const n = readVarbyte(r, 'seqs.size');
      if (n * 8 > r.remaining) throw new BrokerError('truncated', `truncated input: nack announces ${n} seqs, ${r.remaining} byte(s) left`, { field: 'seqs', offset: r.position });
      const seqs: Int64[] = [];
      for (let i = 0; i < n; i++) seqs.push(readU64(r, 'seqs'));
      return { type, seqs };
    }
    case 'ack_clone': {
      const offset = readU64(r, 'offset');
      const heartbeatInterval = r.u16('heartbeat_interval');
      const n = readVarbyte(r, 'snapshot.size');
      if (n > c.limits.maxContainerSize || n * 2 > r.remaining) {
        throw new BrokerError(n > c.limits.maxContainerSize ? 'limit_exceeded' : 'truncated', `snapshot of ${n} entries does not fit`, { field: 'snapshot', offset: r.position });
      }
      const snapshot: (readonly [Data, Data])[] = [];
      for (let i = 0; i < n; i++) {
        const key = data(c);
        snapshot.push([key, data(c)]);
      }
      return { type, offset, heartbeatInterval, snapshot };
    }
  }
}

/** Decodes a command envelope's payload; trailing bytes are an error like in Broker. */
export function decodeCommand(payload: Uint8Array, limits: DataLimits = DEFAULT_DATA_LIMITS, base = 0): CommandMessage {
  const r = new ByteReader(payload, base);
  try {
    const seq = readU64(r, 'seq');
    const sender = readEntityId(r, 'sender');
    const receiver = readEntityId(r, 'receiver');
    const index = r.u8('command.type');
    const type = COMMAND_TYPES[index];
    if (type === undefined) throw new BrokerError('invalid_command', `unknown store command ${index}`, { field: 'command.type', offset: r.position - 1 });
    const command = readCommand({ r, limits, buf: bufferView(payload) }, type);
    if (r.remaining !== 0) throw new BrokerError('trailing_bytes', `${r.remaining} byte(s) after the ${type} command`, { field: type, offset: r.position });
    return { seq, sender, receiver, command };
  } catch (err) {
    throw asBrokerError(err);
  }
}

function writeExpiry(w: ByteWriter, e: Int64 | undefined): void {
  if (e === undefined) w.u8(0);
  else {
    w.u8(1);
    writeInt64(w, e, true, 'expiry');
  }
}

/** Writes a command payload (the part after the envelope header). */
export function writeCommand(w: ByteWriter, msg: CommandMessage): void {
  const cmd = msg.command;
  writeInt64(w, msg.seq, false, 'seq');
  writeEntityId(w, msg.sender);
  writeEntityId(w, msg.receiver);
  w.u8(COMMAND_TYPES.indexOf(cmd.type));
  switch (cmd.type) {
    case 'put':
      writeData(w, cmd.key);
      writeData(w, cmd.value);
      writeExpiry(w, cmd.expiry);
      writeEntityId(w, cmd.publisher);
      return;
    case 'put_unique':
      writeData(w, cmd.key);
      writeData(w, cmd.value);
      writeExpiry(w, cmd.expiry);
      writeEntityId(w, cmd.who);
      writeInt64(w, cmd.reqId, false, 'req_id');
      writeEntityId(w, cmd.publisher);
      return;
    case 'put_unique_result':
      w.u8(cmd.inserted ? 1 : 0);
      writeEntityId(w, cmd.who);
      writeInt64(w, cmd.reqId, false, 'req_id');
      writeEntityId(w, cmd.publisher);
      return;
    case 'erase':
    case 'expire':
      writeData(w, cmd.key);
      writeEntityId(w, cmd.publisher);
      return;
    case 'add':
      writeData(w, cmd.key);
      writeData(w, cmd.value);
      w.u8(DataTag[cmd.initType]);
      writeExpiry(w, cmd.expiry);
      writeEntityId(w, cmd.publisher);
      return;
    case 'subtract':
      writeData(w, cmd.key);
      writeData(w, cmd.value);
      writeExpiry(w, cmd.expiry);
      writeEntityId(w, cmd.publisher);
      return;
    case 'clear':
      writeEntityId(w, cmd.publisher);
      return;
    case 'attach_writer':
      writeInt64(w, cmd.offset, false, 'offset');
      w.u16(cmd.heartbeatInterval);
      return;
    case 'keepalive':
    case 'cumulative_ack':
    case 'retransmit_failed':
      writeInt64(w, cmd.seq, false, 'seq');
      return;
    case 'nack':
      writeVarbyte(w, cmd.seqs.length);
      for (const s of cmd.seqs) writeInt64(w, s, false, 'seqs');
      return;
    case 'ack_clone':
      writeInt64(w, cmd.offset, false, 'offset');
      w.u16(cmd.heartbeatInterval);
      writeVarbyte(w, cmd.snapshot.length);
      for (const [k, v] of cmd.snapshot) {
        writeData(w, k);
        writeData(w, v);
      }
      return;
  }
}
