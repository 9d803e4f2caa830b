// Message routing of one endpoint (spec §1.6, §5): what local participants and the endpoint publish
// goes to matching local members and to every peer whose filter matches; what a peer sends is
// delivered to matching local members (decoded once, only if someone wants it) and, with
// forward_messages, relayed to other matching peers with the sender rewritten — never back to the
// previous hop; a body nobody decoded locally is decoded once before it is relayed, so an invalid
// message is dropped rather than passed on (spec §1.5). A message is encoded once and the same
// bytes are queued for every peer.
import { Buffer } from 'node:buffer';
import { ByteWriter } from '../../src/core/bytes.ts';
import { NONE, decodeDataAt, writeData, type Data, type DataLimits } from '../data/index.ts';
import { BrokerError, asBrokerError } from '../errors.ts';
import type { LocalParticipant, MessageOrigin } from '../hub.ts';
import { decodeCommand, writeCommand, type CommandMessage } from '../native/store-commands.ts';
import { endpointIdAt, endpointIdBytes, NIL_ENDPOINT, type EndpointId } from '../native/endpoint-id.ts';
import { Receiver, type EnvelopeView } from '../native/envelope-view.ts';
import { normalizeFilter, writeFilter } from '../native/filter.ts';
import { beginFrame, endFrame } from '../native/framing.ts';
import type { Peering } from '../native/peering.ts';
import { MessageType, RESERVED_TOPIC } from '../native/wire-constants.ts';
import { LocalRoutes, deliverCommand, deliverData, isInternalTopic, type Member } from './local-routes.ts';

export interface RouterConfig {
  readonly nodeId: EndpointId;
  readonly ttl: number;
  readonly limits: DataLimits;
  readonly forwardMessages: boolean;
}

export interface RouterEvents {
  /** A received message could not be decoded for local delivery (Broker drops and logs it). */
  dropped(p: Peering, err: BrokerError): void;
}

const NIL_BYTES = new Uint8Array(16);

export class Router {
  readonly routes = new LocalRoutes();
  /** The filter announced to peers: sorted, minimal, only ever growing. */
  announced: readonly string[] = [];
  private readonly forwarded = new Set<string>();
  private peers: Peering[] = [];
  private readonly origins = new Map<Peering, MessageOrigin>();
  private lastFrom: Peering | undefined;
  private lastOrigin: MessageOrigin = { hop: NIL_ENDPOINT };
  private readonly self: Uint8Array;
  private readonly scratch = new ByteWriter(4096);
  private topicText = '';
  private topicBytes: Uint8Array = new Uint8Array(0);
  /** Arguments of `writePending`, which encodes straight into a peer's output batch. */
  private pendingTopic = '';
  private pendingValue: Data = NONE;
  private readonly writePending = (w: ByteWriter): void => {
    const at = beginFrame(w);
    w.bytes(this.dataHeader(this.pendingTopic));
    writeData(w, this.pendingValue);
    endFrame(w, at);
  };
  /** The whole header of a broadcast data message on `headerTopic` (sender, nil receiver, type, TTL, topic). */
  private headerTopic: string | undefined;
  private header: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly cfg: RouterConfig,
    private readonly events: RouterEvents,
  ) {
    this.self = endpointIdBytes(cfg.nodeId);
  }

  // -- peers -------------------------------------------------------------------------------------

  addPeer(p: Peering): void {
    if (p === this.lastFrom) this.lastFrom = undefined;
    this.origins.set(p, { hop: p.peerId! });
    this.peers = [...this.peers, p];
    if (p.announcedFilter !== this.announced) this.sendRoutingUpdate(p);
  }

  removePeer(p: Peering): void {
    if (p === this.lastFrom) this.lastFrom = undefined;
    if (!this.origins.delete(p)) return;
    this.peers = this.peers.filter((x) => x !== p);
  }

  peerById(id: EndpointId): Peering | undefined {
    for (const p of this.peers) if (p.peerId === id) return p;
    return undefined;
  }

  // -- filters -----------------------------------------------------------------------------------

  attach(participant: LocalParticipant, filter: readonly string[]): Member {
    const m = this.routes.add(participant, filter, { hop: this.cfg.nodeId, participant: participant.id });
    this.refreshFilter();
    return m;
  }

  setFilter(m: Member, filter: readonly string[]): void {
    this.routes.setFilter(m, filter);
    this.refreshFilter();
  }

  /** `Broker::forward`: peers send us these topics (to relay), no local delivery. */
  forward(prefixes: readonly string[]): void {
    for (const p of prefixes) this.forwarded.add(p);
    this.refreshFilter();
  }

  /** Grows the announced filter with every new prefix; peers learn the complete filter when it grew. */
  refreshFilter(): boolean {
    const wanted = [...this.routes.announceable(), ...this.forwarded].filter((t) => !isInternalTopic(t));
    const next = normalizeFilter([...this.announced, ...wanted]);
    if (next.length === this.announced.length && next.every((t, i) => t === this.announced[i])) return false;
    this.announced = next;
    for (const p of this.peers) this.sendRoutingUpdate(p);
    return true;
  }

  private sendRoutingUpdate(p: Peering): void {
    const filter = this.announced;
    p.sendWith((w) => {
      const at = beginFrame(w);
      this.writeHeader(w, p.peerIdBytes!, MessageType.ROUTING_UPDATE, RESERVED_TOPIC);
      writeFilter(w, filter);
      endFrame(w, at);
    });
  }

  // -- local publications ------------------------------------------------------------------------

  /** A data message from inside the endpoint: to matching local members except `from`, and to peers. */
  publish(from: Member | undefined, topic: string, value: Data, origin: MessageOrigin): number {
    this.deliverLocal(from, topic, value, origin);
    const peers = this.peers;
    let matching = 0;
    let only: Peering | undefined;
    for (let i = 0; i < peers.length; i++) {
      if (peers[i]!.matches(topic)) {
        matching++;
        only = peers[i];
      }
    }
    if (matching === 0) return 0;
    if (matching === 1) {
      // The common case: encode straight into the peer's batch, no intermediate copy.
      this.pendingTopic = topic;
      this.pendingValue = value;
      try {
        return only!.sendWith(this.writePending) ? 1 : 0;
      } finally {
        this.pendingValue = NONE;
      }
    }
    const w = this.scratch.reset();
    const at = beginFrame(w);
    w.bytes(this.dataHeader(topic));
    writeData(w, value);
    endFrame(w, at);
    const frame = w.peek();
    let sent = 0;
    for (let i = 0; i < peers.length; i++) {
      const p = peers[i]!;
      if (p.matches(topic) && p.send(frame)) sent++;
    }
    return sent;
  }

  /** A data message for one peer, regardless of its filter. */
  publishTo(receiver: EndpointId, topic: string, value: Data): boolean {
    const p = this.peerById(receiver);
    return p !== undefined && p.send(this.encodeData(p.peerIdBytes!, topic, value));
  }

  /** Delivers to local members only (statuses and errors are never sent to peers). */
  deliverLocal(from: Member | undefined, topic: string, value: Data, origin: MessageOrigin): void {
    const members = this.routes.match(topic);
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      if (m !== from && m.open) deliverData(m, topic, value, origin);
    }
  }

  /** Whether any local member would receive `topic` (so the caller can skip building the value). */
  wantsLocal(topic: string): boolean {
    return this.routes.match(topic).length > 0;
  }

  /** A store command: nil receiver = everyone subscribed, our id = local only, another id = that peer. */
  command(from: Member | undefined, topic: string, command: CommandMessage, receiver: EndpointId | undefined, origin: MessageOrigin): void {
    const id = receiver?.toLowerCase();
    if (id === undefined || id === NIL_ENDPOINT || id === this.cfg.nodeId) {
      const members = this.routes.match(topic);
      for (const m of members) if (m !== from && m.open) deliverCommand(m, topic, command, origin, id === this.cfg.nodeId ? id : undefined);
      if (id === this.cfg.nodeId) return;
      let frame: Uint8Array | undefined;
      for (const p of this.peers) {
        if (!p.matches(topic)) continue;
        frame ??= this.encodeCommand(NIL_BYTES, topic, command);
        p.send(frame);
      }
      return;
    }
    const p = this.peerById(id);
    if (p) p.send(this.encodeCommand(p.peerIdBytes!, topic, command));
  }

  // -- messages from peers -----------------------------------------------------------------------

  /** A data/command envelope from `from`, or a ping/pong for another endpoint (the view is valid during the call only). */
  received(from: Peering, view: EnvelopeView): void {
    const type = view.type;
    const topic = view.topic;
    // Whether the body is known to be valid (or needs no check: ping/pong payloads are opaque).
    let checked = type > MessageType.COMMAND;
    if (view.receiver !== Receiver.OTHER && type <= MessageType.COMMAND) {
      const members = this.routes.match(topic);
      if (members.length > 0) {
        if (!this.deliverReceived(from, members, view)) return;
        checked = true;
      }
      if (view.receiver === Receiver.SELF) return;
    }
    if (!this.cfg.forwardMessages) return;
    // Relayed without local delivery, the body was not decoded yet: Broker drops an invalid
    // message (spec §1.5) instead of passing it on, so it is decoded once before the first relay.
    const { bytes, start, end } = view;
    if (view.receiver === Receiver.OTHER) {
      const to = this.peerById(endpointIdAt(bytes, start + 16));
      if (to && to !== from && !to.isSenderOf(bytes, start) && (checked || this.validBody(from, view))) to.forward(bytes, start, end);
      return;
    }
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) {
      const p = peers[i]!;
      if (p !== from && p.matches(topic) && !p.isSenderOf(bytes, start)) {
        if (!checked) {
          if (!this.validBody(from, view)) return;
          checked = true;
        }
        p.forward(bytes, start, end);
      }
    }
  }

  /** The origin of messages from `from` (the last one is kept: a burst comes from one peer). */
  private originOf(from: Peering): MessageOrigin {
    if (from === this.lastFrom) return this.lastOrigin;
    const origin = this.origins.get(from) ?? { hop: from.peerId ?? NIL_ENDPOINT };
    this.lastFrom = from;
    this.lastOrigin = origin;
    return origin;
  }

  /** Decodes once for every matching member; false when the message is invalid (and dropped). */
  private deliverReceived(from: Peering, members: readonly Member[], view: EnvelopeView): boolean {
    const origin = this.originOf(from);
    const topic = view.topic;
    try {
      if (view.type === MessageType.DATA) {
        // Read in place; offsets in errors stay relative to the payload.
        const value = decodeDataAt(view.bytes, view.start + view.bodyOffset, view.end, -view.start, this.cfg.limits);
        for (let i = 0; i < members.length; i++) {
          const m = members[i]!;
          if (m.open) deliverData(m, topic, value, origin);
        }
      } else {
        const command = decodeCommand(view.body(), this.cfg.limits, view.bodyOffset);
        const receiver = view.receiver === Receiver.SELF ? this.cfg.nodeId : undefined;
        for (const m of members) if (m.open) deliverCommand(m, topic, command, origin, receiver);
      }
      return true;
    } catch (err) {
      from.droppedIn++;
      this.events.dropped(from, asBrokerError(err));
      return false;
    }
  }

  /** Decodes the body of a data/command message only to check it (a relay without local delivery); false when dropped. */
  private validBody(from: Peering, view: EnvelopeView): boolean {
    try {
      if (view.type === MessageType.DATA) decodeDataAt(view.bytes, view.start + view.bodyOffset, view.end, -view.start, this.cfg.limits);
      else decodeCommand(view.body(), this.cfg.limits, view.bodyOffset);
      return true;
    } catch (err) {
      from.droppedIn++;
      this.events.dropped(from, asBrokerError(err));
      return false;
    }
  }

  // -- encoding ----------------------------------------------------------------------------------

  private writeHeader(w: ByteWriter, receiver: Uint8Array, type: number, topic: string): void {
    if (topic !== this.topicText) {
      const bytes = Buffer.from(topic, 'utf8');
      if (bytes.length > 0xffff) throw new BrokerError('invalid_argument', `topic of ${bytes.length} bytes exceeds 65535`, { field: 'envelope.topic' });
      this.topicText = topic;
      this.topicBytes = bytes;
    }
    const t = this.topicBytes;
    w.bytes(this.self).bytes(receiver).u8(type).u16(this.cfg.ttl).u16(t.length).bytes(t);
  }

  /** One copy instead of six writes per message: a publisher usually stays on a topic. */
  private dataHeader(topic: string): Uint8Array {
    if (topic !== this.headerTopic) {
      const w = new ByteWriter(64);
      this.writeHeader(w, NIL_BYTES, MessageType.DATA, topic);
      this.header = w.toBytes();
      this.headerTopic = topic;
    }
    return this.header;
  }

  /** One data frame in the scratch writer (a view, valid until the next encode). */
  private encodeData(receiver: Uint8Array, topic: string, value: Data): Uint8Array {
    const w = this.scratch.reset();
    const at = beginFrame(w);
    this.writeHeader(w, receiver, MessageType.DATA, topic);
    writeData(w, value);
    endFrame(w, at);
    return w.peek();
  }

  private encodeCommand(receiver: Uint8Array, topic: string, command: CommandMessage): Uint8Array {
    const w = this.scratch.reset();
    const at = beginFrame(w);
    this.writeHeader(w, receiver, MessageType.COMMAND, topic);
    writeCommand(w, command);
    endFrame(w, at);
    return w.peek();
  }
}
