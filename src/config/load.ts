// Reading and validating the daemon config. Every problem is reported as `FILE: PATH: RULE` (e.g.
// `bridge.json: legacy.nodes.sensor.p: "x" is not a port (0-65535 or "47757/tcp")`), all of them at
// once; `path` is the first one's.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { BridgeError } from '../core/errors.ts';
import { bridgeConfigSchema, type BridgeConfig } from './schema.ts';

export type ConfigErrorCode = 'config_invalid' | 'config_unreadable';

export interface ConfigIssue {
  /** Dotted path inside the file (`legacy.nodes.sensor.p`); '' for the whole document. */
  readonly path: string;
  /** The rule that failed, as text. */
  readonly message: string;
}

export class ConfigError extends BridgeError<ConfigErrorCode> {
  constructor(
    code: ConfigErrorCode,
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
    options: { cause?: unknown } = {},
  ) {
    // No `field` detail: BridgeError would append it to a message that already names every path.
    super(code, issues.map((i) => `${source}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`).join('\n'), options.cause !== undefined ? { cause: options.cause } : {});
  }

  /** Path of the first problem. */
  get path(): string {
    return this.issues[0]?.path ?? '';
  }
}

function issuesOf(i: z.core.$ZodIssue): ConfigIssue[] {
  const path = i.path.map(String);
  if (i.code === 'invalid_union') {
    // A union such as `false | {…}`: report the problems of the one alternative whose form matched
    // (its failures are below the value itself) rather than zod's bare "Invalid input".
    const shaped = i.errors.filter((branch) => branch.some((b) => b.path.length > 0));
    if (shaped.length === 1) return shaped[0]!.flatMap((b) => issuesOf({ ...b, path: [...i.path, ...b.path] } as z.core.$ZodIssue));
    // None matched in form: name the forms ("expected false or object").
    const forms = i.errors.map((branch) => /^Invalid input: expected ([^,]+)/.exec(branch[0]?.message ?? '')?.[1]);
    if (shaped.length === 0 && forms.every((f) => f !== undefined)) return [{ path: path.join('.'), message: `expected ${forms.join(' or ')}` }];
  }
  if (i.code === 'unrecognized_keys') {
    return [{ path: [...path, i.keys.join(',')].join('.'), message: `unknown field${i.keys.length > 1 ? 's' : ''} (not part of ${path.length === 0 ? 'the config' : `the ${path.join('.')} section`})` }];
  }
  return [{ path: path.join('.'), message: i.message }];
}

/** Checks on the raw document that the schema cannot see once defaults are filled in. */
function rawIssues(input: unknown): ConfigIssue[] {
  const doc = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const legacy = doc['legacy'];
  if (typeof legacy === 'object' && legacy !== null && 'log_format' in legacy) {
    const top = doc['log_format'] ?? 'ascii';
    if ((legacy as Record<string, unknown>)['log_format'] !== top) {
      return [{ path: 'legacy.log_format', message: 'set log_format at the top level: it applies to every log the bridge writes' }];
    }
  }
  return [];
}

const parsed = new WeakSet<object>();

/** Was this object returned by parseBridgeConfig (so it need not be validated again)? */
export function isParsedConfig(c: unknown): c is BridgeConfig {
  return typeof c === 'object' && c !== null && parsed.has(c);
}

/** Validates a parsed document; `source` names it in errors (the file name). */
export function parseBridgeConfig(input: unknown, source = 'config'): BridgeConfig {
  if (isParsedConfig(input)) return input;
  const raw = rawIssues(input);
  const r = bridgeConfigSchema.safeParse(input ?? {});
  const issues = [...raw, ...(r.success ? [] : r.error.issues.flatMap(issuesOf))];
  if (issues.length > 0 || !r.success) throw new ConfigError('config_invalid', source, issues);
  parsed.add(r.data);
  return r.data;
}

/** "line L column C" of a character offset, for JSON syntax errors. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line} column ${offset - before.lastIndexOf('\n')}`;
}

/** Parses JSON text; a syntax error names the file and the line. */
export function parseConfigText(text: string, source: string): BridgeConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const where = m === null ? '' : `${position(text, Number(m[1]))}: `;
    throw new ConfigError('config_invalid', source, [{ path: '', message: `${where}not valid JSON (${(err as Error).message})` }], { cause: err });
  }
  return parseBridgeConfig(doc, source);
}

/** Reads and validates a JSON config file. */
export function loadConfigFile(path: string): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config_unreadable', path, [{ path: '', message: `cannot read: ${(err as Error).message}` }], { cause: err });
  }
  return parseConfigText(text, path);
}
