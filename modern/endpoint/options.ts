// Endpoint configuration with the names and defaults of Zeek's Broker:: script options (intervals in
// seconds, like Zeek's `interval`). Validated once with zod; nothing on the message path sees it.
import { z } from 'zod';
import { BridgeError } from '../../src/core/errors.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../data/index.ts';
import { isEndpointId, randomEndpointId, type EndpointId } from '../native/endpoint-id.ts';
import { DEFAULT_MAX_FRAME_SIZE, DEFAULT_TTL, UNPEER_TIMEOUT_MS } from '../native/wire-constants.ts';
import { OVERFLOW_POLICIES } from '../native/out-buffer.ts';

export type EndpointConfigErrorCode = 'invalid_options';

const seconds = z.number().finite().nonnegative();

export const EndpointOptionsSchema = z
  .object({
    /** Fixed endpoint id (replays, tests); a random Broker-style id otherwise. */
    node_id: z.string().refine((s) => isEndpointId(s.toLowerCase()), 'not a UUID').optional(),
    default_port: z.number().int().min(0).max(65535).default(9999),
    /** '' listens on every interface (Zeek: INADDR_ANY); env ZEEK_DEFAULT_LISTEN_ADDRESS. */
    default_listen_address: z.string().optional(),
    /** Zeek 5+: 1 s. ZEEK_DEFAULT_CONNECT_RETRY / BRO_DEFAULT_CONNECT_RETRY override it and any peer() retry. */
    default_connect_retry: seconds.default(1),
    /** ZEEK_DEFAULT_LISTEN_RETRY / BRO_DEFAULT_LISTEN_RETRY override it and any listen() retry. */
    default_listen_retry: seconds.default(30),
    /** Relay messages between peers (Zeek default F: Broker's `disable-forwarding` is set). */
    forward_messages: z.boolean().default(false),
    /** Messages held per peer while its connection is congested (Zeek: 8192; the default is applied by resolveOptions). */
    peer_buffer_size: z.number().int().min(1).optional(),
    /** Older Zeek name of the same per-peer limit (`Broker::congestion_queue_size`); both given must agree. */
    congestion_queue_size: z.number().int().min(1).optional(),
    /** Zeek's default; Broker's library default is `disconnect`. */
    peer_overflow_policy: z.enum(OVERFLOW_POLICIES).default('drop_oldest'),
    disable_ssl: z.boolean().default(false),
    ssl_cafile: z.string().default(''),
    ssl_capath: z.string().default(''),
    ssl_certificate: z.string().default(''),
    ssl_keyfile: z.string().default(''),
    ssl_passphrase: z.string().default(''),
    /** Broker's `broker.ttl`, written on every message. */
    ttl: z.number().int().min(1).max(0xffff).default(DEFAULT_TTL),
    /** Wait for the pong answering a BYE ping (Broker: 3 s). */
    unpeer_timeout: seconds.default(UNPEER_TIMEOUT_MS / 1000),
    /** TCP connect timeout of one dial attempt (Broker: 1 s). */
    connect_timeout: seconds.default(1),
    /** Our addition: a peering whose handshake (TLS included) takes longer is closed. 0 = never. */
    handshake_timeout: seconds.default(30),
    max_frame_size: z.number().int().min(64).default(DEFAULT_MAX_FRAME_SIZE),
    max_depth: z.number().int().min(1).default(DEFAULT_DATA_LIMITS.maxDepth),
    max_container_size: z.number().int().min(1).default(DEFAULT_DATA_LIMITS.maxContainerSize),
    max_string_length: z.number().int().min(1).default(DEFAULT_DATA_LIMITS.maxStringLength),
  })
  .strict();

export type EndpointConfig = z.input<typeof EndpointOptionsSchema>;

export interface EndpointOptions extends EndpointConfig {
  clock?: Clock;
  /** Environment consulted for the ZEEK_/BRO_ overrides (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Zeek's `Broker::peer_buffer_size`. */
export const DEFAULT_PEER_BUFFER_SIZE = 8192;

export interface ResolvedOptions
  extends Omit<z.output<typeof EndpointOptionsSchema>, 'node_id' | 'default_listen_address' | 'peer_buffer_size' | 'congestion_queue_size'> {
  node_id: EndpointId;
  default_listen_address: string;
  /** peer_buffer_size, or its older name congestion_queue_size, or the default. */
  peer_buffer_size: number;
  /** Env override for every connect retry, seconds (undefined when unset). */
  connect_retry_override: number | undefined;
  listen_retry_override: number | undefined;
  limits: DataLimits;
  clock: Clock;
}

/** ZEEK_<name>, falling back to BRO_<name> (Zeek's zeekenv()). */
function zeekEnv(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[`ZEEK_${name}`] ?? env[`BRO_${name}`];
  return v === undefined || v === '' ? undefined : v;
}

function envSeconds(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const v = zeekEnv(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new BridgeError<EndpointConfigErrorCode>('invalid_options', `${name}: not a number of seconds: ${JSON.stringify(v)}`, { field: name });
  }
  return n;
}

export function resolveOptions(options: EndpointOptions = {}): ResolvedOptions {
  const { clock, env: envIn, ...config } = options;
  const r = EndpointOptionsSchema.safeParse(config);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new BridgeError<EndpointConfigErrorCode>('invalid_options', `endpoint options: ${path ? `${path}: ` : ''}${issue?.message ?? 'invalid'}`, {
      field: path || 'endpoint',
    });
  }
  const env = envIn ?? process.env;
  const { congestion_queue_size: congestion, ...o } = r.data;
  if (congestion !== undefined && o.peer_buffer_size !== undefined && congestion !== o.peer_buffer_size) {
    throw new BridgeError<EndpointConfigErrorCode>(
      'invalid_options',
      `endpoint options: congestion_queue_size (${congestion}) is the older name of peer_buffer_size (${o.peer_buffer_size}): give one, or the same value`,
      { field: 'congestion_queue_size' },
    );
  }
  const connectOverride = envSeconds(env, 'DEFAULT_CONNECT_RETRY');
  const listenOverride = envSeconds(env, 'DEFAULT_LISTEN_RETRY');
  return {
    ...o,
    node_id: o.node_id?.toLowerCase() ?? randomEndpointId(),
    peer_buffer_size: o.peer_buffer_size ?? congestion ?? DEFAULT_PEER_BUFFER_SIZE,
    default_listen_address: o.default_listen_address ?? zeekEnv(env, 'DEFAULT_LISTEN_ADDRESS') ?? '',
    default_connect_retry: connectOverride ?? o.default_connect_retry,
    default_listen_retry: listenOverride ?? o.default_listen_retry,
    connect_retry_override: connectOverride,
    listen_retry_override: listenOverride,
    limits: { maxDepth: o.max_depth, maxContainerSize: o.max_container_size, maxStringLength: o.max_string_length },
    clock: clock ?? systemClock,
  };
}

/** True when any certificate option is set: Broker then requires mutual authentication. */
export function usesCertificates(o: ResolvedOptions): boolean {
  return o.ssl_cafile !== '' || o.ssl_capath !== '' || o.ssl_certificate !== '' || o.ssl_keyfile !== '' || o.ssl_passphrase !== '';
}
