// A MessageHub without native peers: local participants (WebSocket clients, stores, the bridge's
// translator) exchange messages among themselves. Used when no native Broker endpoint is
// configured, and as the hub behind tests of everything that sits on a MessageHub.
import type { Data } from './data/index.ts';
import type { LocalParticipant, MessageHub, MessageOrigin, ParticipantHandle } from './hub.ts';
import { randomEndpointId, type EndpointId } from './native/endpoint-id.ts';
import { filterMatches, normalizeFilter } from './native/filter.ts';
import type { CommandMessage } from './native/index.ts';

interface Member {
  readonly participant: LocalParticipant;
  filter: string[];
  open: boolean;
}

export class LocalHub implements MessageHub {
  readonly nodeId: EndpointId;
  /** Snapshot replaced on attach/close, so delivery can iterate while members come and go. */
  private members: readonly Member[] = [];

  constructor(nodeId: EndpointId = randomEndpointId()) {
    this.nodeId = nodeId;
  }

  /** Number of attached participants. */
  get size(): number {
    return this.members.length;
  }

  /** Ids of the attached participants, in attach order. */
  get participantIds(): string[] {
    return this.members.map((m) => m.participant.id);
  }

  attach(participant: LocalParticipant, filter: readonly string[]): ParticipantHandle {
    const m: Member = { participant, filter: normalizeFilter(filter), open: true };
    this.members = [...this.members, m];
    const origin: MessageOrigin = { hop: this.nodeId, participant: participant.id };
    return {
      publish: (topic, value) => {
        if (m.open) this.deliver(m, topic, value, origin);
      },
      sendCommand: (topic, command, receiver) => {
        if (m.open) this.deliverCommand(m, topic, command, origin, receiver);
      },
      setFilter: (prefixes) => {
        if (m.open) m.filter = normalizeFilter(prefixes);
      },
      close: () => {
        if (!m.open) return;
        m.open = false;
        this.members = this.members.filter((x) => x !== m);
      },
    };
  }

  /** Publishes as the hub itself (e.g. a test standing in for a native peer); reaches every match. */
  publish(topic: string, value: Data): void {
    this.deliver(undefined, topic, value, { hop: this.nodeId });
  }

  private deliver(from: Member | undefined, topic: string, value: Data, origin: MessageOrigin): void {
    const members = this.members;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      if (m === from || !m.open || !filterMatches(m.filter, topic)) continue;
      m.participant.onData?.(topic, value, origin);
    }
  }

  private deliverCommand(from: Member, topic: string, command: CommandMessage, origin: MessageOrigin, receiver: string | undefined): void {
    for (const m of this.members) {
      if (m === from || !m.open || !filterMatches(m.filter, topic)) continue;
      m.participant.onCommand?.(topic, command, origin, receiver);
    }
  }
}
