// Broker data stores (spec §2.7): masters and clones on a MessageHub, their reliable channels,
// memory and SQLite backends, and Zeek's Cluster::create_store configuration.
export * from './api.ts';
export * from './constants.ts';
export { StoreError, type StoreErrorCode } from './errors.ts';
export { MemoryBackend, type BackendType, type StoreBackend } from './backend.ts';
export { SqliteBackend, SQLITE_BINDING, sqliteBinding, type SqliteOptions } from './sqlite-backend.ts';
export { MasterStore, type MasterOptions } from './master.ts';
export { CloneStore, type CloneOptions } from './clone.ts';
export { Producer, Consumer, type BufferedEvent, type ProducerOutput, type ConsumerOutput } from './channel.ts';
export { addData, subtractData, defaultOfType, indexData } from './apply.ts';
export { canonicalData, keyString } from './keys.ts';
export { newEntity, sameEntity, entityKey } from './entity.ts';
export {
  createStore,
  resolveStore,
  openBackend,
  ClusterStoreConfigSchema,
  StoreInfoSchema,
  type ClusterLayout,
  type ClusterStoreConfig,
  type CreateStoreContext,
  type NodeType,
  type ResolvedStore,
  type StoreInfo,
} from './cluster.ts';
export { MemoryNetwork, MemoryEndpoint, type LinkRecord } from './memory-network.ts';
