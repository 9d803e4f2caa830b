// Broker's add/subtract on stored values (its `adder`/`remover` appliers): numbers add in their
// own type (count wraps modulo 2^64, integer in two's complement), timestamps move by a timespan,
// strings append, vectors push/pop, sets insert/erase, tables insert a [key, value] pair / erase a
// key. Anything else is a type clash. A missing key starts from the default value of `initType`.
import { compareData, int64, sortedElements, sortedEntries, type Data, type DataType, type Int64 } from '../data/index.ts';
import { byteStringBytes, toByteString } from '../data/index.ts';
import { ApplyError } from './errors.ts';

const U64 = 1n << 64n;
const I64 = 1n << 63n;

function big(v: Int64): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

function wrapCount(v: bigint): Int64 {
  return int64(((v % U64) + U64) % U64);
}

function wrapInteger(v: bigint): Int64 {
  const m = ((v % U64) + U64) % U64;
  return int64(m >= I64 ? m - U64 : m);
}

/** Broker's `data::from_type`: the value an absent key starts from. */
export function defaultOfType(t: DataType): Data {
  switch (t) {
    case 'none':
      return { type: 'none' };
    case 'boolean':
      return { type: 'boolean', value: false };
    case 'count':
    case 'integer':
    case 'timestamp':
    case 'timespan':
      return { type: t, value: 0 };
    case 'real':
      return { type: 'real', value: 0 };
    case 'string':
    case 'enum_value':
      return { type: t, value: '' };
    case 'address':
      return { type: 'address', value: new Uint8Array(16) };
    case 'subnet':
      return { type: 'subnet', address: new Uint8Array(16), length: 0 };
    case 'port':
      return { type: 'port', number: 0, protocol: 'unknown' };
    case 'set':
      return { type: 'set', elements: [] };
    case 'table':
      return { type: 'table', entries: [] };
    case 'vector':
      return { type: 'vector', elements: [] };
  }
}

function clash(op: string, target: Data, value: Data): ApplyError {
  return new ApplyError('type_clash', `cannot ${op} a ${value.type} to a ${target.type}`);
}

function concatStrings(a: string | Uint8Array, b: string | Uint8Array): string | Uint8Array {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  const x = byteStringBytes(a);
  const y = byteStringBytes(b);
  const out = new Uint8Array(x.length + y.length);
  out.set(x, 0);
  out.set(y, x.length);
  return toByteString(out);
}

function insertSorted(xs: readonly Data[], v: Data): readonly Data[] {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareData(xs[mid]!, v);
    if (c === 0) return xs;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return [...xs.slice(0, lo), v, ...xs.slice(lo)];
}

/** `target + value`; throws ApplyError. Sets and tables come out in canonical order. */
export function addData(target: Data, value: Data): Data {
  switch (target.type) {
    case 'count':
      if (value.type !== 'count') throw clash('add', target, value);
      return { type: 'count', value: wrapCount(big(target.value) + big(value.value)) };
    case 'integer':
      if (value.type !== 'integer') throw clash('add', target, value);
      return { type: 'integer', value: wrapInteger(big(target.value) + big(value.value)) };
    case 'real':
      if (value.type !== 'real') throw clash('add', target, value);
      return { type: 'real', value: target.value + value.value };
    case 'timespan':
      if (value.type !== 'timespan') throw clash('add', target, value);
      return { type: 'timespan', value: wrapInteger(big(target.value) + big(value.value)) };
    case 'timestamp':
      if (value.type !== 'timespan') throw clash('add', target, value);
      return { type: 'timestamp', value: wrapInteger(big(target.value) + big(value.value)) };
    case 'string':
      if (value.type !== 'string') throw clash('add', target, value);
      return { type: 'string', value: concatStrings(target.value, value.value) };
    case 'vector':
      return { type: 'vector', elements: [...target.elements, value] };
    case 'set':
      return { type: 'set', elements: insertSorted(sortedElements(target), value) };
    case 'table': {
      if (value.type !== 'vector') throw clash('add', target, value);
      if (value.elements.length !== 2) throw new ApplyError('invalid_data', `a table insert needs [key, value], got ${value.elements.length} element(s)`);
      const [k, v] = value.elements as [Data, Data];
      const entries = sortedEntries(target).filter((e) => compareData(e[0], k) !== 0);
      let i = 0;
      while (i < entries.length && compareData(entries[i]![0], k) < 0) i++;
      return { type: 'table', entries: [...entries.slice(0, i), [k, v], ...entries.slice(i)] };
    }
    default:
      throw clash('add', target, value);
  }
}

/** `target - value`; throws ApplyError. */
export function subtractData(target: Data, value: Data): Data {
  switch (target.type) {
    case 'count':
      if (value.type !== 'count') throw clash('subtract', target, value);
      return { type: 'count', value: wrapCount(big(target.value) - big(value.value)) };
    case 'integer':
      if (value.type !== 'integer') throw clash('subtract', target, value);
      return { type: 'integer', value: wrapInteger(big(target.value) - big(value.value)) };
    case 'real':
      if (value.type !== 'real') throw clash('subtract', target, value);
      return { type: 'real', value: target.value - value.value };
    case 'timespan':
      if (value.type !== 'timespan') throw clash('subtract', target, value);
      return { type: 'timespan', value: wrapInteger(big(target.value) - big(value.value)) };
    case 'timestamp':
      if (value.type !== 'timespan') throw clash('subtract', target, value);
      return { type: 'timestamp', value: wrapInteger(big(target.value) - big(value.value)) };
    case 'vector':
      return { type: 'vector', elements: target.elements.slice(0, Math.max(0, target.elements.length - 1)) };
    case 'set':
      return { type: 'set', elements: sortedElements(target).filter((e) => compareData(e, value) !== 0) };
    case 'table':
      return { type: 'table', entries: sortedEntries(target).filter((e) => compareData(e[0], value) !== 0) };
    default:
      throw clash('subtract', target, value);
  }
}

/** Broker's `get(key, aspect)`: vector element by index, set membership, table value. */
export function indexData(target: Data, aspect: Data): Data | undefined {
  switch (target.type) {
    case 'vector': {
      const i = aspect.type === 'count' || aspect.type === 'integer' ? Number(aspect.value) : NaN;
      if (aspect.type !== 'count' && !(aspect.type === 'integer' && i >= 0)) throw new ApplyError('type_clash', `cannot index a vector with a ${aspect.type}`);
      return target.elements[i];
    }
    case 'set':
      return { type: 'boolean', value: target.elements.some((e) => compareData(e, aspect) === 0) };
    case 'table':
      return target.entries.find((e) => compareData(e[0], aspect) === 0)?.[1];
    default:
      throw new ApplyError('type_clash', `cannot index a ${target.type}`);
  }
}
