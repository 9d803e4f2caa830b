import { BRO_CACHE_SIZE, DATA_FORMAT_VERSION, PROTOCOL_VERSION } from './constants.ts';
import { legacyError, type LegacyError } from './errors.ts';
import type { VersionMessage } from './messages.ts';

// The receiver-side VERSION checks Bro and Broccoli make (section 4.1). The decision belongs to
// the peer state machine; this only says whether and why the peer would hang up.

export function checkVersion(v: VersionMessage): LegacyError | undefined {
  if (v.protocol !== PROTOCOL_VERSION) {
    return legacyError('version_mismatch', `remote protocol version mismatch: got ${v.protocol}, but expected ${PROTOCOL_VERSION}`, {
      field: 'VERSION.protocol',
    });
  }
  if (v.dataFormat !== 0 && v.dataFormat !== DATA_FORMAT_VERSION) {
    return legacyError('data_format_mismatch', `remote data version mismatch: got ${v.dataFormat}, but expected ${DATA_FORMAT_VERSION}`, {
      field: 'VERSION.data_format',
    });
  }
  return undefined;
}

/** Our VERSION. `class` undefined sends no class bytes (like Broccoli), "" sends a lone NUL (like Bro). */
export function makeVersion(options: { runtime?: number; cacheSize?: number; class?: string } = {}): VersionMessage {
  const m: VersionMessage = {
    type: 'VERSION',
    protocol: PROTOCOL_VERSION,
    cacheSize: options.cacheSize ?? BRO_CACHE_SIZE,
    dataFormat: DATA_FORMAT_VERSION,
    runtime: options.runtime ?? 0,
  };
  if (options.class !== undefined) m.class = options.class;
  return m;
}
