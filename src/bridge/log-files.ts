// The bridge's log files: communication.log (the legacy framework's), cluster.log, broker.log,
// reporter.log and the logs legacy peers send (REQUEST_LOGS), each `<log_dir>/<name>.log` in Zeek TSV or JSON
// lines. Files are appended to (a restart adds a new header block, as zeek-cut expects); writes go
// through one stream per file and close() waits until everything is on disk. A sink can replace
// the files (tests, or an embedding application).
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { zeekLogWriter, type ZeekColumn, type ZeekLogWriter } from '../core/zeeklog.ts';

/** Logs the bridge itself writes: a legacy peer's log of the same name goes to `remote-<name>.log`. */
export const OWN_LOGS: ReadonlySet<string> = new Set(['communication', 'cluster', 'broker', 'reporter']);

export interface LogFilesOptions {
  dir: string;
  format: 'ascii' | 'json';
  timezone: 'local' | 'utc';
  /** Wall clock, ms (#open / #close stamps). */
  now: () => number;
  /** Instead of files: receives (log name, text). */
  sink?: (name: string, text: string) => void;
}

/** File name (without `.log`) for a legacy peer's log path: safe characters only, never one of ours. */
export function remoteLogName(path: string): string {
  const safe = path.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return OWN_LOGS.has(safe) ? `remote-${safe}` : safe;
}

export class LogFiles {
  private readonly streams = new Map<string, WriteStream>();
  private readonly writers: ZeekLogWriter[] = [];
  private closed = false;

  constructor(private readonly options: LogFilesOptions) {
    if (options.sink === undefined) mkdirSync(options.dir, { recursive: true });
  }

  /** Where a log goes (for the start-up message). */
  pathOf(name: string): string {
    return join(this.options.dir, `${name}.log`);
  }

  /** Raw text sink for `<name>.log`; text after close() is dropped. */
  sink(name: string): (text: string) => void {
    const external = this.options.sink;
    if (external !== undefined) return (text) => void (this.closed || external(name, text));
    return (text) => {
      if (this.closed) return;
      let s = this.streams.get(name);
      if (s === undefined) {
        s = createWriteStream(this.pathOf(name), { flags: 'a' });
        s.on('error', () => undefined);
        this.streams.set(name, s);
      }
      s.write(text);
    };
  }

  /** A Zeek log writer for `<name>.log` with the bridge's format; closed by close(). */
  writer(name: string, path: string, columns: readonly ZeekColumn[]): ZeekLogWriter {
    const w = zeekLogWriter(this.options.format, this.sink(name), { path, columns, now: this.options.now, timezone: this.options.timezone });
    let open = true;
    const guarded: ZeekLogWriter = {
      write: (row) => {
        if (open && !this.closed) w.write(row);
      },
      close: () => {
        if (!open) return;
        open = false;
        w.close();
      },
    };
    this.writers.push(guarded);
    return guarded;
  }

  /** Writes #close to every open writer and waits until the files are flushed. */
  async close(): Promise<void> {
    for (const w of this.writers.splice(0)) w.close();
    this.closed = true;
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}
