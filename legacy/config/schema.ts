import { z } from 'zod';
import { parseHost, zoneProblem } from './address.ts';
import { broPattern, PatternError } from './pattern.ts';

// The Communication framework's configuration: Bro's `Communication::` options and the `nodes`
// table (`Communication::Node`), with the seed's defaults. Keys keep Bro's names so an operator can
// carry a `redef Communication::nodes += {...}` over field by field. Times are seconds (a number) or
// Bro interval text ("30 secs", "2 mins"); ports a number or Bro port text ("47757/tcp").
//
// The schema output stays plain JSON (patterns as text, ports as numbers); `resolveNode` turns a
// node into what the framework runs with. The daemon embeds `legacyConfigSchema` as its `legacy`
// section.

const UNITS: Readonly<Record<string, number>> = {
  usec: 1e-6, usecs: 1e-6, msec: 1e-3, msecs: 1e-3, sec: 1, secs: 1, min: 60, mins: 60, hr: 3600, hrs: 3600, day: 86400, days: 86400,
};

/** Bro `interval`: seconds, or "<number> <unit>" (usecs, msecs, secs, mins, hrs, days). */
export const intervalSchema = z.union([z.number(), z.string()]).transform((v, ctx): number => {
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0) return v;
    ctx.addIssue({ code: 'custom', message: `interval must be a non-negative number of seconds, got ${v}` });
    return z.NEVER;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/.exec(v);
  const unit = m === null ? undefined : UNITS[m[2]!];
  if (m === null || unit === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an interval (e.g. 30, "30 secs", "2 mins")` });
    return z.NEVER;
  }
  return Number(m[1]) * unit;
});

/**
 * A TCP port as Bro/Zeek write it: 47757 or "47757/tcp". 0 = an ephemeral port (tests). `service`
 * names what runs on it, for the error a udp/icmp port gets. The daemon config uses it for every port.
 */
export function tcpPortSchema(service: string) {
  return z.union([z.number(), z.string()]).transform((v, ctx): number => {
    const m = typeof v === 'number' ? null : /^\s*(\d+)\s*(?:\/\s*(tcp|udp|icmp|unknown))?\s*$/.exec(v);
    const n = typeof v === 'number' ? v : m === null ? NaN : Number(m[1]);
    if (m !== null && m[2] !== undefined && m[2] !== 'tcp') {
      ctx.addIssue({ code: 'custom', message: `"${v}": ${service} runs over TCP only` });
      return z.NEVER;
    }
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not a port (0-65535 or "47757/tcp")` });
      return z.NEVER;
    }
    return n;
  });
}

/** Bro `port` (TCP only here): 47757 or "47757/tcp". */
export const portSchema = tcpPortSchema('the Communication framework');

/** Bro `addr`: an IPv4 or IPv6 literal, kept in canonical form. Zone ids go in their own field. */
export const addrSchema = z.string().transform((v, ctx): string => {
  const h = parseHost(v);
  if (h === undefined) {
    const hint = v.includes('%') ? ' (put the zone id in its own field)' : '';
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an IPv4 or IPv6 address${hint}` });
    return z.NEVER;
  }
  return h.address;
});

const patternSchema = z.string().superRefine((v, ctx) => {
  try {
    broPattern(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)}: ${err instanceof PatternError ? err.message : String(err)}` });
  }
});

const level = z.number().int().min(0).max(9);

/** One `Communication::nodes` entry (configurable fields; `peer` and `connected` are runtime state). */
export const nodeSchema = z
  .strictObject({
    host: addrSchema,
    zone_id: z.string().min(1).optional(),
    p: portSchema.optional(),
    class: z.string().optional(),
    events: patternSchema.optional(),
    connect: z.boolean().default(false),
    retry: intervalSchema.default(0),
    accept_input: z.boolean().default(true),
    sync: z.boolean().default(false),
    request_logs: z.boolean().default(false),
    auth: z.boolean().default(false),
    capture_filter: z.string().optional(),
    ssl: z.boolean().default(false),
    /** zlib level 0-9; absent = the global `compression_level`. */
    compression: level.optional(),
  })
  .superRefine((n, ctx) => {
    if (n.zone_id === undefined) return;
    const host = parseHost(n.host);
    const problem = host === undefined ? undefined : zoneProblem(host, n.zone_id);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['zone_id'], message: problem });
  });

const limitsSchema = z
  .strictObject({
    max_chunk_size: z.number().int().positive(),
    max_message_size: z.number().int().positive(),
    max_decompressed_size: z.number().int().positive(),
    max_nesting_depth: z.number().int().positive(),
    max_cache_entries: z.number().int().positive(),
  })
  .partial();

export const legacyConfigSchema = z
  .strictObject({
    /** Accept inbound peers at all (Bro: loading frameworks/communication/listen). */
    listen: z.boolean().default(true),
    listen_interface: addrSchema.default('0.0.0.0'),
    listen_port: portSchema.default(47757),
    listen_ssl: z.boolean().default(false),
    listen_ipv6: z.boolean().default(false),
    listen_ipv6_zone_id: z.string().default(''),
    /** Rebind this often while the port is in use (0 = fail at once). */
    listen_retry: intervalSchema.default(30),
    compression_level: level.default(0),
    /** Our `peer_description`, sent to every peer after VERSION (a Bro peer shows it as p$descr). */
    peer_description: z.string().default('comm-bridge'),
    /** Send peer_description at all (Broccoli never does). */
    send_peer_description: z.boolean().default(true),
    /** Re-send events received from one peer to the other peers that requested them. */
    forward_remote_events: z.boolean().default(false),
    forward_remote_state_changes: z.boolean().default(false),
    remote_check_sync_consistency: z.boolean().default(false),
    /**
     * The bridge's event registry: node patterns are expanded against these names (patterns that
     * list their names literally, like /^(ping|pong)$/, need none).
     */
    local_events: z.array(z.string().min(1)).default([]),
    /**
     * Register a peer's request for an event not in `local_events` (Bro logs "request for unknown
     * event" and ignores it). On by default: a bridge relays events it has no declaration for.
     */
    accept_unknown_event_requests: z.boolean().default(true),
    /** PEM file: our certificate (chain) followed by its private key, as Bro's ssl_private_key. */
    ssl_private_key: z.string().optional(),
    /** PEM certificate file, when not in ssl_private_key. */
    ssl_certificate: z.string().optional(),
    ssl_ca_certificate: z.string().optional(),
    ssl_passphrase: z.string().optional(),
    /** Most simultaneous connections (inbound and outbound); further inbound ones are refused. */
    max_peers: z.number().int().positive().default(256),
    /** Bytes queued towards one peer before `queue_overflow` applies. */
    max_queued_bytes: z.number().int().positive().default(32 * 1024 * 1024),
    queue_overflow: z.enum(['disconnect', 'drop']).default('disconnect'),
    /** Seconds from TCP/TLS setup to RUNNING before the peer is dropped (0 = no limit). */
    handshake_timeout: intervalSchema.default(60),
    limits: limitsSchema.default({}),
    /** communication.log format: Zeek TSV, or JSON lines (LogAscii::use_json). */
    log_format: z.enum(['ascii', 'json']).default('ascii'),
    nodes: z.record(z.string().min(1), nodeSchema).default({}),
  })
  .superRefine((c, ctx) => {
    const iface = parseHost(c.listen_interface);
    if (iface?.family === 6 && !c.listen_ipv6 && c.listen) {
      ctx.addIssue({ code: 'custom', path: ['listen_ipv6'], message: `listen_interface ${c.listen_interface} is IPv6: set listen_ipv6 to true` });
    }
    if (c.listen_ipv6_zone_id !== '' && iface !== undefined) {
      const problem = zoneProblem(iface, c.listen_ipv6_zone_id);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['listen_ipv6_zone_id'], message: problem });
    }
    const needsTls = c.listen_ssl || Object.values(c.nodes).some((n) => n.ssl);
    if (needsTls && c.ssl_private_key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ssl_private_key'], message: 'listen_ssl or a node with ssl=true needs ssl_private_key (and ssl_ca_certificate)' });
    }
    if (needsTls && c.ssl_ca_certificate === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ssl_ca_certificate'], message: 'TLS peers authenticate each other: ssl_ca_certificate is required' });
    }
  });

export type LegacyConfigInput = z.input<typeof legacyConfigSchema>;
export type LegacyConfig = z.output<typeof legacyConfigSchema>;
export type NodeConfig = z.output<typeof nodeSchema>;
export type NodeConfigInput = z.input<typeof nodeSchema>;
