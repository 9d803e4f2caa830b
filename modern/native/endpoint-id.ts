// Endpoint ids (16 raw bytes on the wire) are handled as lowercase UUID text. That text sorts like
// the bytes (fixed width, hex digits in ASCII order), so `<` on ids decides handshake roles exactly
// as Broker's memcmp does (spec §1.2, §1.4). Entity ids (store objects) add a u64 object number.
import { randomBytes } from 'node:crypto';
import type { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { BrokerError } from '../errors.ts';
import { readU64 } from '../data/binary-decode.ts';
import { writeInt64 } from '../data/binary-encode.ts';
import type { Int64 } from '../data/types.ts';

/** Lowercase 8-4-4-4-12 UUID text, e.g. `11111111-1111-5111-8111-111111111111`. */
export type EndpointId = string;

export const NIL_ENDPOINT: EndpointId = '00000000-0000-0000-0000-000000000000';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function isEndpointId(s: string): s is EndpointId {
  return UUID.test(s);
}

/** Reads 16 bytes at `offset` as an endpoint id. */
export function endpointIdAt(b: Uint8Array, offset: number): EndpointId {
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += HEX[b[offset + i]!]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

const bytesCache = new Map<string, Uint8Array>();

/** The 16 bytes of an id (accepts uppercase hex); throws `invalid_argument` for anything else. */
export function endpointIdBytes(id: EndpointId): Uint8Array {
  let b = bytesCache.get(id);
  if (b) return b;
  const lower = id.toLowerCase();
  if (!UUID.test(lower)) throw new BrokerError('invalid_argument', `not an endpoint id: ${JSON.stringify(id)}`, { field: 'endpoint_id' });
  const hex = lower.replaceAll('-', '');
  b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (bytesCache.size >= 1024) bytesCache.clear();
  bytesCache.set(id, b);
  return b;
}

export function readEndpointId(r: ByteReader, field: string): EndpointId {
  r.need(16, field);
  const id = endpointIdAt(r.bytes, r.offset);
  r.offset += 16;
  return id;
}

export function writeEndpointId(w: ByteWriter, id: EndpointId): void {
  w.bytes(endpointIdBytes(id));
}

/** Byte-order comparison (Broker: the smaller id originates the handshake). */
export function compareEndpointIds(a: EndpointId, b: EndpointId): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A random id in Broker's style: UUID version nibble 5, RFC 4122 variant. */
export function randomEndpointId(): EndpointId {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return endpointIdAt(b, 0);
}

/** A store object: its endpoint plus an object number (opaque; Broker's actor id). */
export interface EntityId {
  readonly endpoint: EndpointId;
  readonly object: Int64;
}

export const NIL_ENTITY: EntityId = Object.freeze({ endpoint: NIL_ENDPOINT, object: 0 });

export function isNilEntity(e: EntityId): boolean {
  return e.endpoint === NIL_ENDPOINT && e.object == 0; // eslint-disable-line eqeqeq
}

/** `<uuid>/<object>`, or `nil` for the all-zero entity (the fixtures' notation). */
export function formatEntityId(e: EntityId): string {
  return isNilEntity(e) ? 'nil' : `${e.endpoint}/${e.object}`;
}

export function readEntityId(r: ByteReader, field: string): EntityId {
  const endpoint = readEndpointId(r, field);
  return { endpoint, object: readU64(r, field) };
}

export function writeEntityId(w: ByteWriter, e: EntityId): void {
  writeEndpointId(w, e.endpoint);
  writeInt64(w, e.object, false, 'entity.object');
}
