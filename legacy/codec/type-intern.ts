import { SerType, TYPE_TAGS } from './constants.ts';
import type { FullType } from './model.ts';

// Types sent with pid 0 (to a no-caching peer, and everything Broccoli sends) have no identity on
// the wire: they are never cached and never referenced. A peer that cannot use back-references
// repeats the same type bytes in every event (a `connection` record type is several KB), so the
// decoder keeps one frozen instance per distinct byte string and hands it out again instead of
// re-parsing. Only subtrees that registered nothing and referenced nothing in the cache qualify.

const { BRO_TYPE, SUBNET_TYPE } = SerType;
const TAGS = TYPE_TAGS;
const MAX_INTERNED_BYTES = 8192;
const MAX_ENTRIES = 512;

interface Interned {
  stype: number;
  bytes: Buffer;
  type: FullType;
  /** Nesting depth of the subtree, so reuse still respects the decoder's depth limit. */
  depth: number;
  /** The entry looked up right after this one last time. */
  next: Interned | undefined;
}

function deepFreeze(o: unknown): void {
  if (typeof o !== 'object' || o === null || Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) deepFreeze(v);
}

function hash(stype: number, b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ stype;
  const stop = Math.min(end, start + 24);
  for (let i = start; i < stop; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** Atomic types are frozen and depend only on their bytes: one set for every decoder. */
const BASIC = new Map<number, FullType>();

function matches(c: Interned, stype: number, b: Uint8Array, o: number, end: number, depthBudget: number): boolean {
  const n = c.bytes.length;
  if (c.stype !== stype || end - o < n || c.depth > depthBudget) return false;
  const cb = c.bytes;
  // Native memcmp for the long ones (record types run to kilobytes), without a view.
  if (n > 48) return cb.compare(b, o, o + n) === 0;
  for (let i = 0; i < n; i++) if (cb[i] !== b[o + i]) return false;
  return true;
}

export class UncachedTypes {
  /** The entry find() returned last, whose `next` is the guess for the following lookup. */
  private last: Interned | undefined;
  private readonly interned = new Map<number, Interned[]>();
  private count = 0;

  /**
   * A name-less, location-less atomic type body at b[o..]: one shared frozen object per distinct
   * (class, tag, internal tag, flags). Returns [type, body length] or undefined.
   */
  basicAt(stype: number, b: Uint8Array, o: number, end: number): FullType | undefined {
    if (stype !== BRO_TYPE && stype !== SUBNET_TYPE) return undefined;
    if (end - o < 9 || b[o] !== 0 || b[o + 5] !== 0 || b[o + 6] !== 0 || b[o + 7] !== 0 || b[o + 8] !== 0) return undefined;
    const tag = b[o + 1]!;
    const nbo = b[o + 3]!;
    const base = b[o + 4]!;
    if (tag >= TAGS.length || nbo > 1 || base > 1) return undefined;
    const key = tag | (b[o + 2]! << 8) | (nbo << 16) | (base << 17) | (stype === SUBNET_TYPE ? 1 << 18 : 0);
    let t = BASIC.get(key);
    if (t === undefined) {
      t = Object.freeze({
        kind: stype === SUBNET_TYPE ? 'subnet' : 'basic',
        tag: TAGS[tag]!,
        internal: b[o + 2]!,
        networkOrder: nbo === 1,
        baseType: base === 1,
        name: '',
      }) as FullType;
      BASIC.set(key, t);
    }
    return t;
  }

  /** A previously seen identical type body starting at b[o], within `depthBudget` levels. */
  find(stype: number, b: Uint8Array, o: number, end: number, depthBudget: number): Interned | undefined {
    // Events of one kind repeat their types in the same order: try the type that followed the
    // last one found before hashing.
    const last = this.last;
    const guess = last?.next;
    if (guess !== undefined && matches(guess, stype, b, o, end, depthBudget)) {
      this.last = guess;
      return guess;
    }
    const candidates = this.interned.get(hash(stype, b, o, end));
    if (candidates === undefined) return undefined;
    for (const c of candidates) {
      if (!matches(c, stype, b, o, end, depthBudget)) continue;
      if (last !== undefined) last.next = c;
      this.last = c;
      return c;
    }
    return undefined;
  }

  remember(stype: number, b: Uint8Array, start: number, end: number, type: FullType, depth: number): void {
    if (end - start > MAX_INTERNED_BYTES) return;
    if (this.count >= MAX_ENTRIES) {
      this.interned.clear();
      this.count = 0;
      this.last = undefined;
    }
    deepFreeze(type);
    const key = hash(stype, b, start, end);
    const entry: Interned = { stype, bytes: Buffer.from(b.subarray(start, end)), type, depth, next: undefined };
    if (this.last !== undefined) this.last.next = entry;
    this.last = entry;
    const list = this.interned.get(key);
    if (list === undefined) this.interned.set(key, [entry]);
    else list.push(entry);
    this.count++;
  }
}
