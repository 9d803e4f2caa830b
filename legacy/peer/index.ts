export { PeerSession, type PeerSessionOptions } from './session.ts';
export { MemorySyncStore, valKey, type ChangeOrigin, type SyncStore } from './state-store.ts';
export { PrintBuffer, PRINT_BUFFER_SIZE } from './print-buffer.ts';
export { BRIDGE_CACHE_SIZE, BRIDGE_CAPS, BRIDGE_WRITE_FORMAT, peerDescriptionId } from './profile.ts';
export { stateSender, SYNC_CONFLICT_REASON, type StateSender, type SyncInputs } from './sync-role.ts';
export * from './types.ts';
