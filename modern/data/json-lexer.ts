// A small byte-level JSON lexer for Broker's WebSocket JSON. JSON.parse cannot be used: it rounds
// 64-bit integers and cannot tell `1` (integer, not a real for Broker) from `1.0` (real, not a
// count). Tolerates what Broker itself writes: raw control and non-UTF-8 bytes inside strings,
// the `\v` escape, and bare `nan`/`inf`/`-inf` reals. Syntax errors are MalformedJsonErrors located
// like CAF's parser (line, column), so a server can reproduce Broker's error context text.
import { Buffer } from 'node:buffer';
import { BrokerError, MalformedJsonError, type CafParserError } from '../errors.ts';
import type { ByteString, Int64 } from './types.ts';
import { bufferView, decodeByteString, toByteString } from './utf8.ts';
import type { NameTable } from './json-value.ts';

export interface JsonLimits {
  /** Largest input accepted, in bytes. */
  maxInputBytes: number;
  /** Deepest nesting of JSON arrays and objects (a Broker container costs 2 levels). */
  maxDepth: number;
  /** Most elements of one JSON array. */
  maxContainerSize: number;
  /** Accept bare `nan`, `-nan`, `inf`, `-inf` (Broker writes them for non-finite reals). */
  allowNonFinite: boolean;
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxInputBytes: 64 << 20,
  maxDepth: 256,
  maxContainerSize: 1 << 20,
  allowNonFinite: true,
});

const I64_MIN = -0x8000_0000_0000_0000n;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

export class JsonLexer {
  readonly b: Uint8Array;
  readonly buf: Buffer;
  pos = 0;
  readonly end: number;
  readonly limits: JsonLimits;
  /** Value of the last number read: an integer literal (Int64) or a real. */
  int: Int64 = 0;
  real = 0;
  private scratch = new Uint8Array(64);

  constructor(input: Uint8Array | string, limits: JsonLimits) {
    this.b = typeof input === 'string' ? bufferView(Buffer.from(input, 'utf8')) : input;
    if (this.b.length > limits.maxInputBytes) {
      throw new BrokerError('limit_exceeded', `JSON input of ${this.b.length} bytes exceeds the limit of ${limits.maxInputBytes}`, { field: 'json' });
    }
    this.buf = bufferView(this.b);
    this.end = this.b.length;
    this.limits = limits;
  }

  /** A syntax error at byte `at`, with CAF's 1-based line and column. */
  fail(pec: CafParserError, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.end; i++) {
      if (this.b[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new MalformedJsonError(pec, line, at - lineStart + 1, at);
  }

  /** Skips whitespace and returns the next byte (-1 at the end) without consuming it. */
  peek(): number {
    const b = this.b;
    let p = this.pos;
    while (p < this.end) {
      const c = b[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
    return p < this.end ? b[p]! : -1;
  }

  /** Consumes `c` (after whitespace) or fails. */
  expect(c: number): void {
    const next = this.peek();
    if (next !== c) this.fail(next < 0 ? 'unexpected_eof' : 'unexpected_character');
    this.pos++;
  }

  /** After a member or element: true for `,`, false for the closing `close`. */
  separator(close: number): boolean {
    const next = this.peek();
    if (next === 0x2c) {
      this.pos++;
      return true;
    }
    if (next === close) {
      this.pos++;
      return false;
    }
    return this.fail(next < 0 ? 'unexpected_eof' : 'unexpected_character');
  }

  enter(depth: number): number {
    if (depth >= this.limits.maxDepth) this.fail('nested_too_deeply');
    return depth + 1;
  }

  checkSize(n: number): void {
    if (n > this.limits.maxContainerSize) {
      throw new BrokerError('limit_exceeded', `JSON array of more than ${this.limits.maxContainerSize} elements`, { field: 'json', offset: this.pos });
    }
  }

  /** Consumes a literal word (`true`, `null`, …) if it is next; the caller checked its first byte. */
  word(w: string): boolean {
    const n = w.length;
    if (this.pos + n > this.end) return false;
    for (let i = 0; i < n; i++) if (this.b[this.pos + i] !== w.charCodeAt(i)) return false;
    this.pos += n;
    return true;
  }

  /** Consumes the literal `w` or fails at the first byte that differs, as a char-by-char parser would. */
  literal(w: string): void {
    for (let i = 0; i < w.length; i++) {
      const p = this.pos + i;
      if (p >= this.end) this.fail('unexpected_eof', p);
      if (this.b[p] !== w.charCodeAt(i)) this.fail('unexpected_character', p);
    }
    this.pos += w.length;
  }

  /** Reads a string at `"` and returns its bytes decoded as a ByteString. */
  string(): ByteString {
    const b = this.b;
    const start = ++this.pos;
    let p = start;
    while (p < this.end) {
      const c = b[p]!;
      if (c === 0x22) {
        this.pos = p + 1;
        return decodeByteString(this.buf, start, p);
      }
      if (c === 0x5c) return this.escapedString(start, p);
      p++;
    }
    return this.fail('unexpected_eof', this.end);
  }

  /**
   * Reads a string at `"` (after whitespace) and returns its index in `table`, or -1 for any other
   * string. Names are compared on the raw bytes, so the common case creates no JS string.
   */
  name(table: NameTable): number {
    if (this.peek() !== 0x22) this.fail(this.pos < this.end ? 'unexpected_character' : 'unexpected_eof');
    const b = this.b;
    const start = this.pos + 1;
    let p = start;
    while (p < this.end && b[p] !== 0x22 && b[p] !== 0x5c) p++;
    if (p < this.end && b[p] === 0x22) {
      this.pos = p + 1;
      return table.find(b, start, p);
    }
    const s = this.string();
    return typeof s === 'string' ? table.names.indexOf(s) : -1;
  }

  /** Reads an object key; keys only matter when they are one of a few ASCII names. */
  key(): string {
    if (this.peek() !== 0x22) this.fail(this.pos < this.end ? 'unexpected_character' : 'unexpected_eof');
    const k = this.string();
    return typeof k === 'string' ? k : '\ufffd';
  }

  private escapedString(start: number, firstEscape: number): ByteString {
    const b = this.b;
    let out = this.scratch;
    let n = 0;
    const put = (x: number) => {
      if (n === out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = x;
    };
    for (let i = start; i < firstEscape; i++) put(b[i]!);
    let p = firstEscape;
    for (;;) {
      if (p >= this.end) this.fail('unexpected_eof', this.end);
      const c = b[p]!;
      if (c === 0x22) break;
      if (c !== 0x5c) {
        put(c);
        p++;
        continue;
      }
      if (p + 1 >= this.end) this.fail('unexpected_eof', this.end);
      const e = b[p + 1]!;
      p += 2;
      switch (e) {
        case 0x22: put(0x22); break;
        case 0x5c: put(0x5c); break;
        case 0x2f: put(0x2f); break;
        case 0x62: put(0x08); break;
        case 0x66: put(0x0c); break;
        case 0x6e: put(0x0a); break;
        case 0x72: put(0x0d); break;
        case 0x74: put(0x09); break;
        case 0x76: put(0x0b); break;
        case 0x75: {
          let cp = this.hex4(p);
          p += 4;
          if (cp >= 0xd800 && cp < 0xdc00 && b[p] === 0x5c && b[p + 1] === 0x75) {
            const lo = this.hex4(p + 2);
            if (lo >= 0xdc00 && lo < 0xe000) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              p += 6;
            }
          }
          if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd; // a lone surrogate has no UTF-8 form
          if (cp < 0x80) put(cp);
          else if (cp < 0x800) {
            put(0xc0 | (cp >> 6));
            put(0x80 | (cp & 0x3f));
          } else if (cp < 0x10000) {
            put(0xe0 | (cp >> 12));
            put(0x80 | ((cp >> 6) & 0x3f));
            put(0x80 | (cp & 0x3f));
          } else {
            put(0xf0 | (cp >> 18));
            put(0x80 | ((cp >> 12) & 0x3f));
            put(0x80 | ((cp >> 6) & 0x3f));
            put(0x80 | (cp & 0x3f));
          }
          break;
        }
        default:
          this.fail('invalid_escape_sequence', p - 1);
      }
    }
    this.scratch = out;
    this.pos = p + 1;
    return toByteString(out.slice(0, n));
  }

  private hex4(at: number): number {
    if (at + 4 > this.end) this.fail('unexpected_eof', this.end);
    let v = 0;
    for (let i = at; i < at + 4; i++) {
      const c = this.b[i]!;
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail('invalid_escape_sequence', i);
      v = v * 16 + d;
    }
    return v;
  }

  /**
   * Reads a number (or `nan`/`inf`) at the current byte. Returns true for a real (value in `real`),
   * false for an integer literal (value in `int`, full int64 and uint64 range).
   */
  number(): boolean {
    const b = this.b;
    const start = this.pos;
    let p = start;
    let negative = false;
    if (b[p] === 0x2d) {
      negative = true;
      p++;
    }
    const c0 = p < this.end ? b[p]! : -1;
    if (c0 === 0x6e || c0 === 0x69) return this.nonFinite(negative);
    if (c0 < 0x30 || c0 > 0x39) this.fail(c0 < 0 ? 'unexpected_eof' : 'unexpected_character', p);
    const intStart = p;
    if (c0 === 0x30) p++;
    else while (p < this.end && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
    const intEnd = p;
    let real = false;
    if (p < this.end && b[p] === 0x2e) {
      real = true;
      p++;
      const fracStart = p;
      while (p < this.end && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
      if (p === fracStart) this.fail(p < this.end ? 'unexpected_character' : 'unexpected_eof', p);
    }
    if (p < this.end && (b[p] === 0x65 || b[p] === 0x45)) {
      real = true;
      p++;
      if (p < this.end && (b[p] === 0x2b || b[p] === 0x2d)) p++;
      const expStart = p;
      while (p < this.end && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
      if (p === expStart) this.fail(p < this.end ? 'unexpected_character' : 'unexpected_eof', p);
    }
    this.pos = p;
    if (real) {
      this.real = Number(this.buf.toString('latin1', start, p));
      return true;
    }
    if (intEnd - intStart <= 15) {
      let v = 0;
      for (let i = intStart; i < intEnd; i++) v = v * 10 + (b[i]! - 0x30);
      this.int = negative && v !== 0 ? -v : v;
      return false;
    }
    const big = BigInt(this.buf.toString('latin1', start, p));
    if (big < I64_MIN) this.fail('integer_underflow', start);
    if (big > U64_MAX) this.fail('integer_overflow', start);
    this.int = big >= -0x1f_ffff_ffff_ffffn && big <= 0x1f_ffff_ffff_ffffn ? Number(big) : big;
    return false;
  }

  private nonFinite(negative: boolean): boolean {
    const at = this.pos;
    if (negative) this.pos++;
    if (this.limits.allowNonFinite) {
      if (this.word('nan')) {
        this.real = NaN;
        return true;
      }
      if (this.word('inf')) {
        this.real = negative ? -Infinity : Infinity;
        return true;
      }
    }
    this.pos = at;
    return this.fail('unexpected_character', negative ? at + 1 : at);
  }

  /** Validates and skips any JSON value without building it. */
  skipValue(depth: number): void {
    const c = this.peek();
    switch (c) {
      case 0x7b: {
        const d = this.enter(depth);
        this.pos++;
        if (this.peek() === 0x7d) {
          this.pos++;
          return;
        }
        do {
          this.key();
          this.expect(0x3a);
          this.skipValue(d);
        } while (this.separator(0x7d));
        return;
      }
      case 0x5b: {
        const d = this.enter(depth);
        this.pos++;
        if (this.peek() === 0x5d) {
          this.pos++;
          return;
        }
        do this.skipValue(d);
        while (this.separator(0x5d));
        return;
      }
      case 0x22:
        this.string();
        return;
      case 0x74:
        this.literal('true');
        return;
      case 0x66:
        this.literal('false');
        return;
      case -1:
        this.fail('unexpected_eof');
        return;
      default:
        if (c === 0x6e && this.b[this.pos + 1] !== 0x61) this.literal('null');
        else this.number();
    }
  }
}
