// Capture decoder for WebSocket connections (protocol 'websocket'): the HTTP/1.1 upgrade, then
// RFC 6455 messages, with the text messages of Broker's JSON API (subscription list, ack,
// data-message, error) recognised. Decoding the Broker value inside a data message (event name and
// arguments) is delegated to `describeData`, which the CLI wires to the Broker JSON codec, so this
// module stays independent of modern/.
import { createHash } from 'node:crypto';
import type { DecodedMessage, Direction, ProtocolDecoder, StreamDecoder } from '../types.ts';
import { toHex } from '../../json.ts';
import { parseJsonLossless, type JsonValue } from '../lossless-json.ts';
import { StreamBuffer } from './stream-buffer.ts';
import { headerValue, headLength, looksLikeHttp, parseHead, type HttpHead } from './http.ts';
import { negotiatedDeflate } from './deflate.ts';
import { FrameReader, Opcode, type FrameLimits, type WsErrorCode, type WsEvent, type WsMessage } from './frames.ts';

/**
 * Extra fields for a Broker data message — e.g. `{event, args}` for a Zeek event — computed from
 * the message's raw JSON `text` (for a codec that parses Broker's JSON itself) or from the value
 * already parsed here. Returning undefined adds nothing; a throw is reported as `describe_error`.
 */
export type BrokerDataDescriber = (message: {
  text: string;
  '@data-type': JsonValue | undefined;
  data: JsonValue | undefined;
}) => Record<string, unknown> | undefined;

export interface WebSocketDecoderOptions extends Partial<FrameLimits> {
  /** Longest HTTP head accepted before the connection is declared not HTTP. */
  maxHeadBytes?: number;
  /** Largest HTTP body kept for a refused upgrade. */
  maxBodyBytes?: number;
  describeData?: BrokerDataDescriber;
}

const DEFAULTS = { maxFrameBytes: 64 << 20, maxMessageBytes: 64 << 20, maxHeadBytes: 64 << 10, maxBodyBytes: 1 << 20 };
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Mode = 'head' | 'body' | 'frames' | 'trailing' | 'dead';

interface Side {
  mode: Mode;
  http: StreamBuffer;
  frames: FrameReader;
  /** A refused upgrade's response waiting for its body (`need` = Infinity: body runs to EOF). */
  response?: { head: HttpHead; need: number };
  heads: number;
  /** How much of the buffered head was searched for its end already. */
  headScan: number;
  textMessages: number;
  closed: boolean;
}

class WebSocketSession implements StreamDecoder {
  private readonly sides: Record<Direction, Side>;
  private key: string | undefined;

  constructor(
    private readonly options: typeof DEFAULTS & WebSocketDecoderOptions,
    private readonly strict: boolean,
  ) {
    const side = (dir: Direction): Side => ({ mode: 'head', http: new StreamBuffer(), frames: new FrameReader(options, dir === 'c2s'), heads: 0, headScan: 0, textMessages: 0, closed: false });
    this.sides = { c2s: side('c2s'), s2c: side('s2c') };
  }

  push(dir: Direction, bytes: Uint8Array): DecodedMessage[] {
    const out: DecodedMessage[] = [];
    const side = this.sides[dir];
    let rest = bytes;
    while (rest.length > 0) {
      switch (side.mode) {
        case 'dead':
          return out;
        case 'frames':
          this.frames(dir, side, rest, out);
          return out;
        case 'trailing':
          out.push(this.trailing(rest));
          return out;
        case 'head':
        case 'body':
          side.http.append(rest);
          rest = this.http(dir, side, out);
      }
    }
    return out;
  }

  end(dir: Direction): DecodedMessage[] {
    const side = this.sides[dir];
    const out: DecodedMessage[] = [];
    if (side.mode === 'frames') {
      const events: WsEvent[] = [];
      side.frames.end(events);
      for (const e of events) this.event(dir, side, e, out);
    } else if (side.mode === 'body' && side.response) {
      const body = side.http.view();
      out.push(responseMessage(side.response.head, body, this.key));
      if (side.response.need !== Infinity) out.push(error('http_truncated_body', `body ended after ${body.length} of ${side.response.need} bytes`, side.http.position));
    } else if (side.mode === 'head' && side.http.length > 0) {
      out.push(error('http_malformed', `stream ended inside an HTTP head (${side.http.length} byte(s))`, side.http.position));
    }
    side.mode = 'dead';
    return out;
  }

  /** Parses HTTP from the side's buffer; returns bytes that belong to the next mode. */
  private http(dir: Direction, side: Side, out: DecodedMessage[]): Uint8Array {
    const buf = side.http;
    if (side.mode === 'body') {
      const need = side.response!.need;
      if (need === Infinity) {
        // The body runs to EOF; keep only its last maxBodyBytes.
        if (buf.length > this.options.maxBodyBytes) buf.consume(buf.length - this.options.maxBodyBytes);
        return EMPTY;
      }
      if (buf.length < need) return EMPTY;
      out.push(responseMessage(side.response!.head, buf.view().subarray(0, need), this.key));
      buf.consume(need);
      delete side.response;
      side.mode = 'head';
      return takeAll(buf);
    }
    const view = buf.view();
    const kind = dir === 'c2s' ? 'request' : 'response';
    if (!looksLikeHttp(view, kind)) {
      if (side.heads === 0) {
        out.push(error('http_malformed', `expected an HTTP ${kind}`, 0));
        side.mode = 'dead';
        return EMPTY;
      }
      side.mode = 'trailing';
      return takeAll(buf);
    }
    const len = headLength(view, side.headScan);
    side.headScan = len < 0 ? view.length : 0;
    if (len < 0) {
      if (view.length > this.options.maxHeadBytes) {
        out.push(error('http_head_too_large', `HTTP head longer than ${this.options.maxHeadBytes} bytes`, buf.position));
        side.mode = 'dead';
      }
      return EMPTY;
    }
    const head = parseHead(view.subarray(0, len));
    const at = buf.position;
    buf.consume(len);
    side.heads++;
    if (typeof head === 'string') {
      out.push(error('http_malformed', head, at));
      side.mode = 'dead';
      return EMPTY;
    }
    if (head.kind === 'request') {
      this.key = headerValue(head.headers, 'Sec-WebSocket-Key');
      out.push({ type: 'http-request', method: head.method, path: head.path, version: head.version, headers: head.headers });
      if (/websocket/i.test(headerValue(head.headers, 'Upgrade') ?? '')) return this.startFrames(side, buf);
      return takeAll(buf);
    }
    if (head.status === 101) {
      out.push(responseMessage(head, undefined, this.key));
      const deflate = negotiatedDeflate(head.headers);
      if (deflate) {
        this.sides.c2s.frames.deflate = deflate.c2s;
        this.sides.s2c.frames.deflate = deflate.s2c;
      }
      return this.startFrames(side, buf);
    }
    const length = headerValue(head.headers, 'Content-Length');
    const need = length !== undefined && /^\d+$/.test(length) ? Number(length) : head.status < 200 || head.status === 204 || head.status === 304 ? 0 : Infinity;
    if (need > this.options.maxBodyBytes && need !== Infinity) {
      out.push(responseMessage(head, undefined, this.key));
      out.push(error('http_malformed', `body of ${need} bytes exceeds the ${this.options.maxBodyBytes}-byte limit`, at));
      side.mode = 'dead';
      return EMPTY;
    }
    side.response = { head, need };
    side.mode = 'body';
    return takeAll(buf);
  }

  private startFrames(side: Side, buf: StreamBuffer): Uint8Array {
    side.mode = 'frames';
    side.frames.base = buf.position;
    return takeAll(buf);
  }

  private trailing(bytes: Uint8Array): DecodedMessage {
    // Broker's server writes the body of its 400 response twice; bytes after a complete response
    // that do not start another one are shown, and are an error only in strict mode.
    const fields = { length: bytes.length, ...textOrHex(bytes) };
    return this.strict ? { type: 'error', code: 'http_trailing_bytes', message: 'bytes after a complete HTTP response', ...fields } : { type: 'http-trailing', ...fields };
  }

  private frames(dir: Direction, side: Side, bytes: Uint8Array, out: DecodedMessage[]): void {
    const events: WsEvent[] = [];
    side.frames.push(bytes, events);
    for (const e of events) this.event(dir, side, e, out);
    if (side.frames.dead) side.mode = 'dead';
  }

  private event(dir: Direction, side: Side, e: WsEvent, out: DecodedMessage[]): void {
    if (e.kind === 'error') {
      out.push(error(e.code, e.message, e.offset));
      return;
    }
    if (side.closed) {
      out.push(error('ws_after_close', `frame after this side's Close (opcode 0x${e.opcode.toString(16)})`, e.offset));
      return;
    }
    const frames = { ...(e.frames > 1 ? { frames: e.frames } : {}), ...(e.deflated !== undefined ? { deflated: e.deflated } : {}) };
    switch (e.opcode) {
      case Opcode.Text:
        out.push({ ...this.text(dir, side, e), ...frames });
        return;
      case Opcode.Binary:
        out.push({ type: 'binary', length: e.payload.length, hex: toHex(e.payload), ...frames });
        return;
      case Opcode.Ping:
      case Opcode.Pong:
        out.push({ type: e.opcode === Opcode.Ping ? 'ping' : 'pong', length: e.payload.length, ...textOrHex(e.payload) });
        return;
      case Opcode.Close:
        side.closed = true;
        out.push(...closeMessages(e));
    }
  }

  private text(dir: Direction, side: Side, e: WsMessage): DecodedMessage {
    let text: string;
    try {
      text = utf8.decode(e.payload);
    } catch {
      return error('ws_invalid_utf8', `text message is not valid UTF-8 (${e.payload.length} bytes: ${toHex(e.payload.subarray(0, 64))})`, e.offset);
    }
    // Broker's API: the client's first text message is its list of topic prefixes.
    const first = dir === 'c2s' && side.textMessages++ === 0;
    const parsed = parseJsonLossless(text, { nonFinite: 'string' });
    if (!parsed.ok) return { type: 'text', text };
    const v = parsed.value;
    if (first && Array.isArray(v)) return { type: 'subscribe', topics: v };
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      switch (v['type']) {
        case 'data-message': {
          const value = { '@data-type': v['@data-type'], data: v['data'] };
          let extra: Record<string, unknown> | undefined;
          try {
            extra = this.options.describeData?.({ text, ...value });
          } catch (err) {
            extra = { describe_error: String((err as { code?: unknown }).code ?? (err as Error).message) };
          }
          return { type: 'data-message', topic: v['topic'], ...value, ...extra, text };
        }
        case 'ack':
          return { type: 'ack', endpoint: v['endpoint'], version: v['version'], text };
        case 'error':
          // Broker's error *reply* is a normal message of the API, not a decoding failure.
          return { type: 'error-message', code: v['code'], context: v['context'], text };
      }
    }
    return { type: 'text', json: v, text };
  }
}

const EMPTY = new Uint8Array(0);

function takeAll(buf: StreamBuffer): Uint8Array {
  const rest = buf.view().slice();
  buf.clear();
  return rest;
}

function error(code: WsErrorCode | 'http_trailing_bytes', message: string, offset: number): DecodedMessage {
  return { type: 'error', code, message, offset };
}

function textOrHex(bytes: Uint8Array): { text: string } | { hex: string } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { hex: toHex(bytes) };
  }
}

function responseMessage(head: HttpHead, body: Uint8Array | undefined, key: string | undefined): DecodedMessage {
  if (head.kind !== 'response') throw new TypeError('responseMessage needs a response head');
  const msg: DecodedMessage = { type: 'http-response', status: head.status, reason: head.reason, version: head.version, headers: head.headers };
  const accept = headerValue(head.headers, 'Sec-WebSocket-Accept');
  if (head.status === 101 && key !== undefined && accept !== undefined) {
    msg['accept_valid'] = createHash('sha1').update(key + WS_GUID).digest('base64') === accept;
  }
  if (body !== undefined) Object.assign(msg, { body_length: body.length }, body.length > 0 ? bodyField(body) : {});
  return msg;
}

function bodyField(body: Uint8Array): { body: string } | { body_hex: string } {
  const t = textOrHex(body);
  return 'text' in t ? { body: t.text } : { body_hex: t.hex };
}

// Close codes an endpoint must never put on the wire (RFC 6455 7.4.1) or outside the assigned ranges.
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

function closeMessages(e: WsMessage): DecodedMessage[] {
  const p = e.payload;
  if (p.length === 0) return [{ type: 'close' }];
  if (p.length === 1) return [{ type: 'close', hex: toHex(p) }, error('ws_bad_close_payload', 'close payload of 1 byte (a status code needs 2)', e.offset)];
  const code = (p[0]! << 8) | p[1]!;
  const out: DecodedMessage[] = [];
  let reason: string;
  try {
    reason = utf8.decode(p.subarray(2));
  } catch {
    reason = Buffer.from(p.subarray(2)).toString('latin1');
    out.push(error('ws_invalid_utf8', 'close reason is not valid UTF-8', e.offset));
  }
  out.unshift({ type: 'close', code, reason });
  if (!validCloseCode(code)) out.push(error('ws_bad_close_payload', `close code ${code} must not be sent`, e.offset));
  return out;
}

/** True for a connection that starts with an HTTP upgrade to WebSocket (or a 101 answer). */
function detect(c2s: Uint8Array, s2c: Uint8Array): boolean {
  if (looksLikeHttp(c2s, 'request') && c2s.length >= 4) {
    const head = Buffer.from(c2s.buffer, c2s.byteOffset, Math.min(c2s.length, 8192)).toString('latin1');
    if (/\r?\nupgrade:[ \t]*websocket/i.test(head)) return true;
  }
  return /^HTTP\/1\.\d 101/.test(Buffer.from(s2c.buffer, s2c.byteOffset, Math.min(s2c.length, 16)).toString('latin1'));
}

/**
 * What replay compares: the shape of the conversation, not values that differ from run to run
 * (endpoint ids in acks, timestamps inside data, header dates).
 */
function comparable(m: DecodedMessage): unknown {
  switch (m.type) {
    case 'http-request':
      return [m.type, m['method'], m['path']];
    case 'http-response':
      return [m.type, m['status']];
    case 'data-message':
      return [m.type, m['topic'], m['@data-type']];
    case 'error-message':
      return [m.type, m['code'], m['context']];
    case 'close':
      return [m.type, m['code']];
    case 'subscribe':
      return [m.type, m['topics']];
    case 'error':
      return [m.type, m['code']];
    default:
      return m.type;
  }
}

export function websocketDecoder(options: WebSocketDecoderOptions = {}): ProtocolDecoder {
  const merged = { ...DEFAULTS, ...options };
  return {
    protocol: 'websocket',
    detect,
    session: (o) => new WebSocketSession(merged, o?.strict ?? false),
    comparable,
  };
}
