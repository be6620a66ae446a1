import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroveError } from '../../src/errors.js';
import { parseFilter, parseOrderBy } from '../../src/track/filter.js';
import { compileSearch } from '../../src/track/run-filter-sql.js';

function failsAt(filter: string, token: string | null, position: number, message?: RegExp) {
  assert.throws(
    () => parseFilter(filter),
    (err: unknown) => {
      assert.ok(err instanceof GroveError);
      assert.equal(err.code, 'INVALID_OPTION');
      assert.equal(err.context.token, token, err.message);
      assert.equal(err.context.position, position, err.message);
      if (token !== null) assert.ok(err.message.includes(`position ${position}`), err.message);
      else assert.ok(err.message.includes('at the end'), err.message);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

test('parses the MLflow example into typed clauses', () => {
  assert.deepEqual(parseFilter("metrics.rmse < 50 and params.max_depth = '8' and tags.stage != 'dev' and status = 'FINISHED'"), [
    { kind: 'metric', key: 'rmse', op: '<', value: 50 },
    { kind: 'param', key: 'max_depth', op: '=', value: '8' },
    { kind: 'tag', key: 'stage', op: '!=', value: 'dev' },
    { kind: 'attribute', key: 'status', op: '=', value: 'FINISHED' },
  ]);
});

test('keywords are case-insensitive; attributes have an optional prefix', () => {
  assert.deepEqual(parseFilter("attributes.status = 'RUNNING' AND run_name like 'a%' And attributes.run_name ILike 'B%'"), [
    { kind: 'attribute', key: 'status', op: '=', value: 'RUNNING' },
    { kind: 'attribute', key: 'run_name', op: 'LIKE', value: 'a%' },
    { kind: 'attribute', key: 'run_name', op: 'ILIKE', value: 'B%' },
  ]);
});

test('every comparison operator, numbers in every form', () => {
  const ops = ['=', '!=', '<', '<=', '>', '>='];
  for (const op of ops) assert.equal(parseFilter(`metrics.r2 ${op} -1.5e-3`)[0].op, op);
  assert.equal(parseFilter('metrics.r2 <> 1')[0].op, '!=');
  assert.equal(parseFilter('metrics.r2 == 1')[0].op, '=');
  assert.deepEqual(parseFilter('metrics.rmse<.5')[0], { kind: 'metric', key: 'rmse', op: '<', value: 0.5 });
  assert.deepEqual(parseFilter('start_time >= 1700000000000')[0], { kind: 'attribute', key: 'start_time', op: '>=', value: 1700000000000 });
});

test('backquoted and double-quoted keys hold dots and spaces; dotted keys work unquoted', () => {
  assert.deepEqual(parseFilter('metrics.`my metric` > 1')[0], { kind: 'metric', key: 'my metric', op: '>', value: 1 });
  assert.deepEqual(parseFilter("tags.`grove.failure` LIKE 'process%'")[0], { kind: 'tag', key: 'grove.failure', op: 'LIKE', value: 'process%' });
  assert.deepEqual(parseFilter('tags."a b" = \'x\'')[0], { kind: 'tag', key: 'a b', op: '=', value: 'x' });
  assert.deepEqual(parseFilter("tags.grove.failure = 'x'")[0], { kind: 'tag', key: 'grove.failure', op: '=', value: 'x' });
  assert.deepEqual(parseFilter("`run_name` = 'x'")[0], { kind: 'attribute', key: 'run_name', op: '=', value: 'x' });
});

test('string values: single or double quotes, a doubled quote is a quote', () => {
  assert.equal(parseFilter("params.a = 'it''s'")[0].value, "it's");
  assert.equal(parseFilter('params.a = "say ""hi"""')[0].value, 'say "hi"');
  assert.equal(parseFilter(`params.a = "' OR 1=1 --"`)[0].value, "' OR 1=1 --");
  assert.equal(parseFilter("params.a = ''")[0].value, '');
});

test('an empty filter has no clauses', () => {
  assert.deepEqual(parseFilter(''), []);
  assert.deepEqual(parseFilter('   '), []);
});

test('injection attempts stay values, or fail to parse', () => {
  const [c] = parseFilter("params.max_depth = ''' OR 1=1 --'");
  assert.deepEqual(c, { kind: 'param', key: 'max_depth', op: '=', value: "' OR 1=1 --" });
  const compiled = compileSearch('r.run_id', parseFilter("params.max_depth = ''' OR 1=1 --' and metrics.`x; DROP TABLE runs` < 1"), [], [], 'all')!;
  const sql = compiled.text;
  assert.ok(!sql.includes('OR 1=1') && !sql.includes('DROP'), sql);
  assert.ok(compiled.params.includes("' OR 1=1 --"));
  assert.ok(compiled.params.includes('x; DROP TABLE runs'));
  failsAt("params.max_depth = '' OR 1=1 --'", 'OR', 23, /only AND is supported/);
  failsAt("params.max_depth = '8'; DROP TABLE runs", ';', 23, /unexpected character/);
});

test('malformed filters name the offending token and its position', () => {
  failsAt("metrics.rmse < 50 or params.a = '1'", 'or', 19, /only AND/);
  failsAt('metrics.rmse 50', '50', 14, /expected an operator/);
  failsAt("metrics.rmse < 'x'", "'x'", 16, /compares with a number/);
  failsAt('params.max_depth = 8', '8', 20, /quote the value \('8'\)/);
  failsAt("params.max_depth < '8'", '<', 18, /is a string: use = != LIKE ILIKE/);
  failsAt('metrics.rmse LIKE 5', 'LIKE', 14, /is a number/);
  failsAt("metric.rmse < 5 and foo = 'x'", 'foo', 21, /unknown key/);
  failsAt('metrix.rmse < 5', 'metrix.rmse', 1, /unknown key prefix "metrix" \(did you mean metrics\?\)/);
  failsAt("attributes.colour = 'x'", 'attributes.colour', 1, /unknown attribute/);
  failsAt("status = 'DONE'", "'DONE'", 10, /status is one of RUNNING, FINISHED, FAILED, KILLED/);
  failsAt("params.a = 'open", "'open", 12, /unterminated string/);
  failsAt('metrics.`rmse < 5', '`rmse < 5', 9, /unterminated backquoted key/);
  failsAt("status = 'RUNNING' and", null, 23, /expected a clause after AND/);
  failsAt("status = 'RUNNING' 'x'", "'x'", 20, /expected AND/);
  failsAt('metrics.rmse <', null, 15, /expected a value/);
  failsAt('metrics.rmse', null, 13, /expected an operator/);
  failsAt('metrics.rmse # 5', '#', 14, /unexpected character/);
});

test('order-by: key and direction', () => {
  assert.deepEqual(parseOrderBy('metrics.rmse'), { kind: 'metric', key: 'rmse', ascending: true });
  assert.deepEqual(parseOrderBy('metrics.rmse desc'), { kind: 'metric', key: 'rmse', ascending: false });
  assert.deepEqual(parseOrderBy('params.max_depth ASC'), { kind: 'param', key: 'max_depth', ascending: true });
  assert.deepEqual(parseOrderBy('start_time DESC'), { kind: 'attribute', key: 'start_time', ascending: false });
  assert.deepEqual(parseOrderBy('attributes.status'), { kind: 'attribute', key: 'status', ascending: true });
  assert.deepEqual(parseOrderBy('run_name'), { kind: 'attribute', key: 'run_name', ascending: true });
  assert.deepEqual(parseOrderBy('metrics.`my metric` DESC'), { kind: 'metric', key: 'my metric', ascending: false });
  assert.throws(() => parseOrderBy('metrics.rmse sideways'), /expected ASC or DESC at position 14: "sideways"/);
  assert.throws(() => parseOrderBy('metrics.rmse ASC extra'), /unexpected text after the direction at position 18/);
  assert.throws(() => parseOrderBy('rmse'), /unknown key/);
  assert.throws(() => parseOrderBy(''), /expected a key/);
});

test("MLflow's other forms parse to the same typed clauses: IS [NOT] NULL, run_id [NOT] IN, aliases, backquoted and run. prefixes", () => {
  const id = 'a'.repeat(32);
  assert.deepEqual(parseFilter(`params.x IS NULL and tags.\`y z\` is NOT null and run_id IN ('${id}', "b") and run.run_id not in ('c')`), [
    { kind: 'param', key: 'x', op: 'IS NULL' },
    { kind: 'tag', key: 'y z', op: 'IS NOT NULL' },
    { kind: 'attribute', key: 'run_id', op: 'IN', value: [id, 'b'] },
    { kind: 'attribute', key: 'run_id', op: 'NOT IN', value: ['c'] },
  ]);
  assert.deepEqual(parseFilter("created > 5 and `Run name` = 'a' and attributes.\"run name\" != 'b' and `metric`.rmse < 1 and `params`.`max depth` = '3'"), [
    { kind: 'attribute', key: 'start_time', op: '>', value: 5 },
    { kind: 'attribute', key: 'run_name', op: '=', value: 'a' },
    { kind: 'attribute', key: 'run_name', op: '!=', value: 'b' },
    { kind: 'metric', key: 'rmse', op: '<', value: 1 },
    { kind: 'param', key: 'max depth', op: '=', value: '3' },
  ]);
  assert.deepEqual(parseOrderBy('Created DESC'), { kind: 'attribute', key: 'start_time', ascending: false });
  assert.deepEqual(parseOrderBy('`tags`.`a b`'), { kind: 'tag', key: 'a b', ascending: true });
  // a key that is not an alias is not read as one ("constructor" is not an own alias)
  assert.throws(() => parseFilter("`constructor` = 'x'"), /unknown key/);
  // a single-quoted string is a value, never a key
  failsAt("'run name' = 'x'", "'run name'", 1, /expected a key/);
  failsAt('metrics.rmse IS NOT 3', '3', 21, /expected NULL after IS NOT/);
  failsAt("status IN ('FINISHED')", 'IN', 8, /applies to run_id only/);
  assert.throws(
    () => parseOrderBy('metrics.rmse '),
    (err: unknown) => err instanceof GroveError && err.context.position === 13 && /trailing spaces/.test(err.message),
  );
});
