import { canonicalAddress } from '../config/address.ts';
import { broPattern, expandPattern, type BroPattern } from '../config/pattern.ts';
import type { LegacyConfig, NodeConfig } from '../config/schema.ts';
import type { EventPeer, PeerSetup } from '../peer/types.ts';

// `Communication::Node` at runtime: the configured fields with their defaults resolved, plus
// the runtime fields `peer` and `connected`. The same object sits in `nodes`, `pending_peers`
// and `connected_peers`, as a Bro record does.

export interface Node {
  readonly name: string;
  readonly host: string;
  readonly zone_id: string | undefined;
  /** Port to connect to (the node's p, else listen_port). */
  readonly p: number;
  readonly class: string | undefined;
  readonly events: BroPattern | undefined;
  readonly connect: boolean;
  /** Seconds; 0 = no reconnect. */
  readonly retry: number;
  readonly accept_input: boolean;
  readonly sync: boolean;
  readonly request_logs: boolean;
  readonly auth: boolean;
  readonly capture_filter: string | undefined;
  readonly ssl: boolean;
  /** Resolved: the node's compression, else compression_level. */
  readonly compression: number;
  peer: EventPeer | undefined;
  connected: boolean;
}

export function resolveNode(name: string, n: NodeConfig, config: Pick<LegacyConfig, 'listen_port' | 'compression_level'>): Node {
  return {
    name,
    host: n.host,
    zone_id: n.zone_id,
    p: n.p ?? config.listen_port,
    class: n.class,
    events: n.events === undefined ? undefined : broPattern(n.events),
    connect: n.connect,
    retry: n.retry,
    accept_input: n.accept_input,
    sync: n.sync,
    request_logs: n.request_logs,
    auth: n.auth,
    capture_filter: n.capture_filter,
    ssl: n.ssl,
    compression: n.compression ?? config.compression_level,
    peer: undefined,
    connected: false,
  };
}

/**
 * The node an inbound peer falls under (Bro's remote_connection_established): same host, and
 * either both classes empty/absent or both equal. First match in table order.
 */
export function matchInbound(nodes: Iterable<Node>, host: string, peerClass: string | undefined): Node | undefined {
  const h = canonicalAddress(host);
  const pc = peerClass ?? '';
  for (const node of nodes) {
    if (node.host !== h) continue;
    const nc = node.class ?? '';
    if ((pc === '') !== (nc === '') || pc !== nc) continue;
    return node;
  }
  return undefined;
}

/** Bro's setup_peer: what we ask of a peer its node allows. */
export function setupFor(node: Node, knownEvents: Iterable<string>): PeerSetup {
  return {
    node: node.name,
    requestEvents: node.events === undefined ? [] : expandPattern(node.events, knownEvents),
    captureFilter: node.capture_filter,
    acceptInput: node.accept_input,
    compression: node.compression,
    sync: node.sync ? { auth: node.auth } : undefined,
    requestLogs: node.request_logs,
  };
}

/** A peer no node matches: it may connect and get what it asks for; nothing it sends is accepted. */
export function setupUnmatched(compressionLevel: number): PeerSetup {
  return { node: undefined, requestEvents: [], captureFilter: undefined, acceptInput: false, compression: compressionLevel, sync: undefined, requestLogs: false };
}
