import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table } from 'arquero';
import { GroveError } from '../../src/errors.js';
import { applyPreprocessing, categoricalColumnsOf, formatPredictionsCsv, loadData, parsePreprocessing, prepareTraining, type Preprocessing } from '../../src/data/index.js';
import { tempDir, writeFile } from './tmp.js';

const dir = tempDir('prep');

const train = 'id,color,size,fresh,y\n1,red,1.5,true,10\n2,blue,,false,20\n3,red,3,true,30\n4,green,4.5,,40\n5,blue,7,false,50\n';

/** The same rows with columns shuffled, the target removed and an extra column added. */
const shuffled = 'fresh,note,size,color,id\ntrue,a,1.5,red,1\nfalse,b,,blue,2\ntrue,c,3,red,3\n,d,4.5,green,4\nfalse,e,7,blue,5\n';

function roundTrip(p: Preprocessing): Preprocessing {
  return parsePreprocessing(JSON.parse(JSON.stringify(p)));
}

test('categorical + imputed preprocessing survives JSON and gives the same matrix on shuffled raw rows', async () => {
  for (const oneHot of [false, true]) {
    const prepared = prepareTraining(await loadData(writeFile(dir, 'train.csv', train)), { target: 'y', impute: 'median', oneHot });
    const p = roundTrip(prepared.preprocessing);
    const input = await loadData(writeFile(dir, 'shuffled.csv', shuffled), { categoricalColumns: categoricalColumnsOf(p) });
    const applied = applyPreprocessing(input, p);
    assert.deepEqual(applied.featureNames, prepared.featureNames);
    assert.deepEqual(Array.from(applied.x.data), Array.from(prepared.x.data));
    assert.equal(applied.notes.length, 1);
    assert.match(applied.notes[0], /shuffled\.csv: ignored 1 column the model does not use: note$/);
  }
});

test('the recorded encodings and imputation values are the expected ones', async () => {
  const prepared = prepareTraining(await loadData(writeFile(dir, 'train.csv', train)), { target: 'y', impute: 'median', unseenCategory: 'fallback' });
  const byName = Object.fromEntries(prepared.preprocessing.columns.map((c) => [c.name, c]));
  assert.deepEqual(byName.color, { name: 'color', type: 'categorical', encoding: 'ordinal', categories: ['blue', 'green', 'red'], fallback_code: 3, impute_value: 'blue' });
  assert.equal(byName.size.impute_value, 3.75); // median of 1.5, 3, 4.5, 7
  assert.equal(byName.fresh.type, 'boolean');
  assert.equal(byName.fresh.impute_value, 0); // false and true tie at 2: the smaller wins
  assert.equal(prepared.preprocessing.unseen_category, 'fallback');
  assert.equal(prepared.preprocessing.impute_strategy, 'median');
  // ordinal codes in the matrix: color is engine column 1
  assert.deepEqual(Array.from(prepared.x.data.subarray(5, 10)), [2, 0, 2, 1, 0]);
  assert.deepEqual(Array.from(prepared.x.data.subarray(10, 15)), [1.5, 3.75, 3, 4.5, 7]);
});

test('one-hot names engine columns column=category', async () => {
  const prepared = prepareTraining(await loadData(writeFile(dir, 'train.csv', train)), { target: 'y', impute: 'mean', oneHot: true });
  assert.deepEqual(prepared.featureNames, ['id', 'color=blue', 'color=green', 'color=red', 'size', 'fresh']);
  assert.deepEqual(Array.from(prepared.x.data.subarray(15, 20)), [1, 0, 1, 0, 0]); // color=red
  assert.equal(prepared.x.data[21], 4); // mean size for the missing cell
});

test('an unseen category is an error by default and the fallback code when recorded', async () => {
  const strict = prepareTraining(await loadData(writeFile(dir, 'train.csv', train)), { target: 'y', impute: 'median' }).preprocessing;
  const input = table({ id: [9, 8], color: ['red', 'purple'], size: [1, 2], fresh: [true, false] });
  assert.throws(
    () => applyPreprocessing(input, strict),
    (err: unknown) => {
      assert.ok(err instanceof GroveError);
      assert.match(err.message, /input: column "color", data row 2: category "purple" was not seen in training \(known: "blue", "green", "red"\)/);
      return true;
    },
  );
  const lenient = prepareTraining(await loadData(writeFile(dir, 'train.csv', train)), { target: 'y', impute: 'median', unseenCategory: 'fallback' }).preprocessing;
  const applied = applyPreprocessing(input, roundTrip(lenient));
  assert.deepEqual(Array.from(applied.x.data.subarray(2, 4)), [2, 3]);
  assert.match(applied.notes.join('\n'), /1 value of categories not seen in training got the fallback code/);
});

test('a missing column and a value of the wrong type are errors naming column and row', async () => {
  const p = prepareTraining(await loadData(writeFile(dir, 'train.csv', train)), { target: 'y', impute: 'median' }).preprocessing;
  const noSize = await loadData(writeFile(dir, 'nosize.csv', 'id,color,fresh\n1,red,true\n'));
  assert.throws(() => applyPreprocessing(noSize, p), /nosize\.csv is missing column "size" that the model needs \(it has: id, color, fresh\)/);
  const wrong = await loadData(writeFile(dir, 'wrong.csv', 'id,color,size,fresh\n1,red,2,true\n2,red,big,false\n'));
  assert.throws(() => applyPreprocessing(wrong, p), /wrong\.csv: column "size", data row 2: "big" is not a number \(the model was trained with numeric "size"\)/);
});

test('without imputation, a missing value at prediction names column and row', async () => {
  const p = prepareTraining(await loadData(writeFile(dir, 'clean.csv', 'a,b,y\n1,x,1\n2,y,2\n3,x,3\n')), { target: 'y' }).preprocessing;
  const input = await loadData(writeFile(dir, 'gap.csv', 'b,a\nx,1\ny,\n'));
  assert.throws(() => applyPreprocessing(input, p), /gap\.csv: missing values in column "a" \(1 row: data row 2\)/);
});

test('parsePreprocessing rejects a damaged record', () => {
  assert.throws(() => parsePreprocessing({ version: 99 }), /unsupported version 99/);
  assert.throws(
    () => parsePreprocessing({ version: 1, target: 'y', columns: [{ name: 'a', type: 'numeric' }], feature_names: ['a', 'b'], unseen_category: 'error', missing: 'error', impute_strategy: null }),
    /feature_names has 2 names but the columns encode to 1/,
  );
});

test('predictions CSV: input columns, then prediction at full precision', async () => {
  const input = await loadData(writeFile(dir, 'pred.csv', 'name,x,ok\n"a, b",1.5,true\nc,,false\n'));
  const csv = formatPredictionsCsv(input, [0.1 + 0.2, 1 / 3]);
  assert.equal(csv, 'name,x,ok,prediction\n"a, b",1.5,true,0.30000000000000004\nc,,false,0.3333333333333333\n');
  assert.throws(() => formatPredictionsCsv(input, [1]), /1 predictions for 2 input rows/);
});
