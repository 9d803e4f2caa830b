// A master data store on a MessageHub: it owns the contents (in a backend), applies local writes
// and writes forwarded by clones in each writer's seq order, and broadcasts the results to every
// clone over the master → clones channel. Any clone that says `nack [0]` gets an ack_clone with
// the master's current seq and a full snapshot (also a clone that was attached to a previous
// master, or to us before we restarted), then attaches its writer with attach_writer.
import type { Clock, TimerHandle } from '../../src/core/clock.ts';
import type { Data, DataType, Int64 } from '../data/index.ts';
import type { MessageHub, MessageOrigin, ParticipantHandle } from '../hub.ts';
import { NIL_ENTITY, isNilEntity, type EntityId } from '../native/endpoint-id.ts';
import type { CommandMessage, StoreCommand } from '../native/store-commands.ts';
import { Listeners, type DataStore, type StoreEvent, type StoreEventListener } from './api.ts';
import { indexData } from './apply.ts';
import { MemoryBackend, type StoreBackend } from './backend.ts';
import { Consumer, Producer } from './channel.ts';
import { DEFAULT_CHANNEL_TIMING, cloneTopic, masterTopic, type ChannelTiming } from './constants.ts';
import { applyWrite, expireDue, Expirations, type ApplyContext } from './contents.ts';
import { entityKey, newEntity, sameEntity } from './entity.ts';
import { ApplyError, StoreError } from './errors.ts';
import { broadcastMessage, message, seqOf } from './wire.ts';

export interface MasterOptions {
  readonly name: string;
  readonly hub: MessageHub;
  readonly clock: Clock;
  /** Default: a fresh MemoryBackend. The master closes it on close(). */
  readonly backend?: StoreBackend;
  readonly timing?: Partial<ChannelTiming>;
}

interface Input {
  readonly writer: EntityId;
  readonly consumer: Consumer<CommandMessage>;
}

export class MasterStore implements DataStore {
  readonly role = 'master' as const;
  readonly name: string;
  readonly entity: EntityId;
  /** The requester entity of local put_unique calls (Broker's frontend). */
  readonly frontend: EntityId;
  readonly backend: StoreBackend;
  private readonly clock: Clock;
  private readonly timing: ChannelTiming;
  private readonly output: Producer<CommandMessage>;
  private readonly inputs = new Map<string, Input>();
  private readonly openHandshakes = new Map<string, CommandMessage>();
  private readonly expirations = new Expirations();
  private readonly events = new Listeners<StoreEvent>();
  private readonly ctx: ApplyContext;
  private readonly handle: ParticipantHandle;
  private readonly timer: TimerHandle;
  private readonly localResults = new Map<string, (inserted: boolean) => void>();
  private reqId = 0;
  private closed = false;

  constructor(opts: MasterOptions) {
    this.name = opts.name;
    this.clock = opts.clock;
    this.timing = { ...DEFAULT_CHANNEL_TIMING, ...opts.timing };
    this.backend = opts.backend ?? new MemoryBackend();
    this.entity = newEntity(opts.hub.nodeId);
    this.frontend = newEntity(opts.hub.nodeId);
    for (const [key, at] of this.backend.expiries()) this.expirations.set(key, at);
    const topic = cloneTopic(this.name);
    const send = (msg: CommandMessage, to?: EntityId): void => this.handle.sendCommand(topic, msg, to?.endpoint);
    this.output = new Producer<CommandMessage>(
      {
        sendHandshake: (to, offset, hb) => {
          const key = entityKey(to);
          let msg = this.openHandshakes.get(key);
          if (!msg) {
            msg = message(offset, this.entity, to, { type: 'ack_clone', offset, heartbeatInterval: hb, snapshot: this.backend.entries() });
            this.openHandshakes.set(key, msg);
          }
          send(msg, to);
        },
        resend: (to, event) => send(event.payload, to),
        sendRetransmitFailed: (to, seq) => send(message(0, this.entity, to, { type: 'retransmit_failed', seq }), to),
        broadcastEvent: (event) => send(event.payload),
        broadcastKeepalive: (seq) => send(broadcastMessage(this.entity, { type: 'keepalive', seq })),
        dropped: (clone) => {
          this.openHandshakes.delete(entityKey(clone));
          this.inputs.delete(entityKey(clone));
        },
        handshakeCompleted: (clone) => void this.openHandshakes.delete(entityKey(clone)),
      },
      this.timing,
    );
    this.ctx = {
      self: this.entity,
      now: () => this.clock.now(),
      broadcast: (command) => void this.output.produce((seq) => message(seq, this.entity, NIL_ENTITY, command)),
      emit: (event) => this.events.emit(event),
      putUniqueResult: (who, reqId, inserted) => {
        if (!sameEntity(who, this.frontend)) return;
        const key = String(reqId);
        this.localResults.get(key)?.(inserted);
        this.localResults.delete(key);
      },
    };
    this.handle = opts.hub.attach(
      { id: `store-master:${this.name}:${entityKey(this.entity)}`, onCommand: (topic, msg, origin) => this.dispatch(topic, msg, origin) },
      [masterTopic(this.name)],
    );
    this.timer = this.clock.setInterval(() => this.tick(), this.timing.tickIntervalMs);
  }

  /** Latest seq on the master → clones channel. */
  get seq(): number {
    return this.output.seq;
  }

  /** Clones currently attached (handshake sent, not timed out). */
  get clones(): number {
    return this.output.consumers;
  }

  // -- reads ----------------------------------------------------------------------------------

  get(key: Data): Data | undefined {
    this.check();
    return this.backend.get(key);
  }

  exists(key: Data): boolean {
    this.check();
    return this.backend.exists(key);
  }

  getIndex(key: Data, index: Data): Data | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : this.guard(() => indexData(v, index));
  }

  keys(): Data[] {
    this.check();
    return this.backend.keys();
  }

  size(): number {
    this.check();
    return this.backend.size();
  }

  entries(): [Data, Data][] {
    this.check();
    return this.backend.entries();
  }

  // -- writes (local: applied at once, published by the master's own entity) -------------------

  put(key: Data, value: Data, expiry?: Int64): void {
    this.local(opt({ type: 'put', key, value, publisher: this.entity }, expiry));
  }

  putUnique(key: Data, value: Data, expiry?: Int64): Promise<boolean> {
    this.check();
    const reqId = ++this.reqId;
    return new Promise((resolve, reject) => {
      this.localResults.set(String(reqId), resolve);
      try {
        this.local(opt({ type: 'put_unique', key, value, who: this.frontend, reqId, publisher: this.entity }, expiry));
      } catch (err) {
        this.localResults.delete(String(reqId));
        reject(err);
      }
    });
  }

  erase(key: Data): void {
    this.local({ type: 'erase', key, publisher: this.entity });
  }

  clear(): void {
    this.local({ type: 'clear', publisher: this.entity });
  }

  add(key: Data, value: Data, initType: DataType, expiry?: Int64): void {
    this.local(opt({ type: 'add', key, value, initType, publisher: this.entity }, expiry));
  }

  subtract(key: Data, value: Data, expiry?: Int64): void {
    this.local(opt({ type: 'subtract', key, value, publisher: this.entity }, expiry));
  }

  onEvent(listener: StoreEventListener): () => void {
    return this.events.add(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer.cancel();
    this.handle.close();
    this.backend.close();
    this.localResults.clear();
  }

  // -- protocol -------------------------------------------------------------------------------

  private local(cmd: Parameters<typeof applyWrite>[3]): void {
    this.check();
    this.guard(() => applyWrite(this.backend, this.expirations, this.ctx, cmd));
  }

  private tick(): void {
    if (this.closed) return;
    this.output.tick();
    for (const input of this.inputs.values()) input.consumer.tick();
    expireDue(this.backend, this.expirations, this.ctx);
  }

  private dispatch(topic: string, msg: CommandMessage, _origin: MessageOrigin): void {
    if (this.closed || topic !== masterTopic(this.name)) return;
    const cmd = msg.command;
    // A clone's first nack [0] names no master (or its previous one): answer it anyway.
    if (cmd.type === 'nack' && cmd.seqs.length === 1 && seqOf(cmd.seqs[0]!) === 0) return this.output.handleNack(msg.sender, [0]);
    if (!isNilEntity(msg.receiver) && !sameEntity(msg.receiver, this.entity)) return;
    const input = this.inputs.get(entityKey(msg.sender));
    switch (cmd.type) {
      case 'put':
      case 'put_unique':
      case 'erase':
      case 'add':
      case 'subtract':
      case 'clear':
        input?.consumer.handleEvent(seqOf(msg.seq), msg);
        return;
      case 'attach_writer':
        return this.attachWriter(msg.sender, seqOf(cmd.offset), cmd.heartbeatInterval, input);
      case 'keepalive':
        return input?.consumer.handleHeartbeat(seqOf(cmd.seq));
      case 'retransmit_failed':
        return input?.consumer.handleRetransmitFailed(seqOf(cmd.seq));
      case 'cumulative_ack':
        return this.output.handleAck(msg.sender, seqOf(cmd.seq));
      case 'nack':
        return this.output.handleNack(msg.sender, cmd.seqs.map(seqOf));
      default:
        return; // master → clone commands (ack_clone, expire, put_unique_result) are not for us
    }
  }

  private attachWriter(writer: EntityId, offset: number, heartbeat: number, known: Input | undefined): void {
    // Broker ignores a repeated attach_writer; we also accept one that moves the channel forward
    // (a clone that re-attached after losing its master keeps numbering from where it was).
    if (known && offset + 1 <= known.consumer.nextSeq) return;
    const topic = cloneTopic(this.name);
    const send = (command: StoreCommand): void => this.handle.sendCommand(topic, message(0, this.entity, writer, command), writer.endpoint);
    const input: Input = {
      writer,
      consumer: new Consumer<CommandMessage>(
        {
          consume: (msg) => this.applyForwarded(msg),
          consumeNil: () => true, // a lost write cannot be recovered; keep applying the rest
          sendAck: (seq) => send({ type: 'cumulative_ack', seq }),
          sendNack: (seqs) => send({ type: 'nack', seqs }),
          closed: () => void this.inputs.delete(entityKey(writer)),
        },
        this.timing,
      ),
    };
    this.inputs.set(entityKey(writer), input);
    input.consumer.handleHandshake(offset, heartbeat);
  }

  private applyForwarded(msg: CommandMessage): void {
    const cmd = msg.command;
    if (cmd.type !== 'put' && cmd.type !== 'put_unique' && cmd.type !== 'erase' && cmd.type !== 'add' && cmd.type !== 'subtract' && cmd.type !== 'clear') return;
    try {
      applyWrite(this.backend, this.expirations, this.ctx, cmd);
    } catch (err) {
      // Broker logs a failed forwarded write and broadcasts nothing; the clone never hears of it.
      if (!(err instanceof ApplyError)) throw err;
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ApplyError) throw new StoreError(err.code, this.name, err.message);
      throw err;
    }
  }

  private check(): void {
    if (this.closed) throw new StoreError('closed', this.name, 'the store is closed');
  }
}

function opt<T extends object>(x: T, expiry: Int64 | undefined): T & { expiry?: Int64 } {
  return expiry === undefined ? x : { ...x, expiry };
}
