// The few non-data messages of the v1 API (subscription list, ack, error), validated with zod.
// Data messages never come here: `startsLikeDataMessage` sends them straight to the Broker JSON
// codec by looking at their first bytes, which Broker and Zeek always write in the same order.
import { z } from 'zod';
import { quoteJson } from '../data/json-format.ts';

const Ack = z.object({ type: z.literal('ack'), endpoint: z.string(), version: z.string() });
// Broker writes `context`; some Zeek 8 builds write `message` instead.
const ErrorMessage = z
  .object({ type: z.literal('error'), code: z.string(), context: z.string().optional(), message: z.string().optional() })
  .transform((e) => ({ type: 'error' as const, code: e.code, context: e.context ?? e.message ?? '' }));
const DataMessageHead = z.object({ type: z.literal('data-message') });
const Control = z.union([Ack, ErrorMessage, DataMessageHead]);

export type ControlMessage = z.output<typeof Control>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses an ack or error message; throws with zod's explanation for anything else. */
export function parseControlMessage(bytes: Uint8Array | string): ControlMessage {
  const text = typeof bytes === 'string' ? bytes : utf8.decode(bytes);
  return Control.parse(JSON.parse(text));
}

const DATA_PREFIX = Buffer.from('{"type":"data-message",', 'latin1');

/** True for `{"type":"data-message",…` — the exact opening of every server data message. */
export function startsLikeDataMessage(bytes: Uint8Array): boolean {
  if (bytes.length < DATA_PREFIX.length) return false;
  for (let i = 0; i < DATA_PREFIX.length; i++) if (bytes[i] !== DATA_PREFIX[i]) return false;
  return true;
}

/** The client's first message: `["a","b"]` in Broker's JSON string escaping. */
export function subscriptionsToJson(topics: readonly string[]): string {
  return `[${topics.map(quoteJson).join(',')}]`;
}
