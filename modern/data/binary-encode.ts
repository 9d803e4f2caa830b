// Encoder for "bin v1" (spec §2.1–2.2). Writes into a caller's ByteWriter so a connection can reuse
// one buffer; the only allocation per message is the final copy (`toBytes`).
import { ByteWriter } from '../../src/core/bytes.ts';
import { BrokerError } from '../errors.ts';
import type { Data, Int64 } from './types.ts';
import { DataTag, PORT_PROTOCOLS } from './types.ts';
import { byteStringLength, writeByteString } from './utf8.ts';

const TWO32 = 4294967296;
const U64_MAX = 0xffff_ffff_ffff_ffffn;
const I64_MIN = -0x8000_0000_0000_0000n;
const I64_MAX = 0x7fff_ffff_ffff_ffffn;

/** LEB128 length; like Broker only the low 32 bits are written. */
export function writeVarbyte(w: ByteWriter, n: number): void {
  let x = n >>> 0;
  while (x >= 0x80) {
    w.u8((x & 0x7f) | 0x80);
    x >>>= 7;
  }
  w.u8(x);
}

function rangeError(what: string, v: unknown): BrokerError {
  return new BrokerError('invalid_argument', `${what} out of range or not an integer: ${String(v)}`, { field: what });
}

/** Writes a 64-bit integer big-endian; `signed` selects the int64 range, otherwise uint64. */
export function writeInt64(w: ByteWriter, v: Int64, signed: boolean, what: string): void {
  if (typeof v === 'number') {
    // Most values fit 32 bits: no safe-integer test, no division.
    if (v >>> 0 === v) {
      w.u32(0);
      w.u32(v);
      return;
    }
    if (signed && (v | 0) === v) {
      w.u32(0xffffffff);
      w.u32(v);
      return;
    }
    if (!Number.isSafeInteger(v) || (!signed && v < 0)) {
      if (Number.isInteger(v)) return writeInt64(w, BigInt(v), signed, what);
      throw rangeError(what, v);
    }
    w.u32(Math.floor(v / TWO32));
    w.u32(v);
    return;
  }
  if (signed ? v < I64_MIN || v > I64_MAX : v < 0n || v > U64_MAX) throw rangeError(what, v);
  if (signed) w.i64(v);
  else w.u64(v);
}

export function writeData(w: ByteWriter, v: Data): void {
  // Cases in order of frequency in Zeek events: a string switch tests them one after the other.
  switch (v.type) {
    case 'set':
    case 'vector': {
      const xs = v.elements;
      const n = xs.length;
      w.u8(v.type === 'vector' ? DataTag.vector : DataTag.set);
      if (n < 0x80) w.u8(n);
      else writeVarbyte(w, n);
      for (let i = 0; i < n; i++) writeData(w, xs[i]!);
      return;
    }
    case 'count':
      w.u8(DataTag.count);
      writeInt64(w, v.value, false, 'count');
      return;
    case 'integer':
      w.u8(DataTag.integer);
      writeInt64(w, v.value, true, 'integer');
      return;
    case 'string':
    case 'enum_value': {
      const s = v.value;
      w.u8(v.type === 'string' ? DataTag.string : DataTag.enum_value);
      if (typeof s === 'string' && s.length < 0x80) {
        // Short ASCII (names, enums, services): length byte and characters in one pass.
        const at = w.length;
        w.u8(s.length);
        if (w.ascii(s)) return;
        w.length = at;
      }
      const len = byteStringLength(s);
      writeVarbyte(w, len);
      writeByteString(w, s, len);
      return;
    }
    case 'none':
      w.u8(DataTag.none);
      return;
    case 'boolean':
      w.u8(DataTag.boolean).u8(v.value ? 1 : 0);
      return;
    case 'real':
      w.u8(DataTag.real).f64(v.value);
      return;
    case 'address':
      if (v.value.length !== 16) throw rangeError('address', `${v.value.length} bytes`);
      w.u8(DataTag.address).bytes(v.value);
      return;
    case 'subnet':
      if (v.address.length !== 16 || !(v.length >= 0 && v.length <= 128)) throw rangeError('subnet', v.length);
      w.u8(DataTag.subnet).bytes(v.address).u8(v.length);
      return;
    case 'port': {
      const proto = PORT_PROTOCOLS.indexOf(v.protocol);
      if (!(v.number >= 0 && v.number <= 0xffff && Number.isInteger(v.number)) || proto < 0) throw rangeError('port', v.number);
      w.u8(DataTag.port).u16(v.number).u8(proto);
      return;
    }
    case 'timestamp':
    case 'timespan':
      w.u8(DataTag[v.type]);
      writeInt64(w, v.value, true, v.type);
      return;
    case 'table': {
      const xs = v.entries;
      w.u8(DataTag.table);
      writeVarbyte(w, xs.length);
      for (let i = 0; i < xs.length; i++) {
        const e = xs[i]!;
        writeData(w, e[0]);
        writeData(w, e[1]);
      }
      return;
    }
  }
}

const shared = new ByteWriter(1024);

/** The bin v1 bytes of one value (a fresh array; pass a writer to reuse your own buffer). */
export function encodeData(v: Data, w: ByteWriter = shared): Uint8Array {
  w.reset();
  writeData(w, v);
  return w.toBytes();
}
