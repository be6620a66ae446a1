import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toArrowIPC, table } from 'arquero';
import { gzipSync } from 'node:zlib';
import { friedman1, loadData, prepareTraining, fromTable } from '../../src/data/index.js';
import { tempDir, writeFile } from './tmp.js';

const dir = tempDir('sources');

// The same small dataset in every format: numeric with a missing cell, categorical, boolean.
const rows = [
  { size: 1.5, color: 'red', fresh: true, y: 10 },
  { size: 2.25, color: 'blue', fresh: false, y: 20 },
  { size: null, color: 'red', fresh: true, y: 30 },
  { size: -4, color: null, fresh: null, y: 40.125 },
  { size: 0.1, color: 'green, light', fresh: false, y: 50 },
];
const csv = 'size,color,fresh,y\n1.5,red,true,10\n2.25,blue,false,20\n,red,TRUE,30\n-4,,,40.125\n0.1,"green, light",False,50\n';

async function allFormats() {
  const columns = {
    size: rows.map((r) => r.size),
    color: rows.map((r) => r.color),
    fresh: rows.map((r) => r.fresh),
    y: rows.map((r) => r.y),
  };
  return {
    csv: await loadData(writeFile(dir, 'd.csv', csv)),
    tsv: await loadData(writeFile(dir, 'd.tsv', csv.replace(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/gm, '\t').replace(/"/g, ''))),
    gz: await loadData(writeFile(dir, 'd.csv.gz', gzipSync(csv))),
    records: await loadData(writeFile(dir, 'records.json', JSON.stringify(rows))),
    columns: await loadData(writeFile(dir, 'columns.json', JSON.stringify(columns))),
    arrow: await loadData(writeFile(dir, 'd.arrow', toArrowIPC(table(columns)))),
    feather: await loadData(writeFile(dir, 'd.feather', toArrowIPC(table(columns)))),
  };
}

test('CSV, TSV, gzip, JSON records, JSON columns and Arrow give the same columns and fingerprint', async () => {
  const all = await allFormats();
  const reference = prepareTraining(all.csv, { target: 'y', impute: 'most-frequent' });
  assert.deepEqual(
    all.csv.columns.map((c) => c.kind),
    ['numeric', 'categorical', 'boolean', 'numeric'],
  );
  for (const [name, d] of Object.entries(all)) {
    assert.deepEqual(
      d.columns.map((c) => [c.name, c.kind]),
      all.csv.columns.map((c) => [c.name, c.kind]),
      name,
    );
    assert.deepEqual(d.table.array('color'), ['red', 'blue', 'red', null, 'green, light'], name);
    const p = prepareTraining(d, { target: 'y', impute: 'most-frequent' });
    assert.deepEqual(Array.from(p.x.data), Array.from(reference.x.data), name);
    assert.deepEqual(Array.from(p.y), Array.from(reference.y), name);
    assert.equal(p.fingerprint, reference.fingerprint, name);
    assert.deepEqual(p.preprocessing, reference.preprocessing, name);
  }
  assert.match(reference.fingerprint, /^[0-9a-f]{64}$/);
});

test('the fingerprint changes with a value, a name or a column type', async () => {
  const base = prepareTraining(await loadData(writeFile(dir, 'f1.csv', 'a,b,y\n1,x,1\n2,y,2\n')), { target: 'y' }).fingerprint;
  const value = prepareTraining(await loadData(writeFile(dir, 'f2.csv', 'a,b,y\n1,x,1\n2,y,3\n')), { target: 'y' }).fingerprint;
  const name = prepareTraining(await loadData(writeFile(dir, 'f3.csv', 'c,b,y\n1,x,1\n2,y,2\n')), { target: 'y' }).fingerprint;
  const type = prepareTraining(fromTable(table({ a: ['1', '2x'], b: ['x', 'y'], y: [1, 2] })), { target: 'y' }).fingerprint;
  assert.equal(new Set([base, value, name, type]).size, 4);
});

test('the built-in diabetes loads from the package, not the working directory', async () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const d = await loadData('diabetes');
    assert.equal(d.table.numRows(), 442);
    assert.deepEqual(d.table.columnNames(), ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'target']);
    const p = prepareTraining(d);
    assert.equal(p.preprocessing.target, 'target');
    assert.deepEqual(p.x.layout, 'col');
    assert.equal(p.x.rows, 442);
    assert.equal(p.x.cols, 10);
    assert.equal(p.x.data[0], 59); // age of the first row
    assert.equal(p.x.data[442 * 2], 32.1); // bmi of the first row
    assert.equal(p.y[0], 151);
  } finally {
    process.chdir(cwd);
  }
});

test('friedman1[:rows[:seed]] matches the generator, column-major, target y', async () => {
  const d = await loadData('friedman1:50:7');
  const g = friedman1(50, 7);
  const p = prepareTraining(d);
  assert.deepEqual(p.featureNames, g.featureNames);
  for (let i = 0; i < 50; i++) for (let j = 0; j < 10; j++) assert.equal(p.x.data[j * 50 + i], g.x[i * 10 + j]);
  assert.deepEqual(p.y, g.y);
  assert.equal((await loadData('friedman1')).table.numRows(), 1000);
  await assert.rejects(loadData('friedman1:ten'), /expected friedman1\[:rows\[:seed\]\]/);
});

test('JSON that is not records or columns is a clear error', async () => {
  await assert.rejects(loadData(writeFile(dir, 'bad1.json', '[{"a":1},{"a":2,"b":3}]')), /bad1\.json: record 2 has a key "b" that record 1 lacks/);
  await assert.rejects(loadData(writeFile(dir, 'bad2.json', '{"a":[1,2],"b":[1]}')), /bad2\.json: column "b" has 1 values, the first column has 2/);
  await assert.rejects(loadData(writeFile(dir, 'bad3.json', '{"a":[1,2],')), /bad3\.json: not valid JSON/);
  await assert.rejects(loadData(writeFile(dir, 'bad4.json', '[{"a":1,"y":"Infinity"}]')), /bad4\.json: column "y", data row 1: "Infinity" is infinite/);
});
