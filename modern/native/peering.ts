// One native peering connection: framing, the handshake (peering-handshake.ts), then phase 3. The
// connection answers pings addressed to it, applies routing updates to the peer's filter and runs
// the graceful unpeer (BYE ping, wait for the echoing pong up to the unpeer timeout); data, command
// and pass-through messages go to the host (the endpoint), which routes them. Frames are read in
// place and routed on their header (EnvelopeView); values are decoded by the host only for local
// delivery.
import { ByteReader, type ByteWriter } from '../../src/core/bytes.ts';
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { Transport } from '../../src/core/transport.ts';
import { ErrorCode } from '../constants.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import { utf8Length, writeUtf8 } from '../data/utf8.ts';
import { byePayload } from './envelope.ts';
import { EnvelopeView, Receiver, idAt } from './envelope-view.ts';
import { endpointIdBytes, type EndpointId } from './endpoint-id.ts';
import { readFilter } from './filter.ts';
import { FrameReader, beginFrame, endFrame } from './framing.ts';
import { encodeHandshake, type HandshakeMessage } from './handshake.ts';
import { Handshake, type Admission, type HandshakeRole, type HandshakeStep } from './peering-handshake.ts';
import { OutBuffer, type OverflowPolicy } from './out-buffer.ts';
import { MessageType, RESERVED_TOPIC } from './wire-constants.ts';

export interface PeeringHost {
  readonly nodeId: EndpointId;
  readonly clock: Clock;
  localFilter(): readonly string[];
  admit(p: Peering, peerId: EndpointId, originator: boolean): Admission;
  knowsPeer(peerId: EndpointId): boolean;
  /** The token of the BYE ping `p` would send (drawn when the handshake completes, like Broker's id). */
  byeToken(p: Peering): bigint;
  /** The handshake completed; phase-3 messages follow. */
  established(p: Peering): void;
  /**
   * A data or command envelope, or a ping/pong addressed to another endpoint. `view` (and the bytes
   * it points into: `view.bytes[view.start, view.end)`) is valid during the call only.
   */
  received(p: Peering, view: EnvelopeView): void;
  /** The peer announced a new filter. */
  filterChanged?(p: Peering): void;
  /** A phase-3 message was dropped (Broker drops and logs; the connection stays up). */
  dropped(p: Peering, err: BrokerError): void;
  /** Called once, when the connection is gone. */
  closed(p: Peering): void;
  /** The disconnect overflow policy gave up on the peer (closed() follows). */
  overflowed?(p: Peering): void;
}

export interface PeeringOptions {
  role: HandshakeRole;
  capacity: number;
  policy: OverflowPolicy;
  ttl: number;
  unpeerTimeoutMs: number;
  /** 0 = none. */
  handshakeTimeoutMs: number;
  maxFrameSize: number;
}

export type PeeringState = 'handshake' | 'established' | 'closing' | 'closed';

/** Why an established peering ended, for peer_removed vs peer_lost. */
export type PeeringEnd = 'lost' | 'removed' | 'overflow' | 'error';

const RESERVED_TOPIC_LENGTH = utf8Length(RESERVED_TOPIC);

export class Peering {
  readonly handshake: Handshake;
  readonly out: OutBuffer;
  state: PeeringState = 'handshake';
  /** Set once established: the peer's id as text and bytes. */
  peerId: EndpointId | undefined;
  peerIdBytes: Uint8Array | undefined;
  /** The peer's topic prefixes (handshake, then routing updates). */
  filter: readonly string[] = [];
  /**
   * The local filter as carried in our syn / syn_ack. The filter can grow between that message and
   * `established`, when routing updates are not yet sent; the router compares on admission.
   */
  announcedFilter: readonly string[] = [];
  /** The handshake completed (the host saw `established`). */
  established = false;
  /** How an established peering ended (valid in `closed`). */
  end: PeeringEnd = 'lost';
  /** The transport or framing error that ended the connection, if any. */
  error: Error | undefined;
  /** Redundant handshakes paused until this one ends. */
  readonly waiting: Peering[] = [];
  messagesIn = 0;
  bytesIn = 0;
  droppedIn = 0;
  private readonly reader: FrameReader;
  private readonly view: EnvelopeView;
  private readonly selfBytes: Uint8Array;
  private bye: Uint8Array | undefined;
  private removing = false;
  private timer: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;
  private matchCache = new Map<string, boolean>();
  /** The last topic asked about: a publisher usually stays on one topic, so this skips the map. */
  private lastTopic: string | undefined;
  private lastMatch = false;

  constructor(
    private readonly host: PeeringHost,
    readonly transport: Transport,
    private readonly options: PeeringOptions,
  ) {
    this.selfBytes = endpointIdBytes(host.nodeId);
    this.view = new EnvelopeView(this.selfBytes);
    this.reader = new FrameReader({ maxFrameSize: options.maxFrameSize });
    this.out = new OutBuffer(transport, { capacity: options.capacity, policy: options.policy }, () => this.onOverflow());
    this.handshake = new Handshake(options.role, {
      nodeId: host.nodeId,
      localFilter: () => (this.announcedFilter = host.localFilter()),
      admit: (id, originator) => host.admit(this, id, originator),
      knowsPeer: (id) => host.knowsPeer(id),
      send: (msg) => this.sendHandshake(msg),
    });
  }

  get role(): HandshakeRole {
    return this.options.role;
  }

  /** True once `unpeer()` ran (the BYE went out). */
  get removed(): boolean {
    return this.removing;
  }

  start(): void {
    this.transport.start({
      data: (b) => this.onData(b),
      close: (err) => this.onClose(err),
      drain: () => this.out.onDrain(),
    });
    if (this.state !== 'handshake') return;
    if (this.options.handshakeTimeoutMs > 0) {
      this.timer = this.host.clock.setTimeout(() => this.afterStep(this.handshake.fail(ErrorCode.CONNECTION_TIMEOUT, 'handshake timed out')), this.options.handshakeTimeoutMs);
    }
    this.handshake.start();
  }

  /** Whether a message on `topic` matches the peer's filter (plain prefix test, cached per topic). */
  matches(topic: string): boolean {
    if (topic === this.lastTopic) return this.lastMatch;
    let m = this.matchCache.get(topic);
    if (m === undefined) {
      m = false;
      for (const p of this.filter) {
        if (topic.startsWith(p)) {
          m = true;
          break;
        }
      }
      if (this.matchCache.size >= 4096) this.matchCache.clear();
      this.matchCache.set(topic, m);
    }
    this.lastTopic = topic;
    this.lastMatch = m;
    return m;
  }

  /** Queues a complete frame; false when the buffer refused it (overflow policy). */
  send(frame: Uint8Array): boolean {
    return this.state === 'established' && this.out.push(frame);
  }

  /** Queues a frame written by `write` (e.g. writeEnvelope straight into the batch). */
  sendWith(write: (w: ByteWriter) => void): boolean {
    return this.state === 'established' && this.out.pushWith(write);
  }

  /** Queues a received phase-3 payload (`bytes[start, end)`) with the sender rewritten to this endpoint (forwarding). */
  forward(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    return this.state === 'established' && this.out.pushWithSender(bytes, this.selfBytes, start, end);
  }

  /** True when the sender field (previous hop) of the payload starting at `start` is this peer. */
  isSenderOf(bytes: Uint8Array, start = 0): boolean {
    return this.peerIdBytes !== undefined && idAt(bytes, start, this.peerIdBytes);
  }

  /** Graceful unpeer: BYE ping, close when the pong echoes it or after the unpeer timeout. */
  unpeer(): void {
    if (this.state === 'handshake') return this.destroy();
    if (this.state !== 'established' || this.removing) return;
    this.removing = true;
    this.end = 'removed';
    this.out.pushWith((w) => this.writePing(w, MessageType.PING, this.peerIdBytes!, this.bye!));
    this.timer = this.host.clock.setTimeout(() => this.destroy(), this.options.unpeerTimeoutMs);
  }

  /** Closes at once, dropping anything queued. */
  destroy(error?: Error): void {
    if (this.state === 'closed') return;
    if (error) this.error ??= error;
    this.out.close();
    this.transport.destroy();
    // Transports report the close asynchronously (or not at all once destroyed early): do not wait.
    this.onClose(undefined);
  }

  /** Ends a paused redundant handshake with drop_conn 39 (its winner finished). */
  resolvePaused(): void {
    if (this.handshake.step === 'paused') this.afterStep(this.handshake.resolvePaused());
  }

  /** Fails a paused handshake whose winner failed. */
  abandonPaused(): void {
    if (this.handshake.step === 'paused') this.afterStep(this.handshake.fail(ErrorCode.LOGIC_ERROR, 'redundant handshake lost its peer', { dropConn: true }));
  }

  private sendHandshake(msg: HandshakeMessage): void {
    this.out.push(encodeHandshake(msg));
  }

  private onData(bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    this.bytesIn += bytes.length;
    const reader = this.reader;
    reader.push(bytes);
    for (;;) {
      try {
        if (!reader.nextFrame()) return this.view.release();
      } catch (err) {
        return this.onFramingError(asBrokerError(err));
      }
      if (this.state === 'established') {
        this.onEnvelope(reader.frameBytes, reader.frameStart, reader.frameEnd);
      } else if (this.state === 'handshake') {
        this.afterStep(this.handshake.receive(reader.frameBytes.subarray(reader.frameStart, reader.frameEnd)));
        if (!this.reading) return;
      } else {
        return;
      }
    }
  }

  /** One phase-3 payload, `b[start, end)`, routed in place. */
  private onEnvelope(b: Uint8Array, start: number, end: number): void {
    const view = this.view;
    try {
      view.parse(b, start, end);
    } catch (err) {
      this.droppedIn++;
      this.host.dropped(this, asBrokerError(err));
      return;
    }
    this.messagesIn++;
    const type = view.type;
    if (type <= MessageType.COMMAND || view.receiver === Receiver.OTHER) {
      // Routing updates are only ever about the previous hop; never pass them on.
      if (type !== MessageType.ROUTING_UPDATE) this.host.received(this, view);
      return;
    }
    if (type === MessageType.ROUTING_UPDATE) {
      try {
        // Offsets in errors stay relative to the payload.
        const r = new ByteReader(b, -start, start + view.bodyOffset, end);
        const filter = readFilter(r, 'routing_update.filter');
        if (r.remaining !== 0) throw new BrokerError('trailing_bytes', `${r.remaining} byte(s) after the filter`, { field: 'routing_update', offset: r.position });
        this.filter = filter;
        this.matchCache.clear();
        this.lastTopic = undefined;
        this.host.filterChanged?.(this);
      } catch (err) {
        this.droppedIn++;
        this.host.dropped(this, asBrokerError(err));
      }
    } else if (type === MessageType.PING) {
      const body = view.body();
      const to = b.subarray(start, start + 16);
      this.out.pushWith((w) => this.writePing(w, MessageType.PONG, to, body));
    } else if (this.removing && this.isBye(b, start + view.bodyOffset, end)) {
      this.closeGracefully();
    }
  }

  /** Still taking frames (the handshake continues or phase 3 began). */
  private get reading(): boolean {
    return this.state === 'handshake' || this.state === 'established';
  }

  private isBye(p: Uint8Array, at: number, end: number): boolean {
    const b = this.bye;
    if (!b || end - at !== b.length) return false;
    for (let i = 0; i < b.length; i++) if (p[at + i] !== b[i]) return false;
    return true;
  }

  private writePing(w: ByteWriter, type: number, receiver: Uint8Array, payload: Uint8Array): void {
    const at = beginFrame(w);
    w.bytes(this.selfBytes).bytes(receiver).u8(type).u16(this.options.ttl).u16(RESERVED_TOPIC_LENGTH);
    writeUtf8(w, RESERVED_TOPIC, RESERVED_TOPIC_LENGTH);
    w.bytes(payload);
    endFrame(w, at);
  }

  private afterStep(step: HandshakeStep): void {
    switch (step) {
      case 'done':
        this.cancelTimer();
        this.peerId = this.handshake.peerId;
        this.peerIdBytes = endpointIdBytes(this.peerId!);
        this.filter = this.handshake.peerFilter;
        this.matchCache.clear();
        this.lastTopic = undefined;
        this.state = 'established';
        this.established = true;
        this.reader.phase = 'established';
        this.bye = byePayload(this.host.byeToken(this));
        this.host.established(this);
        return;
      case 'failed':
        if (this.handshake.failure?.dropConnSent) return this.closeGracefully();
        return this.destroy();
      case 'redundant':
        return this.closeGracefully();
      default:
        return;
    }
  }

  private onFramingError(err: BrokerError): void {
    if (this.state === 'handshake') {
      // A zero length is fatal without a drop_conn; an absurd length gets one (Broker would wait for the bytes).
      const dropConn = err.code !== 'empty_frame';
      this.afterStep(this.handshake.fail(err.ec, err.reason, { dropConn, garbage: true, cause: err }));
      return;
    }
    this.end = 'error';
    this.destroy(err);
  }

  private onOverflow(): void {
    if (this.state !== 'established') return;
    this.end = 'overflow';
    this.host.overflowed?.(this);
    this.destroy();
  }

  /** Flushes what is queued (a drop_conn, the final pong), then ends the stream. */
  private closeGracefully(): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    this.cancelTimer();
    this.out.flush();
    this.transport.end();
    this.closeTimer = this.host.clock.setTimeout(() => this.destroy(), this.options.unpeerTimeoutMs);
  }

  private onClose(err: Error | undefined): void {
    if (this.state === 'closed') return;
    if (err) this.error ??= err;
    if (this.state === 'handshake') {
      const reason = err ? `connection failed during the handshake: ${err.message}` : 'peer disconnected during the handshake';
      this.handshake.fail(ErrorCode.PEER_DISCONNECT_DURING_HANDSHAKE, reason, err ? { cause: err } : {});
    }
    this.state = 'closed';
    this.cancelTimer();
    this.closeTimer?.cancel();
    this.out.close();
    this.host.closed(this);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
