import { decodeName } from './strings.ts';

// SERIAL kind 'p': a packet (Bro's packet forwarding, Broccoli's `brosendpkts`). The spec lists the
// kind but not its layout (UNCONFIRMED); this reads what Bro 2.5's Packet::Serialize writes after
// the 'p': u32 seconds, u32 microseconds, u32 wire length, i32 link type, then the tag and the
// captured bytes as (u32 length + bytes) strings. Used only to show captured packets: a payload that
// does not fit this layout exactly is left to the caller's error.

export interface SerialPacket {
  /** Capture time in epoch seconds. */
  time: number;
  /** Length on the wire (may exceed the captured bytes). */
  wireLength: number;
  /** pcap link type of `data`. */
  linkType: number;
  tag: string;
  data: Uint8Array;
}

const PACKET_KIND = 0x70;

export function readSerialPacket(p: Uint8Array): SerialPacket | undefined {
  if (p[0] !== PACKET_KIND || p.length < 25) return undefined;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const sec = view.getUint32(1);
  const usec = view.getUint32(5);
  if (usec >= 1_000_000) return undefined;
  const tagLength = view.getUint32(17);
  const dataAt = 21 + tagLength + 4;
  if (dataAt > p.length) return undefined;
  const dataLength = view.getUint32(dataAt - 4);
  if (dataAt + dataLength !== p.length) return undefined;
  return {
    time: sec + usec / 1e6,
    wireLength: view.getUint32(9),
    linkType: view.getInt32(13),
    tag: decodeName(p, 21, 21 + tagLength),
    data: p.slice(dataAt),
  };
}
