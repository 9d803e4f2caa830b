import { SerType, STABLE_BIT } from './constants.ts';

// Which cache-id width a SERIAL payload was written with, read off its first object header.
//
// Why: a Bro that believes its peer announced PID_64BIT writes 64-bit ids once RUNNING, and one
// that does not writes 32-bit ids. A bridge announcing the Broccoli profile (no PID_64BIT) gets
// 32-bit ids from a real Bro, but a replay of a Bro<->Bro capture (or a peer that ignores our
// CAPS) sends 64-bit ids. The two are told apart without guessing: after the `full` bool a
// 32-bit header has its serial type at +5, a 64-bit header has the (small) pid's high word there,
// i.e. zero bytes, and its serial type at +9.

const KNOWN_STYPES = new Set<number>([
  ...Object.values(SerType),
  // Families whose bodies the codec refuses but whose headers are still recognisable.
  0x8001, 0x8101, 0x8e01, 0x8d01, 0x8f01, 0x8f02, 0x8f04,
]);

function knownStype(code: number): boolean {
  return KNOWN_STYPES.has(code & ~STABLE_BIT);
}

/** Offset of the first object header (its `full` bool) in a SERIAL payload, or -1 if none. */
function firstObject(p: Uint8Array): number {
  const kind = p[0];
  if (kind === 0x69 || kind === 0x73) return p.length > 1 ? 1 : -1;
  if (kind !== 0x65) return -1;
  if (p.length < 5) return -1;
  const nameLen = ((p[1]! << 24) | (p[2]! << 16) | (p[3]! << 8) | p[4]!) >>> 0;
  const nargsAt = 5 + nameLen + 8;
  if (p.length < nargsAt + 4) return -1;
  const nargs = ((p[nargsAt]! << 24) | (p[nargsAt + 1]! << 16) | (p[nargsAt + 2]! << 8) | p[nargsAt + 3]!) | 0;
  return nargs > 0 && p.length > nargsAt + 4 ? nargsAt + 4 : -1;
}

const u16 = (p: Uint8Array, at: number): number => (at + 2 <= p.length ? (p[at]! << 8) | p[at + 1]! : -1);
const u32 = (p: Uint8Array, at: number): number =>
  at + 4 <= p.length ? (((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0) : -1;

/**
 * 32 or 64 when the payload's first object header shows its cache-id width; undefined when it
 * cannot tell (no object in the payload, or a header that fits neither width, which the decoder
 * will then report properly).
 */
export function sniffPidWidth(payload: Uint8Array): 32 | 64 | undefined {
  const at = firstObject(payload);
  if (at < 0) return undefined;
  const full = payload[at];
  if (full === 1) {
    const s32 = u16(payload, at + 5);
    if (s32 >= 0 && knownStype(s32)) return 32;
    const s64 = u16(payload, at + 9);
    if (s64 >= 0 && knownStype(s64) && u32(payload, at + 1) === 0) return 64;
    return undefined;
  }
  // A back-reference: pid 0 is never referenced, so a zero first word means a 64-bit pid.
  const w = u32(payload, at + 1);
  if (w < 0) return undefined;
  return w === 0 ? 64 : 32;
}
