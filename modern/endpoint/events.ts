// What an endpoint reports about its peerings (spec §4, §2.6): Broker's status and error events with
// Broker's texts, the EndpointInfo context Zeek's Broker::EndpointInfo record carries, and their
// data-vector form for local participants subscribed to `<$>/local/data/statuses` / `errors`.
import type { Data, VectorData } from '../data/index.ts';
import { ErrorCode, PeerStatus, StatusCode, errorCodeName, statusCodeName } from '../constants.ts';
import { NIL_ENDPOINT, type EndpointId } from '../native/endpoint-id.ts';
import type { MessageOrigin } from '../hub.ts';

/** Zeek's Broker::NetworkInfo, plus the retry interval Broker keeps with it (seconds, 0 = none). */
export interface NetworkInfo {
  readonly address: string;
  readonly bound_port: number;
  readonly retry: number;
}

/** Zeek's Broker::EndpointInfo; `id` is NIL_ENDPOINT when the peer's id is not known (a failed dial). */
export interface EndpointInfo {
  readonly id: EndpointId;
  readonly network?: NetworkInfo;
}

export interface PeerInfo {
  readonly peer: EndpointInfo;
  readonly status: PeerStatus;
  /** True when this endpoint dialled (Broker's peer_flags::outbound). */
  readonly outbound: boolean;
}

export type StatusName = 'endpoint_discovered' | 'peer_added' | 'peer_removed' | 'peer_lost' | 'endpoint_unreachable';

export interface StatusEvent {
  readonly code: StatusCode;
  /** Broker's lowercase name, e.g. `peer_added`. */
  readonly name: StatusName;
  readonly context: EndpointInfo;
  readonly message: string;
}

export interface ErrorEvent {
  readonly code: ErrorCode;
  /** Broker's lowercase name, e.g. `peer_unavailable`. */
  readonly name: string;
  readonly message: string;
  readonly context?: EndpointInfo;
  readonly cause?: unknown;
}

/** Something worth logging that Broker itself only logs (a dropped bad message, a failed TLS accept). */
export interface WarningEvent {
  readonly message: string;
  readonly context?: EndpointInfo;
  readonly cause?: unknown;
}

/** Broker's own texts (core_actor / peering). */
export const STATUS_TEXT: Record<StatusName, string> = {
  endpoint_discovered: 'found a new peer in the network',
  peer_added: 'handshake successful',
  peer_removed: 'removed connection to remote peer',
  peer_lost: 'lost connection to remote peer',
  endpoint_unreachable: 'lost the last path',
};

export const PEER_UNAVAILABLE_TEXT = 'unable to connect to remote peer';
export const CANNOT_UNPEER_TEXT = 'cannot unpeer from unknown peer';

const STATUS_CODES: Record<StatusName, StatusCode> = {
  endpoint_discovered: StatusCode.ENDPOINT_DISCOVERED,
  peer_added: StatusCode.PEER_ADDED,
  peer_removed: StatusCode.PEER_REMOVED,
  peer_lost: StatusCode.PEER_LOST,
  endpoint_unreachable: StatusCode.ENDPOINT_UNREACHABLE,
};

/** endpoint_discovered and endpoint_unreachable carry the id only, the peer_* statuses the network too. */
export function statusEvent(name: StatusName, peer: EndpointInfo): StatusEvent {
  const idOnly = name === 'endpoint_discovered' || name === 'endpoint_unreachable';
  return { code: STATUS_CODES[name], name, context: idOnly ? { id: peer.id } : peer, message: STATUS_TEXT[name] };
}

export function errorEvent(code: ErrorCode, message: string, context?: EndpointInfo, cause?: unknown): ErrorEvent {
  return {
    code,
    name: errorCodeName(code),
    message,
    ...(context !== undefined ? { context } : {}),
    ...(cause !== undefined ? { cause } : {}),
  };
}

/** Internal topics of §2.6; they never enter a peer filter. */
export const STATUSES_TOPIC = '<$>/local/data/statuses';
export const ERRORS_TOPIC = '<$>/local/data/errors';

const none: Data = { type: 'none' };
const str = (value: string): Data => ({ type: 'string', value });
const vec = (elements: Data[]): VectorData => ({ type: 'vector', elements });

/** Broker's endpoint_info as data: `[id, address, port/tcp, retry seconds]`, unknown parts none. */
export function endpointInfoToData(info: EndpointInfo): VectorData {
  const id = info.id === NIL_ENDPOINT ? none : str(info.id);
  const n = info.network;
  if (!n) return vec([id, none, none, none]);
  return vec([id, str(n.address), { type: 'port', number: n.bound_port, protocol: 'tcp' }, { type: 'count', value: Math.floor(n.retry) }]);
}

/** `["status", enum sc, endpoint_info, message]`. */
export function statusToData(e: StatusEvent): VectorData {
  return vec([str('status'), { type: 'enum_value', value: statusCodeName(e.code) }, endpointInfoToData(e.context), str(e.message)]);
}

/** `["error", enum ec, [endpoint_info, message]]`, or `[message]` without a context. */
export function errorToData(e: ErrorEvent): VectorData {
  const context = e.context ? vec([endpointInfoToData(e.context), str(e.message)]) : vec([str(e.message)]);
  return vec([str('error'), { type: 'enum_value', value: e.name }, context]);
}

export interface ListeningEvent {
  readonly address: string;
  readonly port: number;
}

/** Broker's status events, shared by the native Endpoint and the WebSocket client. */
export interface PeerStatusEvents {
  endpoint_discovered: (e: StatusEvent) => void;
  peer_added: (e: StatusEvent) => void;
  peer_removed: (e: StatusEvent) => void;
  peer_lost: (e: StatusEvent) => void;
  endpoint_unreachable: (e: StatusEvent) => void;
  /** Every status, after its own event (Zeek raises Broker::status only for `unspecified`). */
  status: (e: StatusEvent) => void;
}

/** Every event an Endpoint emits, with its listener signature. */
export interface EndpointEvents extends PeerStatusEvents {
  error: (e: ErrorEvent) => void;
  warning: (e: WarningEvent) => void;
  /** A data message on a topic the endpoint subscribed to (`subscribe`), not one it published. */
  data: (topic: string, value: Data, origin: MessageOrigin) => void;
  /** A listener bound (also after a retried listen). */
  listening: (e: ListeningEvent) => void;
}

type Listener = (...args: never[]) => void;

/**
 * A small typed emitter. Unlike Node's EventEmitter an `error` without listeners is not thrown, and
 * a listener that throws cannot corrupt the caller's state: the exception is rethrown asynchronously.
 */
export class TypedEmitter<E extends { [K in keyof E]: Listener }> {
  private listeners = new Map<keyof E, E[keyof E][]>();

  on<K extends keyof E>(name: K, fn: E[K]): this {
    const list = this.listeners.get(name);
    this.listeners.set(name, list ? [...list, fn] : [fn]);
    return this;
  }

  off<K extends keyof E>(name: K, fn: E[K]): this {
    const list = this.listeners.get(name);
    if (list) this.listeners.set(name, list.filter((f) => f !== fn));
    return this;
  }

  once<K extends keyof E>(name: K, fn: E[K]): this {
    const wrapper = ((...args: Parameters<E[K]>) => {
      this.off(name, wrapper);
      (fn as (...a: Parameters<E[K]>) => void)(...args);
    }) as E[K];
    return this.on(name, wrapper);
  }

  listenerCount(name: keyof E): number {
    return this.listeners.get(name)?.length ?? 0;
  }

  /** The listeners of `name` now (a snapshot: on/off replace the array), for emitting on hot paths without `emit`'s argument array. */
  protected listenersOf<K extends keyof E>(name: K): readonly E[K][] | undefined {
    return this.listeners.get(name) as E[K][] | undefined;
  }

  protected emit<K extends keyof E>(name: K, ...args: Parameters<E[K]>): void {
    const list = this.listeners.get(name);
    if (!list) return;
    for (const fn of list) {
      try {
        (fn as (...a: Parameters<E[K]>) => void)(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

export { PeerStatus, StatusCode, ErrorCode };
