import type { LogCreateWriter, LogEntry } from '../codec/log-codec.ts';
import type { BroVal } from '../codec/model.ts';
import type { EventPeer } from '../peer/types.ts';

// The events the framework raises, named and shaped as Bro's (`remote_connection_established(p)`
// ...), plus the three a bridge needs that Bro handles internally: events received from peers,
// and remote log streams.

/** An event received from a peer whose input is accepted. */
export interface RemoteEvent {
  name: string;
  args: BroVal[];
  /** The sender's network time (Bro) or wall clock (Broccoli), seconds. */
  time: number;
  /** The source peer; pass `peer.id` as `exceptPeer` when relaying, so it never loops back. */
  peer: EventPeer;
  /** The `nodes` entry the peer matched. */
  node: string | undefined;
}

export interface CommunicationEvents {
  remote_connection_established: [p: EventPeer];
  remote_connection_handshake_done: [p: EventPeer];
  remote_connection_closed: [p: EventPeer];
  remote_connection_error: [p: EventPeer, reason: string];
  remote_capture_filter: [p: EventPeer, filter: string];
  remote_event_registered: [p: EventPeer, name: string];
  remote_state_inconsistency: [operation: string, id: string, expected_old: string, real_old: string];
  remote_state_access_performed: [id: string, v: BroVal];
  /** level 1 info / 2 error; src 1 child, 2 parent, 3 script. */
  remote_log: [level: number, src: number, msg: string];
  remote_log_peer: [p: EventPeer, level: number, src: number, msg: string];
  /** d1 = full round trip, d2 = our side's share, d3 = the peer's turnaround (seconds). */
  remote_pong: [p: EventPeer, seq: number, d1: number, d2: number, d3: number];
  /** Bro's print_hook(f, s); the peer that sent the REMOTE_PRINT comes third. */
  print_hook: [f: string, s: string, p: EventPeer];
  remote_event: [e: RemoteEvent];
  remote_log_create_writer: [p: EventPeer, writer: LogCreateWriter];
  remote_log_write: [p: EventPeer, entries: LogEntry[]];
}

type Listener<A extends unknown[]> = (...args: A) => void;

/** A small typed event emitter. A listener that throws is reported through `onListenerError`. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners = new Map<keyof E, Listener<never[]>[]>();
  /** Where listener exceptions go (they must not break a connection's message loop). */
  onListenerError: (event: keyof E, err: unknown) => void = (event, err) => {
    queueMicrotask(() => {
      throw err instanceof Error ? err : new Error(`listener for ${String(event)} threw ${String(err)}`);
    });
  };

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    const list = this.listeners.get(event) ?? [];
    list.push(fn as unknown as Listener<never[]>);
    this.listeners.set(event, list);
    return this;
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    const list = this.listeners.get(event);
    if (list !== undefined) {
      const i = list.indexOf(fn as unknown as Listener<never[]>);
      if (i >= 0) list.splice(i, 1);
    }
    return this;
  }

  once<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    const wrapper = (...args: E[K]): void => {
      this.off(event, wrapper);
      fn(...args);
    };
    return this.on(event, wrapper);
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) return;
    for (const fn of [...list]) {
      try {
        (fn as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }
}
