// Helpers for the data-store tests: the master/clone capture as a timeline of command envelopes, a
// scripted MessageHub that injects captured commands into one store and records what it sends,
// and entity renaming so our stores' outputs can be compared with the capture byte for byte.
import { ByteWriter } from '../../src/core/bytes.ts';
import { toHex } from '../../src/core/json.ts';
import type { LocalParticipant, MessageHub, ParticipantHandle } from '../../modern/hub.ts';
import {
  decodeEnvelope,
  filterMatches,
  NIL_ENDPOINT,
  writeCommand,
  type CommandMessage,
  type EndpointId,
  type EntityId,
  type StoreCommand,
} from '../../modern/native/index.ts';
import { payloadOf, referenceFrames } from './broker-fixtures.ts';

export interface CapturedCommand {
  /** Capture time in seconds. */
  readonly t: number;
  readonly conn: number;
  readonly dir: 'c2s' | 's2c';
  readonly topic: string;
  /** Envelope receiver; undefined for nil. */
  readonly receiver: EndpointId | undefined;
  readonly msg: CommandMessage;
}

/** Every command envelope of native-store-master-clone, in capture order. */
export function storeCapture(): CapturedCommand[] {
  const out: CapturedCommand[] = [];
  for (const ref of referenceFrames('native-store-master-clone')) {
    if (ref.msg !== 'command') continue;
    const env = decodeEnvelope(payloadOf(ref));
    if (env.type !== 'command') throw new Error('expected a command envelope');
    out.push({ t: ref.t, conn: ref.conn, dir: ref.dir as 'c2s' | 's2c', topic: env.topic, receiver: env.receiver === NIL_ENDPOINT ? undefined : env.receiver, msg: env.command });
  }
  return out;
}

export const CAPTURED = {
  master1: { endpoint: '79c55daf-5a93-5f8d-916d-2a0f4ee8e676', object: 8 } as EntityId,
  master1Frontend: { endpoint: '79c55daf-5a93-5f8d-916d-2a0f4ee8e676', object: 9 } as EntityId,
  master2: { endpoint: '27d2c345-5f48-5d27-bb4f-e80e7f113556', object: 8 } as EntityId,
  clone: { endpoint: '762c8aa5-b291-5b09-95ab-538df74ddf72', object: 7 } as EntityId,
  cloneFrontend: { endpoint: '762c8aa5-b291-5b09-95ab-538df74ddf72', object: 8 } as EntityId,
};

export interface SentCommand {
  readonly at: number;
  readonly topic: string;
  readonly receiver: EndpointId | undefined;
  readonly msg: CommandMessage;
}

/** A hub with one side scripted: `inject` plays the peer, `sent` records what the store sent. */
export class ScriptHub implements MessageHub {
  readonly sent: SentCommand[] = [];
  private participant: LocalParticipant | undefined;
  private filter: readonly string[] = [];

  constructor(
    readonly nodeId: EndpointId,
    private readonly now: () => number,
  ) {}

  attach(participant: LocalParticipant, filter: readonly string[]): ParticipantHandle {
    this.participant = participant;
    this.filter = filter;
    return {
      publish: () => undefined,
      sendCommand: (topic, msg, receiver) => void this.sent.push({ at: this.now(), topic, receiver, msg }),
      setFilter: (f) => void (this.filter = f),
      close: () => void (this.participant = undefined),
    };
  }

  inject(topic: string, msg: CommandMessage, receiver?: EndpointId, hop = NIL_ENDPOINT): void {
    if (receiver !== undefined && receiver !== this.nodeId) return;
    if (!this.participant || !filterMatches(this.filter, topic)) return;
    this.participant.onCommand?.(topic, msg, { hop }, receiver);
  }

  /** Commands sent since the last call. */
  take(): SentCommand[] {
    return this.sent.splice(0);
  }
}

type Rename = readonly (readonly [EntityId, EntityId])[];

function renameEntity(e: EntityId, pairs: Rename): EntityId {
  for (const [from, to] of pairs) if (from.endpoint === e.endpoint && from.object == e.object) return to; // eslint-disable-line eqeqeq
  return e;
}

/** The command with every entity id (sender, receiver, publisher, who) renamed. */
export function renameEntities(msg: CommandMessage, pairs: Rename): CommandMessage {
  const r = (e: EntityId): EntityId => renameEntity(e, pairs);
  const c = msg.command;
  let command: StoreCommand = c;
  if ('publisher' in c) command = { ...c, publisher: r(c.publisher) } as StoreCommand;
  if ('who' in command) command = { ...command, who: r(command.who) } as StoreCommand;
  return { seq: msg.seq, sender: r(msg.sender), receiver: r(msg.receiver), command };
}

/** The command payload bytes as hex (what follows the envelope header on the wire). */
export function commandHex(msg: CommandMessage): string {
  const w = new ByteWriter(64);
  writeCommand(w, msg);
  return toHex(w.toBytes());
}

export function isHeartbeat(msg: CommandMessage): boolean {
  return msg.command.type === 'keepalive' || msg.command.type === 'cumulative_ack';
}

/** Distinct consecutive values, e.g. keepalive seqs [1,1,3,3,6] → [1,3,6]. */
export function runs(values: readonly number[]): number[] {
  return values.filter((v, i) => i === 0 || values[i - 1] !== v);
}

export function seqValue(msg: CommandMessage): number {
  const c = msg.command;
  return c.type === 'keepalive' || c.type === 'cumulative_ack' ? Number(c.seq) : -1;
}
