// `comm-bridge run` as a child process: a config file with every port 0 in a temp folder, the
// bound ports read back from the start-up lines, output collected, signals sent by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../legacy/framework-helpers.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'src/cli/comm-bridge.js');

export interface Daemon {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Bound ports by listener kind, from the start-up lines. */
  ports: Record<string, number>;
  exited(): Promise<number | null>;
}

/** Every listener on loopback port 0, logs in `dir`. */
export function ephemeralConfig(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    node: 'cli-test',
    log_dir: join(dir, 'logs'),
    status: { address: '127.0.0.1', port: 0 },
    legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_retry: 0 },
    broker: { default_listen_address: '127.0.0.1', default_port: 0, default_listen_retry: 0 },
    websocket: { listen_addr: '127.0.0.1', listen_port: 0, ping_interval: 0 },
    ...extra,
  };
}

export function writeConfig(path: string, config: unknown): string {
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * A hang guard, not a speed limit: one `comm-bridge` start loads every module through tsx, which took
 * up to 8 s per process on a loaded 2-core machine (more with a cold tsx cache).
 */
const CLI_DEADLINE_MS = 60_000;

/** Runs `comm-bridge <args>` and resolves with its exit code and output (for commands that end by themselves). */
export function runCli(args: string[], timeoutMs = CLI_DEADLINE_MS): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`comm-bridge ${args.join(' ')} did not exit within ${timeoutMs} ms\n${out}\n${err}`));
    }, timeoutMs);
    // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Starts `comm-bridge run --config FILE` and waits for its listener lines. */
export async function startDaemon(configPath: string): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  // Resolves once the process has exited AND its stdout/stderr are read to the end.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let gone = false;
  void exit.then(() => (gone = true));
  await until(() => {
    if (gone) throw new Error(`comm-bridge run exited early:\n${out}\n${err}`);
    return /^status\s/m.test(out);
  }, 'the daemon listening', CLI_DEADLINE_MS);
  const ports: Record<string, number> = {};
  for (const m of out.matchAll(/^(legacy|broker|websocket|status)\s+\S+:(\d+)\s/gm)) ports[m[1]!] = Number(m[2]);
  return { child, out: () => out, err: () => err, ports, exited: () => exit };
}
