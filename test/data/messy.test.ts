import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GroveError } from '../../src/errors.js';
import { loadData, prepareTraining } from '../../src/data/index.js';
import { tempDir, writeFile } from './tmp.js';

const dir = tempDir('messy');

async function loadError(path: string): Promise<GroveError> {
  try {
    await loadData(path);
  } catch (err) {
    assert.ok(err instanceof GroveError, `expected a GroveError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loading ${path} should have failed`);
}

async function prepareError(path: string, target = 'y'): Promise<GroveError> {
  try {
    prepareTraining(await loadData(path), { target });
  } catch (err) {
    assert.ok(err instanceof GroveError, `expected a GroveError, got ${String(err)}`);
    return err;
  }
  assert.fail(`preparing ${path} should have failed`);
}

test('quoted separators and embedded newlines parse as one value', async () => {
  const path = writeFile(dir, 'quoted.csv', 'city,note,y\n"Paris, FR","line one\nline two",1\n"Rome","say ""hi""",2\nOslo,,3\n');
  const d = await loadData(path);
  assert.equal(d.table.numRows(), 3);
  assert.deepEqual(d.table.array('city'), ['Paris, FR', 'Rome', 'Oslo']);
  assert.deepEqual(d.table.array('note'), ['line one\nline two', 'say "hi"', null]);
  assert.deepEqual(Array.from(d.table.array('y') as Float64Array), [1, 2, 3]);
});

test('a UTF-8 BOM does not end up in the first column name', async () => {
  const path = writeFile(dir, 'bom.csv', '\ufeffa,y\n1,2\n3,4\n');
  const d = await loadData(path);
  assert.deepEqual(d.table.columnNames(), ['a', 'y']);
  assert.equal(d.columns[0].kind, 'numeric');
});

test('CRLF line ends parse like LF, including inside quotes and at the end', async () => {
  const path = writeFile(dir, 'crlf.csv', 'a,b,y\r\n1,"x\r\ny",2\r\n3,z,4\r\n');
  const d = await loadData(path);
  assert.deepEqual(Array.from(d.table.array('a') as Float64Array), [1, 3]);
  assert.deepEqual(d.table.array('b'), ['x\r\ny', 'z']);
  assert.deepEqual(Array.from(d.table.array('y') as Float64Array), [2, 4]);
});

test('a 1M-row file parses with exact values', async () => {
  const path = join(dir, 'million.csv');
  const out = createWriteStream(path);
  out.write('a,b,y\n');
  const chunk: string[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    chunk.push(`${i},${(i % 1000) / 8},${i * 0.1}`);
    if (chunk.length === 10000) {
      out.write(chunk.join('\n') + '\n');
      chunk.length = 0;
    }
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).on('error', reject));
  const d = await loadData(path);
  assert.equal(d.table.numRows(), 1_000_000);
  const a = d.table.array('a', Float64Array);
  const y = d.table.array('y', Float64Array);
  assert.equal(a[999_999], 999_999);
  assert.equal(y[123_457], Number(String(123_457 * 0.1)));
  assert.equal((d.table.array('b', Float64Array) as Float64Array)[1999], 999 / 8);
});

test('an empty file is an error naming the file', async () => {
  const path = writeFile(dir, 'empty.csv', '');
  const err = await loadError(path);
  assert.equal(err.code, 'INVALID_FILE');
  assert.match(err.message, /empty\.csv is empty/);
});

test('a header with no rows is an error', async () => {
  const path = writeFile(dir, 'header.csv', 'a,b,y\n');
  assert.match((await loadError(path)).message, /header\.csv has a header but no data rows/);
});

test('ragged rows name the line and data row', async () => {
  const path = writeFile(dir, 'ragged.csv', 'a,b,y\n1,2,3\n4,5\n6,7,8\n');
  const err = await loadError(path);
  assert.match(err.message, /ragged\.csv: line 3 \(data row 2\) has 2 fields, but the header has 3/);
  const longer = writeFile(dir, 'ragged2.csv', 'a,b,y\n1,2,3\n"x\ny",5,6,7\n');
  assert.match((await loadError(longer)).message, /ragged2\.csv: line 3 \(data row 2\) has 4 fields/);
});

test('duplicate column names are an error naming both positions', async () => {
  const path = writeFile(dir, 'dup.csv', 'a,b,a\n1,2,3\n');
  assert.match((await loadError(path)).message, /dup\.csv: duplicate column name "a" \(header columns 1 and 3\)/);
});

test('a column named __proto__ is refused by name in CSV and JSON (it cannot be a table column)', async () => {
  const csv = writeFile(dir, 'proto.csv', '__proto__,b,y\n1,2,3\n2,3,4\n');
  assert.match((await loadError(csv)).message, /proto\.csv: a column may not be named "__proto__" \(rename it\)/);
  const json = writeFile(dir, 'proto.json', '[{"__proto__": 1, "b": 2, "y": 3}, {"__proto__": 2, "b": 3, "y": 4}]');
  assert.match((await loadError(json)).message, /proto\.json: a column may not be named "__proto__"/);
});

test('an all-missing column used as a feature is an error naming it', async () => {
  const path = writeFile(dir, 'allmissing.csv', 'a,b,y\n1,,1\n2,NA,2\n3,,3\n');
  const err = await prepareError(path);
  assert.match(err.message, /allmissing\.csv: column "b" has no values at all/);
  // and the same column dropped is fine
  const ok = prepareTraining(await loadData(path), { target: 'y', drop: ['b'] });
  assert.deepEqual(ok.featureNames, ['a']);
});

test('infinities in any spelling are errors naming column and row', async () => {
  for (const spelling of ['Infinity', '-Infinity', 'inf', '-inf', 'INF', '+inf', '-INFINITY', '1e999']) {
    const path = writeFile(dir, 'inf.csv', `a,y\n1,1\n${spelling},2\n3,3\n`);
    const err = await loadError(path);
    assert.equal(err.code, 'INVALID_DATA');
    assert.match(err.message, /inf\.csv: column "a", data row 2: .* is infinite/, spelling);
  }
  const target = writeFile(dir, 'inf-target.csv', 'a,y\n1,1\n2,2\n3,-Infinity\n');
  assert.match((await loadError(target)).message, /inf-target\.csv: column "y", data row 3: "-Infinity" is infinite/);
});

test('numbers with thousands separators in a numeric column are an error', async () => {
  const path = writeFile(dir, 'thousands.csv', 'price,y\n12,1\n"1,234",2\n7,3\n');
  const err = await loadError(path);
  assert.match(err.message, /thousands\.csv: column "price", data row 2: "1,234" looks like a number with thousands separators/);
});

test('a file that does not exist, a directory and a binary file are errors', async () => {
  assert.match((await loadError(join(dir, 'nope.csv'))).message, /nope\.csv: no such file/);
  assert.match((await loadError(dir)).message, /is a directory, not a data file/);
  const bin = writeFile(
    dir,
    'blob.csv',
    Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) % 256),
  );
  assert.match((await loadError(bin)).message, /blob\.csv looks like a binary file/);
  const png = writeFile(dir, 'image.csv', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10));
  assert.match((await loadError(png)).message, /image\.csv looks like a PNG image/);
});

test('an unterminated quote is an error naming the line', async () => {
  const path = writeFile(dir, 'quote.csv', 'a,y\n1,2\n"open,3\n4,5\n');
  assert.match((await loadError(path)).message, /quote\.csv: line 3: a quoted value is never closed/);
});

test('gzip CSV is detected by magic bytes, whatever the name', async () => {
  const gz = writeFile(dir, 'data.csv.gz', gzipSync('a,y\n1,2\n3,4\n'));
  const odd = writeFile(dir, 'data.bin', gzipSync('a\ty\n1\t2\n3\t4\n'));
  for (const p of [gz, odd]) {
    const d = await loadData(p);
    assert.deepEqual(Array.from(d.table.array('y') as Float64Array), [2, 4]);
  }
});

test('a non-numeric target names the column and the first bad row', async () => {
  const path = writeFile(dir, 'cat-target.csv', 'a,y\n1,\n2,low\n3,high\n');
  // text labels are classes: regressing on them is the error, and a class label may not be missing
  const data = await loadData(path);
  assert.throws(() => prepareTraining(data, { target: 'y', task: 'regression' }), /cat-target\.csv: target column "y" is not numeric: data row 2 has "low"; regression needs a numeric target/);
  assert.match((await prepareError(path)).message, /cat-target\.csv: target column "y" has no class label in data row 1/);
});

test('a constant target, too few rows and an absent target are errors', async () => {
  const constant = writeFile(dir, 'constant.csv', 'a,y\n1,5\n2,5\n3,5\n');
  assert.match((await prepareError(constant)).message, /target column "y" is constant \(5 in all 3 usable rows\)/);
  const one = writeFile(dir, 'one.csv', 'a,y\n1,5\n2,\n3,\n');
  assert.match((await prepareError(one)).message, /one\.csv: only 1 usable row/);
  const absent = await prepareError(constant, 'price');
  assert.match(absent.message, /constant\.csv: target column "price" is not in the data; available columns: a, y/);
});

test('missing target values are dropped with a note', async () => {
  const path = writeFile(dir, 'ymissing.csv', 'a,y\n1,1\n2,\n3,3\n4,NA\n5,5\n');
  const p = prepareTraining(await loadData(path), { target: 'y' });
  assert.deepEqual(Array.from(p.y), [1, 3, 5]);
  assert.deepEqual(Array.from(p.rowNumbers), [1, 3, 5]);
  assert.ok(
    p.notes.some((n) => /dropped 2 rows with a missing target "y" \(data rows 2, 4\)/.test(n)),
    p.notes.join('\n'),
  );
});

test('missing feature values are an error naming columns, counts and first rows', async () => {
  const path = writeFile(dir, 'fmissing.csv', 'a,b,y\n1,x,1\n,y,2\n3,,3\n,x,4\n5,y,5\n');
  const err = await prepareError(path);
  assert.match(err.message, /fmissing\.csv: missing values in columns "a" \(2 rows: data rows 2, 4\), "b" \(1 row: data row 3\)/);
  const dropped = prepareTraining(await loadData(path), { target: 'y', dropMissingRows: true });
  assert.deepEqual(Array.from(dropped.rowNumbers), [1, 5]);
  assert.ok(dropped.notes.some((n) => /dropped 3 rows with missing feature values/.test(n)));
});
