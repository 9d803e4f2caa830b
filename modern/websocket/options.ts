// Configuration of the WebSocket JSON v1 server and client, validated with zod (configuration is
// the only place zod runs; messages never go through it). Server options use the field names of
// Zeek's `Cluster::WebSocketServerOptions` / `Cluster::WebSocketTLSOptions`; intervals are seconds
// like Zeek's `interval` values.
import { z } from 'zod';
import { BridgeError } from '../../src/core/errors.ts';
import { APPLICATION_NAME_PATTERN, BROKER_VERSION, DEFAULT_WEBSOCKET_PORT } from './wire.ts';

export type WebSocketConfigErrorCode = 'invalid_options';

function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  throw new BridgeError<WebSocketConfigErrorCode>('invalid_options', `${what}: ${path ? `${path}: ` : ''}${issue?.message ?? 'invalid'}`, {
    field: path || what,
  });
}

const seconds = z.number().finite().nonnegative();
const port = z.number().int().min(0).max(65535);

/** `Cluster::WebSocketTLSOptions`: TLS is on when both cert_file and key_file are set. */
export const WebSocketTLSOptionsSchema = z
  .object({
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** Require and verify a client certificate against ca_file (mutual TLS). */
    enable_peer_verification: z.boolean().default(false),
    ca_file: z.string().default(''),
    ciphers: z.string().default(''),
  })
  .strict()
  .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { message: 'cert_file and key_file go together' })
  .refine((t) => !t.enable_peer_verification || t.ca_file !== '', { message: 'enable_peer_verification needs ca_file' });

/**
 * Which server's observable behaviour to reproduce where Broker's own server (Zeek 5–7) and Zeek 8
 * differ: a bad subscription message, a wrong path, a data message without a topic, the ack.
 */
export const WebSocketFlavor = z.enum(['broker', 'zeek']);
export type WebSocketFlavor = z.output<typeof WebSocketFlavor>;

/** What happens when a client's outgoing queue is full (Broker's `web_socket` overflow policy names). */
export const OverflowPolicy = z.enum(['disconnect', 'drop_oldest', 'drop_newest']);
export type OverflowPolicy = z.output<typeof OverflowPolicy>;

export const WebSocketServerOptionsSchema = z
  .object({
    listen_addr: z.string().min(1).default('127.0.0.1'),
    /** Zeek 8 commonly uses 27759; 0 binds an ephemeral port. */
    listen_port: port.default(DEFAULT_WEBSOCKET_PORT),
    /**
     * Messages queued for one client beyond what its socket accepts (Zeek's default 32). When a
     * client stops reading, the kernel and socket buffers fill first, then this queue, then the
     * overflow policy applies.
     */
    max_event_queue_size: z.number().int().min(1).default(32),
    overflow_policy: OverflowPolicy.default('disconnect'),
    /** Seconds between pings; a client that has not answered the previous ping is dropped. 0 = off. */
    ping_interval: seconds.default(5),
    tls_options: WebSocketTLSOptionsSchema.default({ enable_peer_verification: false, ca_file: '', ciphers: '' }),
    /** Largest message accepted from a client, in bytes; larger ones end the connection with 1009. */
    max_message_size: z.number().int().min(64).default(16 << 20),
    flavor: WebSocketFlavor.default('broker'),
    /** `version` in the ack; default Broker's `2.8.0-dev` (flavor broker) or `8.0.0` (flavor zeek). */
    version: z.string().optional(),
  })
  .strict();

export type WebSocketServerOptions = z.input<typeof WebSocketServerOptionsSchema>;
export type ResolvedServerOptions = z.output<typeof WebSocketServerOptionsSchema> & { version: string };

export function resolveServerOptions(input: WebSocketServerOptions | undefined): ResolvedServerOptions {
  const o = parseWith(WebSocketServerOptionsSchema, input, 'WebSocketServerOptions');
  return { ...o, version: o.version ?? (o.flavor === 'zeek' ? ZEEK_VERSION : BROKER_VERSION) };
}

/** The version string a `zeek` flavoured server puts into its ack unless told otherwise. */
export const ZEEK_VERSION = '8.0.0';

export const ReconnectOptionsSchema = z
  .object({
    /** First delay after a failed attempt or a lost connection, seconds. */
    initial_delay: seconds.default(1),
    max_delay: seconds.default(30),
    multiplier: z.number().min(1).default(2),
    /** Fraction of each delay that is randomised: delay × (1 − jitter × random). */
    jitter: z.number().min(0).max(1).default(0.5),
    /** Stop after this many consecutive failed attempts (0 = never stop). */
    max_attempts: z.number().int().nonnegative().default(0),
  })
  .strict();

export const WebSocketClientTLSSchema = z
  .object({
    /** PEM file of the CA that signed the server's certificate. */
    ca_file: z.string().min(1).optional(),
    /** Own certificate and key, for servers that require client certificates. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** Verify the server's chain (default). */
    verify_peer: z.boolean().default(true),
    /** Also check the host name; off by default because Broker/Zeek certificates rarely name the host. */
    check_hostname: z.boolean().default(false),
  })
  .strict()
  .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { message: 'cert_file and key_file go together' });

export const WebSocketClientOptionsSchema = z
  .object({
    /** `ws://HOST:PORT` or `wss://HOST:PORT`; without a port Zeek 8's 27759, without a path `/v1/messages/json`. */
    url: z.string().regex(/^wss?:\/\//i, 'expected a ws:// or wss:// URL'),
    subscriptions: z.array(z.string()).default([]),
    /** Sent as the `X-Application-Name` header (Zeek 8 validates it against [-/_.=:*@a-zA-Z0-9]+). */
    application_name: z.string().regex(APPLICATION_NAME_PATTERN, 'must match [-/_.=:*@a-zA-Z0-9]+').default('zeek-comm-bridge'),
    tls: WebSocketClientTLSSchema.default({ verify_peer: true, check_hostname: false }),
    reconnect: z.union([z.literal(false), ReconnectOptionsSchema]).default({ initial_delay: 1, max_delay: 30, multiplier: 2, jitter: 0.5, max_attempts: 0 }),
    /** Seconds to wait for the opening handshake and then for the ack. */
    connect_timeout: seconds.default(10),
    /** Seconds between our pings once connected; a server that has not answered the previous one
     * (and sent nothing else) is taken as lost and re-dialled. 0 = off. */
    ping_interval: seconds.default(5),
    max_message_size: z.number().int().min(64).default(16 << 20),
  })
  .strict();

export type WebSocketClientOptions = z.input<typeof WebSocketClientOptionsSchema>;
export type ResolvedClientOptions = z.output<typeof WebSocketClientOptionsSchema>;
export type ReconnectOptions = z.output<typeof ReconnectOptionsSchema>;

export function resolveClientOptions(input: WebSocketClientOptions): ResolvedClientOptions {
  return parseWith(WebSocketClientOptionsSchema, input, 'WebSocketClientOptions');
}
