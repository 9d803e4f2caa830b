// Broker data from WebSocket JSON (spec §3.3), with Broker's acceptance rules and its error
// precedence: a syntax error anywhere wins (Broker parses the whole text first), then "not an
// object", then invalid data (wrong JSON type, unknown @data-type, `1` for a real, `1.0` for a
// count, bad address …), and only then a duplicate set element / table key (found by Broker's
// binary decoder afterwards, hence a different error text).
//
// Values are built in one pass while the text is parsed. `{"data":…,"@data-type":…}` in that
// order is legal, so a `data` member seen before its type is parsed generically and converted
// when the object ends.
import { BrokerError, MalformedJsonError } from '../errors.ts';
import { hasDuplicateKeys, hasDuplicates } from './compare.ts';
import { DEFAULT_JSON_LIMITS, JsonLexer, type JsonLimits } from './json-lexer.ts';
import { atEnd, JSON_NULL, member, NameTable, parseJson, readJsonValue, resolveJsonLimits, type JsonValue } from './json-value.ts';
import { parseAddress, parsePortText, parseSubnetText, parseTimespanText, parseTimestampText } from './json-scalars.ts';
import type { ByteString, Data, Int64 } from './types.ts';
import { NONE } from './values.ts';

export type { JsonLimits } from './json-lexer.ts';
export { DEFAULT_JSON_LIMITS } from './json-lexer.ts';
export { parseJson, type JsonValue } from './json-value.ts';

/** A data message as received: `type` and `topic` when present as strings, and the value. */
export interface ParsedDataMessage {
  readonly type: string | undefined;
  readonly topic: ByteString | undefined;
  readonly value: Data;
}

const VALUE_KEYS = new NameTable(['@data-type', 'data', 'type', 'topic']);
const K_DATA_TYPE = 0;
const K_DATA = 1;
const K_TYPE = 2;
const K_TOPIC = 3;
const ENTRY_KEYS = new NameTable(['key', 'value']);
const TYPE_NAMES = new NameTable(['none', 'boolean', 'count', 'integer', 'real', 'string', 'address', 'subnet', 'port', 'timestamp', 'timespan', 'enum-value', 'set', 'table', 'vector']);

class DataParser {
  /** First reason the input is not valid Broker data; reported only if the syntax is fine. */
  invalid: { reason: string; at: number } | undefined;
  duplicate: { reason: string; at: number } | undefined;

  constructor(readonly lx: JsonLexer) {}

  markInvalid(reason: string, at: number): Data {
    this.invalid ??= { reason, at };
    return NONE;
  }

  /**
   * A `{"@data-type":T,"data":V}` object at the current position. `top` receives the `type` and
   * `topic` members of a top-level data message.
   */
  object(depth: number, top?: { type?: string; topic?: ByteString }): Data {
    const lx = this.lx;
    const at = lx.pos;
    if (lx.peek() !== 0x7b) {
      // Broker reads a non-object element as an empty object: no @data-type, so invalid.
      lx.skipValue(depth);
      return this.markInvalid('expected a {"@data-type", "data"} object', at);
    }
    const d = lx.enter(depth);
    lx.pos++;
    let dtype: string | undefined;
    let value: Data | undefined;
    let deferred: JsonValue | undefined;
    let sawData = false;
    if (lx.peek() === 0x7d) lx.pos++;
    else
      do {
        const k = lx.name(VALUE_KEYS);
        lx.expect(0x3a);
        if (k === K_DATA_TYPE && dtype === undefined) {
          if (lx.peek() === 0x22) {
            const t = lx.name(TYPE_NAMES);
            dtype = t < 0 ? '' : TYPE_NAMES.names[t]!;
          } else {
            lx.skipValue(d);
            dtype = '';
          }
        } else if (k === K_DATA && !sawData) {
          sawData = true;
          if (dtype !== undefined) value = this.typed(dtype, d);
          else deferred = readJsonValue(lx, d);
        } else if (top && k === K_TYPE && top.type === undefined && lx.peek() === 0x22) {
          const t = lx.string();
          top.type = typeof t === 'string' ? t : '';
        } else if (top && k === K_TOPIC && top.topic === undefined && lx.peek() === 0x22) {
          top.topic = lx.string();
        } else lx.skipValue(d);
      } while (lx.separator(0x7d));
    if (value !== undefined) return value;
    return this.fromGeneric(dtype ?? '', deferred ?? JSON_NULL, at);
  }

  /** The `data` member parsed straight into a value of type `dtype`. */
  typed(dtype: string, depth: number): Data {
    const lx = this.lx;
    const at = lx.pos;
    const c = lx.peek();
    switch (dtype) {
      case 'none':
        lx.skipValue(depth);
        return NONE;
      case 'boolean':
        if (c === 0x74 && lx.word('true')) return { type: 'boolean', value: true };
        if (c === 0x66 && lx.word('false')) return { type: 'boolean', value: false };
        break;
      case 'count':
      case 'integer':
      case 'real':
        if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x6e || c === 0x69) {
          if (c === 0x6e && lx.word('null')) return this.markInvalid(`null is not a ${dtype}`, at);
          const isReal = lx.number();
          return this.number(dtype, isReal, isReal ? lx.real : lx.int, at);
        }
        break;
      case 'string':
      case 'enum-value':
      case 'address':
      case 'subnet':
      case 'port':
      case 'timestamp':
      case 'timespan':
        if (c === 0x22) return this.text(dtype, lx.string(), at);
        break;
      case 'vector':
      case 'set':
        if (c === 0x5b) {
          const d = lx.enter(depth);
          lx.pos++;
          const elements: Data[] = [];
          if (lx.peek() === 0x5d) lx.pos++;
          else
            do {
              lx.checkSize(elements.length + 1);
              elements.push(this.object(d));
            } while (lx.separator(0x5d));
          return this.container(dtype, elements, at);
        }
        break;
      case 'table':
        if (c === 0x5b) {
          const d = lx.enter(depth);
          lx.pos++;
          const entries: (readonly [Data, Data])[] = [];
          if (lx.peek() === 0x5d) lx.pos++;
          else
            do {
              lx.checkSize(entries.length + 1);
              entries.push(this.entry(d));
            } while (lx.separator(0x5d));
          return this.table(entries, at);
        }
        break;
      default:
        lx.skipValue(depth);
        return this.markInvalid(`unknown @data-type ${JSON.stringify(dtype)}`, at);
    }
    lx.skipValue(depth);
    return this.markInvalid(`wrong JSON type for ${dtype}`, at);
  }

  /** One `{"key":…,"value":…}` table entry. */
  entry(depth: number): readonly [Data, Data] {
    const lx = this.lx;
    const at = lx.pos;
    if (lx.peek() !== 0x7b) {
      lx.skipValue(depth);
      this.markInvalid('table entry is not an object', at);
      return [NONE, NONE];
    }
    const d = lx.enter(depth);
    lx.pos++;
    let key: Data | undefined;
    let value: Data | undefined;
    if (lx.peek() === 0x7d) lx.pos++;
    else
      do {
        const k = lx.name(ENTRY_KEYS);
        lx.expect(0x3a);
        if (k === 0 && key === undefined) key = this.object(d);
        else if (k === 1 && value === undefined) value = this.object(d);
        else lx.skipValue(d);
      } while (lx.separator(0x7d));
    if (key === undefined || value === undefined) this.markInvalid('table entry without "key" and "value"', at);
    return [key ?? NONE, value ?? NONE];
  }

  number(dtype: string, isReal: boolean, v: Int64, at: number): Data {
    if (dtype === 'real') return isReal ? { type: 'real', value: v as number } : this.markInvalid('an integer literal is not a real', at);
    if (isReal) return this.markInvalid(`a real literal is not a ${dtype}`, at);
    if (dtype === 'count') return v >= 0 ? { type: 'count', value: v } : this.markInvalid('negative count', at);
    return v <= 0x7fff_ffff_ffff_ffffn ? { type: 'integer', value: v } : this.markInvalid('integer out of range', at);
  }

  text(dtype: string, s: ByteString, at: number): Data {
    if (dtype === 'string') return { type: 'string', value: s };
    if (dtype === 'enum-value') return { type: 'enum_value', value: s };
    if (typeof s !== 'string') return this.markInvalid(`${dtype} text is not UTF-8`, at);
    switch (dtype) {
      case 'address': {
        const a = parseAddress(s);
        return a ? { type: 'address', value: a } : this.markInvalid('unparsable address', at);
      }
      case 'subnet': {
        const sn = parseSubnetText(s);
        return sn ? { type: 'subnet', address: sn.address, length: sn.length } : this.markInvalid('unparsable subnet', at);
      }
      case 'port': {
        const p = parsePortText(s);
        return p ? { type: 'port', number: p.number, protocol: p.protocol } : this.markInvalid('unparsable port', at);
      }
      case 'timestamp': {
        const ns = parseTimestampText(s);
        return ns !== undefined ? { type: 'timestamp', value: ns } : this.markInvalid('unparsable timestamp', at);
      }
      default: {
        const ns = parseTimespanText(s);
        return ns !== undefined ? { type: 'timespan', value: ns } : this.markInvalid('unparsable timespan', at);
      }
    }
  }

  container(dtype: 'vector' | 'set', elements: Data[], at: number): Data {
    if (dtype === 'vector') return { type: 'vector', elements };
    if (!this.invalid && hasDuplicates(elements)) this.duplicate ??= { reason: 'set contains a duplicate element', at };
    return { type: 'set', elements };
  }

  table(entries: (readonly [Data, Data])[], at: number): Data {
    if (!this.invalid && hasDuplicateKeys(entries)) this.duplicate ??= { reason: 'table contains a duplicate key', at };
    return { type: 'table', entries };
  }

  /** Converts a `data` member that came before its `@data-type`. */
  fromGeneric(dtype: string, v: JsonValue, at: number): Data {
    switch (dtype) {
      case 'none':
        return NONE;
      case 'boolean':
        return v.kind === 'boolean' ? { type: 'boolean', value: v.value } : this.markInvalid('wrong JSON type for boolean', at);
      case 'count':
      case 'integer':
      case 'real':
        return v.kind === 'integer' || v.kind === 'real' ? this.number(dtype, v.kind === 'real', v.value, at) : this.markInvalid(`wrong JSON type for ${dtype}`, at);
      case 'string':
      case 'enum-value':
      case 'address':
      case 'subnet':
      case 'port':
      case 'timestamp':
      case 'timespan':
        return v.kind === 'string' ? this.text(dtype, v.value, at) : this.markInvalid(`wrong JSON type for ${dtype}`, at);
      case 'vector':
      case 'set':
        return v.kind === 'array' ? this.container(dtype, v.items.map((x) => this.genericObject(x, at)), at) : this.markInvalid(`wrong JSON type for ${dtype}`, at);
      case 'table':
        if (v.kind !== 'array') return this.markInvalid('wrong JSON type for table', at);
        return this.table(
          v.items.map((x) => {
            const key = x.kind === 'object' ? member(x, 'key') : undefined;
            const value = x.kind === 'object' ? member(x, 'value') : undefined;
            if (!key || !value) {
              this.markInvalid('table entry without "key" and "value"', at);
              return [NONE, NONE] as const;
            }
            return [this.genericObject(key, at), this.genericObject(value, at)] as const;
          }),
          at,
        );
      default:
        return this.markInvalid(`unknown @data-type ${JSON.stringify(dtype)}`, at);
    }
  }

  genericObject(v: JsonValue, at: number): Data {
    if (v.kind !== 'object') return this.markInvalid('expected a {"@data-type", "data"} object', at);
    const t = member(v, '@data-type');
    const dtype = t?.kind === 'string' && typeof t.value === 'string' ? t.value : '';
    return this.fromGeneric(dtype, member(v, 'data') ?? JSON_NULL, at);
  }

  /** Throws the recorded semantic failure, if any (after the whole text parsed cleanly). */
  finish(): void {
    if (this.invalid) throw new BrokerError('invalid_data', this.invalid.reason, { field: 'json', offset: this.invalid.at });
    if (this.duplicate) throw new BrokerError('duplicate_element', this.duplicate.reason, { field: 'json', offset: this.duplicate.at });
  }
}

function parseTop(input: Uint8Array | string, limits: Partial<JsonLimits> | undefined): { value: Data; top: { type?: string; topic?: ByteString } } {
  const lx = new JsonLexer(input, resolveJsonLimits(limits));
  const p = new DataParser(lx);
  const c = lx.peek();
  if (c === -1) lx.fail('unexpected_eof');
  const top: { type?: string; topic?: ByteString } = {};
  if (c !== 0x7b) {
    lx.skipValue(0);
    atEnd(lx);
    throw new BrokerError('not_an_object', 'expected a JSON object', { field: 'json', offset: 0 });
  }
  const value = p.object(0, top);
  atEnd(lx);
  p.finish();
  return { value, top };
}

/** A WebSocket data message (`{"type":"data-message","topic":…,"@data-type":…,"data":…}`). */
export function parseDataMessage(input: Uint8Array | string, limits?: Partial<JsonLimits>): ParsedDataMessage {
  const { value, top } = parseTop(input, limits);
  return { type: top.type, topic: top.topic, value };
}

/** One value object `{"@data-type":T,"data":V}` (other members are ignored). */
export function jsonToData(input: Uint8Array | string, limits?: Partial<JsonLimits>): Data {
  return parseTop(input, limits).value;
}

/** Converts a generic `{"@data-type":T,"data":V}` JsonValue to data (throws like jsonToData). */
export function jsonValueToData(v: JsonValue): Data {
  const p = new DataParser(new JsonLexer('', DEFAULT_JSON_LIMITS));
  if (v.kind !== 'object') throw new BrokerError('not_an_object', 'expected a JSON object', { field: 'json' });
  const value = p.genericObject(v, 0);
  p.finish();
  return value;
}

/**
 * The client's first message: a JSON array of topic strings. Anything else is `invalid_data`
 * (Broker's server then closes the connection with status 1011).
 */
export function parseSubscriptions(input: Uint8Array | string, limits?: Partial<JsonLimits>): string[] {
  const v = parseJson(input, limits);
  if (v.kind !== 'array') throw new BrokerError('invalid_data', 'subscriptions not an array', { field: 'json' });
  return v.items.map((x) => {
    if (x.kind !== 'string' || typeof x.value !== 'string') throw new BrokerError('invalid_data', 'individual subscription not a string', { field: 'json' });
    return x.value;
  });
}

/**
 * The `context` text of Broker's WebSocket error message for input number `n` (counting from 1
 * after the subscription message), e.g. `input #3 contained invalid data`.
 */
export function webSocketErrorContext(err: BrokerError, n: number): string {
  switch (err.code) {
    case 'malformed_json':
      return `input #${n} contained malformed JSON -> ${err instanceof MalformedJsonError ? err.cafText : 'caf::pec::unexpected_character(1, 1)'}`;
    case 'not_an_object':
      return `input #${n} expected a JSON object`;
    case 'duplicate_element':
      return `input #${n} caused an internal error -> deserialization_failed("failed to parse data")`;
    default:
      return `input #${n} contained invalid data`;
  }
}
