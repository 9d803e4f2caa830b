export { CommunicationFramework, type CommunicationFrameworkOptions, type FrameworkErrorCode, type PeerInfo, type SendOptions } from './framework.ts';
export { TypedEmitter, type CommunicationEvents, type RemoteEvent } from './events.ts';
export { CommunicationLog, COMMUNICATION_LOG_COLUMNS, peerTag, type CommunicationLogOptions } from './comm-log.ts';
export { socketDialer, CONNECT_TIMEOUT_MS, type Dialer, type DialTarget } from './dial.ts';
export { Listener, type ListenerOptions, type ListeningAddress, type ListenErrorCode } from './listener.ts';
export { matchInbound, resolveNode, type Node } from './nodes.ts';
export { changedOptions, planReload, sameNode, type NodesReload } from './reload.ts';
export { loadTlsMaterials, splitPem, tlsClientOptions, tlsServerOptions, type TlsMaterials } from './tls.ts';
