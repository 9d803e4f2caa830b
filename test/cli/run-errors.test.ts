// `comm-bridge run` refusing to start: a config with errors (each named by file, path and rule), a
// file that is not JSON or not there, TLS files it names that cannot be read, a port already in use
// with no retry configured (for each listener) — always a clear message on stderr and exit status
// 2, never a hang or a stack trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.ts';
import { ephemeralConfig, runCli, writeConfig } from './run-helpers.ts';

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

test('config errors: every problem named by file, path and rule; exit 2', async () => {
  const dir = tempDir();
  try {
    const file = writeConfig(join(dir.path, 'bad.json'), {
      brokr: {},
      broker: { default_port: 99999 },
      legacy: { nodes: { sensor: { host: '10.0.0.1', p: 'abc' }, mgr: { host: '10.0.0.2' } } },
      cluster: { nodes: { mgr: { node_type: 'MANAGER', ip: '10.0.0.2' } } },
      routing: { echo_window_ms: -1 },
    });
    const r = await runCli(['run', '--config', file]);
    assert.is(r.code, 2);
    assert.is(r.out, '');
    const lines = r.err.trim().split('\n');
    assert.is(lines[0], `comm-bridge run: config_invalid: ${file}: legacy.nodes.sensor.p: "abc" is not a port (0-65535 or "47757/tcp")`);
    assert.ok(lines.includes(`${file}: broker.default_port: 99999 is not a port (0-65535 or "47757/tcp")`), r.err);
    assert.ok(lines.includes(`${file}: routing.echo_window_ms: Too small: expected number to be >=0`), r.err);
    assert.ok(lines.includes(`${file}: brokr: unknown field (not part of the config)`), r.err);
    assert.ok(!r.err.includes('    at '), 'no stack trace');

    // Cross-section rules run once the sections themselves are valid.
    writeConfig(file, { legacy: { nodes: { mgr: { host: '10.0.0.2' } } }, cluster: { nodes: { mgr: { node_type: 'MANAGER', ip: '10.0.0.2' } } } });
    const r2 = await runCli(['run', '--config', file]);
    assert.is(r2.code, 2);
    assert.match(r2.err, `${file}: cluster.nodes.mgr.node_type: legacy node "mgr" can play WORKER or PROXY through the bridge, not MANAGER`);

    writeFileSync(file, '{ "legacy": { "nodes": { } }, }');
    const r3 = await runCli(['run', '--config', file]);
    assert.is(r3.code, 2);
    assert.match(r3.err, `comm-bridge run: config_invalid: ${file}: `);
    assert.match(r3.err, 'not valid JSON');

    const missing = join(dir.path, 'missing.json');
    const r4 = await runCli(['run', '--config', missing]);
    assert.is(r4.code, 2);
    assert.match(r4.err, `comm-bridge run: config_unreadable: ${missing}: cannot read: ENOENT`);

    // Files the config names are read at start: a missing one is a config error too (no hang).
    writeConfig(file, ephemeralConfig(dir.path, { legacy: { listen_interface: '127.0.0.1', listen_port: 0, listen_ssl: true, ssl_private_key: missing, ssl_ca_certificate: missing } }));
    const r6 = await runCli(['run', '--config', file]);
    assert.is(r6.code, 2);
    assert.match(r6.err, `comm-bridge run: config_invalid: ${file}: legacy.ssl_private_key: cannot read ${missing}: ENOENT`);
    writeConfig(file, ephemeralConfig(dir.path, { broker: { default_port: 0, ssl_certificate: missing, ssl_keyfile: missing, ssl_cafile: missing } }));
    const r7 = await runCli(['run', '--config', file]);
    assert.is(r7.code, 2);
    assert.match(r7.err, `${file}: broker.ssl_`);

    const r5 = await runCli(['run', '--bogus']);
    assert.is(r5.code, 2);
    assert.match(r5.err, "comm-bridge run: usage: Unknown option '--bogus'");
  } finally {
    dir.remove();
  }
});

test('a port in use without retry: exit 2 naming the listener; with retry the daemon would wait', async () => {
  const dir = tempDir();
  const busy = await occupy();
  try {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['legacy', { legacy: { listen_interface: '127.0.0.1', listen_port: busy.port, listen_retry: 0 } }, new RegExp(`listen_failed: can't listen on 127\\.0\\.0\\.1:${busy.port}: .*EADDRINUSE`)],
      ['broker', { broker: { default_listen_address: '127.0.0.1', default_port: busy.port, default_listen_retry: 0 } }, new RegExp(`listen_failed: Broker: can't listen on 127\\.0\\.0\\.1:${busy.port} \\(in use\\?`)],
      ['websocket', { websocket: { listen_addr: '127.0.0.1', listen_port: busy.port, ping_interval: 0 } }, new RegExp(`listen_failed: WebSocket: can't listen on 127\\.0\\.0\\.1:${busy.port}: .*EADDRINUSE`)],
      ['status', { status: { address: '127.0.0.1', port: busy.port } }, new RegExp(`listen_failed: status: can't listen on 127\\.0\\.0\\.1:${busy.port}: .*EADDRINUSE`)],
    ];
    for (const [what, extra, message] of cases) {
      const file = writeConfig(join(dir.path, `${what}.json`), ephemeralConfig(dir.path, extra));
      const r = await runCli(['run', '--config', file]);
      assert.is(r.code, 2, `${what}: ${r.err}`);
      assert.match(r.err, message, what);
      assert.not.match(r.out, /^status\s/m, `${what}: never reported as running`);
    }
  } finally {
    busy.server.close();
    dir.remove();
  }
});

test.run();
