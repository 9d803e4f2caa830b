// The reliable, ordered channel that every store runs twice over an unreliable transport
// (spec §2.7.3): master → clones (one producer, many consumers) and each clone's writer → master
// (one producer, one consumer). Pure state machines driven by `tick()` (100 ms) and by received
// control messages; what to put on the wire is left to the owner through the `*Output` callbacks.
//
// Sequence numbers: a producer starts at `seq = 1` and numbers its first event 2, so that a
// cumulative ack can never be 0 ("path added, never acked"). A consumer that has seen nothing asks
// for the handshake with `nack [0]`; gaps are nacked with the missing seqs (sorted) after
// `nackTimeout` idle ticks; the producer resends from its bounded buffer or answers
// `retransmit_failed`. Consumers ack cumulatively every heartbeat; producers send a keepalive
// after a heartbeat without events and drop consumers silent for heartbeat × timeout factor.
import type { EntityId } from '../native/endpoint-id.ts';
import type { ChannelTiming } from './constants.ts';
import { entityKey } from './entity.ts';

export interface BufferedEvent<P> {
  readonly seq: number;
  readonly payload: P;
}

export interface ProducerOutput<P> {
  /** Handshake (ack_clone / attach_writer) for one consumer. */
  sendHandshake(to: EntityId, offset: number, heartbeatInterval: number): void;
  /** Retransmission of one event to one consumer. */
  resend(to: EntityId, event: BufferedEvent<P>): void;
  sendRetransmitFailed(to: EntityId, seq: number): void;
  broadcastEvent(event: BufferedEvent<P>): void;
  broadcastKeepalive(seq: number): void;
  /**
   * The consumer timed out or misbehaved and is no longer served; `unacked` are the events it had
   * not acknowledged (they may be gone from the buffer afterwards).
   */
  dropped(consumer: EntityId, reason: 'connection_timeout' | 'invalid_message', unacked: BufferedEvent<P>[]): void;
  handshakeCompleted(consumer: EntityId): void;
}

interface Path {
  readonly hdl: EntityId;
  readonly offset: number;
  /** Last cumulative ack; 0 = handshake not yet acknowledged. */
  acked: number;
  lastSeen: number;
}

export class Producer<P> {
  private seqNo = 1;
  private ticks = 0;
  private lastBroadcast = 0;
  private readonly buf: BufferedEvent<P>[] = [];
  private readonly paths = new Map<string, Path>();

  constructor(
    private readonly out: ProducerOutput<P>,
    private readonly timing: ChannelTiming,
  ) {}

  /** Latest sequence number handed out (1 = nothing produced yet). */
  get seq(): number {
    return this.seqNo;
  }

  get consumers(): number {
    return this.paths.size;
  }

  get buffered(): number {
    return this.buf.length;
  }

  /** Sends the handshake again to every consumer that has not acked it yet. */
  resendHandshakes(): void {
    for (const p of this.paths.values()) if (p.acked === 0) this.out.sendHandshake(p.hdl, p.offset, this.timing.heartbeatInterval);
  }

  /** Highest seq every consumer has acknowledged. */
  ackedByAll(): number {
    let min = this.seqNo;
    for (const p of this.paths.values()) min = Math.min(min, p.acked);
    return min;
  }

  /** Buffered events not yet acknowledged by every consumer. */
  unacked(): BufferedEvent<P>[] {
    const acked = this.ackedByAll();
    return this.buf.filter((e) => e.seq > acked);
  }

  hasConsumer(hdl: EntityId): boolean {
    return this.paths.has(entityKey(hdl));
  }

  /** Broadcasts an event; like Broker, nothing is numbered or buffered while nobody listens. */
  produce(make: (seq: number) => P): BufferedEvent<P> | undefined {
    if (this.paths.size === 0) return undefined;
    const event = { seq: ++this.seqNo, payload: make(this.seqNo) };
    this.buf.push(event);
    if (this.buf.length > this.timing.maxBufferedActions) this.buf.shift();
    this.lastBroadcast = this.ticks;
    this.out.broadcastEvent(event);
    return event;
  }

  /** Adds a consumer (or restarts one that asks again) and sends it the handshake. */
  add(hdl: EntityId): void {
    this.paths.set(entityKey(hdl), { hdl, offset: this.seqNo, acked: 0, lastSeen: this.ticks });
    this.out.sendHandshake(hdl, this.seqNo, this.timing.heartbeatInterval);
  }

  remove(hdl: EntityId): void {
    this.paths.delete(entityKey(hdl));
    this.trim();
  }

  handleAck(hdl: EntityId, seq: number): void {
    const p = this.paths.get(entityKey(hdl));
    if (!p || seq < p.acked) return; // unknown consumer, or a blast from the past
    p.lastSeen = this.ticks;
    if (seq === p.acked) return;
    const first = p.acked === 0;
    p.acked = seq;
    if (first) this.out.handshakeCompleted(hdl);
    this.trim();
  }

  /**
   * `nack [0]` is a (repeated) handshake request: an unknown consumer is added, a known one that has
   * not acked yet gets its handshake again, and a known one that had acked is restarted (it lost its
   * state, e.g. a clone that re-attaches). Other nacks list missing seqs, which are resent.
   */
  handleNack(hdl: EntityId, seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const key = entityKey(hdl);
    const p = this.paths.get(key);
    if (seqs[0] === 0) {
      if (p && p.acked === 0) {
        p.lastSeen = this.ticks;
        this.out.sendHandshake(hdl, p.offset, this.timing.heartbeatInterval);
      } else {
        if (p) this.paths.delete(key);
        this.add(hdl);
      }
      return;
    }
    if (!p) return;
    p.lastSeen = this.ticks;
    for (let i = 1; i < seqs.length; i++) {
      if (seqs[i - 1]! >= seqs[i]!) {
        this.paths.delete(key);
        this.out.dropped(hdl, 'invalid_message', this.buf.filter((e) => e.seq > p.acked));
        this.trim();
        return;
      }
    }
    this.handleAck(hdl, seqs[0]! - 1);
    for (const seq of seqs) {
      const event = this.find(seq);
      if (event) this.out.resend(hdl, event);
      else this.out.sendRetransmitFailed(hdl, seq);
    }
  }

  tick(): void {
    this.ticks++;
    const hb = this.timing.heartbeatInterval;
    if (hb === 0) return;
    if (this.ticks - this.lastBroadcast >= hb) {
      this.lastBroadcast = this.ticks;
      this.out.broadcastKeepalive(this.seqNo);
    }
    const timeout = hb * this.timing.connectionTimeoutFactor;
    let dropped = false;
    for (const [key, p] of this.paths) {
      if (this.ticks - p.lastSeen >= timeout) {
        this.paths.delete(key);
        dropped = true;
        this.out.dropped(p.hdl, 'connection_timeout', this.buf.filter((e) => e.seq > p.acked));
      }
    }
    if (dropped) this.trim();
  }

  private find(seq: number): BufferedEvent<P> | undefined {
    const first = this.buf[0];
    if (!first) return undefined;
    const e = this.buf[seq - first.seq];
    return e && e.seq === seq ? e : undefined;
  }

  /** Drops events every consumer has acknowledged. */
  private trim(): void {
    if (this.paths.size === 0) {
      this.buf.length = 0;
      return;
    }
    const acked = this.ackedByAll();
    let n = 0;
    while (n < this.buf.length && this.buf[n]!.seq <= acked) n++;
    if (n > 0) this.buf.splice(0, n);
  }
}

export interface ConsumerOutput<P> {
  consume(payload: P): void;
  /** An event the producer could not retransmit; return false to give up on the channel. */
  consumeNil(seq: number): boolean;
  sendAck(seq: number): void;
  sendNack(seqs: number[]): void;
  /** The channel gave up (after consumeNil returned false). */
  closed(reason: 'broken'): void;
}

interface Pending<P> {
  seq: number;
  /** undefined = known lost (retransmit_failed). */
  payload: P | undefined;
  lost: boolean;
}

export class Consumer<P> {
  /** 0 until the handshake arrived. */
  private nextSeqNo = 0;
  private lastSeqNo = 0;
  private buf: Pending<P>[] = [];
  private ticks = 0;
  private idleTicks = 0;
  private lastTickSeq = 0;
  private heartbeat = 0;
  /** Tick of the last message from the producer (any kind). */
  private lastHeard = 0;

  constructor(
    private readonly out: ConsumerOutput<P>,
    private readonly timing: ChannelTiming,
  ) {}

  get initialized(): boolean {
    return this.nextSeqNo !== 0;
  }

  /** Next seq to consume (offset + 1 after the handshake). */
  get nextSeq(): number {
    return this.nextSeqNo;
  }

  /** Highest seq known to exist (from events or keepalives). */
  get lastSeq(): number {
    return this.lastSeqNo;
  }

  /** Ticks since the producer was last heard from. */
  get silentTicks(): number {
    return this.ticks - this.lastHeard;
  }

  /** Any message from the producer counts as a sign of life. */
  heard(): void {
    this.lastHeard = this.ticks;
  }

  /** Returns false for a repeated handshake (ignored, like Broker). */
  handleHandshake(offset: number, heartbeatInterval: number): boolean {
    if (this.initialized) return false;
    this.heard();
    this.nextSeqNo = offset + 1;
    this.lastSeqNo = Math.max(this.lastSeqNo, this.nextSeqNo);
    this.heartbeat = heartbeatInterval;
    this.buf = this.buf.filter((e) => e.seq > offset);
    this.consumeBuffered();
    this.sendAck();
    return true;
  }

  handleEvent(seq: number, payload: P): void {
    this.heard();
    if (seq === this.nextSeqNo) {
      this.out.consume(payload);
      this.bump();
      this.consumeBuffered();
    } else if (seq > this.nextSeqNo) {
      if (seq > this.lastSeqNo) this.lastSeqNo = seq;
      this.insert({ seq, payload, lost: false });
    }
  }

  handleHeartbeat(seq: number): void {
    this.heard();
    if (this.nextSeqNo === 0 || seq === 0) return;
    if (seq + 1 > this.lastSeqNo) this.lastSeqNo = seq + 1;
  }

  handleRetransmitFailed(seq: number): void {
    this.heard();
    if (seq === this.nextSeqNo) {
      if (!this.out.consumeNil(seq)) return this.out.closed('broken');
      this.bump();
      this.consumeBuffered();
    } else if (seq > this.nextSeqNo) {
      this.insert({ seq, payload: undefined, lost: true });
    }
  }

  tick(): void {
    this.ticks++;
    if (!this.initialized) return;
    const progressed = this.nextSeqNo > this.lastTickSeq;
    this.lastTickSeq = this.nextSeqNo;
    const ackDue = this.heartbeat > 0 && this.ticks % this.heartbeat === 0;
    if (progressed) {
      this.idleTicks = 0;
      if (ackDue) this.sendAck();
      return;
    }
    this.idleTicks++;
    if (this.nextSeqNo < this.lastSeqNo && this.idleTicks >= this.timing.nackTimeout) {
      this.idleTicks = 0;
      this.out.sendNack(this.missing());
      return;
    }
    if (ackDue) this.sendAck();
  }

  reset(): void {
    this.nextSeqNo = 0;
    this.lastSeqNo = 0;
    this.buf = [];
    this.idleTicks = 0;
    this.lastTickSeq = 0;
    this.heartbeat = 0;
    this.lastHeard = this.ticks;
  }

  /** The seqs between nextSeq and lastSeq that are neither buffered nor known lost. */
  private missing(): number[] {
    const out: number[] = [];
    let i = this.nextSeqNo;
    for (const e of this.buf) {
      for (; i < e.seq; i++) out.push(i);
      i = e.seq + 1;
    }
    for (; i < this.lastSeqNo; i++) out.push(i);
    return out;
  }

  private insert(e: Pending<P>): void {
    let i = this.buf.length;
    while (i > 0 && this.buf[i - 1]!.seq > e.seq) i--;
    const prev = this.buf[i - 1];
    if (prev && prev.seq === e.seq) {
      if (prev.lost && !e.lost) this.buf[i - 1] = e;
      return;
    }
    this.buf.splice(i, 0, e);
  }

  private bump(): void {
    if (++this.nextSeqNo > this.lastSeqNo) this.lastSeqNo = this.nextSeqNo;
  }

  private consumeBuffered(): void {
    let n = 0;
    while (n < this.buf.length && this.buf[n]!.seq === this.nextSeqNo) {
      const e = this.buf[n]!;
      n++;
      if (e.lost) {
        if (!this.out.consumeNil(e.seq)) {
          this.buf.splice(0, n);
          this.out.closed('broken');
          return;
        }
      } else this.out.consume(e.payload as P);
      this.bump();
    }
    if (n > 0) this.buf.splice(0, n);
  }

  private sendAck(): void {
    this.out.sendAck(this.nextSeqNo > 0 ? this.nextSeqNo - 1 : 0);
  }
}
