// One node's view of the cluster, as Zeek's Cluster framework keeps it (main.zeek and the Broker
// backend script, Zeek 7/8), driven by the endpoint's status events and by data messages:
// - on every new peering (peer_added) it publishes Cluster::hello(<own node name>, <own endpoint id>)
//   on the *peer's* node-id topic, zeek/cluster/nodeid/<peer id>/;
// - a received hello raises node_up(name, id) when `name` is a layout node without an id yet; an
//   unknown name is an error ("unexpected node"), a different id for a known name a "duplicate node"
//   error (Zeek then still takes the new id, and counts both as active, as here);
// - node_down(name, id) comes only from peer_lost of an endpoint id a layout node carries.
// The endpoint is reached through the MessageHub seam only, so this works on the native endpoint,
// on a LocalHub in tests, and on each per-legacy-node endpoint the bridge runs.
import { BridgeError } from '../../src/core/errors.ts';
import { StatusCode } from '../constants.ts';
import { asZeekMessage, makeEvent, type Data, type EventOptions } from '../data/index.ts';
import type { MessageHub, MessageOrigin, ParticipantHandle } from '../hub.ts';
import type { ClusterLogEntry } from './cluster-log.ts';
import { ClusterLayout, type ClusterNode, type NamedNode, type NodeType } from './layout.ts';
import { clusterSubscriptions, clusterTopics, node_topic, nodeid_topic, type ClusterTopics } from './topics.ts';

export class ClusterError extends BridgeError<'unknown_node'> {}

export interface ClusterEventHandlers {
  /** Cluster::node_up. */
  node_up?(name: string, id: string): void;
  /** Cluster::node_down. */
  node_down?(name: string, id: string): void;
  /** What Zeek reports with Reporter::error. */
  error?(message: string): void;
}

/** The part of a Broker status event the view needs (the endpoint's StatusEvent has it). */
export interface ClusterStatusInput {
  readonly code: number;
  readonly context: { readonly id: string };
}

export interface ClusterViewOptions {
  layout: ClusterLayout;
  /** This endpoint's node name in the layout (Cluster::node). */
  node: string;
  hub: MessageHub;
  events?: ClusterEventHandlers;
  /** cluster.log lines. */
  log?: (entry: ClusterLogEntry) => void;
  /** Wall clock in ms (cluster.log ts). */
  now?: () => number;
  /**
   * Metadata of the hello event: `empty` sends an empty metadata vector (Zeek 8's default),
   * `network_timestamp` a NetworkTimestamp of `now` (Zeek 6/7), `none` a 2-element event.
   */
  helloMetadata?: 'empty' | 'network_timestamp' | 'none';
  /** Data messages on the view's topics other than Cluster::hello (events for the node). */
  onMessage?: (topic: string, value: Data, origin: MessageOrigin) => void;
  /** More topic prefixes for the view's participant to receive. */
  extraSubscriptions?: readonly string[];
}

const NONE_NODE: ClusterNode = { node_type: 'NONE', ip: '0.0.0.0', zone_id: '', p: 0 };

export class ClusterView {
  readonly layout: ClusterLayout;
  readonly node: string;
  readonly topics: ClusterTopics;
  private readonly hub: MessageHub;
  private readonly options: ClusterViewOptions;
  private readonly now: () => number;
  /** Node name -> endpoint id (Cluster::Node$id), set by hello, cleared by peer_lost. */
  private readonly ids = new Map<string, string>();
  /** active_node_ids. */
  private readonly active = new Map<NodeType, Set<string>>();
  private handle: ParticipantHandle | undefined;

  constructor(options: ClusterViewOptions) {
    this.layout = options.layout;
    this.node = options.node;
    if (this.layout.node(options.node) === undefined) {
      throw new ClusterError('unknown_node', `'${options.node}' is not a valid node in the Cluster::nodes configuration`, { field: 'cluster.nodes' });
    }
    this.hub = options.hub;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.topics = clusterTopics(this.layout);
  }

  /** Cluster::node_id(): the endpoint id of this node. */
  get node_id(): string {
    return this.hub.nodeId;
  }

  /** Cluster::local_node_type(). */
  local_node_type(): NodeType {
    return this.layout.node(this.node)!.node_type;
  }

  /** The topic prefixes this node receives (setup-subscriptions.zeek). */
  subscriptions(): string[] {
    const own = clusterSubscriptions(this.local_node_type(), this.node, this.node_id, { managerIsLogger: this.layout.config.manager_is_logger, topics: this.topics });
    return [...new Set([...own, ...(this.options.extraSubscriptions ?? [])])];
  }

  /** Attaches to the hub with the node's subscriptions. */
  start(): void {
    if (this.handle !== undefined) return;
    this.handle = this.hub.attach({ id: `cluster-view:${this.node}`, onData: (topic, value, origin) => this.onData(topic, value, origin) }, this.subscriptions());
  }

  stop(): void {
    this.handle?.close();
    this.handle = undefined;
  }

  /** Feed every Broker status event of the endpoint here (peer_added, peer_lost matter). */
  handleStatus(s: ClusterStatusInput): void {
    if (s.code === StatusCode.PEER_ADDED) this.sendHello(s.context.id);
    else if (s.code === StatusCode.PEER_LOST) this.peerLost(s.context.id);
  }

  /** Cluster::log: a cluster.log line from this node. */
  log(message: string): void {
    this.options.log?.({ ts: this.now() / 1000, node: this.node, message });
  }

  private sendHello(peerId: string): void {
    if (this.handle === undefined) return;
    const mode = this.options.helloMetadata ?? 'empty';
    const opts: EventOptions = mode === 'empty' ? { metadata: [] } : mode === 'network_timestamp' ? { networkTimestamp: BigInt(Math.round(this.now())) * 1_000_000n } : {};
    const hello = makeEvent('Cluster::hello', [{ type: 'string', value: this.node }, { type: 'string', value: this.node_id }], opts);
    this.handle.publish(nodeid_topic(peerId, this.topics), hello);
  }

  private onData(topic: string, value: Data, origin: MessageOrigin): void {
    const msg = asZeekMessage(value);
    if (msg?.kind === 'event' && msg.name === 'Cluster::hello') {
      const [name, id] = msg.args;
      if (name?.type === 'string' && id?.type === 'string' && typeof name.value === 'string' && typeof id.value === 'string' && msg.args.length === 2) {
        this.hello(name.value, id.value);
      } else {
        this.options.events?.error?.('Cluster::hello with arguments other than (name: string, id: string)');
      }
      return;
    }
    this.options.onMessage?.(topic, value, origin);
  }

  /** The Cluster::hello handler. */
  hello(name: string, id: string): void {
    const n = this.layout.node(name);
    if (n === undefined) {
      this.options.events?.error?.(`Got Cluster::hello msg from unexpected node: ${name}`);
      return;
    }
    const known = this.ids.get(name);
    if (known !== undefined) {
      if (known !== id) this.options.events?.error?.(`Got Cluster::hello msg from duplicate node:${name}`);
    } else this.options.events?.node_up?.(name, id);
    this.ids.set(name, id);
    this.log(`got hello from ${name} (${id})`);
    let set = this.active.get(n.node_type);
    if (set === undefined) this.active.set(n.node_type, (set = new Set()));
    set.add(id);
  }

  private peerLost(peerId: string): void {
    for (const [name, id] of this.ids) {
      if (id !== peerId) continue;
      this.log(`node down: ${name}`);
      this.ids.delete(name);
      this.active.get(this.layout.node(name)!.node_type)?.delete(id);
      this.options.events?.node_down?.(name, id);
      break;
    }
  }

  /** Cluster::get_node_count. */
  get_node_count(type: NodeType): number {
    return this.layout.get_node_count(type);
  }

  /** Cluster::get_active_node_count: distinct ids of this type that said hello and are not down. */
  get_active_node_count(type: NodeType): number {
    return this.active.get(type)?.size ?? 0;
  }

  /** Cluster::nodeid_to_node: the node carrying this id, or name "" with a NONE node. */
  nodeid_to_node(id: string): NamedNode {
    for (const [name, nid] of this.ids) if (nid === id) return { name, node: this.layout.node(name)! };
    return { name: '', node: NONE_NODE };
  }

  /** Every layout node with the id it carries now (for `comm-bridge status`). */
  snapshot(): { name: string; node_type: NodeType; id?: string }[] {
    return Object.entries(this.layout.nodes).map(([name, n]) => {
      const id = this.ids.get(name);
      return id === undefined ? { name, node_type: n.node_type } : { name, node_type: n.node_type, id };
    });
  }

  /** The endpoint id a layout node currently carries (Cluster::nodes[name]$id). */
  idOf(name: string): string | undefined {
    return this.ids.get(name);
  }

  node_topic(name: string): string {
    return node_topic(name, this.topics);
  }

  nodeid_topic(id: string): string {
    return nodeid_topic(id, this.topics);
  }
}
