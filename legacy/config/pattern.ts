// Bro patterns (`Communication::nodes[..]$events`, e.g. `/^(ping|pong)$/`, `/FX::fxr_.*/`) as
// JavaScript regular expressions. Bro matches event names against a pattern *exactly* (anchored at
// both ends), so `/^fx_/` matches nothing and `/FX::fx_.*/` matches every FX::fx_ event. Bro's
// pattern syntax is flex's: quoted "literal" strings, POSIX bracket classes, `\a`/`\b` as control
// characters; those are translated, everything else is shared with JavaScript.

export interface BroPattern {
  /** The pattern as configured, with its slashes (`/^(ping|pong)$/`). */
  readonly text: string;
  /** The body between the slashes. */
  readonly source: string;
  /** Anchored at both ends, as Bro matches event names. */
  readonly regexp: RegExp;
  /**
   * The names the pattern can match when that set is finite and literal (`/^(ping|pong)$/` ->
   * ping, pong); undefined for open patterns like `FX::fxr_.*`, which are expanded against
   * the known event names instead.
   */
  readonly literalNames: readonly string[] | undefined;
}

export class PatternError extends Error {}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

const hex2 = (code: number): string => `\\x${code.toString(16).padStart(2, '0')}`;
const escapeLiteral = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** One escape sequence starting at `src[i]` (the backslash); returns [JS text, next index]. */
function translateEscape(src: string, i: number, inClass: boolean): [string, number] {
  const c = src[i + 1];
  if (c === undefined) throw new PatternError('pattern ends with a lone backslash');
  if (c === 'a') return [hex2(7), i + 2];
  if (c === 'b') return [inClass ? '\\b' : hex2(8), i + 2];
  if (c >= '0' && c <= '7') {
    const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))!;
    return [hex2(parseInt(m[0], 8) & 0xff), i + 1 + m[0].length];
  }
  if (c === 'x') {
    const m = /^[0-9A-Fa-f]{1,2}/.exec(src.slice(i + 2));
    if (m === null) throw new PatternError('\\x needs hex digits');
    return [hex2(parseInt(m[0], 16)), i + 2 + m[0].length];
  }
  return [`\\${c}`, i + 2];
}

/** Translate a pattern body to JavaScript regex syntax. */
function translate(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const [t, next] = translateEscape(src, i, false);
      out += t;
      i = next;
    } else if (c === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) throw new PatternError('unterminated quoted string');
      out += `(?:${escapeLiteral(src.slice(i + 1, end))})`;
      i = end + 1;
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (src[j] === '^') {
        cls += '^';
        j++;
      }
      // In flex a `]` right after `[` or `[^` is a literal member; in JavaScript it closes the class.
      if (src[j] === ']') {
        cls += '\\]';
        j++;
      }
      for (;;) {
        const d = src[j];
        if (d === undefined) throw new PatternError('unterminated character class');
        if (d === ']') break;
        if (d === '[' && src[j + 1] === ':') {
          const end = src.indexOf(':]', j + 2);
          const name = end < 0 ? undefined : src.slice(j + 2, end);
          const range = name === undefined ? undefined : POSIX_CLASSES[name];
          if (range === undefined) throw new PatternError(`unknown character class [:${name ?? ''}:]`);
          cls += range;
          j = end + 2;
        } else if (d === '\\') {
          const [t, next] = translateEscape(src, j, true);
          cls += t;
          j = next;
        } else {
          cls += d === '[' ? '\\[' : d;
          j++;
        }
      }
      out += `${cls}]`;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Split at top-level `|` (outside groups, classes, quotes, escapes). */
function alternatives(s: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) return undefined;
      i = end;
    } else if (c === '[') return undefined;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** `(` at 0 closes at the very end. */
function wrapped(s: string): boolean {
  if (!s.startsWith('(') || !s.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i === s.length - 1;
  }
  return false;
}

const MAX_LITERAL_NAMES = 1000;

function literal(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[++i];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) return undefined;
      out += n;
    } else if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out += s.slice(i + 1, end);
      i = end;
    } else if ('.[]()*+?{}|^$'.includes(c)) return undefined;
    else out += c;
  }
  return out;
}

function stripAnchors(s: string): string {
  let body = s.startsWith('^') ? s.slice(1) : s;
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  return body;
}

/** Collect the names of a finite alternation of literals; false if the pattern is open. */
function expand(s: string, into: Set<string>): boolean {
  let body = stripAnchors(s);
  while (wrapped(body)) body = stripAnchors(body.slice(1, -1));
  const alts = alternatives(body);
  if (alts === undefined) return false;
  if (alts.length > 1) return alts.every((alt) => expand(alt, into));
  const name = literal(body);
  if (name === undefined || name === '') return false;
  into.add(name);
  return into.size <= MAX_LITERAL_NAMES;
}

/** Parse `/.../` (slashes optional) into an anchored RegExp; throws PatternError. */
export function broPattern(text: string): BroPattern {
  const trimmed = text.trim();
  let source = trimmed;
  if (trimmed.startsWith('/')) {
    if (trimmed.length < 2 || !trimmed.endsWith('/')) {
      throw new PatternError('a pattern written with slashes must end with an unescaped /');
    }
    source = trimmed.slice(1, -1);
  }
  if (source === '') throw new PatternError('empty pattern');
  let regexp: RegExp;
  try {
    regexp = new RegExp(`^(?:${translate(source)})$`);
  } catch (err) {
    if (err instanceof PatternError) throw err;
    throw new PatternError(`not a valid pattern: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`);
  }
  const names = new Set<string>();
  const literalNames = expand(source, names) ? [...names] : undefined;
  return { text: `/${source}/`, source, regexp, literalNames };
}

/** The event names a node's pattern selects: literal names plus every known name that matches. */
export function expandPattern(pattern: BroPattern, known: Iterable<string>): string[] {
  const out = new Set<string>(pattern.literalNames ?? []);
  for (const name of known) if (pattern.regexp.test(name)) out.add(name);
  return [...out];
}
