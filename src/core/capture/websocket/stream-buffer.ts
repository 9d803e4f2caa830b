// Bytes received but not yet parsed, for one direction: appended by copy into one growing buffer,
// consumed from the front, compacted only when the consumed prefix dominates — so a stream of
// small reads costs amortised O(1) per byte and no per-message concatenation.

export class StreamBuffer {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  /** Stream offset of the first unconsumed byte. */
  position = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + bytes.length <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length * 2;
        while (size < live + bytes.length) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** A view of the unconsumed bytes, valid until the next append. */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  consume(n: number): void {
    this.start += n;
    this.position += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.consume(this.length);
  }
}
