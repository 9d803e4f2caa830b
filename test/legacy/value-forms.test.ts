// Value forms the captures do not show, read the way Bro reads them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BASE, SerialDecoder, SerialEncoder, addrVal, eventBody, listVal, typeList, typedJson, type BroVal, type TableType } from '../../legacy/codec/index.ts';

test("a TableType without a yield type holds a set (Bro's IsSet()), whatever its serial class", () => {
  // table type class (0x..04) with no yield: what a sender that does not use SetType writes for a set
  const type: TableType = { kind: 'table', tag: 'table', internal: 7, networkOrder: false, baseType: false, name: '', yield: null, indices: typeList([BASE.addr]) };
  const value: BroVal = { kind: 'set', type, props: 0, id: '', attrs: null, entries: [{ index: listVal([addrVal('10.0.0.1')]), value: null, lastAccess: 0, expireAccess: 0 }] };
  for (const caching of [true, false]) {
    const bytes = new SerialEncoder({ format: { caching } }).encodeToBytes(eventBody('e', [value, { kind: 'count', type: BASE.count, value: 7 }], 1));
    const body = new SerialDecoder().decode(bytes);
    assert.ok(body.kind === 'event');
    assert.equal(body.args.map(typedJson), [
      { type: 'set', value: [{ type: 'addr', value: '10.0.0.1' }] },
      { type: 'count', value: 7 },
    ]);
  }
});

test.run();
