// Broker::SQLITE: a master whose contents (and expiries) survive a restart of the process, in a
// file with Broker's schema and bin v1 blobs, in a temp dir that is removed afterwards. Skipped,
// with a note, when the node-sqlite3-wasm binding is not installed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.ts';
import { toHex } from '../../src/core/json.ts';
import { count, encodeData, renderData, set, str, vector } from '../../modern/data/index.ts';
import { CloneStore, MasterStore, MemoryNetwork, SQLITE_BINDING, SqliteBackend, StoreError, createStore, increment, sqliteBinding, type DataStore } from '../../modern/store/index.ts';

const available = sqliteBinding() !== undefined;
const it = available ? test : test.skip;
if (!available) console.log(`note: ${SQLITE_BINDING} is not installed; SQLite tests skipped`);

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'store-sqlite-'));
  dirs.push(d);
  return d;
}
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dump(s: DataStore): string[] {
  return s
    .entries()
    .map(([k, v]) => `${renderData(k)}=${renderData(v)}`)
    .sort();
}

it('a SQLite-backed master restarted (new endpoint, new store object, same file) keeps its data and expiries', () => {
  const dir = tempDir();
  const path = join(dir, 'sub', 'persist.sqlite');
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const m1 = new MasterStore({ name: 'persist', hub: net.endpoint(), clock, backend: new SqliteBackend({ path }) });
  m1.put(str('a'), count(1));
  m1.put(set([count(2), count(1)]), vector([str('x')]));
  increment(m1, str('n'), count(41));
  increment(m1, str('n'), count(1));
  m1.put(str('short'), str('gone soon'), 3_000_000_000);
  m1.put(str('erased'), count(0));
  m1.erase(str('erased'));
  m1.close();
  assert.ok(existsSync(path));
  clock.advance(1000);
  // "Restart": new endpoint id, new store object, same file.
  const me = net.endpoint();
  const m2 = new MasterStore({ name: 'persist', hub: me, clock, backend: new SqliteBackend({ path }) });
  assert.equal(dump(m2), ["'a'=1u", "'n'=42u", "'short'='gone soon'", "{1u, 2u}=['x']"]);
  assert.equal(m2.get(set([count(1), count(2)])), vector([str('x')]));
  const ce = net.endpoint();
  net.connect(me, ce);
  const clone = new CloneStore({ name: 'persist', hub: ce, clock });
  assert.equal(dump(clone), dump(m2));
  clock.advance(2100); // the expiry set before the restart still fires
  assert.not.ok(m2.exists(str('short')));
  assert.not.ok(clone.exists(str('short')));
  clone.put(str('from-clone'), count(7));
  m2.close();
  clone.close();
  const m3 = new MasterStore({ name: 'persist', hub: net.endpoint(), clock, backend: new SqliteBackend({ path, commit: 'each' }) });
  assert.equal(dump(m3), ["'a'=1u", "'from-clone'=7u", "'n'=42u", "{1u, 2u}=['x']"]);
  m3.clear();
  m3.close();
  const m4 = new MasterStore({ name: 'persist', hub: net.endpoint(), clock, backend: new SqliteBackend({ path }) });
  assert.equal(dump(m4), []);
  m4.close();
});

it("the file uses Broker's schema: bin v1 blobs and absolute expiry in ns", () => {
  const dir = tempDir();
  const path = join(dir, 'schema.sqlite');
  const backend = new SqliteBackend({ path });
  backend.put(str('k'), count(5), 1_700_000_000_123);
  backend.put(count(7), str('v'), undefined);
  backend.close();
  const { Database } = createRequire(import.meta.url)(SQLITE_BINDING) as {
    Database: new (p: string) => { all(sql: string): Record<string, unknown>[]; close(): void };
  };
  const db = new Database(path);
  const cols = db.all('PRAGMA table_info(store)').map((r) => `${r['name']}:${String(r['type']).toLowerCase()}:${r['pk']}`);
  assert.equal(cols, ['key:blob:1', 'value:blob:0', 'expiry:integer:0']);
  assert.equal(
    db.all('PRAGMA table_info(meta)').map((r) => r['name']),
    ['key', 'value'],
  );
  const rows = db.all('select key, value, expiry from store order by expiry is null');
  db.close();
  assert.is(toHex(rows[0]!['key'] as Uint8Array), toHex(encodeData(str('k'))));
  assert.is(toHex(rows[0]!['value'] as Uint8Array), toHex(encodeData(count(5))));
  assert.is(BigInt(rows[0]!['expiry'] as number | bigint), 1_700_000_000_123_000_000n);
  assert.is(toHex(rows[1]!['key'] as Uint8Array), toHex(encodeData(count(7))));
  assert.is(rows[1]!['expiry'], null);
});

it('a corrupt file is a backend_failure, or is replaced with failure_mode DELETE', () => {
  const dir = tempDir();
  const path = join(dir, 'corrupt.sqlite');
  writeFileSync(path, 'this is not a database, just enough bytes to be read as a bad header..........');
  let err: unknown;
  try {
    new SqliteBackend({ path, store: 'corrupt' });
  } catch (e) {
    err = e;
  }
  assert.instance(err, StoreError);
  assert.is((err as StoreError).code, 'backend_failure');
  const b = new SqliteBackend({ path, failureMode: 'DELETE' });
  b.put(str('fresh'), count(1), undefined);
  assert.equal(b.get(str('fresh')), count(1));
  b.close();
  let closed: unknown;
  try {
    b.get(str('fresh'));
  } catch (e) {
    closed = e;
  }
  assert.is((closed as StoreError).code, 'closed');
});

it('Cluster::create_store(name, T) puts a persistent master under default_store_dir', () => {
  const dir = tempDir();
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const s = createStore('users', true, { nodes: {}, node: '' }, { default_store_dir: dir }, { hub: net.endpoint(), clock });
  assert.instance(s, MasterStore);
  s.put(str('alice'), count(1));
  s.close();
  assert.ok(existsSync(join(dir, 'users.sqlite')));
  const again = createStore('users', true, { nodes: {}, node: '' }, { default_store_dir: dir }, { hub: net.endpoint(), clock });
  assert.equal(again.get(str('alice')), count(1));
  again.close();
});

it('writes survive the process being killed (SIGKILL) once their event-loop turn has committed', async () => {
  const dir = tempDir();
  const path = join(dir, 'killed.sqlite');
  const store = new URL('../../modern/store/index.ts', import.meta.url).href;
  const clockUrl = new URL('../../src/core/clock.ts', import.meta.url).href;
  const data = new URL('../../modern/data/index.ts', import.meta.url).href;
  const code = `
    const { MasterStore, MemoryNetwork, SqliteBackend, increment } = await import(${JSON.stringify(store)});
    const { ManualClock } = await import(${JSON.stringify(clockUrl)});
    const { str, count } = await import(${JSON.stringify(data)});
    const m = new MasterStore({ name: 'killed', hub: new MemoryNetwork().endpoint(), clock: new ManualClock(), backend: new SqliteBackend({ path: ${JSON.stringify(path)} }) });
    for (let i = 0; i < 100; i++) increment(m, str('n'), count(1));
    m.put(str('last'), str('written'));
    setImmediate(() => { console.log('committed'); setInterval(() => {}, 1000); });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('committed')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before committing: ${stderr}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const m = new MasterStore({ name: 'killed', hub: new MemoryNetwork().endpoint(), clock: new ManualClock(), backend: new SqliteBackend({ path }) });
  assert.equal(dump(m), ["'last'='written'", "'n'=100u"]);
  m.close();
});

test.run();
