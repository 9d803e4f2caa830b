// The bridge's log plumbing: files appended under log_dir and flushed by close(), remote log names
// that never collide with the bridge's own logs, broker.log rows as Zeek writes them, and
// reporter.log's flood limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, StatusCode } from '../../modern/constants.ts';
import { zeekLogWriter } from '../../src/core/zeeklog.ts';
import { BrokerLog, BROKER_LOG_COLUMNS, LogFiles, remoteLogName, ReporterLog, REPORTER_LOG_COLUMNS } from '../../src/bridge/index.ts';
import { tempDir } from '../cli/helpers.ts';

test('LogFiles: <dir>/<name>.log, appended across restarts, flushed on close; nothing after close', async () => {
  const dir = tempDir();
  try {
    const logDir = join(dir.path, 'nested', 'logs');
    for (const round of [1, 2]) {
      const files = new LogFiles({ dir: logDir, format: 'ascii', timezone: 'utc', now: () => 0 });
      const w = files.writer('cluster', 'cluster', [{ name: 'ts', type: 'time' }, { name: 'message', type: 'string' }]);
      w.write({ ts: round, message: `round ${round}` });
      const raw = files.sink('extra');
      await files.close();
      raw('late\n');
      w.write({ ts: 9, message: 'after close' });
    }
    const text = readFileSync(join(logDir, 'cluster.log'), 'utf8');
    assert.is(text.match(/^#path\tcluster$/gm)?.length, 2, 'one header block per run');
    assert.match(text, /^1\.000000\tround 1\n#close\t1970-01-01-00-00-00\n#separator/m);
    assert.match(text, /^2\.000000\tround 2\n#close/m);
    assert.not.match(text, /after close/);
  } finally {
    dir.remove();
  }
});

test('remote log names: safe file names, never one of the bridge\'s own logs', () => {
  assert.is(remoteLogName('fxlog'), 'fxlog');
  assert.is(remoteLogName('communication'), 'remote-communication');
  assert.is(remoteLogName('broker'), 'remote-broker');
  assert.is(remoteLogName('../etc/passwd'), '__etc_passwd');
  assert.is(remoteLogName('a b/c'), 'a_b_c');
});

test('broker.log: Zeek\'s columns and ev names, endpoint_* statuses skipped', () => {
  let text = '';
  const log = new BrokerLog(zeekLogWriter('ascii', (t) => (text += t), { path: 'broker', columns: BROKER_LOG_COLUMNS, now: () => 0, timezone: 'utc' }), () => 1500);
  const context = { id: 'x', network: { address: '10.0.0.1', bound_port: 47757, retry: 0 } };
  log.write({ kind: 'status', code: StatusCode.PEER_ADDED, name: 'peer_added', context, message: 'handshake successful' }, 'legacy', 'sensor');
  log.write({ kind: 'status', code: StatusCode.ENDPOINT_DISCOVERED, name: 'endpoint_discovered', context: { id: 'x' }, message: 'found a new peer in the network' }, 'legacy', 'sensor');
  log.write({ kind: 'error', code: ErrorCode.PEER_UNAVAILABLE, name: 'peer_unavailable', message: 'unable to connect to remote peer', context }, 'broker', undefined);
  log.close();
  const rows = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(rows, [
    '1.500000\tBroker::STATUS\tpeer-added\t10.0.0.1\t47757\thandshake successful\tlegacy\tsensor',
    '1.500000\tBroker::ERROR\tpeer-unavailable\t10.0.0.1\t47757\tunable to connect to remote peer\tbroker\t-',
  ]);
  assert.match(text, '#fields\tts\tty\tev\tpeer.address\tpeer.bound_port\tmessage\tpeer.protocol\tpeer.name\n');
});

test('reporter.log: at most `burst` lines per kind and window, then how many were left out', () => {
  let text = '';
  let now = 0;
  const log = new ReporterLog(zeekLogWriter('ascii', (t) => (text += t), { path: 'reporter', columns: REPORTER_LOG_COLUMNS, now: () => 0, timezone: 'utc' }), () => now, { burst: 2, windowMs: 1000, location: 'b' });
  for (let i = 0; i < 5; i++) log.write('Reporter::WARNING', 'drop x', `x ${i}`);
  log.write('Reporter::WARNING', 'drop y', 'y 0');
  now = 1000;
  log.write('Reporter::WARNING', 'drop x', 'x 5');
  log.close();
  const messages = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t')[2]);
  assert.equal(messages, ['x 0', 'x 1', 'y 0', '3 more like "drop x" not logged in the last 1 s', 'x 5']);
});

test.run();
