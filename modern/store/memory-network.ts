// Several Broker endpoints in one process, joined by in-memory links: each endpoint is a
// MessageHub (participants attach with topic filters), and commands/data cross a link when the
// receiving endpoint is named or one of its participants' filters matches, like a native peering
// (one hop, no forwarding). Delivery is queued and drained in order outside the sender's call
// stack, so handlers never re-enter each other, and is complete when the outermost send returns.
// Tests use it to run masters and clones on different endpoints, to drop or inspect traffic and
// to cut links; the bench uses it to measure the store logic without sockets.
import type { Data } from '../data/index.ts';
import type { LocalParticipant, MessageHub, MessageOrigin, ParticipantHandle } from '../hub.ts';
import { randomEndpointId, type EndpointId } from '../native/endpoint-id.ts';
import { filterMatches, normalizeFilter } from '../native/filter.ts';
import type { CommandMessage } from '../native/store-commands.ts';

/** One command that crossed a link. */
export interface LinkRecord {
  readonly from: EndpointId;
  readonly to: EndpointId;
  readonly topic: string;
  /** Envelope receiver (undefined = nil). */
  readonly receiver: EndpointId | undefined;
  readonly msg: CommandMessage;
}

interface Member {
  readonly participant: LocalParticipant;
  filter: string[];
  open: boolean;
}

export class MemoryNetwork {
  private readonly endpoints = new Map<EndpointId, MemoryEndpoint>();
  private readonly links = new Map<EndpointId, Set<EndpointId>>();
  private readonly queue: (() => void)[] = [];
  private draining = false;
  /** Return true to lose a command on its way over a link. */
  dropIf: ((r: LinkRecord) => boolean) | undefined;
  /** Called for every command that crosses a link (after dropIf let it pass). */
  tap: ((r: LinkRecord) => void) | undefined;

  endpoint(nodeId: EndpointId = randomEndpointId()): MemoryEndpoint {
    const e = new MemoryEndpoint(this, nodeId);
    this.endpoints.set(nodeId, e);
    return e;
  }

  connect(a: MemoryEndpoint, b: MemoryEndpoint): void {
    this.linkSet(a.nodeId).add(b.nodeId);
    this.linkSet(b.nodeId).add(a.nodeId);
  }

  disconnect(a: MemoryEndpoint, b: MemoryEndpoint): void {
    this.linkSet(a.nodeId).delete(b.nodeId);
    this.linkSet(b.nodeId).delete(a.nodeId);
  }

  /** Removes an endpoint with all its links (a killed process). */
  remove(e: MemoryEndpoint): void {
    for (const peer of this.linkSet(e.nodeId)) this.linkSet(peer).delete(e.nodeId);
    this.links.delete(e.nodeId);
    this.endpoints.delete(e.nodeId);
  }

  /** Runs `fn` in delivery order. */
  enqueue(fn: () => void): void {
    this.queue.push(fn);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let fn = this.queue.shift(); fn; fn = this.queue.shift()) fn();
    } finally {
      this.draining = false;
    }
  }

  /** The endpoints linked to `id`. */
  neighbours(id: EndpointId): MemoryEndpoint[] {
    return [...this.linkSet(id)].map((n) => this.endpoints.get(n)).filter((e): e is MemoryEndpoint => e !== undefined);
  }

  private linkSet(id: EndpointId): Set<EndpointId> {
    let s = this.links.get(id);
    if (!s) this.links.set(id, (s = new Set()));
    return s;
  }
}

export class MemoryEndpoint implements MessageHub {
  private members: readonly Member[] = [];

  constructor(
    private readonly net: MemoryNetwork,
    readonly nodeId: EndpointId,
  ) {}

  attach(participant: LocalParticipant, filter: readonly string[]): ParticipantHandle {
    const m: Member = { participant, filter: normalizeFilter(filter), open: true };
    this.members = [...this.members, m];
    const origin: MessageOrigin = { hop: this.nodeId, participant: participant.id };
    return {
      publish: (topic, value) => {
        if (m.open) this.route(m, topic, undefined, origin, (q, o) => q.participant.onData?.(topic, value, o));
      },
      sendCommand: (topic, msg, receiver) => {
        if (!m.open) return;
        this.route(m, topic, receiver, origin, (q, o) => q.participant.onCommand?.(topic, msg, o, receiver), msg);
      },
      setFilter: (prefixes) => {
        if (m.open) m.filter = normalizeFilter(prefixes);
      },
      close: () => {
        m.open = false;
        this.members = this.members.filter((x) => x !== m);
      },
    };
  }

  /** Whether a participant of this endpoint subscribes to `topic`. */
  wants(topic: string): boolean {
    return this.members.some((m) => m.open && filterMatches(m.filter, topic));
  }

  /** Publishes data as the endpoint itself (a stand-in for a remote publisher). */
  publish(topic: string, value: Data): void {
    this.route(undefined, topic, undefined, { hop: this.nodeId }, (q, o) => q.participant.onData?.(topic, value, o));
  }

  private route(from: Member | undefined, topic: string, receiver: EndpointId | undefined, origin: MessageOrigin, deliver: (m: Member, o: MessageOrigin) => void, msg?: CommandMessage): void {
    const net = this.net;
    if (receiver === undefined || receiver === this.nodeId) this.deliverLocal(from, topic, origin, deliver);
    for (const peer of net.neighbours(this.nodeId)) {
      if (receiver !== undefined ? receiver !== peer.nodeId : !peer.wants(topic)) continue;
      if (msg) {
        const record: LinkRecord = { from: this.nodeId, to: peer.nodeId, topic, receiver, msg };
        if (net.dropIf?.(record)) continue;
        net.tap?.(record);
      }
      peer.deliverLocal(undefined, topic, { hop: this.nodeId }, deliver);
    }
  }

  private deliverLocal(from: Member | undefined, topic: string, origin: MessageOrigin, deliver: (m: Member, o: MessageOrigin) => void): void {
    for (const m of this.members) {
      if (m === from || !filterMatches(m.filter, topic)) continue;
      this.net.enqueue(() => {
        if (m.open) deliver(m, origin);
      });
    }
  }
}
