// Constants of the native peering protocol (spec §1). Each is a single named value so an
// UNCONFIRMED detail can be changed in one place.

/** "ZEEK" as the 4 bytes 5a 45 45 4b at the start of hello, probe, version_select and drop_conn. */
export const MAGIC = 0x5a45454b;

/** The only protocol version in existence; hello offers 1..1. */
export const PROTOCOL_VERSION = 1;

/** Message type tags: first byte of a handshake payload, byte 32 of an envelope. Tag 0 is invalid. */
export const MessageType = {
  DATA: 0x01,
  COMMAND: 0x02,
  ROUTING_UPDATE: 0x03,
  PING: 0x04,
  PONG: 0x05,
  HELLO: 0x06,
  PROBE: 0x07,
  VERSION_SELECT: 0x08,
  DROP_CONN: 0x09,
  ORIGINATOR_SYN: 0x0a,
  RESPONDER_SYN_ACK: 0x0b,
  ORIGINATOR_ACK: 0x0c,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** TTL Broker writes on every envelope (`broker.ttl`); received values are ignored. */
export const DEFAULT_TTL = 16;

/** Topic of routing_update, ping and pong, and the marker of internal topics. */
export const RESERVED_TOPIC = '<$>';

/** sender(16) receiver(16) type(1) ttl(2) topic length(2). */
export const ENVELOPE_HEADER_SIZE = 37;

/** The largest frame Broker itself accepts (INT32_MAX - 4). */
export const BROKER_MAX_FRAME_SIZE = 0x7fff_ffff - 4;

/** Our default frame limit: far below Broker's so one bad length cannot make us buffer 2 GB. */
export const DEFAULT_MAX_FRAME_SIZE = 64 << 20;

/** Payload of the ping Broker sends to unpeer gracefully: "BYE" + 8 opaque bytes (spec §1.8). */
export const BYE_PREFIX = 'BYE';
export const BYE_PAYLOAD_SIZE = 11;

/** Broker's unpeer wait for the pong answering its BYE ping. */
export const UNPEER_TIMEOUT_MS = 3000;
