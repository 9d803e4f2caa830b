// communication.log (Zeek TSV with the seed's Communication::Info columns, JSON lines by option),
// the print buffer's cut and flush rules, and what listen_ipv6 binds (computed for the wildcards,
// bound on loopback only).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { CommunicationLog } from '../../legacy/framework/comm-log.ts';
import { PrintBuffer, PRINT_BUFFER_SIZE } from '../../legacy/peer/print-buffer.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { Listener, listenTargets, type ListenTarget } from '../../legacy/framework/listener.ts';
import { ipv6Available, startFramework, until } from './framework-helpers.ts';

const peer = { id: 10000, host: '2001:db8::7', p: 35382, is_local: false, descr: 'fx-sender' };

test('TSV: Zeek header with the Communication::Info columns, Bro\'s [#id/host:port] prefix', () => {
  let text = '';
  const log = new CommunicationLog((t) => (text += t), { format: 'ascii', peerDescription: 'comm-bridge', now: () => 1_795_318_757_221, timezone: 'utc' });
  log.write(1, 2, 'listening on 127.0.0.1:47757');
  log.write(2, 1, 'remote protocol version mismatch: got 6, but expected 7', peer);
  log.close();
  log.write(1, 1, 'after close: dropped');
  const lines = text.split('\n');
  assert.is(lines[0], '#separator \\x09');
  assert.is(lines[4], '#path\tcommunication');
  assert.is(lines[6], '#fields\tts\tpeer\tsrc_name\tconnected_peer_desc\tconnected_peer_addr\tconnected_peer_port\tlevel\tmessage');
  assert.is(lines[7], '#types\ttime\tstring\tstring\tstring\taddr\tport\tstring\tstring');
  assert.is(lines[8], '1795318757.221000\tcomm-bridge\tparent\t-\t-\t-\tinfo\tlistening on 127.0.0.1:47757');
  assert.is(lines[9], '1795318757.221000\tcomm-bridge\tchild\tfx-sender\t2001:db8::7\t35382\terror\t[#10000/[2001:db8::7]:35382] remote protocol version mismatch: got 6, but expected 7');
  assert.match(lines[10]!, /^#close\t/);
  assert.is(lines.length, 12);
});

test('JSON lines by option (log_format = json), unset columns omitted', async () => {
  let text = '';
  const log = new CommunicationLog((t) => (text += t), { format: 'json', peerDescription: 'comm-bridge', now: () => 1_500_000_000_000 });
  log.write(1, 3, 'connection established', peer);
  log.write(1, 2, 'no peer here');
  const [a, b] = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(a, {
    ts: 1500000000,
    peer: 'comm-bridge',
    src_name: 'script',
    connected_peer_desc: 'fx-sender',
    connected_peer_addr: '2001:db8::7',
    connected_peer_port: 35382,
    level: 'info',
    message: '[#10000/[2001:db8::7]:35382] connection established',
  });
  assert.equal(Object.keys(b!), ['ts', 'peer', 'src_name', 'level', 'message']);
  // Through the framework option.
  const h = await startFramework({ log_format: 'json' });
  assert.match(h.log(), /^\{"ts":\d+(\.\d+)?,"peer":"comm-bridge","src_name":"parent","level":"info","message":"listening on 127\.0\.0\.1:\d+"\}\n$/);
  await h.fw.stop();
});

test('print buffer: records up to 10,240 bytes, cut to fit, cut at NUL, unnamed files skipped', () => {
  const buf = new PrintBuffer();
  assert.is(buf.add('', 'x'), undefined);
  assert.is(buf.pending, 0, 'a print to a file without a name is not forwarded');
  assert.is(buf.add('f', 'before\0after'), undefined);
  assert.equal(buf.take(), [{ file: 'f', text: 'before' }]);
  assert.is(buf.add('file.txt', 'y'.repeat(20_000)), undefined);
  const [only] = buf.take()!;
  assert.is(only!.text.length, PRINT_BUFFER_SIZE - 'file.txt'.length - 2, 'cut to fit the buffer');
  // 100 records of 100 bytes fit (10,000); the 103rd does not: the first 102 go out.
  let flushed: unknown[] | undefined;
  for (let i = 0; i < 103 && flushed === undefined; i++) flushed = buf.add('f.txt', 'z'.repeat(93));
  assert.is(flushed?.length, 102);
  assert.is(buf.pending, 1);
  assert.is(buf.add('f', 'é'.repeat(6000))?.length, 1, 'multi-byte text is measured in bytes');
  const [cut] = buf.take()!;
  // 10,237 bytes of room; a two-byte character is never split.
  assert.is(Buffer.byteLength(cut!.text), PRINT_BUFFER_SIZE - 4);
});

test('listen targets: the 0.0.0.0 wildcard with listen_ipv6 adds :: (IPv6 only); other interfaces bind alone', () => {
  // Computed, not bound: the tests bind loopback only.
  assert.equal(listenTargets('0.0.0.0', true, ''), [{ host: '0.0.0.0', ipv6Only: false }, { host: '::', ipv6Only: true }]);
  assert.equal(listenTargets('0.0.0.0', false, ''), [{ host: '0.0.0.0', ipv6Only: false }]);
  assert.equal(listenTargets('::', true, ''), [{ host: '::', ipv6Only: false }]);
  // Bro: a specific interface is bound by itself, whatever listen_ipv6 says.
  assert.equal(listenTargets('127.0.0.1', true, ''), [{ host: '127.0.0.1', ipv6Only: false }]);
  assert.equal(listenTargets('::1', true, ''), [{ host: '::1', ipv6Only: false }]);
  assert.equal(listenTargets('fe80::1', true, 'eth0'), [{ host: 'fe80::1%eth0', ipv6Only: false }]);
});

/** The Listener with the wildcard pair replaced by its loopback counterpart (127.0.0.1 + ::1). */
class LoopbackPairListener extends Listener {
  protected override targets(): ListenTarget[] {
    return [{ host: '127.0.0.1', ipv6Only: false }, { host: '::1', ipv6Only: true }];
  }
}

test('two listen targets on port 0 share the port the first one got, both reachable (loopback stand-in for 0.0.0.0 + ::)', async () => {
  if (!(await ipv6Available())) return console.log('SKIP two-target listener: IPv6 loopback unavailable');
  const accepted: string[] = [];
  const lines: string[] = [];
  const l = new LoopbackPairListener({
    interface: '127.0.0.1', // unused: targets() is overridden
    port: 0,
    ipv6: true,
    zoneId: '',
    retrySeconds: 0,
    tls: undefined,
    clock: new ManualClock(),
    onConnection: (t) => {
      accepted.push(t.info.localAddress);
      t.destroy();
    },
    log: (_level, msg) => lines.push(msg),
  });
  await l.start();
  const addrs = l.addresses();
  assert.equal(addrs.map((a) => [a.address, a.family]), [['127.0.0.1', 4], ['::1', 6]]);
  assert.is(addrs[0]!.port, addrs[1]!.port);
  assert.ok(addrs[0]!.port > 0);
  for (const host of ['127.0.0.1', '::1']) {
    const s = connect({ host, port: addrs[0]!.port });
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.destroy();
  }
  await until(() => accepted.length === 2, 'both accepted');
  assert.equal(accepted.sort(), ['127.0.0.1', '::1']);
  assert.equal(lines, [`listening on 127.0.0.1:${addrs[0]!.port}`, `listening on [::1]:${addrs[0]!.port}`]);
  await l.close();
});

test.run();
