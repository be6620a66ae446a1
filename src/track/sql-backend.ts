// What a SQL database gives the shared store layer (sql-store.ts): statements with numbered
// placeholders ($1, $2, ...; PostgreSQL's own form, and better-sqlite3 binds them as named
// parameters), transactions, and the few spellings where SQLite and PostgreSQL differ.

export type Dialect = 'sqlite' | 'postgres';

/** A piece of SQL with the values of its placeholders ($1 is values[0]). */
export interface Sql {
  text: string;
  params: unknown[];
}

/** Collects the values of a statement built piece by piece; add() returns the placeholder. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Statements inside one transaction. */
export interface SqlExec {
  all<T extends object>(text: string, params?: unknown[]): Promise<T[]>;
  get<T extends object>(text: string, params?: unknown[]): Promise<T | undefined>;
  /** returns how many rows changed */
  run(text: string, params?: unknown[]): Promise<number>;
}

export interface SqlBackend {
  readonly dialect: Dialect;
  /** where the store lives, for messages */
  readonly location: string;
  /**
   * One write transaction: committed when fn resolves, rolled back when it throws; driver errors
   * become GroveErrors. `once`: never run fn again after a serialization failure (it consumes a stream).
   */
  write<T>(fn: (db: SqlExec) => Promise<T>, options?: { once?: boolean }): Promise<T>;
  /** several reads from one consistent snapshot */
  read<T>(fn: (db: SqlExec) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** appended to a SELECT in a write transaction to lock the rows it reads ('' where the whole database is locked) */
  readonly forUpdate: string;
  /** appended to a SELECT in a write transaction so the rows cannot be deleted until commit */
  readonly forKeyShare: string;
  /** the store's clock in ms since the epoch (the database server's on PostgreSQL, so hosts with skewed clocks agree) */
  now(p: SqlParams): string;
  /** `<column> <inList(...)>` is true when the column's value is one of `values` */
  inList(p: SqlParams, values: readonly (string | number)[], type: 'text' | 'bigint'): string;
  /** an id for a new blob's chunks, unique even among concurrent writers */
  newBlobId(db: SqlExec): Promise<number>;
  /** read stored chunks in pieces of this many bytes (null: whole); node-postgres slows down and balloons on one huge value */
  readonly readPieceBytes: number | null;
  /** the LIMIT value meaning "no limit" */
  readonly noLimit: number | null;
}

/**
 * Runs async functions one at a time, in call order: one SQLite connection holds one transaction
 * at a time, so a transaction that awaits (e.g. pulling artifact chunks) keeps others waiting.
 */
export class AsyncLock {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** nothing holds or waits for the lock */
  get idle(): boolean {
    return this.pending === 0;
  }

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const result = this.tail.then(fn, fn);
    this.tail = result.then(
      () => this.pending--,
      () => this.pending--,
    );
    return result;
  }
}
