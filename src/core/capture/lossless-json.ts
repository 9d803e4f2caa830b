// A JSON parser for text written by peers rather than by JSON.stringify: integers beyond 2^53 come
// back as exact bigints (Broker's count 2^64-1 and integer -2^63), and Broker's own output quirks
// are accepted — the `\v` escape, raw control bytes inside strings, and bare nan/inf/-inf for reals.
// It reports failure as a value (never throws) and bounds nesting depth.

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonParseResult = { ok: true; value: JsonValue } | { ok: false; error: string; offset: number };

export interface JsonParseOptions {
  maxDepth?: number;
  /** Accept Broker's non-standard output (`\v`, raw control characters, nan/inf). Default true. */
  lenient?: boolean;
  /** Bare nan/inf/-inf as numbers (default) or as the strings "nan"/"inf"/"-inf", which survive JSON output. */
  nonFinite?: 'number' | 'string';
}

class Fail {
  constructor(
    readonly error: string,
    readonly offset: number,
  ) {}
}

const SAFE_DIGITS = 15;

export function parseJsonLossless(text: string, options: JsonParseOptions = {}): JsonParseResult {
  const maxDepth = options.maxDepth ?? 512;
  const lenient = options.lenient ?? true;
  const asText = options.nonFinite === 'string';
  let i = 0;

  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const fail = (msg: string): never => {
    throw new Fail(msg, i);
  };

  const value = (depth: number): JsonValue => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (lenient) {
      // printf("%f") of non-finite reals, as Broker writes them.
      if (text.startsWith('nan', i) || text.startsWith('-nan', i)) return (i += c === '-' ? 4 : 3), asText ? 'nan' : NaN;
      if (text.startsWith('inf', i)) return (i += 3), asText ? 'inf' : Infinity;
      if (text.startsWith('-inf', i)) return (i += 4), asText ? '-inf' : -Infinity;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    return fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  };

  const object = (depth: number): JsonValue => {
    i++;
    const out: { [key: string]: JsonValue } = {};
    ws();
    if (text[i] === '}') return i++, out;
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a string key');
      const key = string();
      ws();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      const v = value(depth + 1);
      // Own data property even for "__proto__", so a peer cannot reach the prototype.
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') return i++, out;
      fail('expected "," or "}"');
    }
  };

  const array = (depth: number): JsonValue => {
    i++;
    const out: JsonValue[] = [];
    ws();
    if (text[i] === ']') return i++, out;
    for (;;) {
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') return i++, out;
      fail('expected "," or "]"');
    }
  };

  const string = (): string => {
    i++;
    let out = '';
    let run = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20 && !lenient) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(run, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          if (!lenient) fail('invalid escape \\v');
          out += '\v';
          break;
        case 'u': {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          i -= 1;
          fail(`invalid escape \\${e ?? ''}`);
      }
      run = i;
    }
  };

  const number = (): number | bigint => {
    const start = i;
    if (text[i] === '-') i++;
    const digitsStart = i;
    while (text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    if (i === digitsStart) fail('expected a digit');
    if (text[digitsStart] === '0' && i - digitsStart > 1) fail('leading zero');
    let integral = true;
    if (text[i] === '.') {
      integral = false;
      i++;
      const f = i;
      while (text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      if (i === f) fail('expected a digit after "."');
    }
    if (text[i] === 'e' || text[i] === 'E') {
      integral = false;
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      const f = i;
      while (text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      if (i === f) fail('expected an exponent');
    }
    const literal = text.slice(start, i);
    if (!integral || i - digitsStart <= SAFE_DIGITS) return Number(literal);
    const big = BigInt(literal);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  };

  try {
    const v = value(0);
    ws();
    if (i !== text.length) fail('trailing characters after the JSON value');
    return { ok: true, value: v };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, error: err.error, offset: err.offset };
    throw err;
  }
}
