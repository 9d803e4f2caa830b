// Broker's data model (spec §2.2) as plain immutable objects discriminated by `type`.
//
// Representation choices, all made so that decode -> encode reproduces the wire bytes exactly:
// - 64-bit integers (count, integer, timestamp and timespan nanoseconds) are `Int64`: a JS number
//   when the value is a safe integer (|v| <= 2^53-1), a bigint otherwise. Decoders and constructors
//   always produce this canonical form; comparison and equality also accept the other form, since
//   `<`, `>` and `==` compare number and bigint exactly.
// - Strings and enum names are byte strings on the wire. They are a JS string when the bytes are
//   valid UTF-8 (the common case), and a Uint8Array holding the exact bytes only when they are not.
// - Addresses are 16 bytes in network order; IPv4 is stored v4-mapped (::ffff:a.b.c.d) as on the wire.
// - Subnets keep Broker's raw prefix length (IPv4 /8 is stored as 104), so odd wire values survive.
// - Sets and tables keep element order: decoders keep the wire order (Broker forwards JSON input
//   unsorted), the `set()`/`table()` constructors sort canonically like Broker's own containers.
//   Equality and ordering treat them as sets (order-independent).

export type Int64 = number | bigint;

/** Data type tags on the wire (spec §2.2); their numeric order is Broker's type order. */
export const DataTag = {
  none: 0,
  boolean: 1,
  count: 2,
  integer: 3,
  real: 4,
  string: 5,
  address: 6,
  subnet: 7,
  port: 8,
  timestamp: 9,
  timespan: 10,
  enum_value: 11,
  set: 12,
  table: 13,
  vector: 14,
} as const;
export type DataType = keyof typeof DataTag;

/** Type names indexed by wire tag. */
export const DATA_TYPES: readonly DataType[] = [
  'none',
  'boolean',
  'count',
  'integer',
  'real',
  'string',
  'address',
  'subnet',
  'port',
  'timestamp',
  'timespan',
  'enum_value',
  'set',
  'table',
  'vector',
];

/** Port protocol byte: 0 unknown (`?`), 1 tcp, 2 udp, 3 icmp. */
export type PortProtocol = 'unknown' | 'tcp' | 'udp' | 'icmp';
export const PORT_PROTOCOLS: readonly PortProtocol[] = ['unknown', 'tcp', 'udp', 'icmp'];

/** A byte string: text when the bytes are valid UTF-8, otherwise the raw bytes. */
export type ByteString = string | Uint8Array;

export interface NoneData {
  readonly type: 'none';
}
export interface BooleanData {
  readonly type: 'boolean';
  readonly value: boolean;
}
export interface CountData {
  readonly type: 'count';
  /** 0 .. 2^64-1 */
  readonly value: Int64;
}
export interface IntegerData {
  readonly type: 'integer';
  /** -2^63 .. 2^63-1 */
  readonly value: Int64;
}
export interface RealData {
  readonly type: 'real';
  readonly value: number;
}
export interface StringData {
  readonly type: 'string';
  readonly value: ByteString;
}
export interface AddressData {
  readonly type: 'address';
  /** 16 bytes, network order; IPv4 as ::ffff:a.b.c.d. */
  readonly value: Uint8Array;
}
export interface SubnetData {
  readonly type: 'subnet';
  /** 16 bytes, network order (v4-mapped for IPv4). */
  readonly address: Uint8Array;
  /** Prefix length as on the wire: in IPv6 bits, so an IPv4 /8 is 104. See `subnetPrefix()`. */
  readonly length: number;
}
export interface PortData {
  readonly type: 'port';
  readonly number: number;
  readonly protocol: PortProtocol;
}
export interface TimestampData {
  readonly type: 'timestamp';
  /** Nanoseconds since the Unix epoch. */
  readonly value: Int64;
}
export interface TimespanData {
  readonly type: 'timespan';
  /** Nanoseconds. */
  readonly value: Int64;
}
export interface EnumData {
  readonly type: 'enum_value';
  readonly value: ByteString;
}
export interface SetData {
  readonly type: 'set';
  readonly elements: readonly Data[];
}
export interface TableData {
  readonly type: 'table';
  readonly entries: readonly (readonly [Data, Data])[];
}
export interface VectorData {
  readonly type: 'vector';
  readonly elements: readonly Data[];
}

export type Data =
  | NoneData
  | BooleanData
  | CountData
  | IntegerData
  | RealData
  | StringData
  | AddressData
  | SubnetData
  | PortData
  | TimestampData
  | TimespanData
  | EnumData
  | SetData
  | TableData
  | VectorData;

/** The Data variant for a type name, e.g. `DataOf<'count'>` is CountData. */
export type DataOf<T extends DataType> = Extract<Data, { type: T }>;
