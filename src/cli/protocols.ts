// The protocol decoders `comm-bridge decode` and `replay` know, in detection order: the most
// specific signature first (an HTTP upgrade, then Broker's ZEEK magic), then legacy framing.
// Adding a protocol is one import and one entry in DECODERS.
import type { ProtocolDecoder, ProtocolName } from '../core/capture/types.ts';
import { websocketDecoder, type BrokerDataDescriber } from '../core/capture/websocket/decoder.ts';
import { captureError } from '../core/capture/errors.ts';
import { legacyCaptureDecoder } from '../../legacy/codec/capture-decoder.ts';
import { brokerDecoder, zeekMessageFields } from '../../modern/native/capture-decoder.ts';
import { parseDataMessage } from '../../modern/data/json-decode.ts';
import { asZeekMessage } from '../../modern/data/zeek-messages.ts';

export const PROTOCOL_NAMES: readonly ProtocolName[] = ['legacy', 'broker', 'websocket'];

/**
 * Broker's own reading of a WebSocket data message: Zeek messages inside it with the same fields
 * the native decoder shows (`zeek`, `event`, `args`, `metadata`), or `data_error` when Broker would
 * answer "contained invalid data".
 */
export const describeBrokerData: BrokerDataDescriber = ({ text }) => {
  let value;
  try {
    value = parseDataMessage(text).value;
  } catch (err) {
    return { data_error: (err as { code?: string }).code ?? 'invalid_data' };
  }
  const z = asZeekMessage(value);
  return z ? zeekMessageFields(z) : undefined;
};

export const DECODERS: readonly ProtocolDecoder[] = [websocketDecoder({ describeData: describeBrokerData }), brokerDecoder(), legacyCaptureDecoder];

/** The decoder for an explicit `--protocol`; a typed `unknown_protocol` error otherwise. */
export function decoderByName(name: string, decoders: readonly ProtocolDecoder[] = DECODERS): ProtocolDecoder {
  const found = decoders.find((d) => d.protocol === name);
  if (found) return found;
  const known = (PROTOCOL_NAMES as readonly string[]).includes(name);
  throw captureError(
    'unknown_protocol',
    known ? `no decoder for protocol '${name}' is registered in this build` : `unknown protocol '${name}' (expected ${PROTOCOL_NAMES.join(', ')})`,
    { field: '--protocol' },
  );
}

/** The first decoder whose signature matches the opening bytes of a connection. */
export function detectDecoder(c2s: Uint8Array, s2c: Uint8Array, decoders: readonly ProtocolDecoder[] = DECODERS): ProtocolDecoder | undefined {
  for (const d of decoders) {
    try {
      if (d.detect(c2s, s2c)) return d;
    } catch {
      // A detector that throws on odd input simply did not recognise it.
    }
  }
  return undefined;
}
