// What MLflow's clients send and expect, against a real server: Python's bare NaN / Infinity
// tokens, MLflow's error codes and content-type rule, /version as a bare string, and CSV written
// by pandas' default to_csv() (a leading unnamed index column).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { parsePythonJson, rewriteNonFinite } from '../../src/serve/python-json.js';
import { GROVE_VERSION } from '../../src/version.js';
import { FEATURES, diabetesRows, get, groveSync, post, predictWithCli, tempDir, trainRegistered } from './helpers.js';

const dir = tempDir();
const db = join(dir, 'grove.db');
let plain: RunningServer; // no imputation: a missing value is an error
let imputing: RunningServer; // trained with --impute median
const row = diabetesRows(1)[0];

before(async () => {
  trainRegistered(db, 'plain', 10);
  trainRegistered(db, 'imputing', 10, 0, ['--impute', 'median']);
  plain = await startServer('models:/plain@production', { port: 0, trackingUri: db, pollSeconds: 0, log: () => {} });
  imputing = await startServer('models:/imputing@production', { port: 0, trackingUri: db, pollSeconds: 0, log: () => {} });
});
after(async () => {
  await plain.close();
  await imputing.close();
});

/** grove predict on a CSV where null cells are empty (missing). */
function predictCsv(uri: string, rows: (number | null)[][]): number[] {
  const file = join(dir, `missing-${Date.now()}-${Math.random()}.csv`);
  writeFileSync(file, [FEATURES.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n');
  const r = groveSync('predict', uri, '--input', file, '--tracking-uri', db, '--json');
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { predictions: number[] }).predictions;
}

test('the tolerant parse rewrites NaN, Infinity and -Infinity outside strings only', () => {
  assert.equal(rewriteNonFinite('{"a": [1, 2]}'), null, 'nothing to rewrite');
  assert.equal(rewriteNonFinite('[NaN, Infinity, -Infinity]'), '[null, 1e999, -1e999]');
  assert.equal(rewriteNonFinite('{"NaN": "x NaN Infinity \\" NaN", "b": NaN}'), '{"NaN": "x NaN Infinity \\" NaN", "b": null}');
  assert.deepEqual(parsePythonJson('{"v": [NaN, Infinity, -Infinity, 1.5]}'), { v: [null, Infinity, -Infinity, 1.5] });
  assert.deepEqual(parsePythonJson('{"NaN": "NaN"}'), { NaN: 'NaN' }, 'valid JSON goes through JSON.parse untouched');
  // not a general relaxed JSON: other non-JSON stays an error, and so do look-alike words
  for (const bad of ['[nan]', '[NaNa]', '[-NaN]', '[Infinityx]', "{'a': NaN}", '[NaN,]', '[undefined]']) {
    assert.throws(() => parsePythonJson(bad), SyntaxError, bad);
  }
});

test('a bare NaN token (what Python json.dumps writes) is a missing value: scored by an --impute model as grove predict scores an empty cell', async () => {
  const rows = diabetesRows(4);
  const withMissing: (number | null)[][] = rows.map((r, i) => r.map((v, j) => (j === i + 1 ? null : v)));
  const expected = predictCsv('models:/imputing@production', withMissing);
  const asPython = (value: unknown) => JSON.stringify(value).replace(/null/g, 'NaN');
  const bodies = [
    asPython({ dataframe_split: { columns: FEATURES, data: withMissing } }),
    asPython({ dataframe_records: withMissing.map((r) => Object.fromEntries(FEATURES.map((f, j) => [f, r[j]]))) }),
    asPython({ inputs: withMissing }),
    // pretty-printed, as json.dumps(indent=2) writes it
    JSON.stringify({ instances: withMissing }, null, 2).replace(/null/g, 'NaN'),
  ];
  for (const body of bodies) {
    assert.match(body, /NaN/);
    const r = await post(imputing.url, body);
    assert.equal(r.status, 200, `${body.slice(0, 60)}: ${JSON.stringify(r.json)}`);
    assert.deepEqual(r.json, { predictions: expected });
  }
});

test('NaN for a model that cannot take missing values, and Infinity anywhere, are 400s naming the column and row', async () => {
  const nanRow = `{"dataframe_split": {"columns": ${JSON.stringify(FEATURES)}, "data": [${JSON.stringify(row)}, [${row.slice(0, 4).join(', ')}, NaN, ${row.slice(5).join(', ')}]]}}`;
  const r = await post(plain.url, nanRow);
  assert.equal(r.status, 400);
  assert.equal(r.json.error_code, 'INVALID_PARAMETER_VALUE');
  assert.match(String(r.json.message), /missing values in column "s1" \(1 row: data row 2\)/);
  for (const [server, token] of [
    [plain, 'Infinity'],
    [imputing, '-Infinity'],
  ] as const) {
    const inf = await post(server.url, `{"inputs": [[${token}${',1'.repeat(9)}]]}`);
    assert.equal(inf.status, 400, token);
    assert.equal(inf.json.error_code, 'INVALID_PARAMETER_VALUE');
    assert.match(String(inf.json.message), /column "age", data row 1: .*infinite/);
  }
});

test('malformed JSON is BAD_REQUEST, as in MLflow; content-type parameters other than charset are 415', async () => {
  for (const body of ['{"inputs": [[1, 2', '{"inputs": [[nan]]}', "{'inputs': [[1]]}"]) {
    const r = await post(plain.url, body);
    assert.equal(r.status, 400, body);
    assert.deepEqual(Object.keys(r.json).sort(), ['error_code', 'message']);
    assert.equal(r.json.error_code, 'BAD_REQUEST', body);
    assert.match(String(r.json.message), /the body is not valid JSON/);
  }
  const body = JSON.stringify({ inputs: [row] });
  for (const type of [
    'application/json; something=something',
    'application/json; format=pandas-split',
    'text/csv; header=present',
    'application/json; charset=utf-8; x=1',
    'application/json; charset',
  ]) {
    const r = await post(plain.url, body, type);
    assert.equal(r.status, 415, type);
    assert.equal(r.json.error_code, 'UNSUPPORTED_MEDIA_TYPE', type);
    assert.match(String(r.json.message), /parameter .* is not supported; the only parameter accepted is charset=utf-8/, type);
  }
  for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON; Charset="utf-8"']) {
    assert.equal((await post(plain.url, body, type)).status, 200, type);
  }
});

test('GET /version is the bare version string; grove details are at /metadata', async () => {
  const res = await fetch(`${plain.url}/version`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), GROVE_VERSION);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const head = await fetch(`${plain.url}/version`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  const meta = await get(plain.url, '/metadata');
  assert.equal(meta.status, 200);
  assert.equal(meta.json.model_name, 'plain');
  assert.equal(meta.json.model_alias, 'production');
  assert.equal(meta.json.grove_version, GROVE_VERSION);
  assert.match(String(meta.json.sha256), /^[0-9a-f]{64}$/);
});

test('CSV from pandas to_csv() (a leading unnamed index column) scores like the same rows without the index', async () => {
  const rows = diabetesRows(5);
  const expected = predictWithCli(dir, 'models:/plain@production', db, rows);
  const plainCsv = [FEATURES.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
  const pandasCsv = [',' + FEATURES.join(','), ...rows.map((r, i) => `${i},${r.join(',')}`)].join('\n') + '\n';
  // a string index, quoted with a comma inside, and CRLF line ends
  const quotedIndex = ['""' + ',' + FEATURES.join(','), ...rows.map((r, i) => `"row ${i}, x",${r.join(',')}`)].join('\r\n') + '\r\n';
  for (const [what, csv] of [
    ['no index', plainCsv],
    ['pandas index', pandasCsv],
    ['quoted string index', quotedIndex],
  ]) {
    const r = await post(plain.url, csv, 'text/csv');
    assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.json)}`);
    assert.deepEqual(r.json, { predictions: expected }, what);
  }
  // an unnamed column anywhere else is still refused, naming the column
  const middle = [FEATURES.slice(0, 3).join(',') + ',,' + FEATURES.slice(3).join(','), ...rows.map((r) => [...r.slice(0, 3), 7, ...r.slice(3)].join(','))].join('\n') + '\n';
  const bad = await post(plain.url, middle, 'text/csv');
  assert.equal(bad.status, 400);
  assert.match(String(bad.json.message), /header column 4 has no name/);
});
