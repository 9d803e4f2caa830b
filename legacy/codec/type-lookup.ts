import { legacyError } from './errors.ts';
import type { BroType, FullType } from './model.ts';
import { FAMILY } from './receiver-cache.ts';
import type { SerialDecoder } from './serial-reader.ts';
import { readTypeBody, typeShell } from './type-reader.ts';
import type { KindInfo } from './value-reader.ts';

// Which type object a serialized type stands for (section 8.2, "types are special"): a type sent
// by name, a back-reference into the cache, a pid-0 type seen before (shared, see
// type-intern.ts), or a new object read in full. Values carry their type every time, so this
// runs once per value.

// Local copies: under tsx (CommonJS) each access to an import is a getter call.
const shellOf = typeShell;
const typeBody = readTypeBody;
const F_TYPE = FAMILY.type;

/** A type with its leading full-type flag (0 = type by name). Sets d.sharedType. */
export function typeRef(d: SerialDecoder, field: string): BroType {
  const r = d.r;
  d.sharedType = false;
  if (r.offset >= r.end) r.need(1, field);
  if (r.bytes[r.offset++] !== 1) return { kind: 'byname', name: d.string(field) };
  d.header(field);
  if (!d.full) {
    const t = d.backref(F_TYPE, field) as FullType;
    d.sharedType = true;
    return t;
  }
  if (d.pid === 0) return uncachedType(d, field, false);
  const t = parseType(d, field);
  d.sharedType = false;
  return t;
}

/**
 * typeRef() for a value's own type. Also sets d.kindInfo (the value kind kept with a shared
 * type, if any) and d.kindEntry (where keepKind() keeps it).
 */
export function valueTypeRef(d: SerialDecoder, field: string): BroType {
  d.kindInfo = undefined;
  d.kindEntry = undefined;
  const r = d.r;
  const b = r.bytes;
  const o = r.offset;
  // A type flag 1 and a back-reference header (what a caching Bro sends for every value after
  // the first), read in one go.
  if (d.format.pid64) {
    if (r.end - o >= 10 && b[o] === 1 && b[o + 1] === 0) {
      const hi = ((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0;
      if (hi < 0x200000) {
        d.headerAt = r.base + o + 1;
        d.full = false;
        d.pid = hi * 4294967296 + (((b[o + 6]! << 24) | (b[o + 7]! << 16) | (b[o + 8]! << 8) | b[o + 9]!) >>> 0);
        d.stype = 0;
        r.offset = o + 10;
        return typeBackref(d, field);
      }
    }
  } else if (r.end - o >= 6 && b[o] === 1 && b[o + 1] === 0) {
    d.headerAt = r.base + o + 1;
    d.full = false;
    d.pid = ((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0;
    d.stype = 0;
    r.offset = o + 6;
    return typeBackref(d, field);
  }
  if (r.offset >= r.end) r.need(1, field);
  if (r.bytes[r.offset++] !== 1) return { kind: 'byname', name: d.string(field) };
  d.header(field);
  if (!d.full) return typeBackref(d, field);
  if (d.pid === 0) return uncachedType(d, field, true);
  return parseType(d, field);
}

/** The value reader derived `info` from the type valueTypeRef() returned: keep it with the type. */
export function keepKind(d: SerialDecoder, info: KindInfo): void {
  if (d.kindEntry !== undefined) d.kindEntry.memo = info;
}

function typeBackref(d: SerialDecoder, field: string): FullType {
  const e = d.backrefEntry(F_TYPE, field);
  d.kindInfo = e.memo as KindInfo | undefined;
  d.kindEntry = e;
  return e.obj as FullType;
}

/** A pid-0 type: shared if an identical one was decoded before (see type-intern.ts). */
function uncachedType(d: SerialDecoder, field: string, forValue: boolean): FullType {
  const r = d.r;
  const stype = d.stype;
  const start = r.offset;
  const basic = d.uncached.basicAt(stype, r.bytes, start, r.end);
  if (basic !== undefined) {
    r.offset = start + 9;
    d.sharedType = true;
    if (forValue) {
      d.kindInfo = basic.memo as KindInfo | undefined;
      d.kindEntry = basic;
    }
    return basic.type;
  }
  const seen = d.uncached.find(stype, r.bytes, start, r.end, d.limits.maxNestingDepth - d.depth - 1);
  if (seen !== undefined) {
    r.offset = start + seen.bytes.length;
    d.sharedType = true;
    if (forValue) {
      d.kindInfo = seen.memo as KindInfo | undefined;
      d.kindEntry = seen;
    }
    return seen.type;
  }
  const marks = d.marks;
  const depth = d.depth;
  d.deepest = depth;
  const t = parseType(d, field);
  if (d.marks === marks) d.uncached.remember(stype, r.bytes, start, r.offset, t, d.deepest - depth);
  d.sharedType = false;
  return t;
}

function parseType(d: SerialDecoder, field: string): FullType {
  d.enter(field);
  const t = shellOf(d.stype);
  if (t === undefined) {
    throw legacyError('unknown_serial_type', `serial type 0x${d.stype.toString(16)} is not a type`, { field, offset: d.headerAt });
  }
  d.register(t, F_TYPE);
  const loc = d.location(field);
  if (loc !== undefined) t.location = loc;
  typeBody(d, t, field);
  d.leave();
  return t;
}
