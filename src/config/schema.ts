// The daemon's configuration: one zod schema composing the sections each part defines —
// `legacy` (Bro's Communication:: options and nodes table), `broker` (Zeek's Broker:: endpoint
// options plus what to listen on and whom to peer with), `websocket` (Cluster::listen_websocket's
// options plus outbound connections to a Zeek 8 WebSocket API), the translation sections `types`,
// `routing`, `logs`, the `cluster` layout, the synchronized-state `state` store, and the bridge's
// own `node`, logs and `status` listener. Every section has defaults; `{}` is a valid config.
import { z } from 'zod';
import { intervalSchema, legacyConfigSchema, tcpPortSchema } from '../../legacy/config/index.ts';
import { clusterLayoutSchema } from '../../modern/cluster/index.ts';
import { EndpointOptionsSchema } from '../../modern/endpoint/index.ts';
import { ClusterStoreConfigSchema, StoreInfoSchema, resolveStore, StoreError, type ClusterLayout as StoreLayout, type ClusterStoreConfig } from '../../modern/store/index.ts';
import { ReconnectOptionsSchema, WebSocketClientOptionsSchema, WebSocketServerOptionsSchema } from '../../modern/websocket/options.ts';
import { translationConfigSchema } from '../translate/translator.ts';

// Every port and interval of the daemon config takes the forms of the `legacy` and `cluster`
// sections: a port is 47757 or "47757/tcp", an interval is seconds or Zeek text ("30 secs",
// "500 msecs"). The text is turned into the number the section's own schema expects, which then
// applies its own range and default.
type NumberField = z.ZodType<unknown, number | undefined>;
/** `field` (a number schema of a section, with its default) also taking the text form of a port. */
const portOf = <T extends NumberField>(service: string, field: T) => tcpPortSchema(service).optional().pipe(field);
/** `field` (seconds, with its default) also taking Zeek interval text. */
const intervalOf = <T extends NumberField>(field: T) => intervalSchema.optional().pipe(field);

const port = tcpPortSchema('the Broker endpoint');
const seconds = intervalSchema;

/** Port of the status / metrics listener: next to Zeek 8's WebSocket 27759, below zeekctl's 27760+. */
export const DEFAULT_STATUS_PORT = 27758;
/** Name of the Broker master store holding legacy &synchronized state. */
export const DEFAULT_STATE_STORE = 'comm-bridge/legacy-state';

/** One Broker::peer the bridge keeps up. */
export const brokerPeerSchema = z.strictObject({
  address: z.string().min(1),
  /** Default: `default_port`. */
  port: port.optional(),
  /** Seconds between attempts; default `default_connect_retry`, 0 = a single attempt. */
  retry: seconds.optional(),
});

const endpoint = EndpointOptionsSchema.shape;

/** Zeek's Broker:: options (EndpointOptionsSchema), plus listen on/off and the peers to dial. */
export const brokerSectionSchema = EndpointOptionsSchema.extend({
  default_port: portOf('the Broker endpoint', endpoint.default_port),
  default_connect_retry: intervalOf(endpoint.default_connect_retry),
  default_listen_retry: intervalOf(endpoint.default_listen_retry),
  unpeer_timeout: intervalOf(endpoint.unpeer_timeout),
  connect_timeout: intervalOf(endpoint.connect_timeout),
  handshake_timeout: intervalOf(endpoint.handshake_timeout),
  /** Broker::listen(default_listen_address, default_port, default_listen_retry) at start. */
  listen: z.boolean().default(true),
  default_listen_address: z.string().default('127.0.0.1'),
  peers: z.array(brokerPeerSchema).default([]),
});

const wsServer = WebSocketServerOptionsSchema.shape;
const wsClient = WebSocketClientOptionsSchema.shape;
const reconnect = ReconnectOptionsSchema.shape;

/** An outbound WebSocket connection: WebSocketClientOptions with Zeek interval text accepted. */
const websocketClientSchema = WebSocketClientOptionsSchema.extend({
  reconnect: z
    .union([z.literal(false), ReconnectOptionsSchema.extend({ initial_delay: intervalOf(reconnect.initial_delay), max_delay: intervalOf(reconnect.max_delay) })])
    .default(() => wsClient.reconnect.parse(undefined)),
  connect_timeout: intervalOf(wsClient.connect_timeout),
  ping_interval: intervalOf(wsClient.ping_interval),
});

/** Cluster::WebSocketServerOptions plus listen on/off and outbound clients (to a Zeek 8 `Cluster::listen_websocket`). */
export const websocketSectionSchema = WebSocketServerOptionsSchema.extend({
  listen_port: portOf('the WebSocket server', wsServer.listen_port),
  ping_interval: intervalOf(wsServer.ping_interval),
  listen: z.boolean().default(true),
  /** Connections the bridge opens to other WebSocket servers; `subscriptions` default to the routing's topics. */
  clients: z.array(websocketClientSchema).default([]),
});

export const statusSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  address: z.string().min(1).default('127.0.0.1'),
  port: tcpPortSchema('the status listener').default(DEFAULT_STATUS_PORT),
});

const clusterStores = ClusterStoreConfigSchema.shape;

export const stateSectionSchema = z.strictObject({
  /** Keep legacy &synchronized state in a Broker data store on the bridge's endpoint. */
  enabled: z.boolean().default(true),
  /** The store's name: Broker clones attach to it by name (`Broker::create_clone`). */
  store: z.string().min(1).default(DEFAULT_STATE_STORE),
  /** Declared legacy types of globals (Zeek syntax), for values written on the Broker side. */
  globals: z.record(z.string().min(1), z.string().min(1)).default({}),
  /**
   * `Cluster::create_store(store, persistent)`: a persistent store gets `default_persistent_backend`
   * (SQLite) and survives a restart of the bridge. Where the master lives follows the Cluster
   * framework: with the bridge's own `node` in the cluster layout, the store is a clone unless the
   * bridge is its master node; outside a cluster (the default) the bridge holds the master.
   */
  persistent: z.boolean().default(false),
  // Zeek's Cluster:: store options, same names and defaults; intervals also as Zeek text.
  ...ClusterStoreConfigSchema.shape,
  default_clone_resync_interval: intervalOf(clusterStores.default_clone_resync_interval),
  default_clone_stale_interval: intervalOf(clusterStores.default_clone_stale_interval),
  default_clone_mutation_buffer_interval: intervalOf(clusterStores.default_clone_mutation_buffer_interval),
  stores: z
    .record(
      z.string(),
      StoreInfoSchema.extend({
        clone_resync_interval: intervalOf(StoreInfoSchema.shape.clone_resync_interval),
        clone_stale_interval: intervalOf(StoreInfoSchema.shape.clone_stale_interval),
        clone_mutation_buffer_interval: intervalOf(StoreInfoSchema.shape.clone_mutation_buffer_interval),
      }),
    )
    .default({}),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `legacy` section, listening on loopback unless listen_interface says otherwise (Bro's default is 0.0.0.0). */
export const legacySectionSchema = z
  .preprocess((v) => (isObject(v) && !('listen_interface' in v) ? { ...v, listen_interface: '127.0.0.1' } : v), legacyConfigSchema)
  .default(() => legacyConfigSchema.parse({ listen_interface: '127.0.0.1' }));

const CLUSTER_ROLES_FOR_LEGACY = new Set(['WORKER', 'PROXY']);

export const bridgeConfigSchema = z
  .strictObject({
    /** The bridge's name: cluster.log / broker.log lines, the status output. */
    node: z.string().min(1).default('comm-bridge'),
    /** Where communication.log, cluster.log, broker.log and legacy remote logs go. */
    log_dir: z.string().min(1).default('.'),
    /** Zeek TSV, or JSON lines (LogAscii::use_json); applies to every log. */
    log_format: z.enum(['ascii', 'json']).default('ascii'),
    log_timezone: z.enum(['local', 'utc']).default('local'),
    status: statusSectionSchema.default(statusSectionSchema.parse({})),
    legacy: legacySectionSchema,
    broker: brokerSectionSchema.default(brokerSectionSchema.parse({})),
    websocket: websocketSectionSchema.default(websocketSectionSchema.parse({})),
    ...translationConfigSchema.shape,
    cluster: clusterLayoutSchema.default(clusterLayoutSchema.parse({})),
    state: stateSectionSchema.default(stateSectionSchema.parse({})),
  })
  .superRefine((c, ctx) => {
    if (c.state.enabled) {
      // Cluster::create_store's placement, checked here so the error names the config path.
      const { name, persistent, layout, config } = stateStorePlacement(c);
      try {
        resolveStore(name, persistent, layout, config);
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        const own = c.state.stores[name]?.master_node !== undefined;
        ctx.addIssue({ code: 'custom', path: own ? ['state', 'stores', name, 'master_node'] : ['state', 'default_master_node'], message: err.message.replace(/^store "[^"]*": /, '') });
      }
    }
    if (c.routing.forward_remote_events && c.legacy.forward_remote_events) {
      ctx.addIssue({ code: 'custom', path: ['routing', 'forward_remote_events'], message: 'set forward_remote_events in routing or in legacy, not both (events would be forwarded twice)' });
    }
    // A legacy node that plays a cluster role gets its own Broker endpoint, which dials the layout's
    // peers for its role (manager, proxies, loggers): it must be a dialling role, and they need ports.
    for (const name of Object.keys(c.legacy.nodes)) {
      const n = c.cluster.nodes[name];
      if (n === undefined) continue;
      if (!CLUSTER_ROLES_FOR_LEGACY.has(n.node_type)) {
        ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', name, 'node_type'], message: `legacy node "${name}" can play WORKER or PROXY through the bridge, not ${n.node_type}` });
      }
    }
    for (const [name, n] of Object.entries(c.cluster.nodes)) {
      if (c.legacy.nodes[name] === undefined || n.manager === undefined) continue;
      const m = c.cluster.nodes[n.manager];
      if (m !== undefined && m.p === 0) {
        ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', n.manager, 'p'], message: `legacy node "${name}" peers with its manager "${n.manager}", which needs a port` });
      }
    }
  });

/** The arguments of `Cluster::create_store` for the state section (what resolveStore/createStore take). */
export interface StateStorePlacement {
  readonly name: string;
  readonly persistent: boolean;
  /** Cluster::node is the bridge's own name when the layout has it, else '' (no cluster). */
  readonly layout: StoreLayout;
  readonly config: ClusterStoreConfig;
}

export function stateStorePlacement(c: { node: string; cluster: { nodes: StoreLayout['nodes'] }; state: z.output<typeof stateSectionSchema> }): StateStorePlacement {
  const { enabled: _e, store: name, globals: _g, persistent, ...config } = c.state;
  return { name, persistent, layout: { nodes: c.cluster.nodes, node: c.cluster.nodes[c.node] !== undefined ? c.node : '' }, config };
}

export type BridgeConfigInput = z.input<typeof bridgeConfigSchema>;
export type BridgeConfig = z.output<typeof bridgeConfigSchema>;
export type BrokerSection = BridgeConfig['broker'];
export type WebSocketSection = BridgeConfig['websocket'];
export type StatusSection = BridgeConfig['status'];
export type StateSection = BridgeConfig['state'];
