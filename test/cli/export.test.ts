// grove export and grove models export: real CLI processes, a real SQLite store, the file read
// back by ONNX Runtime and served by a real dashboard server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadData } from '../../src/data/index.js';
import { tempDir, writeFile } from '../data/tmp.js';
import { loadedColumns, maxAbs, maxAbsDiff, runOnnx, runOnnxOutputs } from '../export/ort.js';
import { serve } from '../ui/helpers.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const dir = tempDir('cli-export');
const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8', cwd: dir });

/** Houses with a categorical, a boolean and gaps; sizes in 1/4 steps (exact in float32). */
function housesCsv(rows: number, seed: number): string {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const towns = ['north', 'south', 'east', 'west'];
  const lines = ['town,area,garden,price'];
  for (let i = 0; i < rows; i++) {
    const town = towns[Math.floor(next() * 4)];
    const area = Math.round(next() * 400) / 4;
    const garden = next() < 0.4;
    const price = area * 3 + (garden ? 40 : 0) + towns.indexOf(town) * 25 + next() * 10;
    lines.push([i % 11 === 3 ? '' : town, i % 13 === 5 ? '' : area, garden, price.toFixed(2)].join(','));
  }
  return lines.join('\n') + '\n';
}

test('grove export writes an ONNX file that predicts what grove predict prints', async () => {
  const train = writeFile(dir, 'houses.csv', housesCsv(300, 7));
  const fresh = writeFile(
    dir,
    'new.csv',
    housesCsv(60, 8)
      .replace('town,area,garden,price', 'town,area,garden,price')
      .replace(/\nnorth,/, '\nharbour,'),
  );
  const model = join(dir, 'houses.grove');
  const t = run('train', train, '--target', 'price', '--trees', '20', '--impute', 'median', '--unseen-category', 'fallback', '--one-hot', '--save', model, '--json');
  assert.equal(t.status, 0, t.stderr);

  const onnxPath = join(dir, 'houses.onnx');
  const e = run('export', model, '--format', 'onnx', '--output', onnxPath, '--json');
  assert.equal(e.status, 0, e.stderr);
  const summary = JSON.parse(e.stdout);
  assert.deepEqual(summary.inputs, [
    { name: 'town', type: 'string' },
    { name: 'area', type: 'float' },
    { name: 'garden', type: 'float' },
  ]);
  assert.equal(summary.output_name, 'prediction');
  assert.deepEqual(summary.notes, []);
  const bytes = readFileSync(onnxPath);
  assert.equal(summary.bytes, bytes.length);

  const p = run('predict', model, '--input', fresh, '--json');
  assert.equal(p.status, 0, p.stderr);
  const expected = JSON.parse(p.stdout).predictions as number[];
  const input = await loadData(fresh, { categoricalColumns: ['town'] });
  const got = await runOnnx(bytes, loadedColumns(input));
  assert.ok(maxAbsDiff(got, expected) <= 1e-5 * maxAbs(expected), `max difference ${maxAbsDiff(got, expected)}`);
});

test('grove export: --help documents the graph; bad options and models fail without writing a file', () => {
  const help = run('export', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--format <format>/);
  assert.match(help.stdout, /one input per training column/);
  assert.match(help.stdout, /grove export models:\/diabetes@production --format onnx --output diabetes.onnx/);

  const before = readdirSync(dir).length;
  const badFormat = run('export', 'whatever.grove', '--format', 'pmml', '--output', join(dir, 'x.onnx'));
  assert.notEqual(badFormat.status, 0);
  assert.match(badFormat.stderr, /--format/);
  const missing = run('export', join(dir, 'nope.grove'), '--output', join(dir, 'x.onnx'));
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /model file not found: .*nope\.grove/);
  const corrupt = writeFile(dir, 'corrupt.grove', 'GROVEMDL not really');
  const bad = run('export', corrupt, '--output', join(dir, 'x.onnx'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /corrupt\.grove/);
  assert.equal(existsSync(join(dir, 'x.onnx')), false);
  assert.equal(readdirSync(dir).length, before + 1); // only corrupt.grove was added
});

test('grove models export stores the ONNX file in the registry, tags the version, and the dashboard serves it', async () => {
  const db = join(dir, 'grove.db');
  const t = run('train', 'diabetes', '--trees', '10', '--register', 'diab', '--alias', 'production', '--tracking-uri', db, '--json');
  assert.equal(t.status, 0, t.stderr);
  const runId = JSON.parse(t.stdout).run_id as string;

  const e = run('models', 'export', 'models:/diab@production', '--format', 'onnx', '--tracking-uri', db, '--json');
  assert.equal(e.status, 0, e.stderr);
  const out = JSON.parse(e.stdout);
  assert.equal(out.model, 'diab');
  assert.equal(out.version, 1);
  assert.equal(out.artifact, 'model.onnx');
  assert.equal(out.uri, `runs:/${runId}/model.onnx`);
  assert.equal(out.tags.onnx_artifact, 'model.onnx');
  // again: a no-op with the same artifact
  const again = run('models', 'export', 'models:/diab/1', '--tracking-uri', db, '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).sha256, out.sha256);
  // a run URI or a file is not a registered version
  const notRegistered = run('models', 'export', `runs:/${runId}/model`, '--tracking-uri', db);
  assert.notEqual(notRegistered.status, 0);
  assert.match(notRegistered.stderr, /grove models export takes a registered model/);
  const unknown = run('models', 'export', 'models:/nope/1', '--tracking-uri', db);
  assert.notEqual(unknown.status, 0);

  // a second version, not exported
  const t2 = run('train', 'diabetes', '--trees', '5', '--register', 'diab', '--tracking-uri', db, '--json');
  assert.equal(t2.status, 0, t2.stderr);

  const ui = await serve(db);
  try {
    const base = ui.server.url;
    const models = (await (await fetch(`${base}/api/models`)).json()) as { models: { versions: { version: number; onnx_url: string | null }[] }[] };
    const byVersion = new Map(models.models[0].versions.map((v) => [v.version, v.onnx_url]));
    assert.equal(byVersion.get(2), null);
    const url = byVersion.get(1);
    assert.equal(url, '/api/models/diab/versions/1/onnx');
    const res = await fetch(base + url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="diab-v1\.onnx"/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(bytes.length, out.size);
    // the same file through the run's artifact route keeps its extension
    const viaRun = await fetch(`${base}/api/runs/${runId}/artifacts/model.onnx`);
    assert.match(viaRun.headers.get('content-disposition') ?? '', /-model\.onnx"/);
    await viaRun.arrayBuffer();
    // what was downloaded runs in ONNX Runtime
    const d = await loadData('diabetes');
    const got = await runOnnx(bytes, loadedColumns(d));
    assert.equal(got.length, 442);
    // a version without an export is a 404 that says how to make one
    const noExport = await fetch(`${base}/api/models/diab/versions/2/onnx`);
    assert.equal(noExport.status, 404);
    assert.match(JSON.stringify(await noExport.json()), /grove models export models:\/diab\/2/);
    const badVersion = await fetch(`${base}/api/models/diab/versions/x/onnx`);
    assert.equal(badVersion.status, 400);
    await badVersion.arrayBuffer();
  } finally {
    await ui.close();
  }
});

test('grove export --precision double: double inputs, and grove models export stores it under its own name', async () => {
  const db = join(dir, 'double.db');
  const t = run('train', 'diabetes', '--trees', '8', '--register', 'dd', '--tracking-uri', db, '--json', '--save', join(dir, 'dd.grove'));
  assert.equal(t.status, 0, t.stderr);
  const e = run('export', join(dir, 'dd.grove'), '--precision', 'double', '--output', join(dir, 'dd.onnx'), '--json');
  assert.equal(e.status, 0, e.stderr);
  assert.deepEqual(new Set(JSON.parse(e.stdout).inputs.map((i: { type: string }) => i.type)), new Set(['double']));
  const bad = run('export', join(dir, 'dd.grove'), '--precision', 'half', '--output', join(dir, 'dd2.onnx'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--precision/);

  const f = run('models', 'export', 'models:/dd/1', '--tracking-uri', db, '--json');
  const d = run('models', 'export', 'models:/dd/1', '--precision', 'double', '--tracking-uri', db, '--json');
  assert.equal(f.status, 0, f.stderr);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(JSON.parse(f.stdout).artifact, 'model.onnx');
  const double = JSON.parse(d.stdout);
  assert.equal(double.artifact, 'model-double.onnx');
  assert.equal(double.tags.onnx_artifact, 'model-double.onnx');
  assert.equal(double.size, readFileSync(join(dir, 'dd.onnx')).length);
});

/** Fruit with a categorical, a numeric column with gaps and a boolean; the class is text. */
function fruitCsv(rows: number, seed: number, extraColor = false): string {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const colors = ['red', 'green', 'yellow', ...(extraColor ? ['teal'] : [])];
  const lines = ['color,weight,ripe,fruit'];
  for (let i = 0; i < rows; i++) {
    const color = colors[Math.floor(next() * colors.length)];
    const weight = Math.round(next() * 800) / 4;
    const ripe = next() < 0.5;
    const fruit = next() < 0.1 ? 'plum' : color === 'yellow' ? 'banana' : weight > 120 ? 'apple' : ripe ? 'cherry' : 'plum';
    lines.push([i % 10 === 4 ? '' : color, i % 12 === 7 ? '' : weight, ripe, fruit].join(','));
  }
  return lines.join('\n') + '\n';
}

test('grove export on a classifier: label and probabilities equal grove predict --proba, and grove models export stores it', async () => {
  const train = writeFile(dir, 'fruit.csv', fruitCsv(400, 3));
  const fresh = writeFile(dir, 'fruit-new.csv', fruitCsv(80, 4, true));
  const model = join(dir, 'fruit.grove');
  const db = join(dir, 'fruit.db');
  const t = run('train', train, '--target', 'fruit', '--trees', '15', '--impute', 'median', '--unseen-category', 'fallback', '--save', model, '--register', 'fruit', '--tracking-uri', db, '--json');
  assert.equal(t.status, 0, t.stderr);

  const onnxPath = join(dir, 'fruit.onnx');
  const e = run('export', model, '--output', onnxPath, '--probability-name', 'fruit_proba', '--json');
  assert.equal(e.status, 0, e.stderr);
  const summary = JSON.parse(e.stdout);
  assert.equal(summary.output_name, 'label');
  assert.equal(summary.probability_name, 'fruit_proba');
  assert.deepEqual(summary.labels, { type: 'string', values: ['apple', 'banana', 'cherry', 'plum'] });
  assert.deepEqual(summary.notes, []);
  const plain = run('export', model, '--output', join(dir, 'fruit-plain.onnx'));
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stderr, /inputs -> "label", "probabilities"\)/);

  const p = run('predict', model, '--input', fresh, '--proba', '--json');
  assert.equal(p.status, 0, p.stderr);
  const expected = JSON.parse(p.stdout) as { predictions: string[]; classes: string[]; probabilities: number[][] };
  assert.deepEqual(expected.classes, summary.labels.values);
  const input = await loadData(fresh, { categoricalColumns: ['color'] });
  const out = await runOnnxOutputs(readFileSync(onnxPath), loadedColumns(input));
  assert.deepEqual(Array.from(out.label as string[]), expected.predictions);
  const proba = expected.probabilities.flat();
  assert.ok(maxAbsDiff(out.fruit_proba as Float32Array, proba) <= 1e-6, `max difference ${maxAbsDiff(out.fruit_proba as Float32Array, proba)}`);

  const m = run('models', 'export', 'models:/fruit/1', '--tracking-uri', db, '--json');
  assert.equal(m.status, 0, m.stderr);
  assert.equal(JSON.parse(m.stdout).artifact, 'model.onnx');

  // a regressor has no probabilities output
  const r = run('train', 'diabetes', '--trees', '3', '--save', join(dir, 'reg.grove'));
  assert.equal(r.status, 0, r.stderr);
  const bad = run('export', join(dir, 'reg.grove'), '--probability-name', 'p', '--output', join(dir, 'reg.onnx'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /probabilityName.*applies to classifiers only/);
  assert.equal(existsSync(join(dir, 'reg.onnx')), false);
});
