// `comm-bridge run [--config FILE]`: the bridge daemon. Validates the config (errors name the file,
// the path and the rule), opens every listener, prints one line per listener saying how to connect,
// then runs until SIGTERM / SIGINT (graceful: unpeer, flush logs, close). SIGHUP re-reads the config
// file and applies its `legacy.nodes` table without dropping unchanged peers. Exit status: 0 after a
// graceful stop, 2 for a bad config or a listener that cannot bind (no retry configured).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Bridge, type ListenerInfo } from '../bridge/index.ts';
import { DEFAULT_CONFIG, loadConfigFile, parseBridgeConfig, type BridgeConfig } from '../config/index.ts';
import { BridgeError } from '../core/errors.ts';
import { cliError, defaultIo, type CliIo } from './io.ts';

const USAGE = 'usage: comm-bridge run [--config FILE]   (without --config: the embedded loopback-only default)';

/** Something that delivers signals (process, or a test double). */
export interface SignalSource {
  on(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', fn: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', fn: () => void): unknown;
}

const pad = (s: string, n: number): string => s.padEnd(n);
const hostPort = (address: string, port: number): string => `${address.includes(':') ? `[${address}]` : address}:${port}`;

/** One line per listener: where, what, and how to connect to it. */
export function listenerLines(listeners: readonly ListenerInfo[], config: BridgeConfig): string[] {
  const subs = [...new Set([config.routing.legacy_topic.split('{')[0] ?? '', ...Object.values(config.routing.events).flatMap((e) => e.topics)])].filter((t) => t !== '');
  const topic = subs[0] ?? 'zeek/legacy/';
  const retry: Record<string, number> = { legacy: config.legacy.listen_retry, broker: config.broker.default_listen_retry };
  return listeners.map((l) => {
    const where = hostPort(l.address, l.waitingFor ?? l.port);
    const waiting = l.waitingFor !== undefined ? ` — port in use, retrying every ${retry[l.kind] ?? 0} s` : '';
    switch (l.kind) {
      case 'legacy':
        return `${pad('legacy', 10)}${pad(where, 22)}(Communication, protocol 7, ${l.security})${waiting || " — point Bro's Communication::nodes / Broccoli at it"}`;
      case 'broker':
        return `${pad('broker', 10)}${pad(where, 22)}(Broker native peering, ${l.security})${waiting || ` — Zeek 8: Broker::peer("${l.address}", ${l.port}/tcp); Broker::subscribe("${topic}")`}`;
      case 'websocket':
        return `${pad('websocket', 10)}${pad(where, 22)}(Broker WebSocket JSON v1, ${l.security}) — clients connect to ${l.url ?? where}`;
      case 'status':
        return `${pad('status', 10)}${pad(where, 22)}(HTTP: /status, /metrics) — comm-bridge status --url ${l.url ?? `http://${where}`}`;
    }
  });
}

/** The outbound connections the config asks for (Broker peers, WebSocket servers, legacy nodes to dial). */
function dialLines(config: BridgeConfig): string[] {
  const out: string[] = [];
  for (const [name, n] of Object.entries(config.legacy.nodes)) if (n.connect) out.push(`${pad('dialling', 10)}legacy node ${name} at ${hostPort(n.host, n.p ?? config.legacy.listen_port)}${n.retry > 0 ? ` (retry ${n.retry} s)` : ''}`);
  for (const p of config.broker.peers) out.push(`${pad('dialling', 10)}Broker peer ${hostPort(p.address, p.port ?? config.broker.default_port)}`);
  for (const c of config.websocket.clients) out.push(`${pad('dialling', 10)}WebSocket ${c.url}`);
  return out;
}

function load(path: string | undefined): BridgeConfig {
  return path === undefined ? parseBridgeConfig(DEFAULT_CONFIG, 'default config') : loadConfigFile(path);
}

export async function runMain(args: string[], io: CliIo = defaultIo(), signals: SignalSource = process): Promise<number> {
  let configPath: string | undefined;
  let bridge: Bridge;
  try {
    let values;
    try {
      ({ values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } }));
    } catch (err) {
      throw new BridgeError('usage', `${(err as Error).message}\n${USAGE}`);
    }
    if (values.help === true) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    configPath = values.config;
    const config = load(configPath);
    bridge = new Bridge({ config, source: configPath ?? 'default config' });
    const listeners = await bridge.start();
    const format = config.log_format === 'json' ? 'JSON lines' : 'Zeek TSV';
    io.stdout(`comm-bridge: node ${config.node} running (pid ${process.pid}); config ${configPath ?? '(embedded default)'}; logs in ${resolve(config.log_dir)} (${format})\n`);
    for (const line of [...listenerLines(listeners, config), ...dialLines(config)]) io.stdout(`${line}\n`);
    await io.flush();
  } catch (err) {
    return cliError('run', err, io);
  }

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        io.stderr(`comm-bridge run: ${signal} again: exiting without waiting\n`);
        process.exit(1);
      }
      stopping = true;
      io.stdout(`comm-bridge: ${signal}: stopping (unpeering, flushing logs)\n`);
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
      signals.off('SIGHUP', onHup);
      bridge.stop().then(
        async () => {
          io.stdout('comm-bridge: stopped\n');
          await io.flush();
          done(0);
        },
        (err: unknown) => done(cliError('run', err, io)),
      );
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    const onHup = (): void => {
      if (configPath === undefined) {
        io.stdout('comm-bridge: SIGHUP: running on the embedded default config, nothing to reload\n');
        return;
      }
      try {
        const r = bridge.reload(loadConfigFile(configPath), configPath);
        const l = r.legacy;
        const parts = (['added', 'removed', 'changed'] as const).filter((k) => l[k].length > 0).map((k) => `${k} ${l[k].join(', ')}`);
        io.stdout(`comm-bridge: SIGHUP: nodes ${parts.length > 0 ? parts.join('; ') : 'unchanged'}; ${l.unchanged.length} node(s) kept their connections\n`);
        if (r.needsRestart.length > 0) io.stdout(`comm-bridge: SIGHUP: changed but only applied at start (restart to apply): ${r.needsRestart.join(', ')}\n`);
      } catch (err) {
        io.stderr(`comm-bridge run: SIGHUP: config not reloaded, still running the previous one:\n${(err as Error).message}\n`);
      }
    };
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
    signals.on('SIGHUP', onHup);
  });
}
