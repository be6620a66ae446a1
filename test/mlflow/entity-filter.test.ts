// The search language of experiment and registry searches, applied to plain records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileEntityFilter, compileEntityOrder, type EntityFields } from '../../src/mlflow/entity-filter.js';
import { MlflowError } from '../../src/mlflow/errors.js';

interface Item {
  name: string;
  n: number;
  tags: Record<string, string>;
}
const FIELDS: EntityFields<Item> = { what: 'items', attributes: { name: (i) => i.name, n: (i) => i.n }, tags: (i) => i.tags };
const ITEMS: Item[] = [
  { name: 'houses_rf', n: 3, tags: { team: 'ml', 'my key': 'x' } },
  { name: 'Houses-gb', n: 1, tags: { team: 'ops' } },
  { name: 'cars', n: 2, tags: {} },
];
const names = (filter: string) => ITEMS.filter(compileEntityFilter(filter, FIELDS)).map((i) => i.name);

test('= != LIKE ILIKE IN and NOT IN on attributes and tags, joined by AND (case-insensitive keywords)', () => {
  assert.deepEqual(names(''), ['houses_rf', 'Houses-gb', 'cars']);
  assert.deepEqual(names("name = 'cars'"), ['cars']);
  assert.deepEqual(names("name != 'cars'"), ['houses_rf', 'Houses-gb']);
  assert.deepEqual(names("name LIKE 'houses%'"), ['houses_rf']);
  assert.deepEqual(names("name ilike 'houses%'"), ['houses_rf', 'Houses-gb']);
  assert.deepEqual(names("name LIKE 'houses_rf'"), ['houses_rf']); // _ is any one character
  assert.deepEqual(names("name LIKE 'c.*'"), []); // regex characters are literal
  assert.deepEqual(names("name IN ('cars', 'Houses-gb')"), ['Houses-gb', 'cars']);
  assert.deepEqual(names("name NOT IN ('cars')"), ['houses_rf', 'Houses-gb']);
  assert.deepEqual(names("tags.team = 'ml' and name LIKE '%rf'"), ['houses_rf']);
  assert.deepEqual(names('tags.`my key` = "x"'), ['houses_rf']);
  assert.deepEqual(names('n >= 2'), ['houses_rf', 'cars']);
  assert.deepEqual(names("attributes.name = 'cars'"), ['cars']);
});

test('a tag the item does not have matches no clause, != included (as in MLflow)', () => {
  assert.deepEqual(names("tags.team != 'ml'"), ['Houses-gb']);
});

test('mistakes are INVALID_PARAMETER_VALUE naming the key or the place', () => {
  const fails = (filter: string, message: RegExp) =>
    assert.throws(
      () => compileEntityFilter(filter, FIELDS),
      (err: unknown) => err instanceof MlflowError && err.errorCode === 'INVALID_PARAMETER_VALUE' && message.test(err.message),
    );
  fails("nam = 'x'", /unknown key "nam".*name, n or tags/);
  fails("name = 'x' OR n = 1", /expected AND/);
  fails("name = 'x", /unterminated quote/);
  fails('name =', /expected a value/);
  fails("name IN ('a' 'b')", /expected , or \)/);
  fails("name ~ 'a'", /unexpected character/);
});

test('order_by sorts by attributes with ASC/DESC; ties keep the fallback order', () => {
  const sorted = (order: string[]) => [...ITEMS].sort(compileEntityOrder(order, FIELDS, (a, b) => a.n - b.n)).map((i) => i.name);
  assert.deepEqual(sorted([]), ['Houses-gb', 'cars', 'houses_rf']);
  assert.deepEqual(sorted(['name']), ['Houses-gb', 'cars', 'houses_rf']);
  assert.deepEqual(sorted(['n DESC']), ['houses_rf', 'cars', 'Houses-gb']);
  assert.throws(() => compileEntityOrder(['size ASC'], FIELDS, () => 0), /unknown key "size"/);
  assert.throws(() => compileEntityOrder(['name UP'], FIELDS, () => 0), /ASC\|DESC/);
});
