// Broker::SQLITE: a master's contents in one SQLite file per store, in Broker's own schema
// (`store(key blob primary key, value blob, expiry integer)`, keys and values as bin v1 blobs,
// expiry as absolute nanoseconds since the epoch), so a file written here can be opened by a Zeek
// master and the other way round.
//
// Binding: node-sqlite3-wasm — SQLite compiled to WebAssembly with a VFS over node:fs, so the
// database is a real file written in place (journal + fsync on commit), it installs from the npm
// registry with no build or download step, and its API is synchronous like the backend interface.
// (sql.js keeps the database in memory and can only export it whole; the official sqlite-wasm has
// no file VFS for Node; better-sqlite3/sqlite3 need a native build.) It is loaded lazily, so the
// protocol code and the memory backend never need it.
//
// Durability: writes go into a transaction that commits at the end of the current event-loop turn
// (one fsync per burst instead of one per write), or at once with `commit: 'each'`.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Buffer } from 'node:buffer';
import { decodeData, encodeData, type Data } from '../data/index.ts';
import type { StoreBackend } from './backend.ts';
import { StoreError } from './errors.ts';
import { canonicalData } from './keys.ts';

/** The part of node-sqlite3-wasm's API this backend uses. */
interface SqlStatement {
  run(values?: unknown[]): unknown;
  get(values?: unknown[]): Record<string, unknown> | null;
  all(values?: unknown[]): Record<string, unknown>[];
  finalize(): void;
}
interface SqlDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  all(sql: string): Record<string, unknown>[];
  close(): void;
  readonly inTransaction: boolean;
}
type DatabaseCtor = new (path: string) => SqlDatabase;

/** The npm package this backend loads (add it to package.json dependencies). */
export const SQLITE_BINDING = 'node-sqlite3-wasm';

let binding: DatabaseCtor | undefined;

/** Loads the binding once; undefined when it is not installed. */
export function sqliteBinding(): DatabaseCtor | undefined {
  if (binding) return binding;
  try {
    const mod = createRequire(import.meta.url)(SQLITE_BINDING) as { Database: DatabaseCtor };
    binding = mod.Database;
  } catch {
    return undefined;
  }
  return binding;
}

/** Broker's SQLite backend options (Broker::SQLITE_SYNCHRONOUS_*, _JOURNAL_MODE_*, _FAILURE_MODE_*). */
export interface SqliteOptions {
  readonly path: string;
  readonly synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /** WAL needs shared memory, which the WASM VFS lacks: SQLite then stays in DELETE mode. */
  readonly journalMode?: 'DELETE' | 'WAL' | 'TRUNCATE';
  /** FAIL (default): a corrupt file is an error. DELETE: remove it and start empty. */
  readonly failureMode?: 'FAIL' | 'DELETE';
  readonly integrityCheck?: boolean;
  /** 'turn' (default): commit at the end of the event-loop turn; 'each': autocommit every write. */
  readonly commit?: 'turn' | 'each';
  /** Store name, for error messages. */
  readonly store?: string;
}

const VERSION_NOTE = 'zeek-comm-bridge';

function blob(d: Data): Uint8Array {
  return encodeData(d);
}

function nsToMs(v: unknown): number {
  return typeof v === 'bigint' ? Number(v / 1_000_000n) + Number(v % 1_000_000n) / 1e6 : Number(v) / 1e6;
}

function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

export class SqliteBackend implements StoreBackend {
  readonly type = 'SQLITE' as const;
  readonly path: string;
  private readonly db: SqlDatabase;
  private readonly st: Record<'replace' | 'lookup' | 'exists' | 'erase' | 'expiryOf' | 'expire' | 'clear' | 'size' | 'all' | 'keys' | 'expiries', SqlStatement>;
  private readonly eachCommit: boolean;
  private readonly storeName: string;
  private commitScheduled = false;
  private open = true;

  constructor(opts: SqliteOptions) {
    this.path = opts.path;
    this.storeName = opts.store ?? opts.path;
    this.eachCommit = opts.commit === 'each';
    const Database = sqliteBinding();
    if (!Database) throw this.fail(`the SQLite binding ${SQLITE_BINDING} is not installed`);
    const dir = dirname(opts.path);
    if (dir && !existsSync(dir)) mkdirSync(dir, { recursive: true });
    let db: SqlDatabase;
    try {
      db = this.init(Database, opts);
    } catch (err) {
      if (opts.failureMode !== 'DELETE' || !existsSync(opts.path)) throw this.fail(`cannot open ${opts.path}`, err);
      rmSync(opts.path, { force: true });
      rmSync(`${opts.path}-journal`, { force: true });
      db = this.init(Database, opts);
    }
    this.db = db;
    const p = (sql: string): SqlStatement => db.prepare(sql);
    this.st = {
      replace: p('replace into store(key, value, expiry) values(?, ?, ?)'),
      lookup: p('select value from store where key = ?'),
      exists: p('select 1 as x from store where key = ?'),
      erase: p('delete from store where key = ?'),
      expiryOf: p('select expiry from store where key = ?'),
      expire: p('delete from store where key = ? and expiry <= ?'),
      clear: p('delete from store'),
      size: p('select count(*) as n from store'),
      all: p('select key, value from store'),
      keys: p('select key from store'),
      expiries: p('select key, expiry from store where expiry is not null'),
    };
  }

  private init(Database: DatabaseCtor, opts: SqliteOptions): SqlDatabase {
    const db = new Database(opts.path);
    try {
      if (opts.synchronous) db.exec(`PRAGMA synchronous=${opts.synchronous}`);
      if (opts.journalMode) db.exec(`PRAGMA journal_mode=${opts.journalMode}`);
      db.exec('create table if not exists meta(key text primary key, value text)');
      db.exec('create table if not exists store(key blob primary key, value blob, expiry integer)');
      db.exec(`replace into meta(key, value) values('writer', '${VERSION_NOTE}')`);
      if (opts.integrityCheck) {
        const rows = db.all('PRAGMA integrity_check');
        if (rows.length !== 1 || Object.values(rows[0]!)[0] !== 'ok') throw new Error('integrity check failed');
      }
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  get(key: Data): Data | undefined {
    const row = this.run(() => this.st.lookup.get([this.key(key)]));
    return row ? decodeData(row['value'] as Uint8Array) : undefined;
  }

  exists(key: Data): boolean {
    return this.run(() => this.st.exists.get([this.key(key)])) !== null;
  }

  put(key: Data, value: Data, expiresAt: number | undefined): void {
    this.write(() => this.st.replace.run([this.key(key), blob(value), expiresAt === undefined ? null : msToNs(expiresAt)]));
  }

  erase(key: Data): boolean {
    const existed = this.exists(key);
    if (existed) this.write(() => this.st.erase.run([this.key(key)]));
    return existed;
  }

  expire(key: Data, now: number): boolean {
    const k = this.key(key);
    const row = this.run(() => this.st.expiryOf.get([k]));
    if (!row || row['expiry'] === null || nsToMs(row['expiry']) > now) return false;
    this.write(() => this.st.expire.run([k, msToNs(now)]));
    return true;
  }

  clear(): void {
    this.write(() => this.st.clear.run());
  }

  size(): number {
    return Number(this.run(() => this.st.size.get())?.['n'] ?? 0);
  }

  entries(): [Data, Data][] {
    return this.run(() => this.st.all.all()).map((r) => [decodeData(r['key'] as Uint8Array), decodeData(r['value'] as Uint8Array)]);
  }

  keys(): Data[] {
    return this.run(() => this.st.keys.all()).map((r) => decodeData(r['key'] as Uint8Array));
  }

  expiries(): [Data, number][] {
    return this.run(() => this.st.expiries.all()).map((r) => [decodeData(r['key'] as Uint8Array), nsToMs(r['expiry'])]);
  }

  /** Commits what is pending now (also done by close()). */
  flush(): void {
    if (this.open && this.db.inTransaction) this.run(() => this.db.exec('COMMIT'));
  }

  close(): void {
    if (!this.open) return;
    this.flush();
    this.open = false;
    for (const s of Object.values(this.st)) s.finalize();
    this.db.close();
  }

  private key(d: Data): Buffer {
    return Buffer.from(blob(canonicalData(d)));
  }

  private write(fn: () => unknown): void {
    if (!this.eachCommit && !this.db.inTransaction) {
      this.run(() => this.db.exec('BEGIN'));
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        setImmediate(() => {
          this.commitScheduled = false;
          this.flush();
        });
      }
    }
    this.run(fn);
  }

  private run<T>(fn: () => T): T {
    if (!this.open) throw new StoreError('closed', this.storeName, 'the SQLite backend is closed');
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw this.fail('SQLite failed', err);
    }
  }

  private fail(what: string, cause?: unknown): StoreError {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    return new StoreError('backend_failure', this.storeName, `${what}${why}`, cause === undefined ? {} : { cause });
  }
}
