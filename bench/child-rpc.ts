// The bench processes talk over stdin/stdout, one JSON object per line: the orchestrator sends a
// numbered command, the child answers with the same id.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Msg = Record<string, unknown> & { id?: number; cmd?: string };

/** Child side: answer every command line; exits when the orchestrator closes stdin. */
export function serve(handle: (m: Msg) => Promise<Msg> | Msg): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const m = JSON.parse(line) as Msg;
    void Promise.resolve(handle(m)).then(
      (reply) => process.stdout.write(`${JSON.stringify({ ...reply, id: m.id })}\n`),
      (err: Error) => process.stdout.write(`${JSON.stringify({ error: err.message, id: m.id })}\n`),
    );
  });
  lines.on('close', () => process.exit(0));
}

/** Orchestrator side: one child process, commands answered by id. */
export class Child {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Msg) => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as Msg;
      const w = this.waiting.get(m.id ?? -1);
      this.waiting.delete(m.id ?? -1);
      w?.(m);
    });
    this.exited = new Promise((r) => proc.once('exit', r));
    void this.exited.then((code) => {
      for (const w of this.waiting.values()) w({ error: `process exited with ${code}` });
      this.waiting.clear();
    });
  }

  call(m: Msg): Promise<Msg> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => (reply.error !== undefined ? reject(new Error(String(reply.error))) : resolve(reply)));
      this.proc.stdin!.write(`${JSON.stringify({ ...m, id })}\n`);
    });
  }

  async stop(): Promise<void> {
    this.proc.stdin!.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}
