// A real server on an ephemeral port: the four MLflow JSON shapes and CSV score like grove
// predict; every bad request gets its status, error_code and a message naming what was wrong.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { FEATURES, diabetesRows, get, post, predictWithCli, tempDir, trainRegistered } from './helpers.js';

const dir = tempDir();
const db = join(dir, 'grove.db');
const uri = 'models:/d@production';
let server: RunningServer;
let base: string;

before(async () => {
  trainRegistered(db, 'd', 20);
  server = await startServer(uri, { port: 0, trackingUri: db, pollSeconds: 0, log: () => {} });
  base = server.url;
});
after(() => server.close());

test('each JSON shape and CSV gives the predictions of grove predict on the same rows, in input order', async () => {
  const rows = diabetesRows(7);
  const expected = predictWithCli(dir, uri, db, rows);
  const records = rows.map((r) => Object.fromEntries(FEATURES.map((f, j) => [f, r[j]])));
  const byColumn = Object.fromEntries(FEATURES.map((f, j) => [f, rows.map((r) => r[j])]));
  // columns in another order than training: names decide, not positions
  const shuffled = [...FEATURES].reverse();
  const bodies: [string, unknown][] = [
    ['dataframe_split', { dataframe_split: { columns: FEATURES, data: rows } }],
    ['dataframe_split, other column order, index', { dataframe_split: { index: rows.map((_, i) => i * 10), columns: shuffled, data: rows.map((r) => [...r].reverse()) } }],
    ['dataframe_records', { dataframe_records: records }],
    ['dataframe_records with numbers as text', { dataframe_records: records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]))) }],
    ['instances as records', { instances: records }],
    ['instances as rows', { instances: rows }],
    ['inputs as rows', { inputs: rows }],
    ['inputs as columns', { inputs: byColumn }],
  ];
  for (const [what, body] of bodies) {
    const r = await post(base, JSON.stringify(body));
    assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.json)}`);
    assert.deepEqual(r.json, { predictions: expected }, what);
    assert.equal(r.headers.get('x-grove-model-version'), '1', what);
  }
  const csv = [FEATURES.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
  for (const type of ['text/csv', 'text/csv; charset=utf-8', 'text/csv;charset="UTF-8"']) {
    const r = await post(base, csv, type);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json, { predictions: expected }, type);
  }
  // charset is the one parameter a JSON content type may carry (other parameters are a 415, below)
  const r = await post(base, JSON.stringify({ dataframe_split: { columns: FEATURES, data: rows } }), 'application/json; charset=utf-8');
  assert.deepEqual(r.json, { predictions: expected });
});

test('/ping, /health, /version and /metadata answer GET; /metadata names the model, version, alias, run and grove version', async () => {
  for (const path of ['/ping', '/health']) {
    const r = await get(base, path);
    assert.equal(r.status, 200, path);
    assert.equal(r.json.status, 'ok');
  }
  const v = await get(base, '/metadata');
  assert.equal(v.status, 200);
  assert.equal(v.json.model_name, 'd');
  assert.equal(v.json.model_version, 1);
  assert.equal(v.json.model_alias, 'production');
  assert.match(String(v.json.run_id), /^[0-9a-f]{32}$/);
  assert.match(String(v.json.grove_version), /^\d+\.\d+\.\d+/);
  assert.equal((await get(base, '/ping?probe=1')).status, 200, 'a query string does not change the path');
});

test('bad requests: status, error_code and a message naming the problem, never a stack trace', async () => {
  const row = diabetesRows(1)[0];
  const record = Object.fromEntries(FEATURES.map((f, j) => [f, row[j]]));
  const cases: { what: string; body: string; type?: string; status: number; code: string; message: RegExp }[] = [
    { what: 'malformed JSON', body: '{"inputs": [[1, 2', status: 400, code: 'BAD_REQUEST', message: /not valid JSON/ },
    {
      what: 'a bare NaN token where the model has no imputation',
      body: `{"inputs": [[NaN${',1'.repeat(9)}]]}`,
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /missing values in column "age"/,
    },
    { what: 'no shape key', body: '{"rows": []}', status: 400, code: 'BAD_REQUEST', message: /exactly one of the keys dataframe_split, dataframe_records, instances, inputs \(got "rows"\)/ },
    { what: 'two shape keys', body: JSON.stringify({ instances: [row], inputs: [row] }), status: 400, code: 'BAD_REQUEST', message: /2 shape keys \(instances, inputs\)/ },
    { what: 'not an object', body: '[1, 2]', status: 400, code: 'BAD_REQUEST', message: /must be an object/ },
    { what: 'a short row', body: JSON.stringify({ inputs: [row, row.slice(1)] }), status: 400, code: 'BAD_REQUEST', message: /inputs\[1\] has 9 values but there are 10 columns/ },
    { what: 'no rows', body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: [] } }), status: 400, code: 'BAD_REQUEST', message: /no rows/ },
    {
      what: 'index of the wrong length',
      body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: [row], index: [0, 1] } }),
      status: 400,
      code: 'BAD_REQUEST',
      message: /index has 2 entries for 1 rows/,
    },
    {
      what: 'a missing column, named',
      body: JSON.stringify({ dataframe_records: [Object.fromEntries(Object.entries(record).filter(([k]) => k !== 'bmi'))] }),
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /missing column "bmi"/,
    },
    {
      what: 'a wrong type, with column and row',
      body: JSON.stringify({ dataframe_records: [record, { ...record, bp: 'high' }] }),
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /column "bp", data row 2: "high" is not a number/,
    },
    {
      what: 'NaN where the model has no imputation',
      body: JSON.stringify({ dataframe_records: [record, record, { ...record, s1: 'NaN' }] }),
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /missing values in column "s1" \(1 row: data row 3\)/,
    },
    {
      what: 'null where the model has no imputation',
      body: JSON.stringify({ inputs: [[null, ...row.slice(1)]] }),
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /missing values in column "age"/,
    },
    {
      what: 'an infinite number as text',
      body: JSON.stringify({ dataframe_records: [{ ...record, s2: 'inf' }] }),
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /column "s2", data row 1: "inf" is infinite/,
    },
    {
      what: 'a nested object',
      body: JSON.stringify({ dataframe_records: [{ ...record, age: { years: 3 } }] }),
      status: 400,
      code: 'INVALID_PARAMETER_VALUE',
      message: /column "age", data row 1: unsupported value/,
    },
    {
      what: 'a ragged CSV',
      body: `${FEATURES.join(',')}\n${row.join(',')},9\n`,
      type: 'text/csv',
      status: 400,
      code: 'BAD_REQUEST',
      message: /request: line 2 \(data row 1\) has 11 fields, but the header has 10/,
    },
    { what: 'an empty CSV', body: '', type: 'text/csv', status: 400, code: 'BAD_REQUEST', message: /request is empty/ },
    {
      what: 'a "__proto__" column (JSON)',
      body: `{"dataframe_records": [{"__proto__": 1, ${JSON.stringify(record).slice(1)}]}`,
      status: 400,
      code: 'BAD_REQUEST',
      message: /a column may not be named "__proto__"/,
    },
    {
      what: 'a "__proto__" column (CSV)',
      body: `__proto__,${FEATURES.join(',')}\n1,${row.join(',')}\n`,
      type: 'text/csv',
      status: 400,
      code: 'BAD_REQUEST',
      message: /a column may not be named "__proto__"/,
    },
    { what: 'text/plain', body: 'x', type: 'text/plain', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /"text\/plain" is not supported/ },
    { what: 'charset latin1', body: 'x', type: 'text/csv; charset=latin1', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /charset "latin1" is not supported; grove reads UTF-8 only/ },
    { what: 'JSON in ISO-8859-1', body: '{}', type: 'application/json; charset=ISO-8859-1', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: /iso-8859-1/ },
  ];
  for (const c of cases) {
    const r = await post(base, c.body, c.type);
    assert.equal(r.status, c.status, `${c.what}: ${JSON.stringify(r.json)}`);
    assert.deepEqual(Object.keys(r.json).sort(), ['error_code', 'message'], c.what);
    assert.equal(r.json.error_code, c.code, c.what);
    assert.match(String(r.json.message), c.message, c.what);
    assert.doesNotMatch(String(r.json.message), /\n\s+at /, `${c.what}: no stack trace`);
  }

  const notFound = await get(base, '/predict');
  assert.equal(notFound.status, 404);
  assert.equal(notFound.json.error_code, 'ENDPOINT_NOT_FOUND');
  assert.match(String(notFound.json.message), /no endpoint "\/predict"/);
  for (const [method, path, allow] of [
    ['GET', '/invocations', 'POST'],
    ['PUT', '/invocations', 'POST'],
    ['POST', '/ping', 'GET, HEAD'],
    ['DELETE', '/version', 'GET, HEAD'],
    ['POST', '/metadata', 'GET, HEAD'],
  ]) {
    const r = await get(base, path, method);
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.equal(r.json.error_code, 'METHOD_NOT_ALLOWED');
    assert.equal(r.headers.get('allow'), allow);
    assert.match(String(r.json.message), new RegExp(`${method} is not allowed on ${path}`));
  }
  // after all that, the server still scores
  assert.equal((await post(base, JSON.stringify({ inputs: [row] }))).status, 200);
});

test('413 over --max-body, whether the length is declared or the body is chunked', async () => {
  const small = await startServer(uri, { port: 0, trackingUri: db, pollSeconds: 0, maxBodyBytes: 1024, log: () => {} });
  try {
    const rows = diabetesRows(40);
    const big = JSON.stringify({ inputs: rows });
    assert.ok(big.length > 1024);
    const r = await post(small.url, big);
    assert.equal(r.status, 413);
    assert.equal(r.json.error_code, 'RESOURCE_EXHAUSTED');
    assert.match(String(r.json.message), /over the limit of 1024 bytes \(grove serve --max-body\)/);

    // no Content-Length: the limit applies while reading
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${small.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write(big.slice(0, 700));
      req.write(big.slice(700, 1400));
      req.end(big.slice(1400));
    });
    assert.equal(chunked.status, 413);
    assert.equal(JSON.parse(chunked.body).error_code, 'RESOURCE_EXHAUSTED');

    const ok = await post(small.url, JSON.stringify({ inputs: rows.slice(0, 2) }));
    assert.equal(ok.status, 200, 'a body under the limit is scored');
  } finally {
    await small.close();
  }
});
