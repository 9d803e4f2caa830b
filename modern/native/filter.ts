// Subscription filters (spec §1.3, §1.5): varbyte count, then each topic prefix as varbyte length +
// raw bytes. Used by originator_syn, responder_syn_ack and routing_update.
import type { ByteReader, ByteWriter } from '../../src/core/bytes.ts';
import { BrokerError } from '../errors.ts';
import { readVarbyte } from '../data/binary-decode.ts';
import { writeVarbyte } from '../data/binary-encode.ts';
import { bufferView, compareStrings, decodeByteString, utf8Length, writeUtf8 } from '../data/utf8.ts';

/** Reads a topic of `n` bytes; topics are handled as text, so non-UTF-8 bytes are `invalid_topic`. */
export function readTopicBytes(r: ByteReader, n: number, field: string): string {
  const at = r.position;
  r.need(n, field);
  const start = r.offset;
  r.offset += n;
  const topic = decodeByteString(bufferView(r.bytes), start, start + n);
  if (typeof topic !== 'string') throw new BrokerError('invalid_topic', 'topic is not valid UTF-8', { field, offset: at });
  return topic;
}

export function readFilter(r: ByteReader, field: string): string[] {
  const count = readVarbyte(r, `${field}.size`);
  if (count > r.remaining) {
    throw new BrokerError('truncated', `truncated input: ${field} announces ${count} topics, ${r.remaining} byte(s) left`, { field, offset: r.position });
  }
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(readTopicBytes(r, readVarbyte(r, field), field));
  return topics;
}

export function writeFilter(w: ByteWriter, topics: readonly string[]): void {
  writeVarbyte(w, topics.length);
  for (const t of topics) {
    const len = utf8Length(t);
    writeVarbyte(w, len);
    writeUtf8(w, t, len);
  }
}

/** Broker's own form of a filter: sorted, and without entries already covered by a shorter prefix. */
export function normalizeFilter(topics: Iterable<string>): string[] {
  const sorted = [...new Set(topics)].sort(compareStrings);
  const out: string[] = [];
  for (const t of sorted) if (!out.some((p) => t.startsWith(p))) out.push(t);
  return out;
}

/** Broker's topic match: a plain prefix test (`/foo` matches `/foo/bar` and `/foobar`). */
export function filterMatches(filter: readonly string[], topic: string): boolean {
  for (const p of filter) if (topic.startsWith(p)) return true;
  return false;
}
