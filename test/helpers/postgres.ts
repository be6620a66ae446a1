// The PostgreSQL the tests use (127.0.0.1:5432, database test; GROVE_TEST_POSTGRES_URL overrides),
// and fresh schemas for them, dropped when the test file ends. Without a server a suite is
// skipped locally with the reason; in CI (CI set) an unreachable server fails, because CI runs it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env.GROVE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

export async function postgresUnreachable(url = POSTGRES_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is not reachable (${(err as Error).message || (err as { code?: string }).code})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `suite` when PostgreSQL answers; otherwise skips (locally) or fails (in CI). */
export async function withPostgres(name: string, suite: () => void): Promise<void> {
  const unreachable = await postgresUnreachable();
  if (unreachable === null) return suite();
  if (IN_CI) test(`${name}: PostgreSQL is reachable (CI runs it, so this must not be skipped)`, () => assert.fail(unreachable));
  else {
    process.stderr.write(`# skipping ${name}: ${unreachable}\n`);
    test(name, { skip: unreachable }, () => undefined);
  }
}

/** Fresh schema names, all dropped after the file's tests; `uri(schema)` is a tracking URI for it. */
export function schemaFactory() {
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  const created = new Set<string>();
  after(async () => {
    const all = [...created];
    for (let i = 0; i < all.length; i += 10)
      await admin.query(
        `DROP SCHEMA IF EXISTS ${all
          .slice(i, i + 10)
          .map((s) => `"${s}"`)
          .join(', ')} CASCADE`,
      );
    await admin.end();
  });
  return {
    admin,
    newSchema(): string {
      const name = `grove_test_${randomBytes(6).toString('hex')}`;
      created.add(name);
      return name;
    },
    uri(schema: string): string {
      return `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    },
  };
}
