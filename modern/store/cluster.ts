// Zeek's `Cluster::create_store(name, persistent)` with `Cluster::stores` and the cluster
// framework's store defaults (base/frameworks/cluster/main.zeek), as configuration (snake_case
// names and intervals in seconds, like the script options):
//   default_master_node = ""  (empty: the manager, the first MANAGER node by name)
//   default_backend = Broker::MEMORY, default_persistent_backend = Broker::SQLITE
//   default_store_dir = ""    (set: SQLite files are <dir>/<name>.sqlite unless a path is given)
//   clone intervals: Broker::default_clone_resync_interval 10 s, _stale_interval 5 min,
//   _mutation_buffer_interval 2 min.
// The master lives on `master_node`, every other node gets a clone; without a cluster
// (Cluster::node empty) the local node is the master.
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.ts';
import type { MessageHub } from '../hub.ts';
import { MemoryBackend, type BackendType, type StoreBackend } from './backend.ts';
import { CloneStore } from './clone.ts';
import type { ChannelTiming } from './constants.ts';
import { StoreError } from './errors.ts';
import { MasterStore } from './master.ts';
import { SqliteBackend, type SqliteOptions } from './sqlite-backend.ts';

const seconds = z.number().finite();
const backendType = z.enum(['MEMORY', 'SQLITE']);

/** Broker::BackendOptions (only `sqlite` exists in Zeek 8). */
const BackendOptionsSchema = z
  .object({
    sqlite: z
      .object({
        path: z.string().default(''),
        synchronous: z.enum(['OFF', 'NORMAL', 'FULL', 'EXTRA']).optional(),
        journal_mode: z.enum(['DELETE', 'WAL', 'TRUNCATE']).optional(),
        failure_mode: z.enum(['FAIL', 'DELETE']).optional(),
        integrity_check: z.boolean().optional(),
      })
      .strict()
      .default({ path: '' }),
  })
  .strict();

/** One `Cluster::stores` entry (Cluster::StoreInfo without the runtime fields). */
export const StoreInfoSchema = z
  .object({
    master_node: z.string().optional(),
    backend: backendType.optional(),
    options: BackendOptionsSchema.optional(),
    clone_resync_interval: seconds.optional(),
    clone_stale_interval: seconds.optional(),
    clone_mutation_buffer_interval: seconds.optional(),
  })
  .strict();

export const ClusterStoreConfigSchema = z
  .object({
    default_master_node: z.string().default(''),
    default_backend: backendType.default('MEMORY'),
    default_persistent_backend: backendType.default('SQLITE'),
    default_store_dir: z.string().default(''),
    default_clone_resync_interval: seconds.default(10),
    default_clone_stale_interval: seconds.default(300),
    default_clone_mutation_buffer_interval: seconds.default(120),
    stores: z.record(z.string(), StoreInfoSchema).default({}),
  })
  .strict();

export type ClusterStoreConfig = z.input<typeof ClusterStoreConfigSchema>;
export type StoreInfo = z.input<typeof StoreInfoSchema>;

/** Cluster::NodeType names; `Cluster::MANAGER` and `MANAGER` are both accepted. */
export type NodeType = 'NONE' | 'CONTROL' | 'LOGGER' | 'MANAGER' | 'PROXY' | 'WORKER';

export interface ClusterLayout {
  /** Cluster::nodes: name → node type. */
  readonly nodes: Readonly<Record<string, { readonly node_type: string }>>;
  /** Cluster::node, the local node's name; '' = not in a cluster. */
  readonly node: string;
}

/** What create_store decided for this node. */
export interface ResolvedStore {
  readonly name: string;
  readonly role: 'master' | 'clone';
  /** The node holding the master ('' when not in a cluster). */
  readonly masterNode: string;
  readonly backend: BackendType;
  /** SQLite file (also set for MEMORY, as Zeek does; used only with SQLITE). */
  readonly sqlite: Omit<SqliteOptions, 'store'>;
  /** Clone intervals in milliseconds. */
  readonly resyncIntervalMs: number;
  readonly staleIntervalMs: number;
  readonly mutationBufferIntervalMs: number;
}

function nodeType(t: string): string {
  return t.replace(/^Cluster::/, '');
}

function bad(name: string, message: string): StoreError {
  return new StoreError('invalid_config', name, message);
}

/** Cluster::create_store's decisions, without creating anything. Throws StoreError('invalid_config'). */
export function resolveStore(name: string, persistent: boolean, layout: ClusterLayout, config: ClusterStoreConfig = {}): ResolvedStore {
  const parsed = ClusterStoreConfigSchema.safeParse(config);
  if (!parsed.success) throw bad(name, `bad store configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  const info = c.stores[name] ?? {};
  const sqliteIn = BackendOptionsSchema.parse(info.options ?? {}).sqlite;
  let path = sqliteIn.path;
  if (c.default_store_dir !== '' && path === '') path = `${c.default_store_dir.replace(/\/+$/, '')}/${name}.sqlite`;
  if (path === '') path = `${name}.sqlite`; // Broker derives it from the store name
  let backend = info.backend ?? c.default_backend;
  if (persistent && backend === 'MEMORY') backend = c.default_persistent_backend;
  let masterNode = info.master_node ?? c.default_master_node;
  let role: 'master' | 'clone' = 'master';
  if (layout.node !== '') {
    if (masterNode === '') {
      const managers = Object.keys(layout.nodes)
        .filter((n) => nodeType(layout.nodes[n]!.node_type) === 'MANAGER')
        .sort();
      if (managers.length === 0) throw bad(name, "empty master node name for cluster store, but there's no manager node to default");
      masterNode = managers[0]!;
    } else if (!(masterNode in layout.nodes)) {
      throw bad(name, `master node '${masterNode}' for cluster store does not exist`);
    }
    role = layout.node === masterNode ? 'master' : 'clone';
  }
  const sqlite: Omit<SqliteOptions, 'store'> = {
    path,
    ...(sqliteIn.synchronous ? { synchronous: sqliteIn.synchronous } : {}),
    ...(sqliteIn.journal_mode ? { journalMode: sqliteIn.journal_mode } : {}),
    ...(sqliteIn.failure_mode ? { failureMode: sqliteIn.failure_mode } : {}),
    ...(sqliteIn.integrity_check !== undefined ? { integrityCheck: sqliteIn.integrity_check } : {}),
  };
  return {
    name,
    role,
    masterNode,
    backend,
    sqlite,
    resyncIntervalMs: (info.clone_resync_interval ?? c.default_clone_resync_interval) * 1000,
    staleIntervalMs: (info.clone_stale_interval ?? c.default_clone_stale_interval) * 1000,
    mutationBufferIntervalMs: (info.clone_mutation_buffer_interval ?? c.default_clone_mutation_buffer_interval) * 1000,
  };
}

export interface CreateStoreContext {
  readonly hub: MessageHub;
  readonly clock: Clock;
  readonly timing?: Partial<ChannelTiming>;
}

/** Opens the backend a resolved master store asks for. */
export function openBackend(r: ResolvedStore): StoreBackend {
  return r.backend === 'SQLITE' ? new SqliteBackend({ ...r.sqlite, store: r.name }) : new MemoryBackend();
}

/** Cluster::create_store: a master on the master node (or outside a cluster), a clone elsewhere. */
export function createStore(name: string, persistent: boolean, layout: ClusterLayout, config: ClusterStoreConfig, ctx: CreateStoreContext): MasterStore | CloneStore {
  const r = resolveStore(name, persistent, layout, config);
  const timing = ctx.timing ? { timing: ctx.timing } : {};
  if (r.role === 'master') return new MasterStore({ name, hub: ctx.hub, clock: ctx.clock, backend: openBackend(r), ...timing });
  return new CloneStore({
    name,
    hub: ctx.hub,
    clock: ctx.clock,
    intervals: { resyncIntervalMs: r.resyncIntervalMs, staleIntervalMs: r.staleIntervalMs, mutationBufferIntervalMs: r.mutationBufferIntervalMs },
    ...timing,
  });
}
