// Zeek-style type expressions as written in the config: `count`, `set[string]`,
// `table[addr, port] of string`, `vector of count`, `record FX::Inner`, `enum FX::Color`, a bare
// declared name (`FX::Inner`), or an inline `record { a: count; b: string &optional; }`. Parsed into
// a small AST; the type registry turns it into legacy type objects.
import { BridgeError } from '../core/errors.ts';

export const BASIC_TYPE_NAMES = [
  'bool', 'int', 'count', 'counter', 'double', 'time', 'interval', 'string', 'pattern', 'port', 'addr', 'subnet', 'any',
] as const;
export type BasicTypeName = (typeof BASIC_TYPE_NAMES)[number];

export interface FieldExpr {
  name: string;
  type: TypeExpr;
  optional: boolean;
}

export type TypeExpr =
  | { kind: 'basic'; tag: BasicTypeName }
  | { kind: 'set'; indices: TypeExpr[] }
  | { kind: 'table'; indices: TypeExpr[]; yield: TypeExpr }
  | { kind: 'vector'; yield: TypeExpr }
  /** `record NAME`: must be a declared record. */
  | { kind: 'record'; name: string }
  /** `enum NAME`: must be a declared enum. */
  | { kind: 'enum'; name: string }
  /** A bare NAME: a declared record or enum. */
  | { kind: 'named'; name: string }
  | { kind: 'inline_record'; fields: FieldExpr[] };

export class TypeSyntaxError extends BridgeError<'type_syntax'> {
  constructor(message: string, text: string, offset: number) {
    super('type_syntax', `${message} in ${JSON.stringify(text)}`, { offset });
  }
}

const BASIC = new Set<string>(BASIC_TYPE_NAMES);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*/;

interface Token {
  text: string;
  at: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    if ('[],{};:'.includes(c)) {
      // `::` only occurs inside names, which the NAME rule consumes whole.
      out.push({ text: c, at: i++ });
      continue;
    }
    if (c === '&') {
      const m = /^&[a-z_]+/.exec(text.slice(i));
      if (!m) throw new TypeSyntaxError('bad attribute', text, i);
      out.push({ text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    const m = NAME.exec(text.slice(i));
    if (!m) throw new TypeSyntaxError(`unexpected ${JSON.stringify(c)}`, text, i);
    out.push({ text: m[0], at: i });
    i += m[0].length;
  }
  return out;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): string | undefined {
    return this.tokens[this.pos]?.text;
  }

  private fail(message: string): never {
    throw new TypeSyntaxError(message, this.text, this.tokens[this.pos]?.at ?? this.text.length);
  }

  private expect(t: string): void {
    if (this.peek() !== t) this.fail(`expected ${JSON.stringify(t)}`);
    this.pos++;
  }

  private name(): string {
    const t = this.peek();
    if (t === undefined || !NAME.test(t)) this.fail('expected a name');
    this.pos++;
    return t;
  }

  end(): void {
    if (this.pos < this.tokens.length) this.fail('unexpected text after the type');
  }

  typeList(close: string): TypeExpr[] {
    const out = [this.type()];
    while (this.peek() === ',') {
      this.pos++;
      out.push(this.type());
    }
    this.expect(close);
    return out;
  }

  field(): FieldExpr {
    const name = this.name();
    if (name.includes('::')) this.fail('field names are not qualified');
    this.expect(':');
    const type = this.type();
    let optional = false;
    while (this.peek()?.startsWith('&')) {
      const attr = this.peek();
      if (attr === '&optional') optional = true;
      else if (attr !== '&log') this.fail(`unsupported attribute ${attr}`);
      this.pos++;
    }
    return { name, type, optional };
  }

  type(): TypeExpr {
    const t = this.name();
    if (BASIC.has(t)) return { kind: 'basic', tag: t as BasicTypeName };
    switch (t) {
      case 'set':
        this.expect('[');
        return { kind: 'set', indices: this.typeList(']') };
      case 'table': {
        this.expect('[');
        const indices = this.typeList(']');
        this.expect('of');
        return { kind: 'table', indices, yield: this.type() };
      }
      case 'vector':
        this.expect('of');
        return { kind: 'vector', yield: this.type() };
      case 'record': {
        if (this.peek() !== '{') return { kind: 'record', name: this.name() };
        this.pos++;
        const fields: FieldExpr[] = [];
        while (this.peek() !== '}') {
          if (this.peek() === undefined) this.fail('unterminated record');
          fields.push(this.field());
          if (this.peek() === ';') this.pos++;
          else if (this.peek() !== '}') this.fail('expected ";"');
        }
        this.pos++;
        return { kind: 'inline_record', fields };
      }
      case 'enum':
        return { kind: 'enum', name: this.name() };
      case 'of':
        return this.fail('unexpected "of"');
      default:
        return { kind: 'named', name: t };
    }
  }
}

/** Parses one type expression; throws TypeSyntaxError with the offending offset. */
export function parseType(text: string): TypeExpr {
  const p = new Parser(text, tokenize(text));
  const t = p.type();
  p.end();
  return t;
}

/** `count`, or `n: count` (a named event parameter; the name is documentation only). */
export function parseParam(text: string): { name?: string; type: TypeExpr } {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(?!:)\s*(.*)$/s.exec(text);
  return m ? { name: m[1]!, type: parseType(m[2]!) } : { type: parseType(text) };
}

/** `a: count`, `b: string &optional`. */
export function parseField(text: string): FieldExpr {
  const p = new Parser(text, tokenize(text));
  const f = p.field();
  p.end();
  return f;
}

/** The canonical text of a type expression (what error messages and `status` print). */
export function formatType(t: TypeExpr): string {
  switch (t.kind) {
    case 'basic':
      return t.tag;
    case 'set':
      return `set[${t.indices.map(formatType).join(', ')}]`;
    case 'table':
      return `table[${t.indices.map(formatType).join(', ')}] of ${formatType(t.yield)}`;
    case 'vector':
      return `vector of ${formatType(t.yield)}`;
    case 'record':
      return `record ${t.name}`;
    case 'enum':
      return `enum ${t.name}`;
    case 'named':
      return t.name;
    case 'inline_record':
      return `record { ${t.fields.map((f) => `${f.name}: ${formatType(f.type)}${f.optional ? ' &optional' : ''};`).join(' ')} }`;
  }
}
