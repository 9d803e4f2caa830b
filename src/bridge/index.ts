// The bridge daemon's core: everything `comm-bridge run` starts, usable from code and tests.
export { Bridge, type BridgeEvents, type BridgeOptions, type BridgeReload } from './bridge.ts';
export { BrokerSide, endpointOptionsOf, type BrokerSideOptions } from './broker-side.ts';
export { LegacySide, type LegacyPeerState, type ClusterRoles } from './legacy-side.ts';
export { ClusterNodes, type ClusterNodesOptions } from './cluster-nodes.ts';
export { BrokerLog, BROKER_LOG_COLUMNS, brokerLogEv } from './broker-log.ts';
export { ReporterLog, REPORTER_LOG_COLUMNS, type ReporterLevel } from './reporter-log.ts';
export { LogFiles, OWN_LOGS, remoteLogName, type LogFilesOptions } from './log-files.ts';
export { StatusServer, type StatusSource } from './status-server.ts';
export { legacyTables, statusDocument, metricsText, type LegacyTableEntry, type LegacyTables, type StatusDocument, type StatusPeer } from './status-document.ts';
export type { ListenerInfo, PeerReport, Publisher, Reporter } from './types.ts';
