// Builds SYNTHETIC captures (transcripts) from our own encoders: each side's messages are encoded
// and written as transcript lines, optionally cut into reads of given sizes, so chunk and message
// boundaries fall anywhere. Deterministic: no clocks, no randomness.
import { LegacyStreamEncoder, type LegacyMessage, type StreamEncoderOptions } from '../../../legacy/codec/index.ts';
import { TranscriptWriter } from '../../../src/core/capture/transcript.ts';
import type { Direction } from '../../../src/core/capture/types.ts';

/** Transcript lines of several connections, written in the order they are produced. */
export class TranscriptBuilder {
  readonly lines: string[] = [];
  readonly writer: TranscriptWriter;
  t = 0.1;

  constructor(header: Record<string, unknown>) {
    this.writer = new TranscriptWriter((l) => this.lines.push(l), header);
  }

  /** One side's bytes, as reads of the sizes in `split` (cycled), or one read. */
  raw(conn: number, dir: Direction, bytes: Uint8Array, split?: readonly number[]): void {
    this.t = Math.round((this.t + 0.001) * 1e6) / 1e6;
    if (split === undefined || split.length === 0) {
      this.writer.data(conn, dir, this.t, bytes);
      return;
    }
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = split[i % split.length]!;
      this.writer.data(conn, dir, this.t, bytes.subarray(at, at + n));
      at += n;
    }
  }

  eof(conn: number, dir: Direction): void {
    this.t = Math.round((this.t + 0.001) * 1e6) / 1e6;
    this.writer.eof(conn, dir, this.t);
  }

  event(name: string, conn: number): void {
    this.writer.event(this.t, name, { conn });
  }

  text(): string {
    return this.lines.join('');
  }
}

/** One legacy connection: an encoder per side writing into a TranscriptBuilder. */
export class LegacyConnection {
  readonly enc: Record<Direction, LegacyStreamEncoder>;

  constructor(
    readonly out: TranscriptBuilder,
    readonly conn = 0,
    options: Partial<Record<Direction, StreamEncoderOptions>> = {},
  ) {
    this.enc = { c2s: new LegacyStreamEncoder(options.c2s), s2c: new LegacyStreamEncoder(options.s2c) };
  }

  bytes(dir: Direction, msgs: readonly LegacyMessage[]): Uint8Array {
    return Buffer.concat(msgs.map((m) => this.enc[dir].encode(m)));
  }

  send(dir: Direction, msgs: readonly LegacyMessage[], split?: readonly number[]): void {
    this.out.raw(this.conn, dir, this.bytes(dir, msgs), split);
  }

  /** Both sides RUNNING between two Bros: 64-bit ids, new cache strategy, caching. */
  running(dir: Direction, format = { pid64: true, newCacheStrategy: true, caching: true }): void {
    this.enc[dir].serial.format = { ...format };
  }

  eof(): void {
    this.out.eof(this.conn, 'c2s');
    this.out.eof(this.conn, 's2c');
  }
}
