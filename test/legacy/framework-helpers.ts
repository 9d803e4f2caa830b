// Helpers for the framework tests: start frameworks on loopback with ephemeral ports, record
// every event they raise, and wait for conditions without sleeping.
import type { Test } from 'uvu';
import { createServer, type AddressInfo } from 'node:net';
import { ManualClock } from '../../src/core/clock.ts';
import { CommunicationFramework, type CommunicationFrameworkOptions } from '../../legacy/framework/framework.ts';
import type { CommunicationEvents } from '../../legacy/framework/events.ts';
import type { LegacyConfigInput } from '../../legacy/config/schema.ts';

export const TLS_DIR = new URL('../../fixtures/legacy/tls/', import.meta.url);

export const EVENT_NAMES: (keyof CommunicationEvents)[] = [
  'remote_connection_established',
  'remote_connection_handshake_done',
  'remote_connection_closed',
  'remote_connection_error',
  'remote_capture_filter',
  'remote_event_registered',
  'remote_state_inconsistency',
  'remote_state_access_performed',
  'remote_log',
  'remote_log_peer',
  'remote_pong',
  'print_hook',
  'remote_event',
  'remote_log_create_writer',
  'remote_log_write',
];

export interface Recorded {
  event: keyof CommunicationEvents;
  args: unknown[];
}

export interface Harness {
  fw: CommunicationFramework;
  clock: ManualClock;
  events: Recorded[];
  /** communication.log text so far. */
  log: () => string;
  port: number;
  /** Events of one kind, their argument lists. */
  of<K extends keyof CommunicationEvents>(event: K): CommunicationEvents[K][];
}

export async function startFramework(config: LegacyConfigInput, extra: Partial<CommunicationFrameworkOptions> = {}): Promise<Harness> {
  const clock = (extra.clock as ManualClock | undefined) ?? new ManualClock();
  let text = '';
  const fw = new CommunicationFramework({
    config: { listen_interface: '127.0.0.1', listen_port: 0, ...config },
    clock,
    logSink: (t) => (text += t),
    logTimezone: 'utc',
    ...extra,
  });
  const events: Recorded[] = [];
  for (const name of EVENT_NAMES) fw.on(name, (...args: unknown[]) => events.push({ event: name, args }) as never);
  await fw.start();
  const port = fw.listening()[0]?.port ?? 0;
  return {
    fw,
    clock,
    events,
    log: () => text,
    port,
    of: (event) => events.filter((e) => e.event === event).map((e) => e.args as never),
  };
}

/** Resolve when `cond()` holds; checks after every turn of the event loop. */
export function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      let ok = false;
      try {
        ok = cond();
      } catch (err) {
        reject(err as Error);
        return;
      }
      if (ok) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 2);
    };
    check();
  });
}

/** A port nothing listens on right now (bound and released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

let v6: Promise<boolean> | undefined;
/** Can we bind ::1 on this machine? */
export function ipv6Available(): Promise<boolean> {
  v6 ??= new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
  return v6;
}

/** The loopback addresses the live framework cases run over. */
export const LOOPBACKS = ['127.0.0.1', '::1'] as const;

/**
 * Registers `[host] name` cases on a uvu suite; over ::1 a case is skipped (with a line saying
 * so) where this machine has no IPv6 loopback.
 */
export function loopbackCase(suite: Test, host: string): (name: string, fn: () => Promise<void>) => void {
  return (name, fn) => {
    suite(`[${host}] ${name}`, async () => {
      if (host === '::1' && !(await ipv6Available())) {
        console.log(`SKIP [::1] ${name}: IPv6 loopback is not available on this machine`);
        return;
      }
      await fn();
    });
  };
}

/** How Bro's log prefix writes an address: IPv6 in brackets. */
export const uriHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);
/** `text` matched literally inside a RegExp. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
