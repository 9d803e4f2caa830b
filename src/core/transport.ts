// The seam between a protocol state machine and its socket. Production code wraps a net.Socket or
// tls.TLSSocket; tests use an in-memory pair, so connection logic is exercised without the network.
import type { Socket } from 'node:net';

export interface TransportInfo {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** True when the bytes are carried inside TLS. */
  tls: boolean;
}

export interface TransportHandlers {
  data(bytes: Uint8Array): void;
  /** The peer or the transport ended the stream; `error` is set when it was not an orderly close. */
  close(error?: Error): void;
  /** The outgoing buffer has drained below its high-water mark. */
  drain?(): void;
}

export interface Transport {
  readonly info: TransportInfo;
  start(handlers: TransportHandlers): void;
  /** Queue bytes; returns false when the caller should wait for `drain`. */
  write(bytes: Uint8Array): boolean;
  /** Group several writes into one syscall where the transport supports it. */
  cork(): void;
  uncork(): void;
  /** Bytes queued but not yet handed to the OS. */
  readonly pendingBytes: number;
  /** Orderly close after queued bytes are flushed. */
  end(): void;
  /** Immediate close, dropping queued bytes. */
  destroy(error?: Error): void;
}

/** Adapts a connected net.Socket / tls.TLSSocket. */
export class SocketTransport implements Transport {
  readonly info: TransportInfo;
  private started = false;
  private closed = false;

  constructor(private readonly socket: Socket, isTls = false) {
    socket.setNoDelay(true);
    this.info = {
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      tls: isTls,
    };
  }

  start(h: TransportHandlers): void {
    if (this.started) throw new Error('transport already started');
    this.started = true;
    let lastError: Error | undefined;
    this.socket.on('data', (b: Buffer) => h.data(b));
    this.socket.on('error', (e) => (lastError = e));
    this.socket.on('drain', () => h.drain?.());
    this.socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      h.close(lastError);
    });
  }

  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(bytes);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  end(): void {
    this.socket.end();
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }
}

/** Two transports wired back to back in memory, delivering asynchronously like a socket would. */
export function memoryTransportPair(
  a: Partial<TransportInfo> = {},
  b: Partial<TransportInfo> = {},
): [Transport, Transport] {
  const left = new MemoryTransport({ localAddress: '127.0.0.1', localPort: 40000, remoteAddress: '127.0.0.1', remotePort: 47757, tls: false, ...a });
  const right = new MemoryTransport({ localAddress: '127.0.0.1', localPort: 47757, remoteAddress: '127.0.0.1', remotePort: 40000, tls: false, ...b });
  left.other = right;
  right.other = left;
  return [left, right];
}

class MemoryTransport implements Transport {
  other: MemoryTransport | undefined;
  private handlers: TransportHandlers | undefined;
  private inbox: Uint8Array[] = [];
  private corked = 0;
  private corkBuffer: Uint8Array[] = [];
  private closed = false;
  private endPending = false;

  constructor(readonly info: TransportInfo) {}

  start(h: TransportHandlers): void {
    this.handlers = h;
    const queued = this.inbox;
    this.inbox = [];
    for (const b of queued) queueMicrotask(() => this.deliver(b));
    if (this.endPending) queueMicrotask(() => this.finish());
  }

  private deliver(b: Uint8Array): void {
    if (this.closed) return;
    if (this.handlers) this.handlers.data(b);
    else this.inbox.push(b);
  }

  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    const copy = bytes.slice();
    if (this.corked > 0) this.corkBuffer.push(copy);
    else this.send(copy);
    return true;
  }

  private send(b: Uint8Array): void {
    const peer = this.other;
    if (peer) setImmediate(() => peer.deliver(b));
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked > 0 && --this.corked === 0 && this.corkBuffer.length) {
      this.send(Buffer.concat(this.corkBuffer));
      this.corkBuffer = [];
    }
  }

  get pendingBytes(): number {
    return 0;
  }

  end(): void {
    if (this.closed) return;
    const peer = this.other;
    setImmediate(() => {
      peer?.remoteEnded();
      this.finish();
    });
  }

  private remoteEnded(): void {
    if (!this.handlers) {
      this.endPending = true;
      return;
    }
    this.finish();
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers?.close(error);
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    const peer = this.other;
    setImmediate(() => peer?.remoteEnded());
    this.finish(error);
  }
}
