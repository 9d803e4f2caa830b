// `comm-bridge run` with a temp config on ephemeral ports as a child process: it reports the bound
// ports, `comm-bridge status` shows its peers of both worlds, SIGHUP adds a node while the
// unchanged peer stays connected (a broken config on SIGHUP is refused, the daemon keeps running),
// and SIGTERM — or SIGINT, as Ctrl-C sends — stops it cleanly (exit 0, peers closed, logs flushed
// with #close).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { statusMain } from '../../src/cli/status.ts';
import { Endpoint } from '../../modern/endpoint/index.ts';
import { freePort, startFramework, until } from '../legacy/framework-helpers.ts';
import { memoryIo, tempDir } from './helpers.ts';
import { ephemeralConfig, runCli, startDaemon, writeConfig } from './run-helpers.ts';

test('run -> status -> SIGHUP keeps the unchanged peer -> SIGTERM exits cleanly', async () => {
  const dir = tempDir();
  const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1' } } });
  const bro2 = await startFramework({ nodes: { bridge: { host: '127.0.0.1' } } });
  const node = { host: '127.0.0.1', p: bro.port, connect: true, retry: 1 };
  const configPath = writeConfig(join(dir.path, 'bridge.json'), ephemeralConfig(dir.path, { legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_retry: 0, nodes: { bro: node } } }));
  const d = await startDaemon(configPath);
  try {
    assert.ok(d.ports['legacy']! > 0 && d.ports['broker']! > 0 && d.ports['websocket']! > 0 && d.ports['status']! > 0, d.out());
    assert.match(d.out(), /^legacy\s+127\.0\.0\.1:\d+\s+\(Communication, protocol 7, no TLS\) — point Bro's Communication::nodes \/ Broccoli at it$/m);
    assert.match(d.out(), /^broker\s+127\.0\.0\.1:\d+\s+\(Broker native peering, anonymous TLS\) — Zeek 8: Broker::peer\("127\.0\.0\.1", \d+\/tcp\); Broker::subscribe\("zeek\/legacy\/"\)$/m);
    assert.match(d.out(), /^dialling\s+legacy node bro at 127\.0\.0\.1:\d+ \(retry 1 s\)$/m);
    await until(() => bro.of('remote_connection_handshake_done').length === 1, 'the daemon peered with the Bro peer', 10_000);

    // A native Broker peer too, then `comm-bridge status` lists both worlds.
    const zeek = new Endpoint({});
    assert.ok(await zeek.peerNoRetry('127.0.0.1', d.ports['broker']!));
    const url = `http://127.0.0.1:${d.ports['status']}`;
    const io = memoryIo();
    let code = -1;
    for (let i = 0; i < 50; i++) {
      const probe = memoryIo();
      code = await statusMain(['--url', url], probe);
      if (/broker\s+127\.0\.0\.1:\d+\s+peered/.test(probe.out())) {
        io.stdout(probe.out());
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.is(code, 0);
    const table = io.out();
    assert.match(table, /^NAME\s+PROTOCOL\s+ADDRESS\s+STATUS\s+EVENTS IN\/OUT\s+LAST ERROR$/m);
    assert.match(table, new RegExp(`^bro\\s+legacy\\s+127\\.0\\.0\\.1:${bro.port}\\s+peered\\s+0/0\\s+-$`, 'm'));
    assert.match(table, new RegExp(`^${zeek.nodeId}\\s+broker\\s+127\\.0\\.0\\.1:\\d+\\s+peered`, 'm'));
    assert.match(table, /legacy view: connected_peers 2 \(legacy:bro, broker:broker:/);
    const json = memoryIo();
    assert.is(await statusMain(['--url', url, '--json'], json), 0);
    assert.is((JSON.parse(json.out()) as { node: string }).node, 'cli-test');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /comm_bridge_peers\{protocol="legacy",status="peered"\} 1/);
    assert.match(metrics, /comm_bridge_peers\{protocol="broker",status="peered"\} 1/);

    // SIGHUP with a new node: bro2 is dialled, bro stays connected.
    writeConfig(configPath, ephemeralConfig(dir.path, { legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_retry: 0, nodes: { bro: node, bro2: { host: '127.0.0.1', p: bro2.port, connect: true } } } }));
    d.child.kill('SIGHUP');
    await until(() => bro2.of('remote_connection_handshake_done').length === 1, 'bro2 dialled after SIGHUP', 10_000);
    // The report comes through the stdout pipe, which can lag behind bro2's TCP handshake.
    await until(() => d.out().includes('SIGHUP: nodes'), 'the SIGHUP report on stdout', 10_000);
    assert.match(d.out(), /SIGHUP: nodes added bro2; 1 node\(s\) kept their connections/);
    assert.is(bro.of('remote_connection_closed').length, 0, 'the unchanged peer was not dropped');

    // A broken config on SIGHUP: refused with file/path/rule, the daemon keeps running as it was.
    writeFileSync(configPath, JSON.stringify({ legacy: { nodes: { bro: { host: 'not-an-ip' } } } }));
    d.child.kill('SIGHUP');
    await until(() => d.err().includes('config not reloaded'), 'the refused reload', 10_000);
    assert.match(d.err(), new RegExp(`${configPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: legacy\\.nodes\\.bro\\.host: "not-an-ip" is not an IPv4 or IPv6 address`));
    assert.is(bro.of('remote_connection_closed').length, 0);
    assert.is(bro2.of('remote_connection_closed').length, 0);

    // SIGTERM: graceful stop, exit 0, peers told, logs flushed.
    d.child.kill('SIGTERM');
    assert.is(await d.exited(), 0, d.err());
    assert.match(d.out(), /SIGTERM: stopping[\s\S]*stopped\n$/);
    await until(() => bro.of('remote_connection_closed').length === 1 && bro2.of('remote_connection_closed').length === 1, 'both Bro peers closed');
    const comm = readFileSync(join(dir.path, 'logs', 'communication.log'), 'utf8');
    assert.match(comm, /nodes reloaded: added bro2/);
    assert.match(comm, /#close\t/);
    const brokerLog = readFileSync(join(dir.path, 'logs', 'broker.log'), 'utf8');
    assert.match(brokerLog, /Broker::STATUS\tpeer-added\t127\.0\.0\.1\t\d+\thandshake successful\tlegacy\tbro\n/);
    assert.match(brokerLog, /Broker::STATUS\tpeer-removed\t127\.0\.0\.1\t\d+\tremoved connection to remote peer\tlegacy\tbro2\n/);
    assert.match(readFileSync(join(dir.path, 'logs', 'cluster.log'), 'utf8'), /comm-bridge stopped\n#close/);
    await zeek.shutdown();
  } finally {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await bro.fw.stop();
    await bro2.fw.stop();
    dir.remove();
  }
});

test('SIGINT (Ctrl-C) stops as gracefully as SIGTERM: peers told, logs flushed, exit 0', async () => {
  const dir = tempDir();
  const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1' } } });
  const configPath = writeConfig(
    join(dir.path, 'bridge.json'),
    ephemeralConfig(dir.path, { legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_retry: 0, nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true } } } }),
  );
  const d = await startDaemon(configPath);
  try {
    await until(() => bro.of('remote_connection_handshake_done').length === 1, 'the daemon peered with the Bro peer', 10_000);
    const zeek = new Endpoint({});
    assert.ok(await zeek.peerNoRetry('127.0.0.1', d.ports['broker']!));
    const removed = new Promise<void>((resolve) => zeek.on('status', (s) => s.name === 'peer_lost' || s.name === 'peer_removed' ? resolve() : undefined));

    d.child.kill('SIGINT');
    assert.is(await d.exited(), 0, d.err());
    assert.match(d.out(), /comm-bridge: SIGINT: stopping \(unpeering, flushing logs\)\ncomm-bridge: stopped\n$/);
    assert.is(d.err(), '');
    await until(() => bro.of('remote_connection_closed').length === 1, 'the Bro peer closed');
    await removed;
    const brokerLog = readFileSync(join(dir.path, 'logs', 'broker.log'), 'utf8');
    assert.match(brokerLog, /Broker::STATUS\tpeer-removed\t127\.0\.0\.1\t\d+\tremoved connection to remote peer\tlegacy\tbro\n/);
    assert.match(brokerLog, /#close\t/);
    assert.match(readFileSync(join(dir.path, 'logs', 'communication.log'), 'utf8'), /#close\t/);
    assert.match(readFileSync(join(dir.path, 'logs', 'cluster.log'), 'utf8'), /comm-bridge stopped\n#close/);
    await zeek.shutdown();
  } finally {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await bro.fw.stop();
    dir.remove();
  }
});

test('status: a daemon that is not running is a clear error, exit 1', async () => {
  const port = await freePort();
  const r = await runCli(['status', '--url', `http://127.0.0.1:${port}`]);
  assert.is(r.code, 1);
  assert.match(r.err, `comm-bridge status: cannot reach http://127.0.0.1:${port}/status (ECONNREFUSED) — is \`comm-bridge run\` running`);
});

test.run();
