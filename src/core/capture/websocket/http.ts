// The HTTP/1.1 part of a WebSocket connection: the upgrade request, the server's response (101,
// or a refusal with a body), parsed from raw bytes. Header names keep the case the peer sent.

export interface HttpRequestHead {
  kind: 'request';
  method: string;
  path: string;
  version: string;
  headers: Record<string, string>;
}

export interface HttpResponseHead {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: Record<string, string>;
}

export type HttpHead = HttpRequestHead | HttpResponseHead;

/**
 * Length of the head including its blank line, or -1 while it is incomplete. `from`: where a
 * previous call on a prefix of the same bytes stopped (so a head arriving in tiny pieces is
 * scanned once, not once per piece).
 */
export function headLength(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from - 2); i + 1 < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return i + 2;
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** True when the bytes can be the start of an HTTP request or response line. */
export function looksLikeHttp(bytes: Uint8Array, kind: 'request' | 'response'): boolean {
  const text = latin1(bytes.subarray(0, 16));
  return kind === 'request' ? /^(GET|HEAD|POST|PUT|OPTIONS) [^ ]/.test(text) || /^(G|GE|GET|GET )$/.test(text) : /^HTTP\/\d/.test(text) || /^(H|HT|HTT|HTTP|HTTP\/)$/.test(text);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Parses a complete head; returns a reason string when it is not valid HTTP/1.x. */
export function parseHead(bytes: Uint8Array): HttpHead | string {
  const lines = new TextDecoder('utf-8').decode(bytes).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const first = lines.shift() ?? '';
  const headers: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    const existing = seen.get(lower);
    if (existing === undefined) {
      seen.set(lower, name);
      // A defined property, so a header named __proto__ stays a header.
      Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    } else {
      headers[existing] = `${headers[existing]}, ${value}`;
    }
  }
  const response = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
  if (response) return { kind: 'response', version: response[1]!, status: Number(response[2]), reason: response[3] ?? '', headers };
  const request = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(first);
  if (request) return { kind: 'request', method: request[1]!, path: request[2]!, version: request[3]!, headers };
  return `malformed start line ${JSON.stringify(first.slice(0, 80))}`;
}

/** Case-insensitive header lookup. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
