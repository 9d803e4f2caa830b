// Byte strings (Broker strings, enum names, topics) between wire bytes and the ByteString
// representation: a JS string when the bytes are valid UTF-8, the exact bytes otherwise.
import { Buffer, isUtf8 } from 'node:buffer';
import type { ByteWriter } from '../../src/core/bytes.ts';
import type { ByteString } from './types.ts';

/** A Node Buffer over the same memory (no copy), for its native latin1/utf8 slicing. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes bytes[start, end) of `buf`: text if valid UTF-8 (a BOM is kept), else a copy of the bytes. */
export function decodeByteString(buf: Buffer, start: number, end: number): ByteString {
  const n = end - start;
  if (n === 0) return '';
  if (n <= 8) {
    // Short ASCII strings (event names, enum names, services) are built here in one allocation:
    // cheaper than a native call (~80 ns) or appending a character at a time (one string each).
    let or = 0;
    for (let i = start; i < end; i++) or |= buf[i]!;
    if (or >= 0x80) return decodeNonAscii(buf, start, end);
    return shortAscii(buf, start, n);
  }
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return decodeNonAscii(buf, start, end);
  return buf.toString('latin1', start, end);
}

const fromCharCode = String.fromCharCode;

function shortAscii(b: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 1:
      return fromCharCode(b[s]!);
    case 2:
      return fromCharCode(b[s]!, b[s + 1]!);
    case 3:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    default:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
  }
}

function decodeNonAscii(buf: Buffer, start: number, end: number): ByteString {
  const view = buf.subarray(start, end);
  if (isUtf8(view)) return buf.toString('utf8', start, end);
  return new Uint8Array(view);
}

/** Decodes a whole byte array to a ByteString. */
export function toByteString(bytes: Uint8Array): ByteString {
  return decodeByteString(bufferView(bytes), 0, bytes.length);
}

/** UTF-8 byte length of a JS string (lone surrogates count as U+FFFD, like the encoder writes them). */
export function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return n;
}

export function byteStringLength(s: ByteString): number {
  return typeof s === 'string' ? utf8Length(s) : s.length;
}

let scratch = Buffer.allocUnsafe(1024);

/** Writes the UTF-8 bytes of `s`, whose byte length `len` the caller has already computed. */
export function writeUtf8(w: ByteWriter, s: string, len: number): void {
  if (len === s.length && len <= 64 && w.ascii(s)) return;
  if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, scratch.length * 2));
  const written = scratch.write(s, 0, len, 'utf8');
  w.bytes(scratch.subarray(0, written));
}

export function writeByteString(w: ByteWriter, s: ByteString, len: number): void {
  if (typeof s === 'string') writeUtf8(w, s, len);
  else w.bytes(s);
}

/** The UTF-8 bytes of a ByteString (a fresh copy for strings, the same array for bytes). */
export function byteStringBytes(s: ByteString): Uint8Array {
  return typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'utf8')) : s;
}

/** Lexicographic byte order (memcmp, shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * Compares two JS strings in code point order, which is the byte order of their UTF-8 encodings.
 * UTF-16 code unit order differs only where a surrogate (U+10000 and up) meets U+E000..U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function compareByteStrings(a: ByteString, b: ByteString): number {
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  return compareBytes(byteStringBytes(a), byteStringBytes(b));
}

export function byteStringsEqual(a: ByteString, b: ByteString): boolean {
  if (typeof a === 'string') return typeof b === 'string' ? a === b : compareByteStrings(a, b) === 0;
  return compareByteStrings(a, b) === 0;
}
