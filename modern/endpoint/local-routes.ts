// Everything inside the endpoint process that receives messages: attached local participants
// (WebSocket clients, stores, the bridge) and the endpoint's own subscriptions. Matching is Broker's
// plain prefix test; the members matching a topic are cached until a filter changes, so a busy
// topic costs one map lookup per message.
import type { Data } from '../data/index.ts';
import type { LocalParticipant, MessageOrigin } from '../hub.ts';
import type { CommandMessage } from '../native/store-commands.ts';
import { normalizeFilter } from '../native/filter.ts';
import { RESERVED_TOPIC } from '../native/wire-constants.ts';

export interface Member {
  readonly participant: LocalParticipant;
  filter: readonly string[];
  open: boolean;
  /** The origin its publications carry. */
  readonly origin: MessageOrigin;
}

const EMPTY: readonly Member[] = [];

export class LocalRoutes {
  private members: readonly Member[] = [];
  private cache = new Map<string, readonly Member[]>();
  /** The last topic matched (a busy peer or publisher stays on one topic): skips the map. */
  private lastTopic: string | undefined;
  private lastHit: readonly Member[] = EMPTY;

  add(participant: LocalParticipant, filter: readonly string[], origin: MessageOrigin): Member {
    const m: Member = { participant, filter: normalizeFilter(filter), open: true, origin };
    this.members = [...this.members, m];
    this.invalidate();
    return m;
  }

  remove(m: Member): void {
    if (!m.open) return;
    m.open = false;
    this.members = this.members.filter((x) => x !== m);
    this.invalidate();
  }

  setFilter(m: Member, filter: readonly string[]): void {
    m.filter = normalizeFilter(filter);
    this.invalidate();
  }

  get size(): number {
    return this.members.length;
  }

  /** Members whose filter matches `topic` (a snapshot: safe to iterate while members change). */
  match(topic: string): readonly Member[] {
    if (topic === this.lastTopic) return this.lastHit;
    let hit = this.cache.get(topic);
    if (hit === undefined) {
      const found: Member[] = [];
      for (const m of this.members) {
        for (const p of m.filter) {
          if (topic.startsWith(p)) {
            found.push(m);
            break;
          }
        }
      }
      hit = found.length > 0 ? found : EMPTY;
      if (this.cache.size >= 4096) this.cache.clear();
      this.cache.set(topic, hit);
    }
    this.lastTopic = topic;
    this.lastHit = hit;
    return hit;
  }

  private invalidate(): void {
    this.cache.clear();
    this.lastTopic = undefined;
  }

  /** Every prefix that belongs in the filter announced to peers (internal `<$>` topics never do). */
  announceable(): string[] {
    const out: string[] = [];
    for (const m of this.members) for (const p of m.filter) if (!isInternalTopic(p)) out.push(p);
    return out;
  }
}

/** A participant that throws must not cost the others their message or break the connection's read loop. */
function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export function deliverData(m: Member, topic: string, value: Data, origin: MessageOrigin): void {
  try {
    m.participant.onData?.(topic, value, origin);
  } catch (err) {
    rethrowLater(err);
  }
}

export function deliverCommand(m: Member, topic: string, command: CommandMessage, origin: MessageOrigin, receiver: string | undefined): void {
  try {
    m.participant.onCommand?.(topic, command, origin, receiver);
  } catch (err) {
    rethrowLater(err);
  }
}

/** Internal topics (`<$>`, `<$>/local/...`) stay on the endpoint that produced them. */
export function isInternalTopic(topic: string): boolean {
  return topic.startsWith(RESERVED_TOPIC);
}
