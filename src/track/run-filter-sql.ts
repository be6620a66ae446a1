// Compiles a parsed run filter and order-by into the SQL of a run search, for SQLite or
// PostgreSQL. User values only ever travel as numbered placeholders ($1, $2, ...: both drivers
// take them, better-sqlite3 as named parameters); the only text spliced into the SQL comes from
// the fixed tables below.
//
// Speed: when the first order key is a metric, param or tag, the search runs in two parts so
// SQLite can walk the (key, value) index in order and stop after `limit` rows: first the runs
// that have a value for the key, then (only if more rows are wanted) the runs that have none,
// which sort last. A single query with "NULLs last" would sort every run.
//
// Dialects: in PostgreSQL LIKE is case-sensitive already (with ESCAPE '' so a backslash is
// literal, as in SQLite's GLOB), ILIKE is native and a join is spelled JOIN.
import type { FilterClause, NullOp, OrderBy } from './filter.js';
import { SqlParams, type Dialect, type Sql } from './sql-backend.js';
//
// NaN metrics: a NaN is stored as a latest_metrics row whose value is NULL, so "has the metric"
// (a row) and "has a number" (a non-NULL value) differ. Ordering by a metric puts numbers first,
// then NaN, then runs without the metric, in either direction, as MLflow does.

export type { Dialect, Sql } from './sql-backend.js';

/** A condition on the searched runs `r` (experiment, parent), given the query's placeholders. */
export type ScopeCondition = (p: SqlParams) => string;

/** Which runs a query part covers. */
export type SearchPart = 'all' | 'with-primary' | 'without-primary';

const ATTRIBUTE_COLUMN: Record<string, string> = {
  status: 'r.status',
  run_name: 'r.run_name',
  run_id: 'r.run_id',
  parent_run_id: 'r.parent_run_id',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
};

const TABLE = { metric: 'latest_metrics', param: 'params', tag: 'tags' } as const;

/** LIKE in SQLite ignores ASCII case; for a case-sensitive LIKE we translate to GLOB. */
function likeToGlob(pattern: string): string {
  let out = '';
  for (const c of pattern) {
    if (c === '%') out += '*';
    else if (c === '_') out += '?';
    else if (c === '*' || c === '?' || c === '[') out += `[${c}]`;
    else out += c;
  }
  return out;
}

function comparison(column: string, op: string, value: unknown, p: SqlParams, dialect: Dialect): string {
  if (dialect === 'postgres') {
    if (op === 'LIKE' || op === 'ILIKE') return `${column} ${op} ${p.add(value)} ESCAPE ''`;
    // an integer column compared with a fraction or a huge number: compare as doubles
    if (typeof value === 'number' && !Number.isSafeInteger(value) && column.startsWith('r.')) return `${column} ${op} ${p.add(value)}::float8`;
    return `${column} ${op} ${p.add(value)}`;
  }
  if (op === 'LIKE') return `${column} GLOB ${p.add(likeToGlob(String(value)))}`;
  if (op === 'ILIKE') return `lower(${column}) LIKE lower(${p.add(String(value))})`;
  return `${column} ${op} ${p.add(value)}`;
}

function isNullTest(c: FilterClause): c is Extract<FilterClause, { op: NullOp }> {
  return c.op === 'IS NULL' || c.op === 'IS NOT NULL';
}

/** Whether the search is best split into 'with-primary' and 'without-primary' parts. */
export function splitsOnPrimary(orderBy: OrderBy[]): boolean {
  return orderBy.length > 0 && orderBy[0].kind !== 'attribute';
}

/**
 * Builds one query part: SELECT <columns> ... WHERE ... ORDER BY ... (no LIMIT).
 * `scope` holds extra conditions on runs r (experiment, parent). Returns null when the part
 * cannot match (a filter on the primary key's value excludes runs without a value).
 */
export function compileSearch(columns: string, clauses: FilterClause[], orderBy: OrderBy[], scope: ScopeCondition[], part: SearchPart, dialect: Dialect = 'sqlite'): Sql | null {
  const p = new SqlParams();
  const where: string[] = [];
  const order: string[] = [];
  let from: string;
  let rest = orderBy;
  let pending = clauses;
  // LEFT JOINs for the order keys (numbered placeholders: text order does not matter)
  const joins: string[] = [];

  if (part === 'all') {
    from = 'FROM runs r';
  } else {
    const primary = orderBy[0] as Extract<OrderBy, { kind: 'metric' | 'param' | 'tag' }>;
    const t = TABLE[primary.kind];
    const samePrimary = (c: FilterClause) => c.kind === primary.kind && c.key === primary.key;
    // IS [NOT] NULL on the ordered key decides which part can match, without a condition
    const nullTests = clauses.filter(samePrimary).map((c) => c.op);
    const onValue = clauses.filter((c) => samePrimary(c) && !isNullTest(c));
    if (part === 'with-primary') {
      if (nullTests.includes('IS NULL')) return null;
      // CROSS JOIN keeps p0 (the ordered index) as the outer loop
      from = `FROM ${t} p0 ${dialect === 'sqlite' ? 'CROSS JOIN' : 'JOIN'} runs r ON r.run_id = p0.run_id`;
      where.push(`p0.key = ${p.add(primary.key)}`, 'p0.value IS NOT NULL');
      // filters on the ordered key become a range on the index
      for (const c of onValue) where.push(comparison('p0.value', c.op, (c as { value: unknown }).value, p, dialect));
      order.push(`p0.value ${primary.ascending ? 'ASC' : 'DESC'}`);
    } else {
      // params and tags are never NULL: a run without a value lacks the key
      if (onValue.length > 0 || nullTests.includes('IS NOT NULL')) return null;
      from = 'FROM runs r';
      where.push(`NOT EXISTS (SELECT 1 FROM ${t} x WHERE x.run_id = r.run_id AND x.key = ${p.add(primary.key)} AND x.value IS NOT NULL)`);
      if (primary.kind === 'metric') {
        // NaN (a row without a value) before no row at all
        joins.push(`LEFT JOIN latest_metrics n0 ON n0.run_id = r.run_id AND n0.key = ${p.add(primary.key)}`);
        order.push('(n0.run_id IS NULL) ASC');
      }
    }
    rest = orderBy.slice(1);
    pending = clauses.filter((c) => !samePrimary(c));
  }

  rest.forEach((o, i) => {
    const dir = o.ascending ? 'ASC' : 'DESC';
    if (o.kind === 'attribute') {
      const col = ATTRIBUTE_COLUMN[o.key];
      order.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
      return;
    }
    const alias = `o${i}`;
    joins.push(`LEFT JOIN ${TABLE[o.kind]} ${alias} ON ${alias}.run_id = r.run_id AND ${alias}.key = ${p.add(o.key)}`);
    // runs without a value sort last in either direction; a NaN metric just before them
    if (o.kind === 'metric') order.push(`(${alias}.run_id IS NULL) ASC`);
    order.push(`(${alias}.value IS NULL) ASC`, `${alias}.value ${dir}`);
  });
  order.push('r.start_time DESC', 'r.seq DESC');

  for (const c of pending) {
    if (c.op === 'IN' || c.op === 'NOT IN') {
      // the parser never gives an empty list
      where.push(`${ATTRIBUTE_COLUMN[c.key]} ${c.op} (${c.value.map((v) => p.add(v)).join(', ')})`);
      continue;
    }
    if (c.kind === 'attribute') {
      where.push(comparison(ATTRIBUTE_COLUMN[c.key], c.op, c.value, p, dialect));
      continue;
    }
    if (isNullTest(c)) {
      where.push(`${c.op === 'IS NULL' ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${TABLE[c.kind]} x WHERE x.run_id = r.run_id AND x.key = ${p.add(c.key)})`);
      continue;
    }
    const key = p.add(c.key);
    const cond = comparison('x.value', c.op, c.value, p, dialect);
    where.push(`EXISTS (SELECT 1 FROM ${TABLE[c.kind]} x WHERE x.run_id = r.run_id AND x.key = ${key} AND ${cond})`);
  }
  for (const s of scope) where.push(s(p));

  const text = `SELECT ${columns}\n${from}\n${joins.join('\n')}\n${where.length ? `WHERE ${where.join('\n  AND ')}` : ''}\nORDER BY ${order.join(', ')}`;
  return { text, params: p.values };
}
