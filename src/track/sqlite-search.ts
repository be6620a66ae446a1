// Compiles a parsed filter and order-by into SQLite SQL. User values only ever travel as
// placeholders; the only text spliced into the SQL comes from fixed tables below.
import type { FilterClause, OrderBy } from './filter.js';

export interface CompiledSearch {
  joins: string;
  where: string[];
  orderBy: string;
  params: unknown[];
}

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

function comparison(column: string, op: string, value: unknown, params: unknown[]): string {
  if (op === 'LIKE') {
    params.push(likeToGlob(String(value)));
    return `${column} GLOB ?`;
  }
  if (op === 'ILIKE') {
    params.push(String(value));
    // lower() on both sides so non-ASCII letters are folded too (as far as SQLite's lower goes)
    return `lower(${column}) LIKE lower(?)`;
  }
  params.push(value);
  return `${column} ${op} ?`;
}

export function compileSearch(clauses: FilterClause[], orderBy: OrderBy[]): CompiledSearch {
  const params: unknown[] = [];
  const joins: string[] = [];
  const where: string[] = [];
  // order-by joins come first in the SQL text, so their placeholders come first too
  const order: string[] = [];
  orderBy.forEach((o, i) => {
    const dir = o.ascending ? 'ASC' : 'DESC';
    if (o.kind === 'attribute') {
      const col = ATTRIBUTE_COLUMN[o.key];
      order.push(`(${col} IS NULL) ASC`, `${col} ${dir}`);
      return;
    }
    const alias = `o${i}`;
    joins.push(`LEFT JOIN ${TABLE[o.kind]} ${alias} ON ${alias}.run_id = r.run_id AND ${alias}.key = ?`);
    params.push(o.key);
    // runs without a value sort last in either direction
    order.push(`(${alias}.value IS NULL) ASC`, `${alias}.value ${dir}`);
  });
  order.push('r.start_time DESC', 'r.seq DESC');

  for (const c of clauses) {
    if (c.kind === 'attribute') {
      where.push(comparison(ATTRIBUTE_COLUMN[c.key], c.op, c.value, params));
      continue;
    }
    const t = TABLE[c.kind];
    params.push(c.key);
    const cond = comparison('x.value', c.op, c.value, params);
    where.push(`EXISTS (SELECT 1 FROM ${t} x WHERE x.run_id = r.run_id AND x.key = ? AND ${cond})`);
  }
  return { joins: joins.join('\n'), where, orderBy: order.join(', '), params };
}
