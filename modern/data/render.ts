// Compact one-line rendering of Broker values, the notation of the `value` field in the fixtures'
// *.decoded.jsonl (and of `broker-decode.py`): `nil`, `T`/`F`, `42u`, `+7`/`-7`, `1.5`, `'text'`,
// `addr(…)`, `subn(…)`, `port(80/tcp)`, `ts(<ns>ns)`, `span(<ns>ns)`, `enum(…)`, `[…]`, `{…}`,
// `{k -> v}`. Reals and strings are written the way Python's repr() writes them.
import { formatAddress, formatSubnet } from './address.ts';
import type { ByteString, Data } from './types.ts';

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function quoteFor(hasSingle: boolean, hasDouble: boolean): string {
  return hasSingle && !hasDouble ? '"' : "'";
}

function reprString(s: string): string {
  const q = quoteFor(s.includes("'"), s.includes('"'));
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c === 0x20 || (c > 0x20 && c < 0x7f)) out += ch;
    else if (NON_PRINTABLE.test(ch)) out += c <= 0xff ? `\\x${hex(c, 2)}` : c <= 0xffff ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`;
    else out += ch;
  }
  return out + q;
}

function reprBytes(b: Uint8Array): string {
  const q = quoteFor(b.includes(0x27), b.includes(0x22));
  let out = `b${q}`;
  for (const c of b) {
    if (c === q.charCodeAt(0) || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${hex(c, 2)}`;
  }
  return out + q;
}

export function reprByteString(s: ByteString): string {
  return typeof s === 'string' ? reprString(s) : reprBytes(s);
}

/** Python's repr() of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function reprReal(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let body: string;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      body = `${int}.${digits.slice(exp + 1) || '0'}`;
    } else {
      body = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
  } else {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    body = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return negative ? `-${body}` : body;
}

export function renderData(v: Data): string {
  switch (v.type) {
    case 'none':
      return 'nil';
    case 'boolean':
      return v.value ? 'T' : 'F';
    case 'count':
      return `${v.value}u`;
    case 'integer':
      return v.value >= 0 ? `+${v.value}` : `${v.value}`;
    case 'real':
      return reprReal(v.value);
    case 'string':
      return reprByteString(v.value);
    case 'address':
      return `addr(${formatAddress(v.value)})`;
    case 'subnet':
      return `subn(${formatSubnet(v.address, v.length)})`;
    case 'port':
      return `port(${v.number}/${v.protocol === 'unknown' ? '?' : v.protocol})`;
    case 'timestamp':
      return `ts(${v.value}ns)`;
    case 'timespan':
      return `span(${v.value}ns)`;
    case 'enum_value':
      return `enum(${typeof v.value === 'string' ? v.value : reprBytes(v.value)})`;
    case 'vector':
      return `[${v.elements.map(renderData).join(', ')}]`;
    case 'set':
      return `{${v.elements.map(renderData).join(', ')}}`;
    case 'table':
      return `{${v.entries.map(([k, x]) => `${renderData(k)} -> ${renderData(x)}`).join(', ')}}`;
  }
}
