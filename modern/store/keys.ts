// Store keys are Broker values; maps need them as strings. Broker's sets and tables are always in
// canonical order, so two equal keys have the same bin v1 bytes once containers are sorted; those
// bytes (as a latin1 string) are the map key. Plain text keys, the common case, skip the encoder.
import { encodeData, set, table, vector, type Data } from '../data/index.ts';
import { Buffer } from 'node:buffer';

/** The value with every set and table (at any depth) in canonical order. */
export function canonicalData(d: Data): Data {
  switch (d.type) {
    case 'set':
      return set(d.elements.map(canonicalData));
    case 'table':
      return table(d.entries.map(([k, v]) => [canonicalData(k), canonicalData(v)] as const));
    case 'vector':
      return d.elements.some(isContainer) ? vector(d.elements.map(canonicalData)) : d;
    default:
      return d;
  }
}

function isContainer(d: Data): boolean {
  return d.type === 'set' || d.type === 'table' || d.type === 'vector';
}

/** U+0100 never occurs in a latin1 string, so text keys cannot collide with encoded ones. */
const TEXT_PREFIX = '\u0100';

/** A string that is equal for equal keys and different for different keys. */
export function keyString(d: Data): string {
  if (d.type === 'string' && typeof d.value === 'string') return TEXT_PREFIX + d.value;
  return Buffer.from(encodeData(canonicalData(d))).toString('latin1');
}
