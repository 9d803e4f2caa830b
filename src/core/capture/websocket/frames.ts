// RFC 6455 framing for one direction of a captured connection: a small state machine that cuts
// frames out of the byte stream (7/16/64-bit lengths, masking), then joins fragmented data
// messages and passes control frames through. Violations become error events; only a length that
// cannot be trusted (64-bit with the top bit set, or over the limit) stops the direction, because
// after that no later frame boundary can be found.
import { StreamBuffer } from './stream-buffer.ts';
import { MessageInflater, type DeflateParams } from './deflate.ts';

export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** A frame opcode: one of `Opcode`, or a reserved value seen on the wire. */
export type Opcode = number;

export type WsErrorCode =
  | 'ws_frame_too_large'
  | 'ws_message_too_large'
  | 'ws_bad_length'
  | 'ws_reserved_opcode'
  | 'ws_reserved_bits'
  | 'ws_bad_control_frame'
  | 'ws_unexpected_continuation'
  | 'ws_interrupted_message'
  | 'ws_mask_violation'
  | 'ws_invalid_utf8'
  | 'ws_bad_close_payload'
  | 'ws_after_close'
  | 'ws_truncated'
  /** A permessage-deflate message whose data does not inflate (or inflates beyond the limit). */
  | 'ws_inflate_failed'
  | 'http_head_too_large'
  | 'http_malformed'
  | 'http_truncated_body';

export interface WsMessage {
  kind: 'message';
  opcode: Opcode;
  payload: Uint8Array;
  /** Number of frames the message was sent in (1 unless fragmented). */
  frames: number;
  masked: boolean;
  /** Stream offset of the message's first frame. */
  offset: number;
  /** permessage-deflate: the payload was inflated from this many bytes. */
  deflated?: number;
}

export interface WsError {
  kind: 'error';
  code: WsErrorCode;
  message: string;
  offset: number;
}

export type WsEvent = WsMessage | WsError;

export interface FrameLimits {
  maxFrameBytes: number;
  maxMessageBytes: number;
}

export class FrameReader {
  private readonly buffer = new StreamBuffer();
  private pieces: Uint8Array[] = [];
  private pieceBytes = 0;
  private pendingOpcode: Opcode | undefined;
  private pendingOffset = 0;
  private pendingMasked = false;
  private pendingCompressed = false;
  private dropping = false;
  private inflater: MessageInflater | undefined;
  dead = false;

  /** `expectMasked`: client frames must be masked, server frames must not be (RFC 6455 5.1). */
  constructor(
    private readonly limits: FrameLimits,
    private readonly expectMasked: boolean,
  ) {}

  /** Stream offset where the frames began (after the HTTP head), for error offsets. */
  set base(offset: number) {
    this.buffer.position = offset;
  }

  /** The 101 response accepted permessage-deflate: RSV1 marks a compressed message. */
  set deflate(params: DeflateParams) {
    this.inflater = new MessageInflater(params);
  }

  get buffered(): number {
    return this.buffer.length;
  }

  push(bytes: Uint8Array, out: WsEvent[]): void {
    if (this.dead) return;
    this.buffer.append(bytes);
    while (!this.dead && this.frame(out));
  }

  /** The stream ended: a partial frame or an unfinished fragmented message is reported. */
  end(out: WsEvent[]): void {
    if (this.dead) return;
    if (this.buffer.length > 0) out.push(this.error('ws_truncated', `stream ended inside a frame (${this.buffer.length} byte(s) buffered)`, this.buffer.position));
    else if (this.pendingOpcode !== undefined) out.push(this.error('ws_truncated', 'stream ended inside a fragmented message', this.pendingOffset));
    this.dead = true;
  }

  private error(code: WsErrorCode, message: string, offset: number): WsError {
    return { kind: 'error', code, message, offset };
  }

  /** Cuts one frame if complete; returns false when more bytes are needed. */
  private frame(out: WsEvent[]): boolean {
    const b = this.buffer.view();
    if (b.length < 2) return false;
    const at = this.buffer.position;
    const b0 = b[0]!;
    const b1 = b[1]!;
    const masked = (b1 & 0x80) !== 0;
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (b.length < 4) return false;
      len = (b[2]! << 8) | b[3]!;
      head = 4;
    } else if (len === 127) {
      if (b.length < 10) return false;
      const hi = ((b[2]! << 24) | (b[3]! << 16) | (b[4]! << 8) | b[5]!) >>> 0;
      const lo = ((b[6]! << 24) | (b[7]! << 16) | (b[8]! << 8) | b[9]!) >>> 0;
      if (hi & 0x80000000) {
        out.push(this.error('ws_bad_length', '64-bit frame length has its most significant bit set', at));
        this.dead = true;
        return false;
      }
      len = hi * 0x1_0000_0000 + lo;
      head = 10;
    }
    if (len > this.limits.maxFrameBytes) {
      out.push(this.error('ws_frame_too_large', `frame of ${len} bytes exceeds the ${this.limits.maxFrameBytes}-byte limit`, at));
      this.dead = true;
      return false;
    }
    const keyAt = head;
    if (masked) head += 4;
    if (b.length < head + len) return false;
    const payload = b.slice(head, head + len);
    if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[keyAt + (i & 3)]!;
    this.buffer.consume(head + len);
    this.assemble(b0, masked, payload, at, out);
    return true;
  }

  private assemble(b0: number, masked: boolean, payload: Uint8Array, at: number, out: WsEvent[]): void {
    const fin = (b0 & 0x80) !== 0;
    const opcode: Opcode = b0 & 0x0f;
    // RSV1 is permessage-deflate's "compressed" bit, allowed on the first frame of a data message.
    const compressed = (b0 & 0x40) !== 0 && this.inflater !== undefined && (opcode === Opcode.Text || opcode === Opcode.Binary);
    const reserved = b0 & (compressed ? 0x30 : 0x70);
    if (reserved) out.push(this.error('ws_reserved_bits', `reserved bits ${reserved >> 4} set without a negotiated extension`, at));
    if (masked !== this.expectMasked) {
      out.push(this.error('ws_mask_violation', this.expectMasked ? 'client frame is not masked' : 'server frame is masked', at));
    }
    if (opcode & 0x8) {
      if (opcode !== Opcode.Close && opcode !== Opcode.Ping && opcode !== Opcode.Pong) {
        out.push(this.error('ws_reserved_opcode', `reserved control opcode 0x${opcode.toString(16)}`, at));
        return;
      }
      if (!fin || payload.length > 125) {
        out.push(this.error('ws_bad_control_frame', `control frame ${fin ? `of ${payload.length} bytes (max 125)` : 'is fragmented'}`, at));
      }
      out.push({ kind: 'message', opcode, payload, frames: 1, masked, offset: at });
      return;
    }
    if (opcode === Opcode.Continuation) {
      if (this.pendingOpcode === undefined) {
        out.push(this.error('ws_unexpected_continuation', 'continuation frame without a message to continue', at));
        return;
      }
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.pendingOpcode !== undefined) {
        out.push(this.error('ws_interrupted_message', 'new data message before the fragmented one finished', at));
        this.reset();
      }
      this.pendingOpcode = opcode;
      this.pendingOffset = at;
      this.pendingMasked = masked;
      this.pendingCompressed = compressed;
    } else {
      out.push(this.error('ws_reserved_opcode', `reserved data opcode 0x${opcode.toString(16)}`, at));
      return;
    }
    if (!this.dropping) {
      if (this.pieceBytes + payload.length > this.limits.maxMessageBytes) {
        out.push(this.error('ws_message_too_large', `message exceeds the ${this.limits.maxMessageBytes}-byte limit`, this.pendingOffset));
        this.dropping = true;
        this.pieces = [];
        this.pieceBytes = 0;
      } else {
        this.pieces.push(payload);
        this.pieceBytes += payload.length;
      }
    }
    if (!fin) return;
    if (!this.dropping) {
      const whole = this.pieces.length === 1 ? this.pieces[0]! : joinPieces(this.pieces, this.pieceBytes);
      const message: WsMessage = { kind: 'message', opcode: this.pendingOpcode!, payload: whole, frames: this.pieces.length, masked: this.pendingMasked, offset: this.pendingOffset };
      if (this.pendingCompressed) {
        const inflated = this.inflater!.inflate(whole, this.limits.maxMessageBytes);
        if (typeof inflated === 'string') out.push(this.error('ws_inflate_failed', inflated, this.pendingOffset));
        else out.push({ ...message, payload: inflated, deflated: whole.length });
      } else out.push(message);
    }
    this.reset();
  }

  private reset(): void {
    this.pieces = [];
    this.pieceBytes = 0;
    this.pendingOpcode = undefined;
    this.pendingCompressed = false;
    this.dropping = false;
  }
}

function joinPieces(pieces: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
