// Broker's data model and its two encodings (bin v1 and WebSocket JSON v1), plus Zeek's message
// convention on top. Pure: bytes or text in, typed values out.
export * from './types.ts';
export * from './values.ts';
export { compareData, equalsData, hasDuplicates, hasDuplicateKeys, sortedElements, sortedEntries } from './compare.ts';
export { formatAddress, formatSubnet, isV4Mapped, parseAddress, subnetPrefix } from './address.ts';
export { byteStringBytes, compareByteStrings, toByteString } from './utf8.ts';
export { renderData, reprReal } from './render.ts';
export { DEFAULT_DATA_LIMITS, dataLimits, decodeData, decodeDataAt, readData, readVarbyte, type DataLimits } from './binary-decode.ts';
export { encodeData, writeData, writeVarbyte } from './binary-encode.ts';
export { JSON_TYPE_NAMES, ackToJson, dataMessageToJson, dataMessageToJsonBytes, dataToJson, dataToJsonBytes, errorToJson } from './json-encode.ts';
export { formatPort, formatRealF, formatTimespan, formatTimestamp, quoteJson } from './json-format.ts';
export {
  DEFAULT_JSON_LIMITS,
  jsonToData,
  jsonValueToData,
  parseDataMessage,
  parseJson,
  parseSubscriptions,
  webSocketErrorContext,
  type JsonLimits,
  type JsonValue,
  type ParsedDataMessage,
} from './json-decode.ts';
export { parsePortText, parseSubnetText, parseTimespanText, parseTimestampText } from './json-scalars.ts';
export { dataToJsonObject, type JsonDataObject } from './json-object.ts';
export * from './zeek-messages.ts';
