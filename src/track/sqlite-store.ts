/**
 * The Store on one SQLite file (better-sqlite3). WAL lets readers and one writer work at once;
 * every write is a BEGIN IMMEDIATE transaction (it takes the write lock up front, so the busy
 * timeout applies instead of a deadlock between two deferred readers turning writers); a busy
 * timeout of 10 s queues writers from other processes. A process killed mid-transaction leaves
 * the last committed state: SQLite rolls the WAL back on the next open.
 * The queries are sql-store.ts's; here are the connection, its statement cache, and transactions
 * that run one at a time per connection (a chunked artifact write awaits its source mid-way).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { GroveError } from '../errors.js';
import { migrate } from './migrations.js';
import { AsyncLock, type SqlBackend, type SqlExec, type SqlParams } from './sql-backend.js';
import { DEFAULT_SEARCH_LIMIT, SqlStore, type SqlStoreOptions } from './sql-store.js';
import { SqliteTrialQueue } from './sqlite-trial-queue.js';

export { DEFAULT_SEARCH_LIMIT };
export const BUSY_TIMEOUT_MS = 10_000;

/** Maps better-sqlite3 errors to GroveErrors; GroveErrors pass through. */
export function mapDriverError(err: unknown, location: string): Error {
  if (err instanceof GroveError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    return err instanceof Error ? err : new Error(message);
  }
  const ctx = { location, sqliteCode: code };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new GroveError('STORE_ERROR', `${location} is busy: another process held the write lock longer than the busy timeout`, ctx, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new GroveError('CONFLICT', `already exists (${message})`, ctx, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new GroveError('NOT_FOUND', `refers to something that does not exist (${message})`, ctx, { cause: err });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new GroveError('STORE_ERROR', `${location} is not a valid grove database (${message})`, ctx, { cause: err });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new GroveError('STORE_ERROR', `${location}: cannot write the database (${message})`, ctx, { cause: err });
  }
  return new GroveError('STORE_ERROR', `${location}: ${message}`, ctx, { cause: err });
}

export interface SqliteOpenOptions extends SqlStoreOptions {
  /** create the file when missing (default true); false gives NOT_FOUND */
  create?: boolean;
  /** how long a writer waits for another process's write lock (default BUSY_TIMEOUT_MS) */
  busyTimeoutMs?: number;
}

/** better-sqlite3 binds $1, $2, ... as named parameters "1", "2", ... */
function bind(params: unknown[]): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (let i = 0; i < params.length; i++) named[i + 1] = params[i];
  return named;
}

/** One connection; its transactions run one at a time (AsyncLock), each BEGIN IMMEDIATE for writes. */
class SqliteBackend implements SqlBackend {
  readonly dialect = 'sqlite' as const;
  readonly forUpdate = '';
  readonly forKeyShare = '';
  readonly noLimit = -1;
  readonly readPieceBytes = null;
  readonly lock = new AsyncLock();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly exec: SqlExec;

  constructor(
    readonly db: Database.Database,
    readonly location: string,
  ) {
    const args = (params: unknown[] | undefined) => (params && params.length > 0 ? [bind(params)] : []);
    this.exec = {
      all: async <T extends object>(text: string, params?: unknown[]) => this.prepare(text).all(...args(params)) as T[],
      get: async <T extends object>(text: string, params?: unknown[]) => this.prepare(text).get(...args(params)) as T | undefined,
      run: async (text: string, params?: unknown[]) => this.prepare(text).run(...args(params)).changes,
    };
  }

  /** statements are prepared once per connection */
  prepare(text: string): Database.Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  async newBlobId(db: SqlExec): Promise<number> {
    // the write lock is held, so MAX + 1 cannot race
    return (await db.get<{ id: number }>('SELECT COALESCE(MAX(blob_id), 0) + 1 AS id FROM blobs'))!.id;
  }

  private transaction<T>(begin: string, fn: (db: SqlExec) => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      try {
        this.db.exec(begin);
        const result = await fn(this.exec);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw mapDriverError(err, this.location);
      }
    });
  }

  // BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies instead of a deadlock between two readers turning writers
  write<T>(fn: (db: SqlExec) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', fn);
  }

  // a deferred transaction gives the reads one consistent snapshot
  read<T>(fn: (db: SqlExec) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN', fn);
  }

  /** a synchronous transaction (the trial queue's), queued behind the async ones */
  syncTransaction<T>(kind: 'immediate' | 'deferred', fn: () => T): Promise<T> {
    return this.lock.run(() => {
      try {
        return this.db.transaction(fn)[kind]();
      } catch (err) {
        throw mapDriverError(err, this.location);
      }
    });
  }

  async close(): Promise<void> {
    const close = () => {
      if (this.db.open) this.db.close();
    };
    // at once when idle (a caller that does not await still gets a closed file), else after the transactions in flight
    if (this.lock.idle) close();
    else await this.lock.run(close);
  }

  now(p: SqlParams): string {
    return p.add(Date.now());
  }

  inList(p: SqlParams, values: readonly (string | number)[]): string {
    return `IN (SELECT value FROM json_each(${p.add(JSON.stringify(values))}))`;
  }
}

export class SqliteStore extends SqlStore {
  readonly path: string;

  private constructor(path: string, backend: SqliteBackend, options: SqlStoreOptions) {
    const trials = new SqliteTrialQueue(
      (sql) => backend.prepare(sql),
      (fn) => backend.syncTransaction('immediate', fn),
      (fn) => backend.syncTransaction('deferred', fn),
    );
    super(backend, trials, options);
    this.path = path;
  }

  /** Opens (and if needed creates and migrates) the store at `path`. */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteStore {
    const file = path === ':memory:' ? path : resolve(path);
    const location = `sqlite:${file}`;
    if (options.create === false && file !== ':memory:' && !existsSync(file)) {
      throw new GroveError('NOT_FOUND', `no tracking store at ${file} (it is created by the first tracked run; pass --tracking-uri or set GROVE_TRACKING_URI to use another)`, { location });
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
      setWal(db);
      db.pragma('foreign_keys = ON');
      // WAL + NORMAL survives a killed process; only a power loss can drop the last commits
      db.pragma('synchronous = NORMAL');
      // checkpoints fsync: doing them every 10,000 pages (40 MB of WAL) rather than 1,000
      // doubles small-batch logging throughput; the WAL is folded back on close
      db.pragma('wal_autocheckpoint = 10000');
      // reads through a memory map skip a syscall per page: a cold search over 100k runs is ~30% faster
      db.pragma('mmap_size = 268435456');
      migrate(db, location);
      const shown = file === ':memory:' ? 'sqlite::memory:' : location;
      return new SqliteStore(file, new SqliteBackend(db, shown), options);
    } catch (err) {
      db?.close();
      throw mapDriverError(err, location);
    }
  }
}

/** Switching to WAL needs a moment of exclusive access; a brand-new file opened by several processes may see BUSY. */
function setWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
