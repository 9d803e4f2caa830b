import type { PrintRecord } from '../codec/messages.ts';

// Bro's per-peer print buffer for REMOTE_PRINT (section 4.10): every print to a named file adds a
// `file\0text\0` record; the buffer goes out as one REMOTE_PRINT when the next record would not
// fit into 10,240 bytes, and when the connection closes. A text longer than the buffer allows is
// cut; text after a NUL byte could never be read back, so it is cut there too.

export const PRINT_BUFFER_SIZE = 10_240;

const utf8 = new TextEncoder();

/** The longest prefix of `text` that encodes to at most `max` bytes (never splitting a character). */
function cutToBytes(text: string, max: number): string {
  if (utf8.encode(text).length <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (utf8.encode(text.slice(0, mid)).length <= max) lo = mid;
    else hi = mid - 1;
  }
  // Do not leave half of a surrogate pair behind.
  const last = text.charCodeAt(lo - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, lo - 1) : text.slice(0, lo);
}

export class PrintBuffer {
  private records: PrintRecord[] = [];
  private used = 0;

  constructor(private readonly size = PRINT_BUFFER_SIZE) {}

  get pending(): number {
    return this.records.length;
  }

  /**
   * Add one print. Returns the records to send first when the buffer was full, else undefined.
   * Prints to a file without a name are skipped, as Bro does.
   */
  add(file: string, text: string): PrintRecord[] | undefined {
    if (file === '' || file.includes('\0')) return undefined;
    const fileBytes = utf8.encode(file).length;
    if (fileBytes + 2 > this.size) return undefined;
    const nul = text.indexOf('\0');
    const body = cutToBytes(nul >= 0 ? text.slice(0, nul) : text, this.size - fileBytes - 2);
    const n = fileBytes + utf8.encode(body).length + 2;
    let out: PrintRecord[] | undefined;
    if (this.used + n > this.size) out = this.take();
    this.records.push({ file, text: body });
    this.used += n;
    return out;
  }

  /** Everything buffered (for the close flush), or undefined if empty. */
  take(): PrintRecord[] | undefined {
    if (this.records.length === 0) return undefined;
    const out = this.records;
    this.records = [];
    this.used = 0;
    return out;
  }
}
