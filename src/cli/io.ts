// What the CLI verbs share: where output goes (injectable for tests), buffered line output, and how
// a failure is reported — the error's stable code and message on stderr, exit status 2.
import { isBridgeError } from '../core/errors.ts';
import { captureError } from '../core/capture/errors.ts';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Resolves once everything written to stdout has been handed to the OS. */
  flush(): Promise<void>;
}

export function defaultIo(): CliIo {
  let broken = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `comm-bridge decode x | head` closes the pipe early: stop writing, do not crash.
    if (err.code === 'EPIPE') broken = true;
    else throw err;
  });
  return {
    stdout: (text) => {
      if (!broken) process.stdout.write(text);
    },
    stderr: (text) => void process.stderr.write(text),
    flush: () => (broken ? Promise.resolve() : new Promise<void>((resolve) => process.stdout.write('', () => resolve()))),
  };
}

/** Collects lines and writes them in blocks of about 64 KiB. */
export function createOutput(write: (text: string) => void): { line(text: string): void; close(): Promise<void> } {
  let pending: string[] = [];
  let size = 0;
  const flush = () => {
    if (pending.length === 0) return;
    write(pending.join(''));
    pending = [];
    size = 0;
  };
  return {
    line(text) {
      pending.push(text, '\n');
      size += text.length + 1;
      if (size >= 65536) flush();
    },
    async close() {
      flush();
    },
  };
}

/** Reports a failure of `verb` and returns the exit status. */
export function cliError(verb: string, err: unknown, io: CliIo): number {
  if (isBridgeError(err)) {
    // Usage messages already start with "usage:".
    const text = err.message.startsWith(`${err.code}:`) ? err.message : `${err.code}: ${err.message}`;
    io.stderr(`comm-bridge ${verb}: ${text}\n`);
    return 2;
  }
  io.stderr(`comm-bridge ${verb}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}

export function parseConn(text: string): number {
  if (!/^\d+$/.test(text)) throw captureError('usage', `--conn expects a connection number, got '${text}'`, { field: '--conn' });
  return Number(text);
}

/** HOST:PORT, [V6]:PORT or PORT (host defaulting to `defaultHost`). */
export function parseHostPort(text: string, option: string, defaultHost = '127.0.0.1'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw captureError('usage', `${option} expects HOST:PORT, got '${text}'`, { field: option });
  }
  return { host: m[1] || m[2] || defaultHost, port };
}
