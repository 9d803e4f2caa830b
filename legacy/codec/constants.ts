// Wire constants of Bro's Communication protocol 7 (RemoteSerializer / ChunkedIO / SerialObj).
// Plain `as const` objects rather than `const enum` so they survive isolatedModules and can be
// iterated for name lookups.

export const PROTOCOL_VERSION = 7;
/** Data format version of Bro 2.5.x / Broccoli 1.100; 0 on the wire means "not stated". */
export const DATA_FORMAT_VERSION = 26;
export const BRO_CACHE_SIZE = 3000;
export const BROCCOLI_CACHE_SIZE = 1000;

/** Bro's write buffer is 1 MiB including the 4-byte length prefix. */
export const MAX_PHYSICAL_CHUNK = 1024 * 1024 - 4;
export const PARTIAL_FLAG = 0x8000_0000;
/** Chunks shorter than this are sent uncompressed (trailer 0) in the compressed format. */
export const MIN_COMPRESS_SIZE = 30;
export const HEADER_CHUNK_SIZE = 8;

export const MessageType = {
  NONE: 0x00,
  VERSION: 0x01,
  SERIAL: 0x02,
  CLOSE: 0x03,
  CLOSE_ALL: 0x04,
  ERROR: 0x05,
  CONNECT_TO: 0x06,
  CONNECTED: 0x07,
  REQUEST_EVENTS: 0x08,
  LISTEN: 0x09,
  LISTEN_STOP: 0x0a,
  STATS: 0x0b,
  CAPTURE_FILTER: 0x0c,
  REQUEST_SYNC: 0x0d,
  PHASE_DONE: 0x0e,
  PING: 0x0f,
  PONG: 0x10,
  CAPS: 0x11,
  COMPRESS: 0x12,
  LOG: 0x13,
  SYNC_POINT: 0x14,
  TERMINATE: 0x15,
  DEBUG_DUMP: 0x16,
  REMOTE_PRINT: 0x17,
  LOG_CREATE_WRITER: 0x18,
  LOG_WRITE: 0x19,
  // Not 0x1a: Bro numbers it 0x20, and anything above it from a peer is garbage.
  REQUEST_LOGS: 0x20,
} as const;

/** The message types two peers exchange (the others exist only on Bro's parent/child pipe). */
export type PeerMessageName =
  | 'VERSION'
  | 'SERIAL'
  | 'REQUEST_EVENTS'
  | 'CAPTURE_FILTER'
  | 'REQUEST_SYNC'
  | 'PHASE_DONE'
  | 'PING'
  | 'PONG'
  | 'CAPS'
  | 'COMPRESS'
  | 'SYNC_POINT'
  | 'REMOTE_PRINT'
  | 'LOG_CREATE_WRITER'
  | 'LOG_WRITE'
  | 'REQUEST_LOGS';

/** Peer-wire message code -> [name, has an argument chunk]. The envelope depends on this alone. */
export const PEER_MESSAGES: ReadonlyMap<number, readonly [PeerMessageName, boolean]> = new Map([
  [MessageType.VERSION, ['VERSION', true]],
  [MessageType.SERIAL, ['SERIAL', true]],
  [MessageType.REQUEST_EVENTS, ['REQUEST_EVENTS', true]],
  [MessageType.CAPTURE_FILTER, ['CAPTURE_FILTER', true]],
  [MessageType.REQUEST_SYNC, ['REQUEST_SYNC', true]],
  [MessageType.PHASE_DONE, ['PHASE_DONE', false]],
  [MessageType.PING, ['PING', true]],
  [MessageType.PONG, ['PONG', true]],
  [MessageType.CAPS, ['CAPS', true]],
  // The parent->child variant carries a level; the peer-to-peer one has no argument.
  [MessageType.COMPRESS, ['COMPRESS', false]],
  [MessageType.SYNC_POINT, ['SYNC_POINT', true]],
  [MessageType.REMOTE_PRINT, ['REMOTE_PRINT', true]],
  [MessageType.LOG_CREATE_WRITER, ['LOG_CREATE_WRITER', true]],
  [MessageType.LOG_WRITE, ['LOG_WRITE', true]],
  [MessageType.REQUEST_LOGS, ['REQUEST_LOGS', false]],
]);

export const MESSAGE_CODE: Readonly<Record<PeerMessageName, number>> = Object.fromEntries(
  [...PEER_MESSAGES].map(([code, [name]]) => [name, code]),
) as Record<PeerMessageName, number>;

export const CapsFlag = {
  COMPRESSION: 0x01,
  NO_CACHING: 0x02,
  PID_64BIT: 0x04,
  NEW_CACHE_STRATEGY: 0x08,
  BROCCOLI_PEER: 0x10,
} as const;

export type CapsFlagName = keyof typeof CapsFlag;

export function capsFlagNames(flags: number): CapsFlagName[] {
  return (Object.keys(CapsFlag) as CapsFlagName[]).filter((name) => (flags & CapsFlag[name]) !== 0);
}

/** What Bro 2.5.5 announces; what a bridge that wants no caches announces. */
export const BRO_CAPS = CapsFlag.COMPRESSION | CapsFlag.PID_64BIT | CapsFlag.NEW_CACHE_STRATEGY;
export const BROCCOLI_CAPS = CapsFlag.BROCCOLI_PEER | CapsFlag.NO_CACHING;

/** Serial type codes with the cache-stable bit (0x4000) cleared. */
export const SerType = {
  // Values (BroObj-derived: carry a location flag).
  VAL: 0x8801,
  INTERVAL_VAL: 0x8802,
  PORT_VAL: 0x8803,
  ADDR_VAL: 0x8804,
  SUBNET_VAL: 0x8805,
  STRING_VAL: 0x8806,
  PATTERN_VAL: 0x8807,
  LIST_VAL: 0x8808,
  TABLE_VAL: 0x8809,
  RECORD_VAL: 0x880a,
  ENUM_VAL: 0x880b,
  VECTOR_VAL: 0x880c,
  // Types.
  BRO_TYPE: 0x8a01,
  TYPE_LIST: 0x8a02,
  TABLE_TYPE: 0x8a04,
  SET_TYPE: 0x8a05,
  FUNC_TYPE: 0x8a06,
  RECORD_TYPE: 0x8a07,
  SUBNET_TYPE: 0x8a08,
  FILE_TYPE: 0x8a09,
  ENUM_TYPE: 0x8a0a,
  VECTOR_TYPE: 0x8a0b,
  OPAQUE_TYPE: 0x8a0c,
  ATTRIBUTES: 0x8c01,
  ID: 0x9001,
  // Not derived from BroObj: no location flag, dropped from the caches after each serialization.
  STATE_ACCESS: 0x1101,
  LOCATION: 0x1301,
  RE_MATCHER: 0x1401,
} as const;

export const STABLE_BIT = 0x4000;
export const BRO_OBJ_BIT = 0x8000;

/**
 * Families whose objects are "cache-stable" (types, attributes, expressions, statements, event
 * handlers, files, functions): bit 14 is set on the wire only under the new cache strategy.
 */
export function isCacheStableType(stype: number): boolean {
  const family = (stype & ~STABLE_BIT) >> 8;
  return family >= 0x89 && family <= 0x8f;
}

/** Bro's TypeTag numbering (the `tag` char of a serialized type). */
export const TYPE_TAGS = [
  'void', 'bool', 'int', 'count', 'counter', 'double', 'time', 'interval', 'string', 'pattern',
  'enum', 'timer', 'port', 'addr', 'subnet', 'any', 'table', 'union', 'record', 'list',
  'func', 'file', 'vector', 'opaque', 'type', 'error',
] as const;

export type TypeTagName = (typeof TYPE_TAGS)[number];

export const TYPE_TAG_CODE: Readonly<Record<TypeTagName, number>> = Object.fromEntries(
  TYPE_TAGS.map((name, code) => [name, code]),
) as Record<TypeTagName, number>;

/** Bro's InternalTypeTag: selects how a value's generic payload is encoded. */
export const Internal = {
  VOID: 0,
  INT: 1,
  UNSIGNED: 2,
  DOUBLE: 3,
  STRING: 4,
  ADDR: 5,
  SUBNET: 6,
  OTHER: 7,
  ERROR: 8,
} as const;

/** The internal tag Bro gives each type tag (its base_type() table). */
export const CANONICAL_INTERNAL: Readonly<Record<TypeTagName, number>> = {
  void: Internal.VOID,
  bool: Internal.INT,
  int: Internal.INT,
  count: Internal.UNSIGNED,
  counter: Internal.UNSIGNED,
  double: Internal.DOUBLE,
  time: Internal.DOUBLE,
  interval: Internal.DOUBLE,
  string: Internal.STRING,
  pattern: Internal.OTHER,
  enum: Internal.INT,
  timer: Internal.OTHER,
  port: Internal.UNSIGNED,
  addr: Internal.ADDR,
  subnet: Internal.SUBNET,
  any: Internal.OTHER,
  table: Internal.OTHER,
  union: Internal.OTHER,
  record: Internal.OTHER,
  list: Internal.OTHER,
  func: Internal.OTHER,
  file: Internal.OTHER,
  vector: Internal.OTHER,
  opaque: Internal.OTHER,
  type: Internal.OTHER,
  error: Internal.ERROR,
};

/** Attribute tags (`&optional` = 0 ... `&deprecated` = 22). */
export const ATTR_TAGS = [
  'optional', 'default', 'redef', 'rotate_interval', 'rotate_size', 'add_func', 'delete_func',
  'expire_func', 'read_expire', 'write_expire', 'create_expire', 'persistent', 'synchronized',
  'encrypt', 'raw_output', 'mergeable', 'priority', 'group', 'log', 'error_handler', 'type_column',
  'tracked', 'deprecated',
] as const;

/** State access opcodes ('s' serializations). */
export const STATE_OPS = [
  'NONE', 'ASSIGN', 'ASSIGN_IDX', 'ADD', 'INCR', 'INCR_IDX', 'DEL', 'PRINT', 'EXPIRE', 'READ_IDX',
] as const;

export type StateOpName = (typeof STATE_OPS)[number];

/** MutableVal property bits on records, tables and vectors. */
export const MutableProps = {
  PERSISTENT: 0x01,
  SYNCHRONIZED: 0x02,
  TRACKED: 0x04,
} as const;

/** Port protocol, bits 16-17 of a port value. */
export const PORT_PROTOS = ['unknown', 'tcp', 'udp', 'icmp'] as const;
export type PortProto = (typeof PORT_PROTOS)[number];

/** ID scope char. */
export const ID_SCOPES = ['function', 'module', 'global'] as const;
