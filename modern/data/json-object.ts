// Broker values as plain JS objects shaped like Broker's JSON (`{"@data-type": T, "data": V}`), for
// decoded views (`comm-bridge decode`) that are serialised with stringifyJson. Numbers stay exact
// (count/integer as number or bigint); the text forms (timestamps, timespans, ports, addresses) are
// Broker's. Non-finite reals become the strings `nan`/`inf`/`-inf`, which Broker writes bare; a
// string that is not valid UTF-8 is shown with U+FFFD plus its exact bytes in `hex`. Broker's
// timestamp text has milliseconds only and is wrong before the epoch, so a timestamp it cannot show
// exactly also carries its nanoseconds in `ns`.
import { Buffer } from 'node:buffer';
import { toHex } from '../../src/core/json.ts';
import { formatAddress, formatSubnet } from './address.ts';
import { JSON_TYPE_NAMES } from './json-encode.ts';
import { formatPort, formatTimespan, formatTimestamp } from './json-format.ts';
import type { ByteString, Data, Int64 } from './types.ts';

export interface JsonDataObject {
  '@data-type': string;
  data: unknown;
  hex?: string;
  ns?: Int64;
}

/** Broker's text shows whole milliseconds, correctly only from the epoch on. */
function exactInMs(ns: Int64): boolean {
  return typeof ns === 'bigint' ? ns >= 0n && ns % 1_000_000n === 0n : ns >= 0 && ns % 1_000_000 === 0;
}

function text(v: ByteString): { data: string; hex?: string } {
  return typeof v === 'string' ? { data: v } : { data: Buffer.from(v).toString('utf8'), hex: toHex(v) };
}

export function dataToJsonObject(v: Data): JsonDataObject {
  const t = JSON_TYPE_NAMES[v.type];
  switch (v.type) {
    case 'none':
      return { '@data-type': t, data: {} };
    case 'boolean':
    case 'count':
    case 'integer':
      return { '@data-type': t, data: v.value };
    case 'real':
      return { '@data-type': t, data: Number.isFinite(v.value) ? v.value : Number.isNaN(v.value) ? 'nan' : v.value > 0 ? 'inf' : '-inf' };
    case 'string':
    case 'enum_value':
      return { '@data-type': t, ...text(v.value) };
    case 'address':
      return { '@data-type': t, data: formatAddress(v.value) };
    case 'subnet':
      return { '@data-type': t, data: formatSubnet(v.address, v.length) };
    case 'port':
      return { '@data-type': t, data: formatPort(v.number, v.protocol) };
    case 'timestamp':
      return exactInMs(v.value) ? { '@data-type': t, data: formatTimestamp(v.value) } : { '@data-type': t, data: formatTimestamp(v.value), ns: v.value };
    case 'timespan':
      return { '@data-type': t, data: formatTimespan(v.value) };
    case 'vector':
    case 'set':
      return { '@data-type': t, data: v.elements.map(dataToJsonObject) };
    case 'table':
      return { '@data-type': t, data: v.entries.map(([key, value]) => ({ key: dataToJsonObject(key), value: dataToJsonObject(value) })) };
  }
}
