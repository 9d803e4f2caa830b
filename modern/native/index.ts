// Native peering codec: framing, handshake messages, phase-3 envelopes, store commands, and the
// capture decoder adapter. Pure; the peering state machine lives above this.
export * from './wire-constants.ts';
export * from './endpoint-id.ts';
export * from './framing.ts';
export * from './filter.ts';
export * from './handshake.ts';
export * from './envelope.ts';
export * from './store-commands.ts';
export { brokerDecoder, startsLikeBroker, commandFields, envelopeView, zeekMessageFields, type BrokerDecoderOptions } from './capture-decoder.ts';
