import type { ByteWriter } from '../../src/core/bytes.ts';
import { legacyError } from './errors.ts';

// Bro strings are byte strings. We hand them to JavaScript as text when they are valid UTF-8 (NUL
// bytes included, which is the common case) and otherwise as a lossless escaped rendering plus the
// raw bytes:
//
//   every byte that is not part of a valid UTF-8 sequence  ->  \xNN (two lowercase hex digits)
//   every backslash                                       ->  \x5c
//
// so "caf\xe9" is the 4-byte Latin-1 "café", and a text can always be told from its escaping
// because escaping only ever happens when `raw` is present (or, in decoded-capture output, when
// `"escaped": true` accompanies the value).

const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

// Node's native UTF-8 slicer works on any Uint8Array without creating a view; it replaces invalid
// sequences with U+FFFD, so only a result containing U+FFFD needs the strict (fatal) check.
const nativeSlice = (Buffer.prototype as unknown as { utf8Slice?: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;

const fromCodes = String.fromCharCode;

/**
 * Short ASCII (services, uids, history strings) built in one allocation: a string grown
 * character by character allocates once per character, and a call into native code costs more
 * than the whole job at this length. undefined if a byte is not ASCII.
 */
function shortAscii(b: Uint8Array, s: number, n: number): string | undefined {
  for (let i = s; i < s + n; i++) if (b[i]! >= 0x80) return undefined;
  switch (n) {
    case 1: return fromCodes(b[s]!);
    case 2: return fromCodes(b[s]!, b[s + 1]!);
    case 3: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
    case 10: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
    case 11: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
    case 12: return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
    default: {
      // 13 to 16: two halves (a join of that length is a flat copy or a small cons string).
      const h = n >> 1;
      return shortAscii(b, s, h)! + shortAscii(b, s + h, n - h)!;
    }
  }
}

/** Text of valid UTF-8 bytes, or undefined if they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (start === end) return '';
  if (end - start <= 16) {
    const text = shortAscii(bytes, start, end - start);
    if (text !== undefined) return text;
  }
  if (nativeSlice !== undefined) {
    const text = nativeSlice.call(bytes, start, end);
    if (text.indexOf('\ufffd') === -1) return text;
  }
  try {
    return fatal.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

function hex2(b: number): string {
  return (b < 16 ? '\\x0' : '\\x') + b.toString(16);
}

/** Length of the valid UTF-8 sequence starting at i, or 0 if the byte there starts none. */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  let need: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) (need = 1), (min = 0x80);
  else if (b0 >= 0xe0 && b0 <= 0xef) (need = 2), (min = 0x800);
  else if (b0 >= 0xf0 && b0 <= 0xf4) (need = 3), (min = 0x10000);
  else return 0;
  if (i + need >= end) return 0;
  let cp = b0 & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need + 1;
}

/** The escaped rendering of bytes that are not valid UTF-8 (see the module comment). */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0x5c) {
      out += '\\x5c';
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i, bytes.length);
    if (n === 0) {
      out += hex2(b);
      i++;
    } else {
      out += n === 1 ? String.fromCharCode(b) : (fatal.decode(bytes.subarray(i, i + n)) as string);
      i += n;
    }
  }
  return out;
}

/** Decoded string field: text, plus raw bytes when the text is an escaped rendering. */
export interface DecodedText {
  text: string;
  raw: Uint8Array | undefined;
}

/** Decode bytes[start, end) into text; copies raw bytes (never a view) when not valid UTF-8. */
export function decodeText(bytes: Uint8Array, start: number, end: number): DecodedText {
  const text = decodeUtf8(bytes, start, end);
  if (text !== undefined) return { text, raw: undefined };
  const raw = bytes.slice(start, end);
  return { text: escapeBytes(raw), raw };
}

/** Like decodeText, but just the text (escaped when not UTF-8): for names and other identifiers. */
export function decodeName(bytes: Uint8Array, start: number, end: number): string {
  const text = decodeUtf8(bytes, start, end);
  return text !== undefined ? text : escapeBytes(bytes.subarray(start, end));
}

/** Inverse of escapeBytes. */
export function unescapeText(text: string): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text.charCodeAt(i) === 0x5c && text[i + 1] === 'x' && /^[0-9a-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      parts.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    for (const b of utf8.encode(ch)) parts.push(b);
    i += ch.length;
  }
  return Uint8Array.from(parts);
}

/** UTF-8 bytes of a JS string. */
export function encodeUtf8(text: string): Uint8Array {
  return utf8.encode(text);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Write a u32-length-prefixed string (raw bytes win over the text when present). */
export function writeString(w: ByteWriter, text: string, raw?: Uint8Array): void {
  if (raw !== undefined) {
    w.u32(raw.length);
    w.bytes(raw);
  } else if (text.length < 256 && isAscii(text)) {
    w.u32(text.length);
    w.ensure(text.length);
    for (let i = 0; i < text.length; i++) w.u8(text.charCodeAt(i));
  } else {
    const bytes = utf8.encode(text);
    w.u32(bytes.length);
    w.bytes(bytes);
  }
}

/** Write text followed by a NUL byte (C strings in VERSION, REQUEST_EVENTS, REMOTE_PRINT ...). */
export function writeCString(w: ByteWriter, text: string, raw?: Uint8Array): void {
  const bytes = raw ?? (isAscii(text) ? asciiBytes(text) : utf8.encode(text));
  // The receiver reads up to the first NUL: an embedded one would shift every later field.
  if (bytes.includes(0)) throw legacyError('invalid_value', `C string with an embedded NUL: ${JSON.stringify(text)}`, { field: 'cstring' });
  w.bytes(bytes);
  w.u8(0);
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
