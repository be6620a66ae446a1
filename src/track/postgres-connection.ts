// Connecting to PostgreSQL: the URI (with an optional ?schema=), a small pool, driver errors
// mapped to GroveErrors, and the transaction helper every write goes through.
import pg from 'pg';
import { GroveError } from '../errors.js';

/** connections per Store; a worker process needs few, and many workers share one server */
export const POOL_MAX = 4;
/** attempts of a transaction that hits a serialization failure or a deadlock */
const TX_ATTEMPTS = 8;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The database clock in ms since the epoch, for heartbeats (hosts' clocks may disagree). */
export const NOW_MS = 'floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

export interface PostgresTarget {
  /** the connection string handed to pg (schema folded into its options) */
  connectionString: string;
  /** the schema holding the store; null means the server's search_path (usually public) */
  schema: string | null;
  /** the URI with its password hidden, for messages */
  location: string;
}

/** Hides a password in a connection URL before it reaches a message. */
export function redactUrl(uri: string): string {
  return uri.replace(/^([a-z]+:\/\/[^:/@]+):[^@]*@/i, '$1:***@');
}

/** Splits `?schema=name` off a postgres:// URI; the schema becomes the connections' search_path. */
export function parsePostgresUri(uri: string, schemaOption?: string): PostgresTarget {
  const location = redactUrl(uri);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new GroveError('INVALID_URI', `tracking URI ${JSON.stringify(location)} is not a valid URL; use postgres://user:password@host:5432/database?schema=name`, { uri: location });
  }
  const schema = schemaOption ?? url.searchParams.get('schema');
  url.searchParams.delete('schema');
  // session settings go in the startup packet's options (options in the URI win over pool
  // config, so they are appended there). Our queries touch few rows: starting parallel workers
  // costs more than it saves (100+ ms on a busy server), so they are off.
  const settings = ['-c max_parallel_workers_per_gather=0'];
  if (schema !== null) {
    if (!SCHEMA_NAME.test(schema)) {
      throw new GroveError('INVALID_URI', `tracking URI ${JSON.stringify(location)}: schema ${JSON.stringify(schema)} must be 1-63 letters, digits or _, not starting with a digit`, {
        uri: location,
        schema,
      });
    }
    // the quotes keep the name's case
    settings.push(`-c search_path="${schema}"`);
  }
  const options = url.searchParams.get('options');
  url.searchParams.set('options', [...(options ? [options] : []), ...settings].join(' '));
  return { connectionString: url.toString(), schema, location };
}

// bigint columns (ms timestamps, ids, counts) are safe integers: read them as numbers
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPool(target: PostgresTarget, max = POOL_MAX): pg.Pool {
  // allowExitOnIdle: idle connections do not keep a finished CLI process alive
  const pool = new pg.Pool({ connectionString: target.connectionString, max, types, connectionTimeoutMillis: 10_000, application_name: 'grove', allowExitOnIdle: true });
  // an idle connection dropped by the server must not crash the process; the next query reconnects
  pool.on('error', () => undefined);
  return pool;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const RETRYABLE = new Set(['40001', '40P01']);

/** Maps pg errors (SQLSTATE codes, socket errors) to GroveErrors; GroveErrors pass through. */
export function mapPgError(err: unknown, location: string): Error {
  if (err instanceof GroveError) return err;
  const e = err as { code?: unknown; message?: unknown; detail?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = err instanceof Error ? err.message : String(err);
  const ctx = { location, pgCode: code || null };
  if (code === '23505') return new GroveError('CONFLICT', `already exists (${message})`, ctx, { cause: err });
  if (code === '23503') return new GroveError('NOT_FOUND', `refers to something that does not exist (${message})`, ctx, { cause: err });
  if (RETRYABLE.has(code)) return new GroveError('STORE_ERROR', `${location} is busy: a transaction kept failing on concurrent updates (${message})`, ctx, { cause: err });
  if (code.startsWith('28')) return new GroveError('STORE_ERROR', `${location}: cannot log in (${message})`, ctx, { cause: err });
  if (code === '3D000') return new GroveError('STORE_ERROR', `${location}: ${message} (create it with createdb, or fix the database name in the URI)`, ctx, { cause: err });
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code) || (!code && /timeout|terminated|connection/i.test(message))) {
    return new GroveError('STORE_ERROR', `${location}: cannot reach the PostgreSQL server (${message})`, ctx, { cause: err });
  }
  if (code.length === 5) return new GroveError('STORE_ERROR', `${location}: ${message}`, ctx, { cause: err });
  return err instanceof Error ? err : new Error(message);
}

export type Client = pg.PoolClient;

/**
 * Runs `fn` in one transaction on one pooled connection: BEGIN, fn, COMMIT; ROLLBACK on any
 * error. A serialization failure or deadlock (the server already rolled back) runs it again
 * after a short random pause, so `fn` must only touch the database (`attempts` 1 for a
 * transaction that consumes a stream: it cannot be replayed).
 */
export async function transaction<T>(pool: pg.Pool, location: string, fn: (c: Client) => Promise<T>, begin = 'BEGIN', attempts = TX_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw mapPgError(err, location);
    }
    let broken = false;
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      const code = (err as { code?: string }).code ?? '';
      if (RETRYABLE.has(code) && attempt < attempts && !broken) {
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
        continue;
      }
      throw mapPgError(err, location);
    } finally {
      client.release(broken);
    }
  }
}
