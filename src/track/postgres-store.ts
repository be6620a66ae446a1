/**
 * The Store on PostgreSQL (pg, a small pool), for many processes on many machines. The queries
 * are sql-store.ts's, shared with SQLite; here are the pool and the transactions:
 * - every write method is one READ COMMITTED transaction, retried on a serialization failure or
 *   deadlock (except an artifact write, which consumes its stream); reads that take several
 *   queries run in one REPEATABLE READ snapshot;
 * - races between writers are settled by the database: unique keys with ON CONFLICT (params
 *   write-once, artifacts, experiments by name), a row lock on the registered model for version
 *   numbers and alias moves, a row lock on the run for its status;
 * - heartbeats use the database's clock, so hosts with skewed clocks agree on staleness.
 * Durability: each commit waits for the server's WAL flush. A URI with
 * `?options=-c%20synchronous_commit%3Doff` keeps every write atomic but may lose the last
 * fraction of a second of commits if the server crashes; small batches log 2-3x faster.
 */
import type pg from 'pg';
import { NOW_MS, createPool, mapPgError, parsePostgresUri, transaction, type PostgresTarget } from './postgres-connection.js';
import { migratePostgres } from './postgres-migrations.js';
import { PostgresTrialQueue } from './postgres-trial-queue.js';
import type { SqlBackend, SqlExec, SqlParams } from './sql-backend.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';

const READ = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

export interface PostgresOpenOptions extends SqlStoreOptions {
  /** the schema holding the store (overrides ?schema= in the URI); created when missing */
  schema?: string;
  /** create the store's tables when missing (default true); false gives NOT_FOUND */
  create?: boolean;
  /** pool size (default 4) */
  maxConnections?: number;
}

/** A small pool; each transaction holds one client from BEGIN to COMMIT. */
class PostgresBackend implements SqlBackend {
  readonly dialect = 'postgres' as const;
  readonly forUpdate = ' FOR UPDATE';
  readonly forKeyShare = ' FOR KEY SHARE';
  readonly noLimit = null;
  // a 64 MiB bytea in one row reads ~2.5x slower and peaks at ~13x its size in RSS (hex text, buffer regrowth): 4 MiB pieces do not
  readonly readPieceBytes = 4 * 1024 * 1024;
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  private run<T>(fn: (db: SqlExec) => Promise<T>, begin?: string, attempts?: number): Promise<T> {
    return transaction(
      this.pool,
      this.location,
      (c) =>
        fn({
          all: async <R extends object>(text: string, params?: unknown[]) => (await c.query(text, params)).rows as R[],
          get: async <R extends object>(text: string, params?: unknown[]) => (await c.query(text, params)).rows[0] as R | undefined,
          run: async (text: string, params?: unknown[]) => (await c.query(text, params)).rowCount ?? 0,
        }),
      begin,
      attempts,
    );
  }

  write<T>(fn: (db: SqlExec) => Promise<T>, options: { once?: boolean } = {}): Promise<T> {
    return this.run(fn, 'BEGIN', options.once ? 1 : undefined);
  }

  async newBlobId(db: SqlExec): Promise<number> {
    return (await db.get<{ id: number }>("SELECT nextval(pg_get_serial_sequence('blobs', 'blob_id')) AS id"))!.id;
  }

  read<T>(fn: (db: SqlExec) => Promise<T>): Promise<T> {
    return this.run(fn, READ);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  now(): string {
    return NOW_MS;
  }

  inList(p: SqlParams, values: readonly (string | number)[], type: 'text' | 'bigint'): string {
    return `= ANY(${p.add(values)}::${type}[])`;
  }
}

export class PostgresStore extends SqlStore {
  readonly schema: string | null;

  private constructor(target: PostgresTarget, pool: pg.Pool, options: SqlStoreOptions) {
    super(new PostgresBackend(pool, target.location), new PostgresTrialQueue(pool, target.location), options);
    this.schema = target.schema;
  }

  /** Connects, and creates or migrates the schema if needed. */
  static async open(uri: string, options: PostgresOpenOptions = {}): Promise<PostgresStore> {
    const target = parsePostgresUri(uri, options.schema);
    const pool = createPool(target, options.maxConnections);
    try {
      await migratePostgres(pool, target, options.create ?? true);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw mapPgError(err, target.location);
    }
    return new PostgresStore(target, pool, options);
  }
}
