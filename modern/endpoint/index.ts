// The Broker endpoint: API, options, events. Native peering internals live in ../native/.
export { Endpoint, type PeeringStats } from './endpoint.ts';
export type { Reporter } from './connections.ts';
export * from './events.ts';
export { EndpointOptionsSchema, resolveOptions, usesCertificates, type EndpointConfig, type EndpointOptions, type ResolvedOptions } from './options.ts';
export { ANONYMOUS_CIPHERS, ANONYMOUS_CURVE, CERTIFICATE_CIPHERS, socketSetup, type SocketSetup, type TlsMode } from './tls.ts';
export type { OverflowPolicy } from '../native/out-buffer.ts';
