import { BASE, stringVal } from '../codec/builders.ts';
import { BRO_CACHE_SIZE, CapsFlag } from '../codec/constants.ts';
import type { IdObj } from '../codec/model.ts';
import type { SerialWriteFormat } from '../codec/serial-writer.ts';

// What the bridge announces about itself (spec 8.4's recommended profile). With NO_CACHING a Bro
// never sends us back-references; with BROCCOLI_PEER it omits attribute expressions, which a
// bridge could not decode; without PID_64BIT a Bro keeps 32-bit cache ids. COMPRESSION is
// announced because we can inflate: a Bro whose node has compression > 0 then compresses to us.

export const BRIDGE_CAPS = CapsFlag.COMPRESSION | CapsFlag.NO_CACHING | CapsFlag.BROCCOLI_PEER;

/** The cache size in our VERSION; nothing is cached by us, but Bro expects a sensible number. */
export const BRIDGE_CACHE_SIZE = BRO_CACHE_SIZE;

/** How we write SERIALs to every peer: 32-bit ids, pid 0, never a back-reference. */
export const BRIDGE_WRITE_FORMAT: Readonly<SerialWriteFormat> = Object.freeze({ pid64: false, newCacheStrategy: false, caching: false });

/** Tag of the &redef attribute Bro puts on `peer_description`. */
const ATTR_REDEF = 2;

/** Bro's `global peer_description: string &redef`, as it sends it right after VERSION. */
export function peerDescriptionId(text: string): IdObj {
  const type = BASE.string;
  return {
    name: 'peer_description',
    scope: 2,
    isExport: false,
    isConst: 1,
    isEnumConst: 0,
    isType: 0,
    offset: 0,
    inferReturnType: false,
    weakRef: false,
    type,
    attrs: { type, attrs: [{ tag: ATTR_REDEF }] },
    value: stringVal(text),
  };
}
