// The MLflow REST protocol suite: a real `grove server` (in process, on 127.0.0.1, any free port)
// over a real store, spoken to as MLflow's service.proto and model_registry.proto say (GET with
// query parameters, POST/DELETE with JSON), then through the npm `mlflow` client (not ours).
// Each backend runs it unchanged: server-sqlite.test.ts and server-postgres.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Store } from '../../src/track/store.js';
import { startMlflowServer, type MlflowServer } from '../../src/mlflow/server.js';

export interface Reply {
  status: number;
  json: Record<string, any>;
}

/** one MLflow call: GET/DELETE fields go in the query string (repeated for lists), POST as JSON */
export async function call(
  base: string,
  verb: 'GET' | 'POST' | 'DELETE',
  path: string,
  fields: Record<string, unknown> = {},
  init: { body?: string; contentType?: string | null } = {},
): Promise<Reply> {
  let url = `${base}/api/2.0/mlflow/${path}`;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (verb === 'GET' || (verb === 'DELETE' && init.body === undefined)) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
    if ([...q.keys()].length) url += `?${q}`;
  } else {
    body = init.body ?? JSON.stringify(fields);
    if (init.contentType !== null) headers['content-type'] = init.contentType ?? 'application/json';
  }
  const res = await fetch(url, { method: verb, headers, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

export function assertError(r: Reply, status: number, code: string, message?: RegExp): void {
  assert.equal(r.status, status, `expected HTTP ${status}, got ${r.status}: ${JSON.stringify(r.json)}`);
  assert.equal(r.json.error_code, code);
  assert.equal(typeof r.json.message, 'string');
  if (message) assert.match(r.json.message, message);
}

const MISSING_RUN = '0'.repeat(32);

export function runMlflowProtocolSuite(name: string, openFreshStore: () => Promise<Store>): void {
  describe(`grove server (MLflow REST API) on ${name}`, () => {
    let store: Store;
    let server: MlflowServer;
    let base: string;
    const ok = async (verb: 'GET' | 'POST' | 'DELETE', path: string, fields: Record<string, unknown> = {}) => {
      const r = await call(base, verb, path, fields);
      assert.equal(r.status, 200, `${verb} ${path}: ${JSON.stringify(r.json)}`);
      return r.json;
    };
    let seq = 0;
    /** a fresh experiment per test, so tests do not see each other's runs */
    const newExperiment = async (tags?: { key: string; value: string }[]) => (await ok('POST', 'experiments/create', { name: `exp-${++seq}-${Date.now()}`, tags })).experiment_id as string;

    before(async () => {
      store = await openFreshStore();
      server = await startMlflowServer(store, { port: 0 });
      base = server.url;
    });
    after(async () => {
      await server.close();
      await store.close();
    });

    test('health and version answer as MLflow server does (plain text)', async () => {
      const h = await fetch(`${base}/health`);
      assert.equal(h.status, 200);
      assert.equal(await h.text(), 'OK');
      const v = await fetch(`${base}/version`);
      assert.match(await v.text(), /^\d+\.\d+\.\d+/);
    });

    describe('experiments', () => {
      test('create, get, get-by-name: the Experiment message with its tags', async () => {
        const created = await ok('POST', 'experiments/create', { name: 'houses', tags: [{ key: 'owner', value: 'ana' }] });
        assert.equal(typeof created.experiment_id, 'string');
        const { experiment } = await ok('GET', 'experiments/get', { experiment_id: created.experiment_id });
        assert.equal(experiment.experiment_id, created.experiment_id);
        assert.equal(experiment.name, 'houses');
        assert.equal(experiment.lifecycle_stage, 'active');
        assert.equal(typeof experiment.creation_time, 'number');
        assert.equal(typeof experiment.last_update_time, 'number');
        assert.equal(typeof experiment.artifact_location, 'string');
        assert.deepEqual(experiment.tags, [{ key: 'owner', value: 'ana' }]);
        assert.deepEqual((await ok('GET', 'experiments/get-by-name', { experiment_name: 'houses' })).experiment, experiment);
      });

      test('a second experiment of the same name is RESOURCE_ALREADY_EXISTS (400); unknown ids and names are RESOURCE_DOES_NOT_EXIST (404)', async () => {
        await ok('POST', 'experiments/create', { name: 'twice' });
        assertError(await call(base, 'POST', 'experiments/create', { name: 'twice' }), 400, 'RESOURCE_ALREADY_EXISTS', /twice/);
        assertError(await call(base, 'GET', 'experiments/get', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'GET', 'experiments/get-by-name', { experiment_name: 'no such experiment' }), 404, 'RESOURCE_DOES_NOT_EXIST', /no such experiment/);
        assertError(await call(base, 'POST', 'experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', /'name'/);
        assertError(await call(base, 'GET', 'experiments/get', {}), 400, 'INVALID_PARAMETER_VALUE', /'experiment_id'/);
      });

      test('set-experiment-tag sets and overwrites a tag; the API also answers under /ajax-api/ (where the MLflow UI calls it)', async () => {
        const id = await newExperiment();
        await ok('POST', 'experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'a' });
        await ok('POST', 'experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'b' });
        const ajax = await fetch(`${base}/ajax-api/2.0/mlflow/experiments/get?experiment_id=${id}`);
        assert.equal(ajax.status, 200);
        assert.deepEqual(((await ajax.json()) as { experiment: { tags: unknown } }).experiment.tags, [{ key: 'k', value: 'b' }]);
        assertError(await call(base, 'POST', 'experiments/set-experiment-tag', { experiment_id: '987654', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      });

      test('experiment "0", what MLflow clients send when no experiment is set, is grove\'s experiment Default', async () => {
        const run = (await ok('POST', 'runs/create', { experiment_id: '0', run_name: 'in-default' })).run;
        const def = (await ok('GET', 'experiments/get-by-name', { experiment_name: 'Default' })).experiment;
        assert.equal(run.info.experiment_id, def.experiment_id);
        assert.equal((await ok('GET', 'experiments/get', { experiment_id: '0' })).experiment.name, 'Default');
        const found = await ok('POST', 'runs/search', { experiment_ids: ['0'], filter: "run_name = 'in-default'" });
        assert.deepEqual(
          found.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
          [run.info.run_id],
        );
        // an id that is not a number is simply unknown
        assertError(await call(base, 'GET', 'experiments/get', { experiment_id: 'abc' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'GET', 'runs/get', { run_id: 'not-a-run-id' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      });

      test('search: filter on name and tags, order_by, pages of max_results with page_token, by GET and POST', async () => {
        for (const [n, team] of [
          ['search-b', 'ml'],
          ['search-a', 'ml'],
          ['search-c', 'ops'],
        ]) {
          await ok('POST', 'experiments/create', { name: n, tags: [{ key: 'team', value: team }] });
        }
        const names = (r: Record<string, any>) => (r.experiments as { name: string }[]).map((e) => e.name);
        assert.deepEqual(names(await ok('POST', 'experiments/search', { filter: "name LIKE 'search-%'", order_by: ['name ASC'] })), ['search-a', 'search-b', 'search-c']);
        assert.deepEqual(names(await ok('GET', 'experiments/search', { filter: "name LIKE 'search-%' AND tags.team = 'ml'", order_by: 'name DESC' })), ['search-b', 'search-a']);
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const r = await ok('GET', 'experiments/search', { filter: "name ILIKE 'SEARCH-%'", order_by: 'name', max_results: 2, ...(token ? { page_token: token } : {}) });
          seen.push(...names(r));
          token = r.next_page_token;
          pages++;
        } while (token);
        assert.deepEqual(seen, ['search-a', 'search-b', 'search-c']);
        assert.equal(pages, 2);
        assertError(await call(base, 'GET', 'experiments/search', { filter: 'nme = 1' }), 400, 'INVALID_PARAMETER_VALUE', /nme/);
        assertError(await call(base, 'GET', 'experiments/search', { max_results: 50_001 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
        assertError(await call(base, 'GET', 'experiments/search', { page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE', /page token/);
      });
    });

    describe('runs', () => {
      test('create, log-metric, log-parameter, set-tag, log-batch, get: the Run message with info and data', async () => {
        const experimentId = await newExperiment();
        const { run } = await ok('POST', 'runs/create', { experiment_id: experimentId, run_name: 'first', user_id: 'ana', start_time: 1_700_000_000_000, tags: [{ key: 'stage', value: 'dev' }] });
        const runId = run.info.run_id as string;
        assert.match(runId, /^[0-9a-f]{32}$/);
        assert.equal(run.info.run_uuid, runId);
        assert.equal(run.info.run_name, 'first');
        assert.equal(run.info.experiment_id, experimentId);
        assert.equal(run.info.user_id, 'ana');
        assert.equal(run.info.status, 'RUNNING');
        assert.equal(run.info.start_time, 1_700_000_000_000);
        assert.equal(run.info.lifecycle_stage, 'active');
        assert.equal(run.info.end_time, undefined);

        await ok('POST', 'runs/log-metric', { run_id: runId, key: 'rmse', value: 60.5, timestamp: 1000, step: 1 });
        await ok('POST', 'runs/log-metric', { run_id: runId, key: 'rmse', value: 55.25, timestamp: 2000, step: 2 });
        await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'max_depth', value: '8' });
        await ok('POST', 'runs/set-tag', { run_id: runId, key: 'stage', value: 'prod' });
        await ok('POST', 'runs/log-batch', {
          run_id: runId,
          metrics: [
            { key: 'r2', value: 0.5, timestamp: 3000, step: 0 },
            { key: 'loss', value: 'NaN', timestamp: 3000, step: 0 },
          ],
          params: [{ key: 'n_estimators', value: '100' }],
          tags: [{ key: 'note', value: 'batch' }],
        });
        const got = (await ok('GET', 'runs/get', { run_id: runId })).run;
        const byKey = (list: { key: string }[]) => Object.fromEntries(list.map((x) => [x.key, x]));
        assert.deepEqual(byKey(got.data.metrics), {
          rmse: { key: 'rmse', value: 55.25, timestamp: 2000, step: 2 },
          r2: { key: 'r2', value: 0.5, timestamp: 3000, step: 0 },
          loss: { key: 'loss', value: 'NaN', timestamp: 3000, step: 0 },
        });
        assert.deepEqual(byKey(got.data.params), { max_depth: { key: 'max_depth', value: '8' }, n_estimators: { key: 'n_estimators', value: '100' } });
        const tags = byKey(got.data.tags) as Record<string, { value: string }>;
        assert.equal(tags.stage.value, 'prod');
        assert.equal(tags.note.value, 'batch');
        assert.equal(tags['mlflow.user'].value, 'ana');
        // the old field name still works
        assert.equal((await ok('GET', 'runs/get', { run_uuid: runId })).run.info.run_id, runId);
      });

      test('tags mlflow.runName and mlflow.parentRunId at creation name the run and its parent', async () => {
        const experimentId = await newExperiment();
        const parent = (await ok('POST', 'runs/create', { experiment_id: experimentId, run_name: 'study' })).run.info.run_id;
        const child = (
          await ok('POST', 'runs/create', {
            experiment_id: experimentId,
            tags: [
              { key: 'mlflow.runName', value: 'trial-0' },
              { key: 'mlflow.parentRunId', value: parent },
            ],
          })
        ).run;
        assert.equal(child.info.run_name, 'trial-0');
        assert.equal((await store.getRun(child.info.run_id)).parentRunId, parent);
        const children = await ok('POST', 'runs/search', { experiment_ids: [experimentId], filter: `parent_run_id = '${parent}'` });
        assert.deepEqual(
          children.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
          [child.info.run_id],
        );
      });

      test('int64 fields as decimal strings (protobuf JSON) are read as numbers', async () => {
        const experimentId = await newExperiment();
        const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId, start_time: '1700000000000' })).run.info.run_id;
        await ok('POST', 'runs/log-batch', { run_id: runId, metrics: [{ key: 'm', value: '2.5', timestamp: '5', step: '3' }] });
        const run = (await ok('GET', 'runs/get', { run_id: runId })).run;
        assert.equal(run.info.start_time, 1_700_000_000_000);
        assert.deepEqual(run.data.metrics, [{ key: 'm', value: 2.5, timestamp: 5, step: 3 }]);
        assert.equal((await ok('POST', 'runs/search', { experiment_ids: [experimentId], max_results: '1' })).runs.length, 1);
      });

      test('metrics/get-history: every value in step order, paged with max_results', async () => {
        const experimentId = await newExperiment();
        const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId })).run.info.run_id;
        for (let step = 0; step < 5; step++) await ok('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 10 - step, timestamp: 100 + step, step });
        const all = await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss' });
        assert.deepEqual(
          all.metrics.map((m: { value: number; step: number }) => [m.step, m.value]),
          [
            [0, 10],
            [1, 9],
            [2, 8],
            [3, 7],
            [4, 6],
          ],
        );
        assert.equal(all.next_page_token, undefined);
        const first = await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 3 });
        assert.equal(first.metrics.length, 3);
        const second = await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 3, page_token: first.next_page_token });
        assert.deepEqual(
          second.metrics.map((m: { step: number }) => m.step),
          [3, 4],
        );
        assertError(await call(base, 'GET', 'metrics/get-history', { run_id: MISSING_RUN, metric_key: 'loss' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'GET', 'metrics/get-history', { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE', /metric_key/);
      });

      test('update: ends a run with its status and end time, RUNNING reopens it; a second final status is refused', async () => {
        const experimentId = await newExperiment();
        const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId })).run.info.run_id;
        const { run_info } = await ok('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: 1_800_000_000_000 });
        assert.equal(run_info.status, 'FINISHED');
        assert.equal(run_info.end_time, 1_800_000_000_000);
        // the same status again is what a client's retry sends: accepted
        assert.equal((await ok('POST', 'runs/update', { run_id: runId, status: 'FINISHED' })).run_info.status, 'FINISHED');
        assertError(await call(base, 'POST', 'runs/update', { run_id: runId, status: 'FAILED' }), 400, 'INVALID_PARAMETER_VALUE', /FINISHED/);
        assertError(await call(base, 'POST', 'runs/update', { run_id: runId, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE', /status/);
        const reopened = (await ok('POST', 'runs/update', { run_id: runId, status: 'RUNNING' })).run_info;
        assert.equal(reopened.status, 'RUNNING');
        assert.equal(reopened.end_time, undefined);
        assertError(await call(base, 'POST', 'runs/update', { run_id: MISSING_RUN, status: 'FINISHED' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      });

      test('bad values: a param logged again with another value, a wrong type, a missing field, an unknown run, a batch over the limits', async () => {
        const experimentId = await newExperiment();
        const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId })).run.info.run_id;
        await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'a', value: '1' });
        await ok('POST', 'runs/log-parameter', { run_id: runId, key: 'a', value: '1' }); // same value: a no-op, as in MLflow
        assertError(await call(base, 'POST', 'runs/log-parameter', { run_id: runId, key: 'a', value: '2' }), 400, 'INVALID_PARAMETER_VALUE');
        assertError(await call(base, 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, step: 'abc' }), 400, 'INVALID_PARAMETER_VALUE', /'step'/);
        assertError(await call(base, 'POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 'much' }), 400, 'INVALID_PARAMETER_VALUE', /'value'/);
        assertError(await call(base, 'POST', 'runs/log-metric', { run_id: runId, value: 1 }), 400, 'INVALID_PARAMETER_VALUE', /'key'/);
        assertError(await call(base, 'POST', 'runs/log-metric', { key: 'm', value: 1 }), 400, 'INVALID_PARAMETER_VALUE', /'run_id'/);
        assertError(await call(base, 'POST', 'runs/log-metric', { run_id: MISSING_RUN, key: 'm', value: 1, timestamp: 1 }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'GET', 'runs/get', { run_id: MISSING_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'POST', 'runs/create', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        const tooMany = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'x' }));
        assertError(await call(base, 'POST', 'runs/log-batch', { run_id: runId, params: tooMany }), 400, 'INVALID_PARAMETER_VALUE', /at most/);
        assertError(await call(base, 'POST', 'runs/log-batch', { run_id: runId, metrics: [{ key: 'ok', value: 1, timestamp: 1 }, { value: 2 }] }), 400, 'INVALID_PARAMETER_VALUE', /metrics\[1\]/);
        assertError(await call(base, 'POST', 'runs/log-batch', { run_id: runId, metrics: [{ key: 'ok', value: 1, timestamp: 1, step: true }] }), 400, 'INVALID_PARAMETER_VALUE', /metrics\[0\]\.step/);
        // nothing of the refused batch was written
        assert.deepEqual((await ok('GET', 'runs/get', { run_id: runId })).run.data.metrics, []);
        assertError(
          await call(base, 'POST', 'runs/log-batch', {
            run_id: runId,
            params: [
              { key: 'd', value: '1' },
              { key: 'd', value: '2' },
            ],
          }),
          400,
          'INVALID_PARAMETER_VALUE',
          /Duplicate/,
        );
      });

      test('search: the store filter language, order_by, pages that neither overlap nor skip', async () => {
        const experimentId = await newExperiment();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId, run_name: `r${i}`, start_time: 1000 + i })).run.info.run_id;
          await ok('POST', 'runs/log-batch', { run_id: runId, metrics: [{ key: 'rmse', value: 50 - i, timestamp: 1, step: 0 }], params: [{ key: 'depth', value: String(i % 2) }] });
          ids.push(runId);
        }
        const names = (r: Record<string, any>) => (r.runs ?? []).map((x: { info: { run_name: string } }) => x.info.run_name);
        assert.deepEqual(names(await ok('POST', 'runs/search', { experiment_ids: [experimentId] })), ['r4', 'r3', 'r2', 'r1', 'r0']); // newest first
        assert.deepEqual(names(await ok('POST', 'runs/search', { experiment_ids: [experimentId], filter: "params.depth = '1' and metrics.rmse < 50", order_by: ['metrics.rmse ASC'] })), ['r3', 'r1']);
        const paged: string[] = [];
        let token: string | undefined;
        do {
          const r = await ok('POST', 'runs/search', { experiment_ids: [experimentId], order_by: ['attributes.start_time ASC'], max_results: 2, page_token: token });
          paged.push(...names(r));
          token = r.next_page_token;
        } while (token);
        assert.deepEqual(paged, ['r0', 'r1', 'r2', 'r3', 'r4']);
        assertError(await call(base, 'POST', 'runs/search', { experiment_ids: [experimentId], filter: 'metrics.rmse <' }), 400, 'INVALID_PARAMETER_VALUE', /filter/);
        assertError(await call(base, 'POST', 'runs/search', { experiment_ids: [experimentId], order_by: ['metrics.rmse UP'] }), 400, 'INVALID_PARAMETER_VALUE');
        assertError(await call(base, 'POST', 'runs/search', { experiment_ids: [experimentId], run_view_type: 'SOME' }), 400, 'INVALID_PARAMETER_VALUE', /run_view_type/);
      });

      test('delete hides a run from search (unless run_view_type asks), keeps it readable, refuses new data; restore brings it back', async () => {
        const experimentId = await newExperiment();
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) ids.push((await ok('POST', 'runs/create', { experiment_id: experimentId, run_name: `d${i}`, start_time: 2000 + i })).run.info.run_id);
        for (const i of [1, 2, 4]) await ok('POST', 'runs/delete', { run_id: ids[i] });
        const names = (r: Record<string, any>) => (r.runs ?? []).map((x: { info: { run_name: string } }) => x.info.run_name);
        const search = (extra: Record<string, unknown>) => ok('POST', 'runs/search', { experiment_ids: [experimentId], order_by: ['start_time ASC'], ...extra });
        assert.deepEqual(names(await search({})), ['d0', 'd3', 'd5']);
        assert.deepEqual(names(await search({ run_view_type: 'DELETED_ONLY' })), ['d1', 'd2', 'd4']);
        assert.deepEqual(names(await search({ run_view_type: 'ALL' })), ['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
        // pages of one active run each, with deleted runs between them
        const paged: string[] = [];
        let token: string | undefined;
        do {
          const r = await search({ max_results: 1, page_token: token });
          paged.push(...names(r));
          token = r.next_page_token;
        } while (token);
        assert.deepEqual(paged, ['d0', 'd3', 'd5']);
        const deleted = (await ok('GET', 'runs/get', { run_id: ids[1] })).run;
        assert.equal(deleted.info.lifecycle_stage, 'deleted');
        assert.ok(!deleted.data.tags.some((t: { key: string }) => t.key.startsWith('grove.')), 'the lifecycle tag is not shown as a run tag');
        assertError(await call(base, 'POST', 'runs/log-metric', { run_id: ids[1], key: 'm', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', /active/);
        assertError(await call(base, 'POST', 'runs/set-tag', { run_id: ids[0], key: 'grove.lifecycle_stage', value: 'deleted' }), 400, 'INVALID_PARAMETER_VALUE');
        await ok('POST', 'runs/restore', { run_id: ids[1] });
        assert.equal((await ok('GET', 'runs/get', { run_id: ids[1] })).run.info.lifecycle_stage, 'active');
        assert.deepEqual(names(await search({})), ['d0', 'd1', 'd3', 'd5']);
        assertError(await call(base, 'POST', 'runs/delete', { run_id: MISSING_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST');
      });

      test('delete-tag removes a tag; an unknown tag is RESOURCE_DOES_NOT_EXIST', async () => {
        const experimentId = await newExperiment();
        const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId, tags: [{ key: 'k', value: 'v' }] })).run.info.run_id;
        await ok('POST', 'runs/delete-tag', { run_id: runId, key: 'k' });
        assert.deepEqual((await ok('GET', 'runs/get', { run_id: runId })).run.data.tags, []);
        assertError(await call(base, 'POST', 'runs/delete-tag', { run_id: runId, key: 'k' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      });
    });

    describe('model registry', () => {
      /** a run holding a model artifact (grove server takes no artifact uploads: the store logs it) */
      async function runWithModel(): Promise<string> {
        const experimentId = await newExperiment();
        const runId = (await ok('POST', 'runs/create', { experiment_id: experimentId })).run.info.run_id as string;
        await store.logArtifact(runId, 'model', Buffer.from(`model bytes of ${runId}`));
        return runId;
      }

      test('registered-models create, get, search; duplicates are RESOURCE_ALREADY_EXISTS', async () => {
        const { registered_model } = await ok('POST', 'registered-models/create', { name: 'houses-rf', description: 'prices', tags: [{ key: 'team', value: 'ml' }] });
        assert.equal(registered_model.name, 'houses-rf');
        assert.equal(registered_model.description, 'prices');
        assert.deepEqual(registered_model.tags, [{ key: 'team', value: 'ml' }]);
        assert.deepEqual(registered_model.latest_versions, []);
        assert.equal(typeof registered_model.creation_timestamp, 'number');
        assertError(await call(base, 'POST', 'registered-models/create', { name: 'houses-rf' }), 400, 'RESOURCE_ALREADY_EXISTS');
        assertError(await call(base, 'GET', 'registered-models/get', { name: 'no-such-model' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        await ok('POST', 'registered-models/create', { name: 'houses-gb' });
        await ok('POST', 'registered-models/create', { name: 'cars-rf' });
        const found = await ok('GET', 'registered-models/search', { filter: "name LIKE 'houses-%'" });
        assert.deepEqual(
          found.registered_models.map((m: { name: string }) => m.name),
          ['houses-gb', 'houses-rf'],
        );
        const page1 = await ok('GET', 'registered-models/search', { filter: "name LIKE '%-rf'", max_results: 1 });
        const page2 = await ok('GET', 'registered-models/search', { filter: "name LIKE '%-rf'", max_results: 1, page_token: page1.next_page_token });
        assert.deepEqual(
          [...page1.registered_models, ...page2.registered_models].map((m: { name: string }) => m.name),
          ['cars-rf', 'houses-rf'],
        );
        assert.equal(page2.next_page_token, undefined);
        assert.deepEqual(
          (await ok('GET', 'registered-models/search', { filter: "tags.team = 'ml'" })).registered_models.map((m: { name: string }) => m.name),
          ['houses-rf'],
        );
      });

      test('model-versions create (runs:/ source or artifact URI + run_id), get, search; versions count up', async () => {
        const runA = await runWithModel();
        const runB = await runWithModel();
        await ok('POST', 'registered-models/create', { name: 'diabetes' });
        const v1 = (await ok('POST', 'model-versions/create', { name: 'diabetes', source: `runs:/${runA}/model`, run_id: runA, description: 'first' })).model_version;
        assert.equal(v1.version, '1');
        assert.equal(v1.name, 'diabetes');
        assert.equal(v1.run_id, runA);
        assert.equal(v1.source, `runs:/${runA}/model`);
        assert.equal(v1.status, 'READY');
        assert.equal(v1.current_stage, 'None');
        assert.equal(v1.description, 'first');
        assert.deepEqual(v1.aliases, []);
        const v2 = (await ok('POST', 'model-versions/create', { name: 'diabetes', source: `mlflow-artifacts:/1/${runB}/artifacts/model`, run_id: runB, tags: [{ key: 'k', value: 'v' }] }))
          .model_version;
        assert.equal(v2.version, '2');
        assert.deepEqual(v2.tags, [{ key: 'k', value: 'v' }]);
        assert.deepEqual((await ok('GET', 'model-versions/get', { name: 'diabetes', version: '1' })).model_version, v1);
        const model = (await ok('GET', 'registered-models/get', { name: 'diabetes' })).registered_model;
        assert.deepEqual(
          model.latest_versions.map((v: { version: string }) => v.version),
          ['2'],
        );
        const byRun = await ok('GET', 'model-versions/search', { filter: `name = 'diabetes' AND run_id = '${runB}'` });
        assert.deepEqual(
          byRun.model_versions.map((v: { version: string }) => v.version),
          ['2'],
        );
        const both = await ok('GET', 'model-versions/search', { filter: `run_id IN ('${runA}', '${runB}')`, order_by: 'version_number ASC' });
        assert.deepEqual(
          both.model_versions.map((v: { version: string }) => v.version),
          ['1', '2'],
        );

        assertError(await call(base, 'POST', 'model-versions/create', { name: 'not-registered', source: `runs:/${runA}/model` }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'POST', 'model-versions/create', { name: 'diabetes', source: `runs:/${runA}/no-such-artifact` }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'POST', 'model-versions/create', { name: 'diabetes', source: 's3://bucket/model' }), 400, 'INVALID_PARAMETER_VALUE', /source/);
        assertError(await call(base, 'POST', 'model-versions/create', { name: 'diabetes' }), 400, 'INVALID_PARAMETER_VALUE', /'source'/);
        assertError(await call(base, 'GET', 'model-versions/get', { name: 'diabetes', version: '9' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'GET', 'model-versions/get', { name: 'diabetes', version: 'one' }), 400, 'INVALID_PARAMETER_VALUE', /version/);
      });

      test('aliases: POST sets and moves, GET resolves, DELETE (query or JSON body) removes', async () => {
        const run = await runWithModel();
        await ok('POST', 'registered-models/create', { name: 'aliased' });
        for (let i = 0; i < 2; i++) await ok('POST', 'model-versions/create', { name: 'aliased', source: `runs:/${run}/model` });
        await ok('POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '1' });
        assert.equal((await ok('GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' })).model_version.version, '1');
        await ok('POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '2' });
        await ok('POST', 'registered-models/alias', { name: 'aliased', alias: 'challenger', version: '1' });
        const byAlias = (await ok('GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' })).model_version;
        assert.equal(byAlias.version, '2');
        assert.deepEqual(byAlias.aliases, ['champion']);
        const model = (await ok('GET', 'registered-models/get', { name: 'aliased' })).registered_model;
        assert.deepEqual(
          [...model.aliases].sort((a: { alias: string }, b: { alias: string }) => a.alias.localeCompare(b.alias)),
          [
            { alias: 'challenger', version: '1' },
            { alias: 'champion', version: '2' },
          ],
        );
        await ok('DELETE', 'registered-models/alias', { name: 'aliased', alias: 'champion' });
        assertError(await call(base, 'GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        const viaBody = await call(base, 'DELETE', 'registered-models/alias', {}, { body: JSON.stringify({ name: 'aliased', alias: 'challenger' }) });
        assert.equal(viaBody.status, 200, JSON.stringify(viaBody.json));
        assert.deepEqual((await ok('GET', 'registered-models/get', { name: 'aliased' })).registered_model.aliases, []);
        assertError(await call(base, 'DELETE', 'registered-models/alias', { name: 'aliased', alias: 'champion' }), 404, 'RESOURCE_DOES_NOT_EXIST');
        assertError(await call(base, 'POST', 'registered-models/alias', { name: 'aliased', alias: 'x', version: '7' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      });
    });

    describe('requests MLflow would refuse', () => {
      test('malformed JSON and a body that is not an object are BAD_REQUEST; a non-JSON content type is INVALID_PARAMETER_VALUE', async () => {
        assertError(await call(base, 'POST', 'experiments/create', {}, { body: '{"name": ' }), 400, 'BAD_REQUEST', /JSON/);
        assertError(await call(base, 'POST', 'experiments/create', {}, { body: '["name"]' }), 400, 'BAD_REQUEST', /object/);
        assertError(await call(base, 'POST', 'experiments/create', {}, { body: 'name=x', contentType: 'application/x-www-form-urlencoded' }), 400, 'INVALID_PARAMETER_VALUE', /Content-Type/);
        assertError(await call(base, 'POST', 'experiments/create', {}, { body: '{"name": "x"}', contentType: null }), 400, 'INVALID_PARAMETER_VALUE', /Content-Type/);
        const charset = await call(base, 'POST', 'experiments/create', {}, { body: '{"name": "with-charset"}', contentType: 'application/json; charset=utf-8' });
        assert.equal(charset.status, 200);
      });

      test('an unknown endpoint is ENDPOINT_NOT_FOUND (404); a known one with the wrong verb is 405', async () => {
        assertError(await call(base, 'GET', 'runs/list'), 404, 'ENDPOINT_NOT_FOUND');
        assertError(await call(base, 'GET', 'artifacts/list', { run_id: MISSING_RUN }), 404, 'ENDPOINT_NOT_FOUND');
        const r = await call(base, 'GET', 'runs/create');
        assertError(r, 405, 'METHOD_NOT_ALLOWED', /POST/);
        const raw = await fetch(`${base}/no/such/path`);
        assert.equal(raw.status, 404);
        assert.equal(((await raw.json()) as { error_code: string }).error_code, 'ENDPOINT_NOT_FOUND');
      });

      test('a request naming another host is refused on loopback (no DNS rebinding into the store)', async () => {
        const { request } = await import('node:http');
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(`${base}/api/2.0/mlflow/experiments/search`, { headers: { host: 'evil.example:5000' } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
        assert.equal(status, 403);
      });
    });

    describe('the npm mlflow client (mlflow@2.0.7, not written here)', () => {
      const require = createRequire(import.meta.url);
      type Client = any;
      /** the client prints every POST body on stdout: keep the test output clean */
      async function quiet<T>(fn: () => Promise<T>): Promise<T> {
        const log = console.log;
        console.log = () => undefined;
        try {
          return await fn();
        } finally {
          console.log = log;
        }
      }
      /** the client throws Error("Error: {status, statusText, data}") on a non-200 */
      async function clientError(fn: () => Promise<unknown>): Promise<{ status: number; data: { error_code: string } }> {
        try {
          await quiet(fn);
        } catch (err) {
          return JSON.parse((err as Error).message.replace(/^Error: /, ''));
        }
        throw new Error('expected the client call to fail');
      }

      test('experiments, runs, metrics and search through the client', async () => {
        const MLflow = require('mlflow');
        const client: Client = new MLflow({ endpoint: base });
        const { Experiments, Runs, Metrics } = client;
        const { experiment_id } = await quiet(() => Experiments.create({ name: `client-${Date.now()}` }));
        const { experiment } = await Experiments.get({ experiment_id });
        assert.equal(experiment.experiment_id, experiment_id);
        const { run } = await quiet(() => Runs.create({ experiment_id, start_time: 1_700_000_000_000, tags: [{ key: 'via', value: 'npm' }] }));
        const run_id = run.info.run_id;
        await quiet(() => Runs.logParameter({ run_id, key: 'max_depth', value: '6' }));
        for (let step = 0; step < 3; step++) await quiet(() => Runs.logMetric({ run_id, key: 'rmse', value: 60 - step, timestamp: 1000 + step, step }));
        await quiet(() => Runs.setTag({ run_id, key: 'stage', value: 'test' }));
        await quiet(() => Runs.logBatch({ run_id, metrics: [{ key: 'r2', value: 0.4, timestamp: 2000, step: 0 }], params: [{ key: 'n_estimators', value: '50' }], tags: [] }));
        const got = (await Runs.get({ run_id })).run;
        assert.deepEqual(
          got.data.metrics.find((m: { key: string }) => m.key === 'rmse'),
          { key: 'rmse', value: 58, timestamp: 1002, step: 2 },
        );
        assert.deepEqual(got.data.params.map((p: { key: string }) => p.key).sort(), ['max_depth', 'n_estimators']);
        const history = await Metrics.getHistory({ run_id, metric_key: 'rmse' });
        assert.deepEqual(
          history.metrics.map((m: { value: number }) => m.value),
          [60, 59, 58],
        );
        const found = await quiet(() => Runs.search({ experiment_ids: [experiment_id], filter: "params.max_depth = '6'", run_view_type: 'ACTIVE_ONLY', max_results: 10 }));
        assert.deepEqual(
          found.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
          [run_id],
        );
        const updated = await quiet(() => Runs.update({ run_id, status: 'FINISHED', end_time: 1_700_000_100_000 }));
        assert.equal(updated.run_info.status, 'FINISHED');
        await quiet(() => Runs.delete({ run_id }));
        assert.deepEqual((await quiet(() => Runs.search({ experiment_ids: [experiment_id] }))).runs ?? [], []);
        assert.equal((await Runs.get({ run_id })).run.info.lifecycle_stage, 'deleted');
        await quiet(() => Runs.restore({ run_id }));
        assert.equal((await Runs.get({ run_id })).run.info.lifecycle_stage, 'active');
      });

      test('errors reach the client with MLflow status and error_code', async () => {
        const MLflow = require('mlflow');
        const { Runs, Experiments } = new MLflow({ endpoint: base }) as Client;
        const missing = await clientError(() => Runs.get({ run_id: MISSING_RUN }));
        assert.equal(missing.status, 404);
        assert.equal(missing.data.error_code, 'RESOURCE_DOES_NOT_EXIST');
        const name = `client-dup-${Date.now()}`;
        await quiet(() => Experiments.create({ name }));
        const dup = await clientError(() => Experiments.create({ name }));
        assert.equal(dup.status, 400);
        assert.equal(dup.data.error_code, 'RESOURCE_ALREADY_EXISTS');
        // the client's experiments/list is MLflow 1.x's; grove answers MLflow 2's experiments/search instead
        const list = await clientError(() => Experiments.list());
        assert.equal(list.status, 404);
        assert.equal(list.data.error_code, 'ENDPOINT_NOT_FOUND');
      });
    });
  });
}
