import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRecorder } from '../../src/core/capture/recorder.ts';
import { readCapture, readCaptureFile } from '../../src/core/capture/read.ts';
import { readTranscript } from '../../src/core/capture/transcript.ts';
import { replayConnection } from '../../src/core/capture/replayer.ts';
import type { DecodedMessage, ProtocolDecoder } from '../../src/core/capture/types.ts';
import { replayMain } from '../../src/cli/replay.ts';
import { fixtureDir, streamsOf } from '../core/capture-helpers.ts';
import { memoryIo, serveCapture, tempDir } from './helpers.ts';

/** An echo server that also closes its side when the client does. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('data', (b) => s.write(b));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))) };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Connects, sends each message after the previous echo came back, then ends and waits for close. */
async function talk(port: number, messages: string[]): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  let expected = 0;
  let wake: () => void = () => {};
  socket.on('data', (b) => {
    received += b.toString();
    if (received.length >= expected) wake();
  });
  await new Promise((r) => socket.once('connect', r));
  for (const m of messages) {
    expected += m.length;
    const got = new Promise<void>((r) => (wake = r));
    socket.write(m);
    await got;
  }
  socket.end();
  await new Promise((r) => socket.once('close', r));
  return received;
}

test('recorder relays both ways and writes transcript and pcap with the same streams', async () => {
  const echo = await echoServer();
  const lines: string[] = [];
  const packets: Uint8Array[] = [];
  let done = 0;
  const recorder = await startRecorder({ listenPort: 0, target: { host: '127.0.0.1', port: echo.port }, transcript: (l) => lines.push(l), pcap: (b) => packets.push(b), onConnectionDone: () => done++ });
  try {
    assert.is(recorder.host, '127.0.0.1');
    assert.is(await talk(recorder.port, ['hello ', 'world']), 'hello world');
    while (done < 1) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await recorder.close();
    await echo.close();
  }
  const transcript = readTranscript(lines.join(''));
  assert.is(transcript.header['server'], `127.0.0.1:${echo.port}`);
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'event' in l);
  assert.equal(events.map((e) => [e['event'], e['conn']]), [['accepted', 0], ['proxy-exit', undefined]]);
  const want = streamsOf(transcript);
  assert.is(Buffer.from(want.bytes.get('0/c2s')!, 'hex').toString(), 'hello world');
  assert.is(Buffer.from(want.bytes.get('0/s2c')!, 'hex').toString(), 'hello world');
  assert.equal([...want.ended].sort(), ['0/c2s', '0/s2c']);
  const pcap = readCapture(Buffer.concat(packets));
  assert.equal(streamsOf(pcap), want);
  const conns = pcap.header['connections'] as { client: string; server: string }[];
  assert.is(conns[0]!.server, `127.0.0.1:${echo.port}`);
});

test('an unreachable target is logged and does not use up a connection number', async () => {
  const lines: string[] = [];
  let done = 0;
  const recorder = await startRecorder({ listenPort: 0, target: { host: '127.0.0.1', port: await freePort() }, transcript: (l) => lines.push(l), onConnectionDone: () => done++ });
  try {
    const s = connect({ host: '127.0.0.1', port: recorder.port });
    s.on('error', () => {});
    await new Promise((r) => s.once('close', r));
    while (done < 1) await new Promise((r) => setTimeout(r, 5));
  } finally {
    await recorder.close();
  }
  const events = lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(events.map((e) => e['event']), ['target-unreachable', 'proxy-exit']);
  assert.match(String(events[0]!['error']), /ECONNREFUSED/);
  assert.not.ok('conn' in events[0]!);
});

test('comm-bridge record (real process): --once records one connection to jsonl and pcap, then exits 0', async () => {
  const echo = await echoServer();
  const dir = tempDir();
  try {
    const bin = fileURLToPath(new URL('../../src/cli/comm-bridge.js', import.meta.url));
    const out = join(dir.path, 'rec.jsonl');
    const pcapPath = join(dir.path, 'rec.pcap');
    const child = spawn(process.execPath, [bin, 'record', '--listen', '0', '--target', `127.0.0.1:${echo.port}`, '--out', out, '--pcap', pcapPath, '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (b) => {
        stdout += b;
        const m = /listening 127\.0\.0\.1:(\d+)/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`record exited early: ${stderr}`)));
    });
    assert.is(await talk(port, ['ping']), 'ping');
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    assert.is(code, 0, stderr);
    const a = await readCaptureFile(out);
    const b = readCapture(readFileSync(pcapPath));
    assert.equal(streamsOf(b), streamsOf(a));
    assert.is(Buffer.from(streamsOf(a).bytes.get('0/s2c')!, 'hex').toString(), 'ping');
  } finally {
    dir.remove();
    await echo.close();
  }
});

const WS = `${fixtureDir('broker')}websocket-json-session.jsonl`;

test('replay of a real WebSocket session against a peer that answers like the capture: no divergence', async () => {
  const capture = await readCaptureFile(WS);
  const server = await serveCapture(capture, 0);
  try {
    const io = memoryIo();
    const code = await replayMain([WS, '--to', `127.0.0.1:${server.port}`, '--conn', '0'], io);
    assert.is(code, 0, io.out() + io.err());
    assert.match(io.out(), /\(websocket\)/);
    assert.match(io.out(), /no divergence/);
  } finally {
    await server.close();
  }
});

test('replay reports the first divergent server message and exits 1', async () => {
  const capture = await readCaptureFile(WS);
  const errorFrame = (text: string) => Buffer.concat([Buffer.from([0x81, text.length]), Buffer.from(text)]);
  // s2c chunk 3 is the second data message (bool-true, followed in the same chunk by bool-false).
  const server = await serveCapture(capture, 0, (bytes, i) => (i === 3 ? errorFrame('{"type":"error","code":"x","context":"y"}') : bytes));
  try {
    const io = memoryIo();
    assert.is(await replayMain([WS, '--to', `127.0.0.1:${server.port}`, '--timeout', '300'], io), 1);
    assert.match(io.out(), /divergence at server message #3: message #3 differs/);
    assert.match(io.out(), /expected \{.*"type":"data-message"/);
    assert.match(io.out(), /actual +\{.*"type":"error-message"/);
  } finally {
    await server.close();
  }
});

test('a peer that stops answering is a divergence after --timeout, not a hang', async () => {
  const capture = await readCaptureFile(WS);
  const server = await serveCapture(capture, 3, (bytes, i) => (i >= 1 ? null : bytes)); // 101 only, no ack
  try {
    const io = memoryIo();
    const started = Date.now();
    assert.is(await replayMain([WS, '--to', `127.0.0.1:${server.port}`, '--conn', '3', '--timeout', '200'], io), 1);
    assert.ok(Date.now() - started < 3000);
    assert.match(io.out(), /peer sent fewer messages|no reply within 200 ms/);
  } finally {
    await server.close();
  }
});

test('replay of a legacy capture (broping) through the registered legacy decoder', async () => {
  const path = `${fixtureDir('legacy')}broping.jsonl`;
  const server = await serveCapture(await readCaptureFile(path), 0);
  try {
    const io = memoryIo();
    assert.is(await replayMain([path, '--to', `127.0.0.1:${server.port}`], io), 0, io.out() + io.err());
    assert.match(io.out(), /\(legacy\)/);
  } finally {
    await server.close();
  }
});

test('replay of a native Broker capture through the registered broker decoder', async () => {
  const path = `${fixtureDir('broker')}native-nodes-connector-originates.pcap`;
  const server = await serveCapture(await readCaptureFile(path), 0);
  try {
    const io = memoryIo();
    assert.is(await replayMain([path, '--to', `127.0.0.1:${server.port}`], io), 0, io.out() + io.err());
    assert.match(io.out(), /\(broker\)/);
    assert.match(io.out(), /no divergence/);
  } finally {
    await server.close();
  }
});

test('replay: unreachable peer and bad arguments are typed errors (exit 2)', async () => {
  for (const [args, expected] of [
    [[WS, '--to', `127.0.0.1:${await freePort()}`], /peer_unreachable/],
    [[WS, '--to', 'nowhere'], /usage/],
    [[WS], /usage/],
    [[WS, '--to', '127.0.0.1:1', '--conn', '7'], /no_such_connection/],
  ] as [string[], RegExp][]) {
    const io = memoryIo();
    assert.is(await replayMain(args, io), 2, args.join(' '));
    assert.match(io.err(), expected);
  }
});

test('comparable view: volatile fields are ignored, meaningful ones are not; --pace keeps the gaps', async () => {
  // A line protocol: "name value" per line; the value is volatile unless the name is "fixed".
  const lineDecoder: ProtocolDecoder = {
    protocol: 'legacy',
    detect: () => true,
    session: () => {
      const buf: Record<string, string> = { c2s: '', s2c: '' };
      return {
        push(dir, bytes) {
          buf[dir] += Buffer.from(bytes).toString();
          const parts = buf[dir]!.split('\n');
          buf[dir] = parts.pop()!;
          return parts.map((p): DecodedMessage => ({ type: p.split(' ')[0]!, value: p.split(' ')[1] }));
        },
        end: () => [],
      };
    },
    comparable: (m) => (m.type === 'fixed' ? [m.type, m['value']] : m.type),
  };
  const rec = (dir: string, t: number, text: string) => `{"dir":"${dir}","t":${t},"hex":"${Buffer.from(text).toString('hex')}"}`;
  const capture = readTranscript([rec('c2s', 0, 'hi 1\n'), rec('s2c', 0.01, 'clock 100\nfixed 7\n'), rec('c2s', 0.3, 'bye 2\n'), rec('s2c', 0.31, 'clock 101\n')].join('\n'));
  const answer = async (replies: string[]) => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      let n = 0;
      s.on('data', () => s.write(replies[n++] ?? ''));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const started = Date.now();
    try {
      const result = await replayConnection({ capture, conn: 0, decoder: lineDecoder, to: { host: '127.0.0.1', port }, replyTimeoutMs: 500, pace: true });
      return { result, ms: Date.now() - started };
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    }
  };
  const same = await answer(['clock 555\nfixed 7\n', 'clock 556\n']);
  assert.is(same.result.divergence, undefined);
  assert.ok(same.ms >= 250, `paced replay took ${same.ms} ms`);
  const differs = await answer(['clock 555\nfixed 8\n', 'clock 556\n']);
  assert.is(differs.result.divergence?.index, 1);
  assert.is(differs.result.divergence?.actual?.['value'], '8');
});

test.run();
