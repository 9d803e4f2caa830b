// permessage-deflate (RFC 7692) for captured WebSocket connections. When the 101 response accepts
// the extension, a data message whose first frame has RSV1 set carries raw DEFLATE data ending in
// a sync flush whose last 4 bytes (00 00 ff ff) the sender removed. The inflate window is kept from
// message to message unless the response said `<side>_no_context_takeover`. Output is bounded by
// the message limit, so a small frame cannot expand without bound.
import { ZStream, Z_BUF_ERROR, Z_OK, Z_STREAM_END, Z_SYNC_FLUSH, zlibInflate, zlibInflateInit2 } from 'pako';
import { headerValue } from './http.ts';

export interface DeflateParams {
  /** Start every message of this direction with an empty window. */
  noContextTakeover: boolean;
}

/** The negotiated parameters per direction, or undefined when the response did not accept it. */
export function negotiatedDeflate(responseHeaders: Record<string, string>): { c2s: DeflateParams; s2c: DeflateParams } | undefined {
  const value = headerValue(responseHeaders, 'Sec-WebSocket-Extensions');
  if (value === undefined) return undefined;
  for (const ext of value.split(',')) {
    const [name, ...params] = ext.split(';').map((p) => p.trim().toLowerCase());
    if (name !== 'permessage-deflate') continue;
    const names = params.map((p) => p.split('=')[0]!.trim());
    return {
      c2s: { noContextTakeover: names.includes('client_no_context_takeover') },
      s2c: { noContextTakeover: names.includes('server_no_context_takeover') },
    };
  }
  return undefined;
}

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

export class MessageInflater {
  private strm: ZStream | undefined;

  constructor(private readonly params: DeflateParams) {}

  /** The message's payload, or a string saying why it cannot be inflated. */
  inflate(data: Uint8Array, maxBytes: number): Uint8Array | string {
    if (this.strm === undefined || this.params.noContextTakeover) {
      this.strm = new ZStream();
      zlibInflateInit2(this.strm, -15);
    }
    const s = this.strm;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const input of [data, TAIL]) {
      s.input = input;
      s.next_in = 0;
      s.avail_in = input.length;
      while (s.avail_in > 0) {
        const before = s.avail_in;
        const out = new Uint8Array(Math.min(Math.max(input.length * 4, 4096), maxBytes + 1 - total) || 1);
        s.output = out;
        s.next_out = 0;
        s.avail_out = out.length;
        const status = zlibInflate(s, Z_SYNC_FLUSH);
        if (status !== Z_OK && status !== Z_STREAM_END && status !== Z_BUF_ERROR) {
          this.strm = undefined;
          return `inflate failed: ${s.msg || `status ${status}`}`;
        }
        if (s.next_out > 0) {
          parts.push(out.subarray(0, s.next_out));
          total += s.next_out;
        }
        if (total > maxBytes) {
          this.strm = undefined;
          return `message inflates to more than ${maxBytes} bytes`;
        }
        if (status === Z_STREAM_END) {
          // A final block: the next message starts a new stream.
          this.strm = undefined;
          return join(parts, total);
        }
        if (s.next_out === 0 && (status === Z_BUF_ERROR || s.avail_in === before)) break;
      }
    }
    return join(parts, total);
  }
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
