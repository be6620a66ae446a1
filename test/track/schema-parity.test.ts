// Both backends run one store layer (sql-store.ts), so after all their migrations they must hold
// the same schema: the same tables, columns (names and comparable types) and indexes (names and
// columns). Read back from the databases themselves: SQLite's pragmas, PostgreSQL's catalogs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { PostgresStore } from '../../src/track/postgres-store.js';
import { POSTGRES_URL, schemaFactory, withPostgres } from '../helpers/postgres.js';

/** table -> column -> type class; index -> "table(col, col)" */
interface Schema {
  columns: Record<string, Record<string, string>>;
  indexes: Record<string, string>;
}

const TYPE_CLASS: Record<string, string> = {
  integer: 'int',
  bigint: 'int',
  smallint: 'int',
  // SQLite has no boolean type: it keeps them as 0/1 integers
  boolean: 'int',
  real: 'real',
  'double precision': 'real',
  text: 'text',
  blob: 'blob',
  bytea: 'blob',
};

function typeClass(type: string): string {
  const c = TYPE_CLASS[type.toLowerCase()];
  assert.ok(c, `unknown column type ${type}`);
  return c;
}

function sqliteSchema(path: string): Schema {
  const db = new Database(path, { readonly: true });
  try {
    const schema: Schema = { columns: {}, indexes: {} };
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    for (const { name } of tables) {
      const cols = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as { name: string; type: string }[];
      schema.columns[name] = Object.fromEntries(cols.map((c) => [c.name, typeClass(c.type)]));
      // origin 'c': made by CREATE INDEX (not the ones behind PRIMARY KEY / UNIQUE)
      const indexes = db.prepare("SELECT name FROM pragma_index_list(?) WHERE origin = 'c'").all(name) as { name: string }[];
      for (const idx of indexes) {
        const on = db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(idx.name) as { name: string }[];
        schema.indexes[idx.name] = `${name}(${on.map((c) => c.name).join(', ')})`;
      }
    }
    return schema;
  } finally {
    db.close();
  }
}

await withPostgres('schema parity of SQLite and PostgreSQL', () => {
  const { admin, newSchema } = schemaFactory();

  async function postgresSchema(schemaName: string): Promise<Schema> {
    const schema: Schema = { columns: {}, indexes: {} };
    const cols = await admin.query<{ t: string; c: string; type: string }>(
      'SELECT table_name AS t, column_name AS c, data_type AS type FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position',
      [schemaName],
    );
    for (const r of cols.rows) (schema.columns[r.t] ??= {})[r.c] = typeClass(r.type);
    // indexes not backing a constraint (primary keys and UNIQUE are compared as columns' owners above)
    const idx = await admin.query<{ index: string; table: string; columns: string[] }>(
      `SELECT ic.relname AS index, tc.relname AS table,
              array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_class tc ON tc.oid = i.indrelid
       JOIN pg_namespace ns ON ns.oid = tc.relnamespace
       WHERE ns.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
      [schemaName],
    );
    for (const r of idx.rows) schema.indexes[r.index] = `${r.table}(${r.columns.join(', ')})`;
    return schema;
  }

  test('after all migrations both stores have the same tables, columns and indexes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'grove-parity-')), 'grove.db');
    await SqliteStore.open(path).close();
    const schemaName = newSchema();
    await (await PostgresStore.open(POSTGRES_URL, { schema: schemaName })).close();
    const lite = sqliteSchema(path);
    const pg = await postgresSchema(schemaName);
    assert.deepEqual(Object.keys(lite.columns).sort(), Object.keys(pg.columns).sort(), 'tables');
    for (const table of Object.keys(lite.columns)) assert.deepEqual(lite.columns[table], pg.columns[table], `columns of ${table}`);
    assert.deepEqual(lite.indexes, pg.indexes, 'indexes');
  });
});
