// A clone data store on a MessageHub: it attaches to whichever master answers `nack [0]`, keeps a
// local replica (reads never touch the wire), and forwards writes to the master over its own
// writer channel. Unlike Broker's clone, it notices when its master is replaced (a keepalive or
// action from another master entity while its own has gone quiet, a channel whose seq went
// backwards, an unrecoverable gap, or plain silence for the resync interval) and re-attaches:
// it asks for a new snapshot, replaces its contents, and never sends the new master writes the old
// one may already have applied. Those in-flight writes are reported as lost; writes made while no
// master is reachable wait in a bounded queue (or are refused) and go out once attached.
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { Data, DataType, Int64 } from '../data/index.ts';
import type { MessageHub, ParticipantHandle } from '../hub.ts';
import { NIL_ENTITY, isNilEntity, type EntityId } from '../native/endpoint-id.ts';
import type { CommandMessage, StoreCommand } from '../native/store-commands.ts';
import { Listeners, type DataStore, type StoreEventListener, type StoreStatus, type StoreStatusListener, type StoreWrite } from './api.ts';
import { indexData } from './apply.ts';
import { Consumer, Producer } from './channel.ts';
import { DEFAULT_CHANNEL_TIMING, DEFAULT_CLONE_INTERVALS, cloneTopic, masterTopic, type ChannelTiming, type CloneIntervals } from './constants.ts';
import { entityKey, newEntity, sameEntity } from './entity.ts';
import { ApplyError, StoreError } from './errors.ts';
import { Replica } from './replica.ts';
import { toWrite, WaitingWrites } from './waiting-writes.ts';
import { message, seqOf } from './wire.ts';

export interface CloneOptions {
  readonly name: string;
  readonly hub: MessageHub;
  readonly clock: Clock;
  readonly timing?: Partial<ChannelTiming>;
  readonly intervals?: Partial<CloneIntervals>;
  /** Most writes kept while no master is reachable; more are refused with `queue_full`. */
  readonly maxQueuedWrites?: number;
}

export class CloneStore implements DataStore {
  readonly role = 'clone' as const;
  readonly name: string;
  readonly entity: EntityId;
  /** The requester entity of put_unique calls (`who`). */
  readonly frontend: EntityId;
  private readonly clock: Clock;
  private readonly timing: ChannelTiming;
  private readonly intervals: CloneIntervals;
  private readonly replica: Replica;
  private readonly events = new Listeners<Parameters<StoreEventListener>[0]>();
  private readonly statuses = new Listeners<StoreStatus>();
  private readonly input: Consumer<CommandMessage>;
  private output: Producer<CommandMessage> | undefined;
  /** The master the writer channel points at (may differ from `master` while re-attaching). */
  private writerMaster: EntityId | undefined;
  /** Set once an ack_clone was accepted; cleared when the master is considered lost. */
  private master: EntityId | undefined;
  private disconnectedSince: number | undefined;
  private readonly waiting: WaitingWrites;
  private readonly handle: ParticipantHandle;
  private readonly timer: TimerHandle;
  private ticksSinceNack = 0;
  private closed = false;

  constructor(opts: CloneOptions) {
    this.name = opts.name;
    this.clock = opts.clock;
    this.timing = { ...DEFAULT_CHANNEL_TIMING, ...opts.timing };
    this.intervals = { ...DEFAULT_CLONE_INTERVALS, ...opts.intervals };
    this.waiting = new WaitingWrites(this.name, opts.maxQueuedWrites ?? 10_000, this.intervals.mutationBufferIntervalMs);
    this.entity = newEntity(opts.hub.nodeId);
    this.frontend = newEntity(opts.hub.nodeId);
    this.replica = new Replica((e) => this.events.emit(e));
    this.disconnectedSince = this.clock.now();
    this.input = new Consumer<CommandMessage>(
      {
        consume: (msg) => this.applyAction(msg),
        consumeNil: () => false, // a clone that lost an action is out of sync: resync
        sendAck: (seq) => this.toMaster({ type: 'cumulative_ack', seq }, true),
        sendNack: (seqs) => this.toMaster({ type: 'nack', seqs }, true),
        closed: () => this.masterLost('broken'),
      },
      this.timing,
    );
    this.handle = opts.hub.attach(
      { id: `store-clone:${this.name}:${entityKey(this.entity)}`, onCommand: (topic, msg) => this.dispatch(topic, msg) },
      [cloneTopic(this.name)],
    );
    this.timer = this.clock.setInterval(() => this.tick(), this.timing.tickIntervalMs);
    this.requestHandshake();
  }

  /** True while attached to a master that has not been declared lost. */
  get attached(): boolean {
    return this.master !== undefined;
  }

  /** The master entity this clone is attached to. */
  get masterEntity(): EntityId | undefined {
    return this.master;
  }

  /** Writes waiting for a master. */
  get queued(): number {
    return this.waiting.queued;
  }

  /** Writes sent to the master that its cumulative ack has not confirmed yet (lost if the master changes now). */
  get unacked(): number {
    return this.output?.unacked().length ?? 0;
  }

  /** Resolves once attached (at once if already). */
  whenAttached(): Promise<void> {
    if (this.attached) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.statuses.add((s) => {
        if (s.type === 'attached') {
          off();
          resolve();
        }
      });
    });
  }

  onStatus(listener: StoreStatusListener): () => void {
    return this.statuses.add(listener);
  }

  onEvent(listener: StoreEventListener): () => void {
    return this.events.add(listener);
  }

  // -- reads (local) --------------------------------------------------------------------------

  get(key: Data): Data | undefined {
    this.checkRead();
    return this.replica.get(key);
  }

  exists(key: Data): boolean {
    this.checkRead();
    return this.replica.has(key);
  }

  getIndex(key: Data, index: Data): Data | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    try {
      return indexData(v, index);
    } catch (err) {
      if (err instanceof ApplyError) throw new StoreError(err.code, this.name, err.message);
      throw err;
    }
  }

  keys(): Data[] {
    this.checkRead();
    return this.replica.keys();
  }

  size(): number {
    this.checkRead();
    return this.replica.size;
  }

  entries(): [Data, Data][] {
    this.checkRead();
    return this.replica.entries();
  }

  // -- writes (forwarded) ---------------------------------------------------------------------

  put(key: Data, value: Data, expiry?: Int64): void {
    this.write(opt({ type: 'put', key, value }, expiry));
  }

  putUnique(key: Data, value: Data, expiry?: Int64): Promise<boolean> {
    const { reqId, result } = this.waiting.request();
    try {
      this.write(opt({ type: 'put_unique', key, value }, expiry), reqId);
    } catch (err) {
      this.waiting.fail(reqId, err as Error);
    }
    return result;
  }

  erase(key: Data): void {
    this.write({ type: 'erase', key });
  }

  clear(): void {
    this.write({ type: 'clear' });
  }

  add(key: Data, value: Data, initType: DataType, expiry?: Int64): void {
    this.write(opt({ type: 'add', key, value, initType }, expiry));
  }

  subtract(key: Data, value: Data, expiry?: Int64): void {
    this.write(opt({ type: 'subtract', key, value }, expiry));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer.cancel();
    this.handle.close();
    const lost = [...(this.output?.unacked() ?? []).map((e) => toWrite(e.payload)), ...this.waiting.close()];
    if (lost.length > 0) this.statuses.emit({ type: 'write_lost', writes: lost, reason: 'closed' });
  }

  // -- protocol -------------------------------------------------------------------------------

  private write(w: StoreWrite, reqId?: number): void {
    if (this.closed) throw new StoreError('closed', this.name, 'the store is closed');
    if (this.master !== undefined && this.output) return this.forward(w, reqId);
    this.waiting.enqueue(w, this.clock.now(), reqId);
  }

  private forward(w: StoreWrite, reqId: number | undefined): void {
    const master = this.master!;
    const publisher = this.entity;
    const command: StoreCommand =
      w.type === 'put_unique'
        ? opt({ type: 'put_unique', key: w.key, value: w.value, who: this.frontend, reqId: reqId ?? 0, publisher }, w.expiry)
        : w.type === 'clear'
          ? { type: 'clear', publisher }
          : { ...w, publisher };
    this.output!.produce((seq) => message(seq, this.entity, master, command));
  }

  private dispatch(topic: string, msg: CommandMessage): void {
    if (this.closed || topic !== cloneTopic(this.name)) return;
    if (!isNilEntity(msg.receiver) && !sameEntity(msg.receiver, this.entity)) return; // for another clone
    const cmd = msg.command;
    const fromMaster = this.master !== undefined && sameEntity(msg.sender, this.master);
    switch (cmd.type) {
      case 'ack_clone':
        if (this.master === undefined && sameEntity(msg.receiver, this.entity)) this.attach(msg.sender, seqOf(cmd.offset), cmd.heartbeatInterval, cmd.snapshot);
        return;
      case 'keepalive':
        if (fromMaster) {
          const seq = seqOf(cmd.seq);
          // The master's seq went backwards: it lost its channel state, so our replica is suspect.
          if (seq + 1 < this.input.nextSeq) return this.masterLost('channel_reset');
          return this.input.handleHeartbeat(seq);
        }
        return this.foreign();
      case 'retransmit_failed':
        if (fromMaster) this.input.handleRetransmitFailed(seqOf(cmd.seq));
        return;
      case 'cumulative_ack':
        if (this.output && this.writerMaster && sameEntity(msg.sender, this.writerMaster)) this.output.handleAck(msg.sender, seqOf(cmd.seq));
        return;
      case 'nack':
        if (this.output && this.writerMaster && sameEntity(msg.sender, this.writerMaster)) this.output.handleNack(msg.sender, cmd.seqs.map(seqOf));
        return;
      case 'put':
      case 'put_unique_result':
      case 'erase':
      case 'expire':
      case 'clear':
        // Actions reach us after the ack_clone that precedes them (one ordered path), so anything
        // arriving while unattached belongs to a master we are not (yet) synced with: drop it.
        if (fromMaster) this.input.handleEvent(seqOf(msg.seq), msg);
        else if (this.master !== undefined) this.foreign();
        return;
      default:
        return; // clone → master commands
    }
  }

  private attach(master: EntityId, offset: number, heartbeat: number, snapshot: readonly (readonly [Data, Data])[]): void {
    this.master = master;
    this.disconnectedSince = undefined;
    this.replica.load(snapshot, master);
    this.input.handleHandshake(offset, heartbeat);
    if (!this.output) {
      this.output = this.makeOutput();
      this.output.add(master);
    } else if (!this.writerMaster || !sameEntity(this.writerMaster, master) || !this.output.hasConsumer(master)) {
      const inFlight = this.output.unacked().map((e) => e.payload);
      if (this.writerMaster) this.output.remove(this.writerMaster);
      this.lost(inFlight, 'master_changed');
      this.output.add(master);
    }
    this.writerMaster = master;
    for (const q of this.waiting.drain()) this.forward(q.write, q.reqId);
    this.statuses.emit({ type: 'attached', master, entries: this.replica.size });
  }

  private makeOutput(): Producer<CommandMessage> {
    const topic = masterTopic(this.name);
    const send = (msg: CommandMessage): void => this.handle.sendCommand(topic, msg);
    const out: Producer<CommandMessage> = new Producer<CommandMessage>(
      {
        sendHandshake: (to, offset, hb) => send(message(0, this.entity, to, { type: 'attach_writer', offset, heartbeatInterval: hb })),
        resend: (_to, event) => send(event.payload),
        sendRetransmitFailed: (to, seq) => send(message(0, this.entity, to, { type: 'retransmit_failed', seq })),
        broadcastEvent: (event) => send(event.payload),
        broadcastKeepalive: (seq) => {
          // Until the master acks attach_writer, every keepalive goes with a repeated handshake.
          out.resendHandshakes();
          send(message(0, this.entity, NIL_ENTITY, { type: 'keepalive', seq }));
        },
        // The master stopped acking for heartbeat × timeout factor ticks: what it never confirmed
        // cannot be resent once the path is gone, so it is reported (the re-attach adds a new path).
        dropped: (_master, _reason, unacked) => this.lost(unacked.map((e) => e.payload), 'master_unreachable'),
        handshakeCompleted: () => undefined,
      },
      this.timing,
    );
    return out;
  }

  private applyAction(msg: CommandMessage): void {
    const cmd = msg.command;
    switch (cmd.type) {
      case 'put':
        return this.replica.put(cmd.key, cmd.value, cmd.expiry, cmd.publisher);
      case 'erase':
      case 'expire':
        return this.replica.remove(cmd.key, cmd.type, cmd.publisher);
      case 'clear':
        return this.replica.clear(cmd.publisher);
      case 'put_unique_result': {
        if (!sameEntity(cmd.who, this.frontend)) return;
        return this.waiting.resolve(seqOf(cmd.reqId), cmd.inserted);
      }
      default:
        return;
    }
  }

  /** A message from a master we are not attached to. */
  private foreign(): void {
    if (this.master === undefined) {
      if (this.ticksSinceNack > 0) this.requestHandshake();
      return;
    }
    // Two masters may overlap briefly; switch only once ours has missed two heartbeats.
    if (this.input.silentTicks >= 2 * this.timing.heartbeatInterval) this.masterLost('new_master');
  }

  private masterLost(reason: 'silent' | 'new_master' | 'channel_reset' | 'broken'): void {
    const old = this.master ?? this.writerMaster ?? NIL_ENTITY;
    this.master = undefined;
    this.disconnectedSince ??= this.clock.now() - this.input.silentTicks * this.timing.tickIntervalMs;
    this.input.reset();
    this.statuses.emit({ type: 'master_lost', master: old, reason });
    this.requestHandshake();
  }

  private requestHandshake(): void {
    this.ticksSinceNack = 0;
    this.handle.sendCommand(masterTopic(this.name), message(0, this.entity, NIL_ENTITY, { type: 'nack', seqs: [0] }));
  }

  /** Consumer control to our master: unicast envelope (Broker addresses the master's endpoint). */
  private toMaster(command: StoreCommand, unicast: boolean): void {
    const master = this.master;
    if (!master) return;
    this.handle.sendCommand(masterTopic(this.name), message(0, this.entity, master, command), unicast ? master.endpoint : undefined);
  }

  private tick(): void {
    if (this.closed) return;
    this.input.tick();
    this.output?.tick();
    const now = this.clock.now();
    if (this.master === undefined) {
      if (++this.ticksSinceNack >= this.timing.nackTimeout) this.requestHandshake();
    } else if (this.input.silentTicks * this.timing.tickIntervalMs >= this.intervals.resyncIntervalMs) {
      this.masterLost('silent');
    }
    const expired = this.waiting.expire(now);
    if (expired.length > 0) this.statuses.emit({ type: 'write_lost', writes: expired, reason: 'mutation_buffer_expired' });
  }

  /** Writes sent to a master that will not confirm them: reported, their put_uniques rejected. */
  private lost(sent: CommandMessage[], reason: 'master_changed' | 'master_unreachable'): void {
    if (sent.length === 0) return;
    const writes = this.waiting.abandon(sent, (who) => sameEntity(who, this.frontend));
    this.statuses.emit({ type: 'write_lost', writes, reason });
  }

  private checkRead(): void {
    if (this.closed) throw new StoreError('closed', this.name, 'the store is closed');
    const since = this.disconnectedSince;
    const stale = this.intervals.staleIntervalMs;
    if (since !== undefined && stale >= 0 && this.clock.now() - since >= stale) {
      throw new StoreError('stale_data', this.name, `no master for ${Math.round((this.clock.now() - since) / 1000)} s`);
    }
  }
}

function opt<T extends object>(x: T, expiry: Int64 | undefined): T & { expiry?: Int64 } {
  return expiry === undefined ? x : { ...x, expiry };
}
