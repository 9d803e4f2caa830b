// Logs and state through the bridge on loopback, with a Bro 2.5 peer (a framework instance):
// - its remote logs (the bro-bro-logs writers and entries) become LogCreate / LogWrite on
//   zeek/logs/<stream> for a Broker peer (one arriving later still gets the LogCreates) and local
//   Zeek TSV logs, its `communication` log going to remote-communication.log, not into ours;
// - its &synchronized state lands in the bridge's Broker master store, which a Broker clone on
//   another endpoint attaches to; a clone write reaches the Bro peer as a state operation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countVal, stringVal, type LogCreateWriter } from '../../legacy/codec/index.ts';
import { parseZeekMessage, renderData, str, type LogCreate, type LogWrite } from '../../modern/data/index.ts';
import { CloneStore } from '../../modern/store/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { startFramework } from '../legacy/framework-helpers.ts';
import { replay, show } from '../legacy/helpers.ts';
import { brokerPeer, startBridge, until } from './bridge-helpers.ts';

const msgs = replay('bro-bro-logs').map((r) => r.msg);
const creates = msgs.filter((m): m is LogCreateWriter & { type: 'LOG_CREATE_WRITER' } => m.type === 'LOG_CREATE_WRITER');
const entries = msgs.flatMap((m) => (m.type === 'LOG_WRITE' ? m.entries : []));

test('remote logs: LogCreate/LogWrite on zeek/logs/<stream>, local TSV logs, no clash with communication.log', async () => {
  const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1' } } });
  for (const c of creates) bro.fw.add_log_writer(c);
  const t = await startBridge({
    legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, request_logs: true } } },
    logs: { streams: { fxlog: 'FXLOG::LOG' } },
  });
  await until(() => t.status('legacy:10000') === 'peered', 'peered');
  await until(() => t.log('fxlog').includes('#fields'), 'the local fxlog opened at LOG_CREATE_WRITER');
  // A Broker logger arriving after the writers were created still gets their LogCreates.
  const logger = await brokerPeer(t.port.broker, ['zeek/logs/']);
  const logMessages = (): string[] =>
    logger.raw.flatMap(({ topic, value }) => {
      const m = parseZeekMessage(value);
      return m.kind === 'log_create' || m.kind === 'log_write' ? [`${m.kind} ${topic} ${m.kind === 'log_write' ? m.path : ''}`] : [];
    });
  await until(() => logMessages().length === 2, 'the LogCreates at the late logger');
  assert.equal(logMessages().sort(), ['log_create zeek/logs/Communication::LOG ', 'log_create zeek/logs/FXLOG::LOG ']);
  for (const e of entries) bro.fw.write_log(e);
  bro.clock.advance(1000);
  await until(() => logMessages().length === 7, 'five LogWrites');
  assert.equal(logMessages().slice(2), [
    'log_write zeek/logs/Communication::LOG communication',
    'log_write zeek/logs/FXLOG::LOG fxlog',
    'log_write zeek/logs/FXLOG::LOG fxlog',
    'log_write zeek/logs/Communication::LOG communication',
    'log_write zeek/logs/Communication::LOG communication',
  ]);
  const rows = (name: string): string[] => t.log(name).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.is(rows('fxlog').length, 2);
  assert.match(t.log('fxlog'), /#path\tfxlog\n/);
  assert.match(t.log('remote-communication'), /#path\tremote-communication\n/);
  assert.is(rows('remote-communication').length, 3);
  assert.not.match(t.log('communication'), /#path\tremote-communication/);
  assert.is(t.bridge.translator.drops.count(), 0);
  await t.bridge.stop();
  assert.match(t.log('fxlog'), /#close\t/);
  await bro.fw.stop();
  await logger.ep.shutdown();
});

test('LogCreates reach a Broker peer that was there before the writers', async () => {
  const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1' } } });
  const t = await startBridge({ legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, request_logs: true } } }, logs: { streams: { fxlog: 'FXLOG::LOG' } } });
  const logger = await brokerPeer(t.port.broker, ['zeek/logs/']);
  const seen: LogCreate[] = [];
  const writes: LogWrite[] = [];
  logger.ep.on('data', (_topic, value) => {
    const m = parseZeekMessage(value);
    if (m.kind === 'log_create') seen.push(m);
    if (m.kind === 'log_write') writes.push(m);
  });
  await until(() => t.status('legacy:10000') === 'peered', 'peered');
  bro.fw.add_log_writer(creates[1]!);
  await until(() => seen.length === 1, 'the LogCreate');
  assert.is(seen[0]!.streamId, 'FXLOG::LOG');
  assert.is(renderData(seen[0]!.writerInfo).split(',')[0], "['fxlog'");
  bro.fw.write_log(entries[1]!);
  bro.clock.advance(1000);
  await until(() => writes.length === 1, 'the LogWrite');
  assert.is(writes[0]!.path, 'fxlog');
  await t.bridge.stop();
  await bro.fw.stop();
  await logger.ep.shutdown();
});

test('&synchronized state: the Bro peer\'s globals in the bridge\'s master store, a clone write back at the peer', async () => {
  const bro = await startFramework({ nodes: { bridge: { host: '127.0.0.1', sync: true } } });
  bro.clock.advance(3000); // the peer has run longer: it sends its state (Bro's sync role by runtime)
  bro.fw.state.set('sync_count', countVal(5));
  bro.fw.state.set('sync_str', stringVal('initial'));
  const t = await startBridge({ legacy: { nodes: { bro: { host: '127.0.0.1', p: bro.port, connect: true, sync: true } } }, state: { store: 'legacy-state' } });
  await until(() => t.status('legacy:10000') === 'peered', 'peered');
  const peer = await brokerPeer(t.port.broker, []);
  const cloneClock = new ManualClock();
  const clone = new CloneStore({ name: 'legacy-state', hub: peer.ep, clock: cloneClock });
  const pump = async (cond: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      cloneClock.advance(100);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const dump = (): string[] => clone.entries().map(([k, v]) => `${renderData(k)}=${renderData(v)}`).sort();
  await pump(() => clone.attached && dump().length === 2, 'the clone with the Bro peer\'s state');
  assert.equal(dump(), ["'sync_count'=5u", "'sync_str'='initial'"]);
  clone.put(str('sync_str'), str('from zeek'));
  await pump(() => show(bro.fw.state.get('sync_str') ?? null) === '"from zeek"', 'the write at the Bro peer');
  bro.fw.state.set('sync_count', countVal(6));
  await pump(() => dump().includes("'sync_count'=6u"), 'the Bro peer\'s change at the clone');
  assert.equal(t.bridge.status().state, { store: 'legacy-state', entries: 2, problems: 0 });
  clone.close();
  await t.bridge.stop();
  await bro.fw.stop();
  await peer.ep.shutdown();
});

test.run();
