import type { z } from 'zod';
import { BridgeError } from '../../src/core/errors.ts';
import { legacyConfigSchema, type LegacyConfig, type LegacyConfigInput } from './schema.ts';

export * from './schema.ts';
export { broPattern, expandPattern, PatternError, type BroPattern } from './pattern.ts';
export { addrToUri, canonicalAddress, parseHost, withZone, zoneProblem, type ParsedHost } from './address.ts';

export type LegacyConfigErrorCode = 'config_invalid';
export class LegacyConfigError extends BridgeError<LegacyConfigErrorCode> {}

/** The seed's defaults (Bro 2.5's `Communication::` options, no nodes). */
export const LEGACY_DEFAULTS: Readonly<LegacyConfig> = Object.freeze(legacyConfigSchema.parse({}));

/** What the bridge runs with when nothing is configured: the seed's defaults, but loopback only. */
export const BRIDGE_LEGACY_DEFAULTS: Readonly<LegacyConfig> = Object.freeze(legacyConfigSchema.parse({ listen_interface: '127.0.0.1' }));

/** "node "worker-1": field events: ..." for issues under nodes.<name>.<field>, else "<path>: ...". */
export function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): { field: string; text: string } {
  const path = [...prefix, ...issue.path].map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    // Name the offending key as the field, so a typo reads like any other bad field.
    path.push(issue.keys.join(','));
    message = `unknown field${issue.keys.length > 1 ? 's' : ''} (not part of ${path.includes('nodes') ? 'Communication::Node' : 'the legacy options'})`;
  }
  const field = path.join('.');
  const at = path.indexOf('nodes');
  if (at >= 0 && path.length > at + 1) {
    const node = path[at + 1]!;
    const rest = path.slice(at + 2).join('.');
    return { field, text: `node "${node}": ${rest === '' ? '' : `field ${rest}: `}${message}` };
  }
  return { field, text: `${field === '' ? 'legacy config' : field}: ${message}` };
}

/**
 * Validate the legacy section. Throws LegacyConfigError whose message lists every problem, each
 * naming the node and the field; `field` is the first problem's path (e.g. `nodes.worker-1.p`).
 * `prefix` is where the section sits in a larger file (e.g. ['legacy']).
 */
export function parseLegacyConfig(input: unknown, prefix: readonly PropertyKey[] = []): LegacyConfig {
  const r = legacyConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => describeIssue(i, prefix));
  const first = issues[0]!;
  throw new LegacyConfigError('config_invalid', `invalid legacy configuration:\n  ${issues.map((i) => i.text).join('\n  ')}`, { field: first.field });
}

export type { LegacyConfig, LegacyConfigInput };
