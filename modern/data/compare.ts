// Broker's canonical total order on data: first by type tag, then by value. Numbers compare
// numerically (number and bigint mixed), strings and enum names bytewise (UTF-8), addresses as
// 16 bytes, subnets by (address, raw length), ports by (number, protocol), vectors
// lexicographically, sets and tables lexicographically over their sorted elements / entries.
// Reals: -0 equals +0 (as in C++); NaN, which C++ cannot order, equals NaN and sorts after all
// other reals so that the order stays total.
import type { Data, PortData, SetData, SubnetData, TableData, VectorData } from './types.ts';
import { DataTag, PORT_PROTOCOLS } from './types.ts';
import { byteStringsEqual, compareByteStrings, compareBytes } from './utf8.ts';

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareInt(x: number | bigint, y: number | bigint): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareReal(x: number, y: number): number {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
}

function compareSequences(a: readonly Data[], b: readonly Data[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareData(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return sign(a.length - b.length);
}

function compareEntry(a: readonly [Data, Data], b: readonly [Data, Data]): number {
  return compareData(a[0], b[0]) || compareData(a[1], b[1]);
}

/** The set's elements in canonical order (the same array when already sorted). */
export function sortedElements(s: SetData): readonly Data[] {
  const xs = s.elements;
  for (let i = 1; i < xs.length; i++) if (compareData(xs[i - 1]!, xs[i]!) > 0) return [...xs].sort(compareData);
  return xs;
}

/** The table's entries in canonical key order (the same array when already sorted). */
export function sortedEntries(t: TableData): readonly (readonly [Data, Data])[] {
  const xs = t.entries;
  for (let i = 1; i < xs.length; i++) if (compareData(xs[i - 1]![0], xs[i]![0]) > 0) return [...xs].sort(compareEntry);
  return xs;
}

export function compareData(a: Data, b: Data): number {
  if (a.type !== b.type) return sign(DataTag[a.type] - DataTag[b.type]);
  switch (a.type) {
    case 'none':
      return 0;
    case 'boolean':
      return a.value === (b as typeof a).value ? 0 : a.value ? 1 : -1;
    case 'count':
    case 'integer':
    case 'timestamp':
    case 'timespan':
      return compareInt(a.value, (b as typeof a).value);
    case 'real':
      return compareReal(a.value, (b as typeof a).value);
    case 'string':
    case 'enum_value':
      return compareByteStrings(a.value, (b as typeof a).value);
    case 'address':
      return compareBytes(a.value, (b as typeof a).value);
    case 'subnet': {
      const y = b as SubnetData;
      return compareBytes(a.address, y.address) || sign(a.length - y.length);
    }
    case 'port': {
      const y = b as PortData;
      return sign(a.number - y.number) || sign(PORT_PROTOCOLS.indexOf(a.protocol) - PORT_PROTOCOLS.indexOf(y.protocol));
    }
    case 'vector':
      return compareSequences(a.elements, (b as VectorData).elements);
    case 'set':
      return compareSequences(sortedElements(a), sortedElements(b as SetData));
    case 'table': {
      const xs = sortedEntries(a);
      const ys = sortedEntries(b as TableData);
      const n = Math.min(xs.length, ys.length);
      for (let i = 0; i < n; i++) {
        const c = compareEntry(xs[i]!, ys[i]!);
        if (c !== 0) return c;
      }
      return sign(xs.length - ys.length);
    }
  }
}

/** Exact value equality (sets and tables regardless of element order). */
export function equalsData(a: Data, b: Data): boolean {
  if (a === b) return true;
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'none':
      return true;
    case 'boolean':
    case 'count':
    case 'integer':
    case 'timestamp':
    case 'timespan':
      // `==` compares number and bigint by value.
      // eslint-disable-next-line eqeqeq
      return a.value == (b as typeof a).value;
    case 'real':
      return compareReal(a.value, (b as typeof a).value) === 0;
    case 'string':
    case 'enum_value':
      return byteStringsEqual(a.value, (b as typeof a).value);
    case 'vector': {
      const ys = (b as VectorData).elements;
      if (a.elements.length !== ys.length) return false;
      for (let i = 0; i < ys.length; i++) if (!equalsData(a.elements[i]!, ys[i]!)) return false;
      return true;
    }
    case 'set':
      return a.elements.length === (b as SetData).elements.length && compareData(a, b) === 0;
    case 'table':
      return a.entries.length === (b as TableData).entries.length && compareData(a, b) === 0;
    default:
      return compareData(a, b) === 0;
  }
}

/** True when two of the values are equal (set elements / table keys); O(n) when already sorted. */
export function hasDuplicates(values: readonly Data[]): boolean {
  for (let i = 1; i < values.length; i++) {
    const c = compareData(values[i - 1]!, values[i]!);
    if (c === 0) return true;
    if (c > 0) {
      const sorted = [...values].sort(compareData);
      for (let j = 1; j < sorted.length; j++) if (compareData(sorted[j - 1]!, sorted[j]!) === 0) return true;
      return false;
    }
  }
  return false;
}

export function hasDuplicateKeys(entries: readonly (readonly [Data, Data])[]): boolean {
  for (let i = 1; i < entries.length; i++) {
    const c = compareData(entries[i - 1]![0], entries[i]![0]);
    if (c === 0) return true;
    if (c > 0) return hasDuplicates(entries.map((e) => e[0]));
  }
  return false;
}
