// Capture readers are lenient where other readers are: a pcap record whose timestamp fraction is a
// second or more (some writers do that) is carried over instead of rejecting the whole file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PcapWriter } from '../../src/core/capture/pcap-write.ts';
import { readCapture } from '../../src/core/capture/read.ts';

function smallPcap(nanos: boolean): Buffer {
  const parts: Uint8Array[] = [];
  const w = new PcapWriter((b) => parts.push(b), { start: 1000, nanos });
  w.open(0, { address: '10.0.0.1', port: 40000 }, { address: '10.0.0.2', port: 47757 }, 0);
  w.data(0, 'c2s', 1, Buffer.from('abc'));
  w.data(0, 'c2s', 2, Buffer.from('def'));
  return Buffer.concat(parts);
}

for (const nanos of [false, true]) {
  test(`a ${nanos ? 'nanosecond' : 'microsecond'} fraction beyond one second is carried into the seconds`, () => {
    const file = smallPcap(nanos);
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    // Records: SYN, SYN-ACK, ACK (t=0), then the data at t=1 and t=2; each 16-byte header + 54-byte frame.
    const record = (i: number) => 24 + i * (16 + 54) + (i > 3 ? 3 : 0);
    assert.is(view.getUint32(record(3), true), 1001);
    view.setUint32(record(3), 1000, true);
    view.setUint32(record(3) + 4, nanos ? 1_250_000_000 : 1_250_000, true); // = 1001.25
    const c = readCapture(file);
    const data = c.records.filter((r) => r.kind === 'data');
    assert.equal(data.map((r) => r.t), [1.25, 2]);
    assert.equal(data.map((r) => (r.kind === 'data' ? Buffer.from(r.bytes).toString() : '')), ['abc', 'def']);
  });
}

test.run();
