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
/** Lookup sequences kept (one per event name) and their longest length. */
const MAX_SEQUENCES = 256;
const MAX_SEQUENCE = 1024;

/** A shared type plus what the value reader derived from it (its value kind), filled in lazily. */
export interface KnownType {
  readonly type: FullType;
  memo: unknown;
}

interface Interned extends KnownType {
  stype: number;
  bytes: Buffer;
  /** Nesting depth of the subtree, so reuse still respects the decoder's depth limit. */
  depth: number;
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

/**
 * Atomic types are frozen and depend only on their bytes: one set for every decoder, in a flat
 * table indexed by (tag, internal tag < 16, flags); other internal tags (never sent by Bro) in a Map.
 */
const BASIC_FLAT: (KnownType | undefined)[] = new Array<KnownType | undefined>(TAGS.length * 16 * 8).fill(undefined);
const BASIC_OTHER = new Map<number, KnownType>();

function basicType(stype: number, tag: number, internal: number, nbo: number, base: number): KnownType {
  const type = Object.freeze({
    kind: stype === SUBNET_TYPE ? 'subnet' : 'basic',
    tag: TAGS[tag]!,
    internal,
    networkOrder: nbo === 1,
    baseType: base === 1,
    name: '',
  }) as FullType;
  return { type, memo: undefined };
}

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
  private readonly interned = new Map<number, Interned[]>();
  private count = 0;
  /**
   * Events of one kind carry the same types in the same order: per event name, the entries found
   * in the last such event, tried in order before hashing.
   */
  private readonly sequences = new Map<string, (Interned | undefined)[]>();
  private sequence: (Interned | undefined)[] = [];
  private cursor = 0;

  /** A new serialization starts; `key` names what it is (the event name). */
  begin(key: string): void {
    let s = this.sequences.get(key);
    if (s === undefined) {
      if (this.sequences.size >= MAX_SEQUENCES) this.sequences.clear();
      s = [];
      this.sequences.set(key, s);
    }
    this.sequence = s;
    this.cursor = 0;
  }

  /**
   * A name-less, location-less atomic type body at b[o..]: one shared frozen object per distinct
   * (class, tag, internal tag, flags), or undefined (then its body is 9 bytes long).
   */
  basicAt(stype: number, b: Uint8Array, o: number, end: number): KnownType | undefined {
    if (stype !== BRO_TYPE && stype !== SUBNET_TYPE) return undefined;
    if (end - o < 9 || b[o] !== 0 || b[o + 5] !== 0 || b[o + 6] !== 0 || b[o + 7] !== 0 || b[o + 8] !== 0) return undefined;
    const tag = b[o + 1]!;
    const internal = b[o + 2]!;
    const nbo = b[o + 3]!;
    const base = b[o + 4]!;
    if (tag >= TAGS.length || nbo > 1 || base > 1) return undefined;
    const flags = nbo | (base << 1) | (stype === SUBNET_TYPE ? 4 : 0);
    if (internal < 16) {
      const key = (tag * 16 + internal) * 8 + flags;
      let k = BASIC_FLAT[key];
      if (k === undefined) BASIC_FLAT[key] = k = basicType(stype, tag, internal, nbo, base);
      return k;
    }
    const key = tag | (internal << 8) | (flags << 16);
    let k = BASIC_OTHER.get(key);
    if (k === undefined) BASIC_OTHER.set(key, (k = basicType(stype, tag, internal, nbo, base)));
    return k;
  }

  /** A previously seen identical type body starting at b[o], within `depthBudget` levels. */
  find(stype: number, b: Uint8Array, o: number, end: number, depthBudget: number): Interned | undefined {
    const seq = this.sequence;
    const at = this.cursor;
    const guess = at < seq.length ? seq[at] : undefined;
    if (guess !== undefined && matches(guess, stype, b, o, end, depthBudget)) {
      this.cursor = at + 1;
      return guess;
    }
    const candidates = this.interned.get(hash(stype, b, o, end));
    if (candidates === undefined) return undefined;
    for (const c of candidates) {
      if (!matches(c, stype, b, o, end, depthBudget)) continue;
      this.follow(c);
      return c;
    }
    return undefined;
  }

  remember(stype: number, b: Uint8Array, start: number, end: number, type: FullType, depth: number): void {
    if (end - start > MAX_INTERNED_BYTES) return;
    if (this.count >= MAX_ENTRIES) {
      this.interned.clear();
      this.sequences.clear();
      this.sequence = [];
      this.cursor = 0;
      this.count = 0;
    }
    deepFreeze(type);
    const key = hash(stype, b, start, end);
    const entry: Interned = { stype, bytes: Buffer.from(b.subarray(start, end)), type, memo: undefined, depth };
    this.follow(entry);
    const list = this.interned.get(key);
    if (list === undefined) this.interned.set(key, [entry]);
    else list.push(entry);
    this.count++;
  }

  /** Record `entry` as this position's type in the current sequence. */
  private follow(entry: Interned): void {
    const at = this.cursor;
    if (at >= MAX_SEQUENCE) return;
    const seq = this.sequence;
    if (at < seq.length) seq[at] = entry;
    else seq.push(entry);
    this.cursor = at + 1;
  }
}
