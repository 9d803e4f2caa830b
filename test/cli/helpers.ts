// Test helpers for the CLI verbs: in-memory stdout/stderr, temporary folders, and a TCP server
// that plays the server side of a captured connection (answering each client send the way the
// captured server did), so replay and record can be exercised on loopback.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Capture } from '../../src/core/capture/types.ts';
import type { CliIo } from '../../src/cli/io.ts';

export function memoryIo(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    flush: async () => {},
    out: () => out,
    err: () => err,
  };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'comm-bridge-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ScriptedServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves connection `conn` of a capture: every s2c record is written once the client has sent as
 * many bytes as the captured client had sent before it. `edit` may change or drop (return null)
 * any s2c chunk, to provoke divergences.
 */
export async function serveCapture(capture: Capture, conn: number, edit?: (bytes: Uint8Array, index: number) => Uint8Array | null): Promise<ScriptedServer> {
  const script: { after: number; bytes?: Uint8Array; end?: true }[] = [];
  let c2s = 0;
  let index = 0;
  for (const r of capture.records) {
    if (r.conn !== conn) continue;
    if (r.kind === 'data' && r.dir === 'c2s') c2s += r.bytes.length;
    else if (r.kind === 'data') {
      const bytes = edit ? edit(r.bytes, index) : r.bytes;
      index++;
      if (bytes) script.push({ after: c2s, bytes });
    } else if (r.dir === 's2c') script.push({ after: c2s, end: true });
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let received = 0;
    let next = 0;
    const pump = () => {
      while (next < script.length && script[next]!.after <= received) {
        const step = script[next++]!;
        if (step.bytes) socket.write(step.bytes);
        if (step.end) socket.end();
      }
    };
    socket.on('data', (b: Buffer) => {
      received += b.length;
      pump();
    });
    socket.on('end', () => socket.end());
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
