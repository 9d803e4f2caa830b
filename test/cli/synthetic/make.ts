// The SYNTHETIC fixtures in fixtures/synthetic/, by file name. `npx tsx test/cli/synthetic/make.ts`
// rewrites them; test/cli/decode-synthetic.test.ts checks the committed files still equal what
// this produces, so the README's "how it was made" stays true.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brokerAll } from './broker-variants.ts';
import { legacyBroccoliMulti, legacyBroconn, legacyLogsCut, legacyLruOldStrategy, legacySyncCompress } from './legacy-variants.ts';
import { transcriptToPcap } from './pcap-variants.ts';
import { websocketVariants } from './websocket-variants.ts';

export const SYNTHETIC_DIR = fileURLToPath(new URL('../../../fixtures/synthetic/', import.meta.url));

/** File name -> its content and the transcript it was derived from (for packet captures). */
export const SYNTHETIC_FIXTURES: Readonly<Record<string, { make: () => string | Uint8Array; transcript?: string }>> = {
  'legacy-sync-compress.jsonl': { make: legacySyncCompress },
  'legacy-sync-compress.vlan-v6.pcapng': {
    make: () => transcriptToPcap(legacySyncCompress(), { container: 'pcapng', link: 'vlan', ipv6: true, maxSegment: 200, retransmitEvery: 3, reorderEvery: 5 }),
    transcript: 'legacy-sync-compress.jsonl',
  },
  'legacy-logs-cut.jsonl': { make: legacyLogsCut },
  'legacy-logs-cut.sll-be.pcap': {
    make: () => transcriptToPcap(legacyLogsCut(), { container: 'pcap', bigEndian: true, link: 'sll', maxSegment: 100, reorderEvery: 4 }),
    transcript: 'legacy-logs-cut.jsonl',
  },
  'legacy-broccoli-multi.jsonl': { make: legacyBroccoliMulti },
  'legacy-broccoli-multi.null-v6-ns.pcap': {
    make: () => transcriptToPcap(legacyBroccoliMulti(), { container: 'pcap', nanos: true, link: 'null', ipv6: true, retransmitEvery: 2 }),
    transcript: 'legacy-broccoli-multi.jsonl',
  },
  'legacy-broconn.jsonl': { make: legacyBroconn },
  'legacy-lru-old-strategy.jsonl': { make: legacyLruOldStrategy },
  'legacy-lru-old-strategy.raw.pcap': {
    make: () => transcriptToPcap(legacyLruOldStrategy(), { container: 'pcap', link: 'raw', maxSegment: 64, reorderEvery: 2 }),
    transcript: 'legacy-lru-old-strategy.jsonl',
  },
  'broker-all.jsonl': { make: brokerAll },
  'broker-all.sll2-ns.pcap': {
    make: () => transcriptToPcap(brokerAll(), { container: 'pcap', nanos: true, link: 'sll2', maxSegment: 1400, reorderEvery: 7 }),
    transcript: 'broker-all.jsonl',
  },
  'websocket-variants.jsonl': { make: websocketVariants },
  'websocket-variants.qinq.pcapng': {
    make: () => transcriptToPcap(websocketVariants(), { container: 'pcapng', link: 'qinq', maxSegment: 90, retransmitEvery: 4 }),
    transcript: 'websocket-variants.jsonl',
  },
};

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(SYNTHETIC_DIR, { recursive: true });
  for (const [name, { make }] of Object.entries(SYNTHETIC_FIXTURES)) {
    const content = make();
    writeFileSync(`${SYNTHETIC_DIR}${name}`, content);
    console.log(`${name}: ${content.length} bytes`);
  }
}
