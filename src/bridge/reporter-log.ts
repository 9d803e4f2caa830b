// reporter.log (Zeek's Reporter::Info: ts, level, message, location): what the bridge could not
// carry across — translation drops with their reason, legacy state that could not be mirrored.
// A sensor sending the same bad event in a loop must not flood it: per kind of problem at most
// `burst` lines per `windowMs`, then one line saying how many were left out.
import type { ZeekColumn, ZeekLogWriter } from '../core/zeeklog.ts';

export const REPORTER_LOG_COLUMNS: readonly ZeekColumn[] = [
  { name: 'ts', type: 'time' },
  { name: 'level', type: 'enum' },
  { name: 'message', type: 'string' },
  { name: 'location', type: 'string' },
];

export type ReporterLevel = 'Reporter::INFO' | 'Reporter::WARNING' | 'Reporter::ERROR';

interface Window {
  start: number;
  lines: number;
  suppressed: number;
}

export class ReporterLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly writer: ZeekLogWriter,
    private readonly now: () => number,
    private readonly options: { burst: number; windowMs: number; location: string } = { burst: 20, windowMs: 60_000, location: 'comm-bridge' },
  ) {}

  /** One line, unless `kind` has used up its burst in the current window. */
  write(level: ReporterLevel, kind: string, message: string): void {
    const now = this.now();
    let w = this.windows.get(kind);
    if (w === undefined || now - w.start >= this.options.windowMs) {
      if (w !== undefined && w.suppressed > 0) this.line(level, `${w.suppressed} more like "${kind}" not logged in the last ${this.options.windowMs / 1000} s`);
      w = { start: now, lines: 0, suppressed: 0 };
      this.windows.set(kind, w);
    }
    if (w.lines >= this.options.burst) {
      w.suppressed++;
      return;
    }
    w.lines++;
    this.line(level, message);
  }

  private line(level: ReporterLevel, message: string): void {
    this.writer.write({ ts: this.now() / 1000, level, message, location: this.options.location });
  }

  close(): void {
    for (const [kind, w] of this.windows) if (w.suppressed > 0) this.line('Reporter::WARNING', `${w.suppressed} more like "${kind}" not logged`);
    this.windows.clear();
    this.writer.close();
  }
}
