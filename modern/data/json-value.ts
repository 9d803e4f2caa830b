// Generic JSON on top of the lexer: JsonValue trees (numbers keep Broker's integer/real distinction
// and the full 64-bit range), and byte-level name tables for the few keys and type names Broker's
// JSON uses, so that matching them creates no JS strings.
import { DEFAULT_JSON_LIMITS, JsonLexer, type JsonLimits } from './json-lexer.ts';
import type { ByteString, Int64 } from './types.ts';

/** A generic JSON value; numbers keep Broker's integer/real distinction and full 64-bit range. */
export type JsonValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'integer'; readonly value: Int64 }
  | { readonly kind: 'real'; readonly value: number }
  | { readonly kind: 'string'; readonly value: ByteString }
  | { readonly kind: 'array'; readonly items: readonly JsonValue[] }
  | { readonly kind: 'object'; readonly members: readonly (readonly [string, JsonValue])[] };

export const JSON_NULL: JsonValue = { kind: 'null' };

/** A fixed set of names (object keys, @data-type values) matched against the input's bytes. */
export class NameTable {
  readonly names: readonly string[];
  private readonly byLength = new Map<number, { bytes: Uint8Array; index: number }[]>();

  constructor(names: readonly string[]) {
    this.names = names;
    names.forEach((name, index) => {
      const bytes = new TextEncoder().encode(name);
      const list = this.byLength.get(bytes.length) ?? [];
      list.push({ bytes, index });
      this.byLength.set(bytes.length, list);
    });
  }

  /** Index of the name spelled by b[start, end), or -1. */
  find(b: Uint8Array, start: number, end: number): number {
    const candidates = this.byLength.get(end - start);
    if (candidates === undefined) return -1;
    outer: for (const c of candidates) {
      for (let i = 0; i < c.bytes.length; i++) if (b[start + i] !== c.bytes[i]) continue outer;
      return c.index;
    }
    return -1;
  }
}

export function resolveJsonLimits(limits: Partial<JsonLimits> | undefined): JsonLimits {
  return limits === undefined ? DEFAULT_JSON_LIMITS : { ...DEFAULT_JSON_LIMITS, ...limits };
}

/** Any JSON value at the lexer's position, built generically. */
export function readJsonValue(lx: JsonLexer, depth: number): JsonValue {
  const c = lx.peek();
  switch (c) {
    case 0x7b: {
      const d = lx.enter(depth);
      lx.pos++;
      const members: [string, JsonValue][] = [];
      if (lx.peek() === 0x7d) lx.pos++;
      else
        do {
          const k = lx.key();
          lx.expect(0x3a);
          members.push([k, readJsonValue(lx, d)]);
        } while (lx.separator(0x7d));
      return { kind: 'object', members };
    }
    case 0x5b: {
      const d = lx.enter(depth);
      lx.pos++;
      const items: JsonValue[] = [];
      if (lx.peek() === 0x5d) lx.pos++;
      else
        do {
          lx.checkSize(items.length + 1);
          items.push(readJsonValue(lx, d));
        } while (lx.separator(0x5d));
      return { kind: 'array', items };
    }
    case 0x22:
      return { kind: 'string', value: lx.string() };
    case 0x74:
      lx.literal('true');
      return { kind: 'boolean', value: true };
    case 0x66:
      lx.literal('false');
      return { kind: 'boolean', value: false };
    case -1:
      return lx.fail('unexpected_eof');
    default:
      if (c === 0x6e && lx.b[lx.pos + 1] !== 0x61) {
        lx.literal('null');
        return JSON_NULL;
      }
      return lx.number() ? { kind: 'real', value: lx.real } : { kind: 'integer', value: lx.int };
  }
}

export function member(o: Extract<JsonValue, { kind: 'object' }>, key: string): JsonValue | undefined {
  for (const [k, v] of o.members) if (k === key) return v;
  return undefined;
}

export function atEnd(lx: JsonLexer): void {
  if (lx.peek() !== -1) lx.fail('trailing_character');
}

/** Any JSON text as a generic JsonValue (for control messages such as the subscription list). */
export function parseJson(input: Uint8Array | string, limits?: Partial<JsonLimits>): JsonValue {
  const lx = new JsonLexer(input, resolveJsonLimits(limits));
  if (lx.peek() === -1) lx.fail('unexpected_eof');
  const v = readJsonValue(lx, 0);
  atEnd(lx);
  return v;
}

