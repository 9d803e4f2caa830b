// Event routing between legacy peers and Broker topics, with the loop rules:
// - legacy -> Broker: every event from a legacy peer is published to `legacy_topic` (default
//   `zeek/legacy/<node>/`) and to the topics configured for its name;
// - Broker -> legacy: a Zeek event arriving on a subscribed topic goes to every RUNNING legacy peer
//   that requested its name (REQUEST_EVENTS) or whose node's `events` pattern matches it;
// - never back to the source: a Broker message published by one of the bridge's own participants (a
//   legacy peer's cluster endpoint) is not sent to legacy peers again (legacy-to-legacy forwarding
//   happens directly, only with `forward_remote_events`, never to the sender), and an event a legacy
//   peer sends back within `echo_window_ms` of receiving it from the bridge is dropped as an echo
//   (a Bro with forward_remote_events = T would otherwise bounce it into Broker again).
// Translation failures drop the event and count the reason; nothing here throws.
import { z } from 'zod';
import type { SerialEvent } from '../../legacy/codec/index.ts';
import { ByteWriter } from '../core/bytes.ts';
import { makeEvent, parseZeekMessage, writeData, type Data, type VectorData, type ZeekEvent, type ZeekMessage } from '../../modern/data/index.ts';
import type { MessageOrigin } from '../../modern/hub.ts';
import type { TranslationDirection, TranslationDrops } from './drops.ts';
import { isTranslationError, translationError } from './errors.ts';
import { EchoTable, type EchoDigest } from './echo-table.ts';
import { brokerEventToLegacy, legacyArgsToBroker } from './events.ts';
import { secondsToNs } from './time.ts';
import type { ValueContext } from './values.ts';

const topic = z.string().min(1).refine((t) => !t.includes('<$>'), 'internal topics (<$>) are not routable');

export const routingConfigSchema = z
  .strictObject({
    /** Topic for every legacy event; `{node}` = the peer's node name, `{event}` = the event name; '' = off. */
    legacy_topic: z.string().default('zeek/legacy/{node}/'),
    /** Broker topic prefixes whose events go to legacy peers. */
    subscribe: z.array(topic).default([]),
    /** Per event name: more topics to publish it to; they are also subscribed for the way back unless `to_legacy` is false. */
    events: z
      .record(z.string().min(1), z.strictObject({ topics: z.array(topic).default([]), to_legacy: z.boolean().default(true) }))
      .default({}),
    /** Attach the legacy network time as NetworkTimestamp metadata (Zeek 6/7 style; Zeek 8 accepts it). */
    network_timestamp: z.boolean().default(true),
    /** Bro's forward_remote_events: re-send a legacy peer's events to the other legacy peers that requested them. */
    forward_remote_events: z.boolean().default(false),
    /** Drop an event a legacy peer sends back within this many ms of getting it from the bridge (0 = off). */
    echo_window_ms: z.number().int().min(0).default(1000),
  });

export type RoutingConfigInput = z.input<typeof routingConfigSchema>;
export type RoutingConfig = z.output<typeof routingConfigSchema>;

/** What the router needs to know of a legacy peer (the framework's session view maps onto it). */
export interface LegacyPeerView {
  /** Unique within the framework (Bro's peer_id). */
  readonly id: string | number;
  /** Node name (the `Communication::nodes` key), or the peer's description: used in topics. */
  readonly node: string;
  /** Bro sends events to RUNNING peers only. */
  readonly running: boolean;
  /** Names from the peer's REQUEST_EVENTS. */
  readonly requested: ReadonlySet<string>;
  /** The node's `events` pattern (exact match, as Bro's `pattern == string`). */
  readonly eventsPattern?: RegExp | ((name: string) => boolean) | undefined;
}

export interface Publication {
  readonly topic: string;
  readonly message: VectorData;
}

export interface LegacyRoute {
  /** What to publish on Broker (as the participant standing for the source peer). */
  readonly publications: Publication[];
  /** Other legacy peers to send the event to as is (forward_remote_events). */
  readonly forwards: LegacyPeerView[];
}

export interface BrokerRoute {
  readonly event: SerialEvent;
  readonly targets: LegacyPeerView[];
}

export interface RouterOptions {
  config?: RoutingConfigInput;
  cx: ValueContext;
  drops: TranslationDrops;
  /** Wall clock in ms (echo window, and the time of Broker events without a NetworkTimestamp). */
  now?: () => number;
}

/** Does this peer want events of this name? */
export function wantsEvent(peer: LegacyPeerView, name: string): boolean {
  if (peer.requested.has(name)) return true;
  const p = peer.eventsPattern;
  if (p === undefined) return false;
  if (typeof p === 'function') return p(name);
  p.lastIndex = 0;
  const m = p.exec(name);
  return m !== null && m.index === 0 && m[0].length === name.length;
}

/** FNV-1a over the bytes, two lanes: an echo key, not a security boundary. Written into `out`. */
function digestInto(bytes: Uint8Array, out: EchoDigest): EchoDigest {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[bytes.length - 1 - i]!, 0x01000193);
  }
  out.a = a;
  out.b = b;
  out.len = bytes.length;
  return out;
}

const argsScratch = new ByteWriter(256);
const digestScratch: EchoDigest = { a: 0, b: 0, len: 0 };

/** Digest of an event's arguments as a bin v1 vector, encoded into a reused buffer (valid until the next call). */
function argsDigest(args: readonly Data[]): EchoDigest {
  const w = argsScratch.reset();
  writeData(w, { type: 'vector', elements: args as Data[] });
  return digestInto(w.peek(), digestScratch);
}

/** A (legacy peer, event name) the bridge sent events of: its id in the echo table, and until when any of them can come back. */
interface EchoName {
  readonly id: number;
  until: number;
}

export class EventRouter {
  readonly config: RoutingConfig;
  private readonly cx: ValueContext;
  private readonly drops: TranslationDrops;
  private readonly now: () => number;
  /** Participant id -> the legacy peer it publishes for. */
  private readonly participants = new Map<string, string | number>();
  /** (name id, argument digest) -> expiry (ms), in insertion order (echo-table.ts: no heap objects per entry). */
  private readonly echoes = new EchoTable();
  /**
   * peer -> event name -> the latest expiry of an echo entry for it: a legacy event whose name was
   * not sent to its peer within the window cannot be an echo, and skips encoding its arguments.
   */
  private readonly echoNames = new Map<string | number, Map<string, EchoName>>();
  private echoNameCount = 0;
  private nextEchoName = 1;

  constructor(options: RouterOptions) {
    this.config = routingConfigSchema.parse(options.config ?? {});
    this.cx = options.cx;
    this.drops = options.drops;
    this.now = options.now ?? Date.now;
  }

  /** Topic prefixes the bridge's participant must subscribe to for the Broker -> legacy direction. */
  subscriptions(): string[] {
    const out = new Set(this.config.subscribe);
    for (const e of Object.values(this.config.events)) if (e.to_legacy) for (const t of e.topics) out.add(t);
    return [...out];
  }

  /** Marks a hub participant as publishing for a legacy peer (its cluster endpoint), for loop prevention. */
  bindParticipant(participantId: string, legacyPeer: string | number): void {
    this.participants.set(participantId, legacyPeer);
  }

  unbindParticipant(participantId: string): void {
    this.participants.delete(participantId);
  }

  /** Topics a legacy event of this peer is published to. */
  topicsFor(source: LegacyPeerView, name: string): string[] {
    const out: string[] = [];
    const t = this.config.legacy_topic;
    if (t !== '') out.push(t.replaceAll('{node}', source.node).replaceAll('{event}', name));
    for (const extra of this.config.events[name]?.topics ?? []) if (!out.includes(extra)) out.push(extra);
    return out;
  }

  private drop(direction: TranslationDirection, what: string, err: unknown, peer: string | number | undefined): undefined {
    if (!isTranslationError(err)) throw err;
    this.drops.record(direction, what, err, peer === undefined ? undefined : String(peer));
    return undefined;
  }

  /** A legacy event from `source`: the Broker publications and legacy forwards, or undefined if dropped. */
  fromLegacy(source: LegacyPeerView, ev: SerialEvent, peers: Iterable<LegacyPeerView> = []): LegacyRoute | undefined {
    let args: Data[];
    try {
      args = legacyArgsToBroker(ev, this.cx);
      const en = this.config.echo_window_ms > 0 && this.echoes.size > 0 ? this.echoNames.get(source.id)?.get(ev.name) : undefined;
      if (en !== undefined && en.until >= this.now()) {
        if (this.echoes.take(en.id, argsDigest(args), this.now())) {
          throw translationError('echo_suppressed', `${ev.name} came back from ${source.node} right after the bridge sent it there`);
        }
      }
    } catch (err) {
      return this.drop('legacy_to_broker', ev.name, err, source.node);
    }
    let message: VectorData;
    try {
      message = this.config.network_timestamp
        ? makeEvent(ev.name, args, { networkTimestamp: secondsToNs(ev.time, `${ev.name}.time`) })
        : makeEvent(ev.name, args);
    } catch (err) {
      return this.drop('legacy_to_broker', ev.name, err, source.node);
    }
    const publications = this.topicsFor(source, ev.name).map((t) => ({ topic: t, message }));
    const forwards: LegacyPeerView[] = [];
    let d: EchoDigest | undefined;
    if (this.config.forward_remote_events) {
      for (const p of peers) {
        if (p.id === source.id || !p.running || !wantsEvent(p, ev.name)) continue;
        forwards.push(p);
        this.rememberEcho(p.id, ev.name, (d ??= argsDigest(args)));
      }
    }
    return { publications, forwards };
  }

  /**
   * A message from the hub. Returns one route per Zeek event in it (a Batch holds several); an
   * empty list when nothing goes to legacy peers. Events published by the bridge's own legacy
   * participants are ignored here (they were forwarded to legacy peers directly, if at all).
   */
  fromBroker(topicName: string, value: Data, origin: MessageOrigin, peers: Iterable<LegacyPeerView>): BrokerRoute[] {
    if (origin.participant !== undefined && this.participants.has(origin.participant)) return [];
    let msg: ZeekMessage;
    try {
      msg = parseZeekMessage(value);
    } catch (err) {
      this.drop('broker_to_legacy', topicName, translationError('not_an_event', `message on ${topicName} is not a Zeek message: ${(err as Error).message}`, { cause: err }), origin.hop);
      return [];
    }
    const events: ZeekEvent[] = [];
    const others: ZeekMessage[] = [];
    collectEvents(msg, events, others);
    for (const o of others) {
      this.drop('broker_to_legacy', topicName, translationError('not_an_event', `a Zeek ${o.kind} on ${topicName} has no legacy event form`), origin.hop);
    }
    if (events.length === 0) return [];
    const list = [...peers];
    const routes: BrokerRoute[] = [];
    for (const ev of events) {
      const targets = list.filter((p) => p.running && wantsEvent(p, ev.name));
      if (targets.length === 0) continue;
      let legacy: SerialEvent;
      try {
        legacy = brokerEventToLegacy(ev, this.cx, () => this.now() / 1000);
      } catch (err) {
        this.drop('broker_to_legacy', ev.name, err, origin.hop);
        continue;
      }
      if (this.config.echo_window_ms > 0) {
        // One digest per event, whatever the number of peers it goes to.
        const d = argsDigest(ev.args);
        for (const p of targets) this.rememberEcho(p.id, ev.name, d);
      }
      routes.push({ event: legacy, targets });
    }
    return routes;
  }

  private rememberEcho(peer: string | number, name: string, d: EchoDigest): void {
    if (this.config.echo_window_ms === 0) return;
    const now = this.now();
    const until = now + this.config.echo_window_ms;
    let byName = this.echoNames.get(peer);
    let en = byName?.get(name);
    if (en === undefined) {
      if (this.echoNameCount >= 4096) this.sweepEchoNames(now);
      if (byName === undefined) this.echoNames.set(peer, (byName = new Map()));
      // Ids are never reused: a swept name's entries have expired, and cannot match a new name.
      en = { id: this.nextEchoName++ | 0, until };
      byName.set(name, en);
      this.echoNameCount++;
    }
    en.until = until;
    this.echoes.remember(en.id, d, now, until);
  }

  private sweepEchoNames(now: number): void {
    for (const [peer, byName] of this.echoNames) {
      for (const [name, en] of byName) {
        if (en.until >= now) continue;
        byName.delete(name);
        this.echoNameCount--;
      }
      if (byName.size === 0) this.echoNames.delete(peer);
    }
  }
}

function collectEvents(msg: ZeekMessage, out: ZeekEvent[], others: ZeekMessage[]): void {
  if (msg.kind === 'event') out.push(msg);
  else if (msg.kind === 'batch') for (const m of msg.messages) collectEvents(m, out, others);
  else others.push(msg);
}

