// Public API of the pure legacy codec (Bro 2.5 / Broccoli "Communication" protocol 7).
// Layers, bottom up: framing.ts (chunks) -> compression.ts (zlib chunk format) -> messages.ts
// (envelope + argument layouts) -> serial-*.ts (SERIAL objects and caches) -> stream-decoder.ts /
// stream-encoder.ts (one direction each) -> capture-decoder.ts (both directions, passive).

export * from './constants.ts';
export * from './errors.ts';
export * from './options.ts';
export type * from './model.ts';
export type { LogCreateWriter, LogEntry, LogField, LogPort, LogValue, LogData } from './log-codec.ts';
export type * from './messages.ts';
export { ChunkReader, writeChunk, type ChunkWriteOptions } from './framing.ts';
export { ChunkDeflater, ChunkInflater } from './compression.ts';
export { SerialDecoder, type SerialDecoderOptions, type SerialFormat } from './serial-reader.ts';
export { SerialEncoder, type SerialEncoderOptions, type SerialWriteFormat } from './serial-writer.ts';
export { ReceiverCache, SenderCache } from './serial-cache.ts';
export { LegacyStreamDecoder, type MessageWireInfo, type StreamDecoderOptions } from './stream-decoder.ts';
export { LegacyStreamEncoder, SharedSerial, type StreamEncoderOptions } from './stream-encoder.ts';
export { checkVersion, makeVersion } from './version.ts';
export { sniffPidWidth } from './pid-width.ts';
export { ConnectionPhases, type Phase } from './phase-model.ts';
export { legacyCaptureDecoder, LegacySessionDecoder, type LegacySessionOptions } from './capture-decoder.ts';
export { toPlain, typedJson, typedLogJson, typeName, recordFieldNames, attrNames, type PlainValue, type TypedJson } from './plain.ts';
export { escapeBytes, unescapeText } from './strings.ts';
export { formatV4, formatV6, parseAddr, parseSubnet } from './addr.ts';
export * from './builders.ts';
