// Shared by the capture tests: where the real captures are, and a capture reduced to its byte
// streams (what reassembly must get right, independent of how reads were chunked).
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Capture } from '../../src/core/capture/types.ts';

/** fixtures/<sub> of this repository, or ../shared/fixtures/<sub> until the captures are copied. */
export function fixtureDir(sub: 'legacy' | 'broker'): string {
  const local = fileURLToPath(new URL(`../../fixtures/${sub}/`, import.meta.url));
  if (existsSync(local) && readdirSync(local).some((f) => f.endsWith('.pcap'))) return local;
  return fileURLToPath(new URL(`../../../shared/fixtures/${sub}/`, import.meta.url));
}

/** Names of the captures in a fixture folder that have both a transcript and a pcap. */
export function capturePairs(dir: string): string[] {
  const files = new Set(readdirSync(dir));
  return [...files].filter((f) => f.endsWith('.pcap') && files.has(f.replace(/\.pcap$/, '.jsonl'))).map((f) => f.slice(0, -5)).sort();
}

export interface Streams {
  /** Hex of everything each `conn/dir` sent, in order. */
  bytes: Map<string, string>;
  /** `conn/dir` keys that ended with an eof record. */
  ended: Set<string>;
}

export function streamsOf(capture: Capture): Streams {
  const parts = new Map<string, Buffer[]>();
  const ended = new Set<string>();
  for (const r of capture.records) {
    const key = `${r.conn}/${r.dir}`;
    if (r.kind === 'eof') {
      ended.add(key);
      continue;
    }
    let list = parts.get(key);
    if (!list) parts.set(key, (list = []));
    list.push(Buffer.from(r.bytes));
  }
  return { bytes: new Map([...parts].map(([k, v]) => [k, Buffer.concat(v).toString('hex')])), ended };
}
