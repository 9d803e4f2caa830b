import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryTransportPair } from '../../src/core/transport.ts';

test('memory pair delivers bytes in order, coalesces corked writes, and closes both ends', async () => {
  const [a, b] = memoryTransportPair();
  const got: string[] = [];
  let closedA = false;
  const closedB = new Promise<void>((resolve) => {
    b.start({ data: (d) => got.push(Buffer.from(d).toString()), close: () => resolve() });
  });
  a.start({ data: () => {}, close: () => (closedA = true) });
  a.write(Buffer.from('one'));
  a.cork();
  a.write(Buffer.from('two'));
  a.write(Buffer.from('three'));
  a.uncork();
  a.end();
  await closedB;
  assert.equal(got, ['one', 'twothree']);
  assert.ok(closedA);
});

test.run();
