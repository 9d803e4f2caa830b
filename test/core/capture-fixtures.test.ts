// The main check of the capture readers: every real capture's pcap (tcpdump on loopback) must
// reassemble to exactly the byte streams its JSON Lines transcript recorded, per connection and
// direction, with the same connection numbering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCaptureFile } from '../../src/core/capture/read.ts';
import { capturePairs, fixtureDir, streamsOf } from './capture-helpers.ts';

// Where the two recordings legitimately differ: they were taken on different legs of a relay, and
// bytes sent after the far side had already closed reached one leg only (the longer stream must
// still start with the shorter one).
const LEG_DIFFERENCES: Record<string, { stream: string; longer: 'pcap' | 'jsonl'; why: string }> = {
  'legacy/bro-bro-tls': { stream: '0/c2s', longer: 'pcap', why: 'client close_notify after the relay FIN, answered by RST, never relayed' },
  'broker/native-tls-certs': { stream: '1/c2s', longer: 'jsonl', why: 'client bytes read by the proxy after the server reset (broken pipe)' },
};

let compared = 0;
for (const sub of ['legacy', 'broker'] as const) {
  const dir = fixtureDir(sub);
  for (const name of capturePairs(dir)) {
    test(`${sub}/${name}: pcap reassembles to the transcript's byte streams`, async () => {
      const jsonl = await readCaptureFile(`${dir}${name}.jsonl`);
      const pcap = await readCaptureFile(`${dir}${name}.pcap`);
      const a = streamsOf(jsonl);
      const b = streamsOf(pcap);
      assert.equal([...b.bytes.keys()].sort(), [...a.bytes.keys()].sort(), 'same connections and directions');
      const known = LEG_DIFFERENCES[`${sub}/${name}`];
      for (const [key, hex] of a.bytes) {
        const other = b.bytes.get(key)!;
        if (known && known.stream === key) {
          const [longer, shorter] = known.longer === 'pcap' ? [other, hex] : [hex, other];
          assert.ok(longer.length > shorter.length && longer.startsWith(shorter), `${key}: ${known.why}`);
          continue;
        }
        assert.is(other.length / 2, hex.length / 2, `${key} length`);
        assert.ok(other === hex, `${key} bytes identical`);
      }
      const conns = new Set(jsonl.records.map((r) => r.conn));
      assert.is((pcap.header['connections'] as unknown[]).length, conns.size);
      // Broker transcripts log eof/error lines; every one of them is a FIN or RST in the pcap.
      if (sub === 'broker') assert.equal([...b.ended].sort(), [...a.ended].sort());
      let last = 0;
      for (const r of pcap.records) {
        assert.ok(r.t >= last, 'pcap record times never go backwards');
        last = r.t;
      }
      compared++;
    });
  }
}

test('every fixture pair was compared', () => {
  assert.ok(compared >= 20, `compared ${compared} captures`);
});

test.run();
