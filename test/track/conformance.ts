// The Store conformance suite: every backend (SQLite now, PostgreSQL later) runs it unchanged.
// It only uses the Store interface and the helpers built on it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { GroveError } from '../../src/errors.js';
import type { Store } from '../../src/track/store.js';
import { gcDeadRuns, runLiveness, startHeartbeat, FAILURE_TAG, currentHost } from '../../src/track/liveness.js';
import { resolveModelBytes } from '../../src/track/model-uri.js';

export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof GroveError, `expected a GroveError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** A pid that certainly belonged to a process that has exited. */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const MISSING_RUN = '0'.repeat(32);

export function runStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  /** a fresh store per test, closed afterwards */
  const withStore = (title: string, fn: (store: Store) => Promise<void>) =>
    test(title, async () => {
      const store = await makeStore();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  async function newRun(store: Store, options: { experiment?: string; startTime?: number; runName?: string; parentRunId?: string } = {}) {
    const exp = await store.getOrCreateExperiment(options.experiment ?? 'Default');
    return store.createRun({ experimentId: exp.experimentId, startTime: options.startTime, runName: options.runName, parentRunId: options.parentRunId });
  }

  describe(`Store conformance: ${name}`, () => {
    describe('experiments', () => {
      withStore('creates an experiment with tags and finds it by id and name', async (store) => {
        const e = await store.createExperiment('houses', { owner: 'ana' });
        assert.equal(e.name, 'houses');
        assert.deepEqual(e.tags, { owner: 'ana' });
        assert.ok(e.createdTime > 0);
        assert.deepEqual(await store.getExperiment(e.experimentId), e);
        assert.deepEqual(await store.getExperimentByName('houses'), e);
        assert.equal(await store.getExperimentByName('nope'), null);
      });
      withStore('rejects a duplicate experiment name with CONFLICT', async (store) => {
        await store.createExperiment('a');
        await rejectsWith(store.createExperiment('a'), 'CONFLICT', /already exists/);
      });
      withStore('getOrCreateExperiment returns the same experiment every time', async (store) => {
        const [a, b] = await Promise.all([store.getOrCreateExperiment('x'), store.getOrCreateExperiment('x')]);
        assert.equal(a.experimentId, b.experimentId);
        assert.equal((await store.getOrCreateExperiment('x')).experimentId, a.experimentId);
      });
      withStore('unknown experiment id is NOT_FOUND; bad names are INVALID_OPTION', async (store) => {
        await rejectsWith(store.getExperiment('987654'), 'NOT_FOUND');
        await rejectsWith(store.getExperiment('not-an-id'), 'NOT_FOUND');
        await rejectsWith(store.createExperiment(''), 'INVALID_OPTION');
        await rejectsWith(store.createExperiment(' padded '), 'INVALID_OPTION');
      });
      withStore('lists experiments with run counts and sets tags', async (store) => {
        const a = await store.createExperiment('a');
        await store.createExperiment('b');
        await store.createRun({ experimentId: a.experimentId });
        await store.createRun({ experimentId: a.experimentId });
        await store.setExperimentTag(a.experimentId, 'team', 'ml');
        const list = await store.listExperiments();
        assert.deepEqual(
          list.map((e) => [e.name, e.runCount]),
          [
            ['a', 2],
            ['b', 0],
          ],
        );
        assert.deepEqual(list[0].tags, { team: 'ml' });
      });
    });

    describe('runs', () => {
      withStore('a run created under an id the caller chose keeps it; the id cannot be taken twice or be malformed', async (store) => {
        const exp = await store.createExperiment('chosen');
        const id = 'ab'.repeat(16);
        const run = await store.createRun({ experimentId: exp.experimentId, runId: id });
        assert.equal(run.runId, id);
        assert.equal((await store.getRun(id)).runId, id);
        await rejectsWith(store.createRun({ experimentId: exp.experimentId, runId: id }), 'CONFLICT');
        await rejectsWith(store.createRun({ experimentId: exp.experimentId, runId: 'AB'.repeat(16) }), 'INVALID_OPTION', /32 lowercase hex digits/);
        assert.equal((await store.searchRuns({ experimentIds: [exp.experimentId] })).length, 1);
      });

      withStore('creates a RUNNING run that records host, pid and heartbeat', async (store) => {
        const exp = await store.createExperiment('e');
        const before = Date.now();
        const run = await store.createRun({ experimentId: exp.experimentId, runName: 'first', tags: { stage: 'dev' }, dataFingerprint: 'sha256:abc' });
        assert.match(run.runId, /^[0-9a-f]{32}$/);
        assert.equal(run.experimentId, exp.experimentId);
        assert.equal(run.experimentName, 'e');
        assert.equal(run.runName, 'first');
        assert.equal(run.status, 'RUNNING');
        assert.equal(run.parentRunId, null);
        assert.equal(run.endTime, null);
        assert.equal(run.dataFingerprint, 'sha256:abc');
        assert.equal(run.host, currentHost());
        assert.equal(run.pid, process.pid);
        assert.ok(run.startTime >= before && run.heartbeatTime >= before);
        assert.deepEqual(run.tags, { stage: 'dev' });
        assert.deepEqual(await store.getRun(run.runId), run);
      });
      withStore('gives a run a name when none is given', async (store) => {
        const run = await newRun(store);
        assert.ok(run.runName.length > 0);
      });
      withStore('links child runs to their parent', async (store) => {
        const parent = await newRun(store, { runName: 'study' });
        const child = await newRun(store, { parentRunId: parent.runId, runName: 'trial-0' });
        assert.equal(child.parentRunId, parent.runId);
        await rejectsWith(newRun(store, { parentRunId: MISSING_RUN }), 'NOT_FOUND');
      });
      withStore('unknown runs and experiments are NOT_FOUND', async (store) => {
        await rejectsWith(store.getRun(MISSING_RUN), 'NOT_FOUND', /no run/);
        await rejectsWith(store.getRun('garbage'), 'NOT_FOUND');
        await rejectsWith(store.createRun({ experimentId: '424242' }), 'NOT_FOUND');
        await rejectsWith(store.logBatch(MISSING_RUN, { params: { a: 1 } }), 'NOT_FOUND');
        await rejectsWith(store.endRun(MISSING_RUN, 'FINISHED'), 'NOT_FOUND');
        await rejectsWith(store.heartbeat(MISSING_RUN), 'NOT_FOUND');
      });
      withStore('ends a run once, with its end time and tags', async (store) => {
        const run = await newRun(store);
        const ended = await store.endRun(run.runId, 'FAILED', { endTime: run.startTime + 5, tags: { error: 'boom' } });
        assert.equal(ended.status, 'FAILED');
        assert.equal(ended.endTime, run.startTime + 5);
        assert.equal((await store.getRun(run.runId)).tags.error, 'boom');
        await rejectsWith(store.endRun(run.runId, 'FINISHED'), 'CONFLICT', /already ended/);
        const other = await newRun(store);
        await rejectsWith(store.endRun(other.runId, 'RUNNING' as never), 'INVALID_OPTION');
        await rejectsWith(store.endRun(other.runId, 'DONE' as never), 'INVALID_OPTION');
      });
      withStore('an ended run can be resumed: RUNNING again, end time cleared, then ended again', async (store) => {
        const run = await newRun(store);
        await rejectsWith(store.resumeRun(run.runId), 'CONFLICT', /still RUNNING/);
        await store.endRun(run.runId, 'KILLED');
        const resumed = await store.resumeRun(run.runId);
        assert.equal(resumed.status, 'RUNNING');
        assert.equal(resumed.endTime, null);
        assert.equal(resumed.pid, process.pid);
        await store.logBatch(run.runId, { metrics: [{ key: 'm', value: 1 }] });
        assert.equal((await store.endRun(run.runId, 'FINISHED')).status, 'FINISHED');
        await rejectsWith(store.resumeRun(MISSING_RUN), 'NOT_FOUND');
      });
      withStore('heartbeat moves the heartbeat time forward', async (store) => {
        const run = await newRun(store);
        await new Promise((r) => setTimeout(r, 5));
        await store.heartbeat(run.runId);
        const first = (await store.getRun(run.runId)).heartbeatTime;
        assert.ok(first > run.heartbeatTime);
        const stop = startHeartbeat(store, run.runId, 10);
        await new Promise((r) => setTimeout(r, 60));
        stop();
        assert.ok((await store.getRun(run.runId)).heartbeatTime > first);
      });
    });

    describe('params, metrics and tags', () => {
      withStore('logBatch writes params, metrics and tags together', async (store) => {
        const run = await newRun(store);
        await store.logBatch(run.runId, {
          params: { n_estimators: 100, max_depth: null, bootstrap: true, max_features: 'sqrt' },
          metrics: [
            { key: 'rmse', value: 55.5 },
            { key: 'r2', value: 0.4 },
          ],
          tags: { stage: 'dev' },
        });
        const got = await store.getRun(run.runId);
        assert.deepEqual(got.params, { bootstrap: 'true', max_depth: 'None', max_features: 'sqrt', n_estimators: '100' });
        assert.deepEqual(got.metrics, { r2: 0.4, rmse: 55.5 });
        assert.deepEqual(got.tags, { stage: 'dev' });
      });
      withStore('params are write-once: same value is fine, a different one is CONFLICT', async (store) => {
        const run = await newRun(store);
        await store.logParam(run.runId, 'max_depth', 8);
        await store.logParam(run.runId, 'max_depth', '8');
        await rejectsWith(store.logParam(run.runId, 'max_depth', 9), 'CONFLICT', /write-once/);
      });
      withStore('a failing batch leaves nothing half-written', async (store) => {
        const run = await newRun(store);
        await store.logParam(run.runId, 'seed', 1);
        await rejectsWith(store.logBatch(run.runId, { metrics: [{ key: 'rmse', value: 1 }], tags: { t: 'x' }, params: { seed: 2 } }), 'CONFLICT');
        await rejectsWith(
          store.logBatch(run.runId, {
            metrics: [
              { key: 'rmse', value: 1 },
              { key: 'bad key!', value: 2 },
            ],
          }),
          'INVALID_OPTION',
        );
        await rejectsWith(store.logBatch(run.runId, { metrics: [{ key: 'rmse', value: 1, step: 1.5 }] }), 'INVALID_OPTION');
        const got = await store.getRun(run.runId);
        assert.deepEqual(got.metrics, {});
        assert.deepEqual(got.tags, {});
        assert.deepEqual(await store.getMetricHistory(run.runId, 'rmse'), []);
      });
      withStore('keeps the full metric history; the latest value is the highest step', async (store) => {
        const run = await newRun(store);
        await store.logMetric(run.runId, 'rmse', 60, 0, 1000);
        await store.logMetric(run.runId, 'rmse', 50, 2, 1001);
        await store.logMetric(run.runId, 'rmse', 55, 1, 1002); // late, lower step: history only
        const hist = await store.getMetricHistory(run.runId, 'rmse');
        assert.deepEqual(
          hist.map((m) => [m.step, m.value, m.timestamp]),
          [
            [0, 60, 1000],
            [1, 55, 1002],
            [2, 50, 1001],
          ],
        );
        assert.equal((await store.getRun(run.runId)).metrics.rmse, 50);
        await store.logMetric(run.runId, 'rmse', 49, 2, 1003); // same step, later: wins
        assert.equal((await store.getRun(run.runId)).metrics.rmse, 49);
        assert.deepEqual(await store.getMetricHistory(run.runId, 'other'), []);
      });
      withStore("getLatestMetrics: each run's latest entry per key with its step and timestamp, many runs in one read", async (store) => {
        const a = await newRun(store);
        const b = await newRun(store);
        const quiet = await newRun(store);
        await store.logMetric(a.runId, 'rmse', 60, 0, 1000);
        await store.logMetric(a.runId, 'rmse', 50, 2, 1001);
        await store.logMetric(a.runId, 'rmse', 55, 1, 1002); // late, lower step: not the latest
        await store.logBatch(a.runId, { metrics: [{ key: 'r2', value: NaN, step: 0, timestamp: 7 }] });
        await store.logMetric(b.runId, 'mae', 3, 4, 2000);
        const latest = await store.getLatestMetrics([a.runId, b.runId, quiet.runId, '0'.repeat(32)]);
        assert.deepEqual(Object.keys(latest).sort(), [a.runId, b.runId].sort());
        assert.deepEqual(
          latest[a.runId].map((m) => [m.key, m.step, m.timestamp]),
          [
            ['r2', 0, 7],
            ['rmse', 2, 1001],
          ],
        );
        assert.ok(Number.isNaN(latest[a.runId][0].value));
        assert.equal(latest[a.runId][1].value, 50);
        assert.deepEqual(latest[b.runId], [{ key: 'mae', value: 3, step: 4, timestamp: 2000 }]);
        assert.deepEqual(await store.getLatestMetrics([]), {});
      });
      withStore('NaN and infinities survive a round trip', async (store) => {
        const run = await newRun(store);
        await store.logBatch(run.runId, {
          metrics: [
            { key: 'r2', value: NaN },
            { key: 'big', value: Infinity },
            { key: 'small', value: -Infinity },
          ],
        });
        const got = await store.getRun(run.runId);
        assert.ok(Number.isNaN(got.metrics.r2));
        assert.equal(got.metrics.big, Infinity);
        assert.equal(got.metrics.small, -Infinity);
        assert.ok(Number.isNaN((await store.getMetricHistory(run.runId, 'r2'))[0].value));
      });
      withStore('tags can be overwritten and deleted', async (store) => {
        const run = await newRun(store);
        await store.setTag(run.runId, 'stage', 'dev');
        await store.setTag(run.runId, 'stage', 'prod');
        assert.equal((await store.getRun(run.runId)).tags.stage, 'prod');
        await store.deleteTag(run.runId, 'stage');
        assert.deepEqual((await store.getRun(run.runId)).tags, {});
        await rejectsWith(store.deleteTag(run.runId, 'stage'), 'NOT_FOUND');
      });
      withStore('rejects bad keys and values', async (store) => {
        const run = await newRun(store);
        await rejectsWith(store.logParam(run.runId, '', 1), 'INVALID_OPTION');
        await rejectsWith(store.logParam(run.runId, 'a', {} as never), 'INVALID_OPTION');
        await rejectsWith(store.logMetric(run.runId, 'rmse', '3' as never), 'INVALID_OPTION');
        await rejectsWith(store.setTag(run.runId, 'k', 3 as never), 'INVALID_OPTION');
      });
    });

    describe('searchRuns', () => {
      async function seed(store: Store) {
        const a = await store.createExperiment('a');
        const b = await store.createExperiment('b');
        const mk = async (exp: string, name: string, t: number, rmse: number | null, depth: string, stage: string, status: 'RUNNING' | 'FINISHED' | 'FAILED') => {
          const run = await store.createRun({ experimentId: exp, runName: name, startTime: t });
          await store.logBatch(run.runId, { params: { max_depth: depth }, metrics: rmse === null ? [] : [{ key: 'rmse', value: rmse }], tags: { stage } });
          if (status !== 'RUNNING') await store.endRun(run.runId, status);
          return run;
        };
        const r1 = await mk(a.experimentId, 'alpha', 1000, 40, '8', 'dev', 'FINISHED');
        const r2 = await mk(a.experimentId, 'beta', 2000, 60, '8', 'prod', 'FINISHED');
        const r3 = await mk(b.experimentId, 'Gamma', 3000, 30, '4', 'prod', 'FAILED');
        const r4 = await mk(b.experimentId, 'delta', 4000, null, '8', 'Prod', 'RUNNING');
        const child = await store.createRun({ experimentId: a.experimentId, runName: 'trial', parentRunId: r1.runId, startTime: 5000 });
        return { a, b, r1, r2, r3, r4, child };
      }
      const names = (runs: { runName: string }[]) => runs.map((r) => r.runName);

      withStore('lists every run, children included, newest first', async (store) => {
        await seed(store);
        assert.deepEqual(names(await store.searchRuns()), ['trial', 'delta', 'Gamma', 'beta', 'alpha']);
      });
      withStore('narrows by experiment and by parent', async (store) => {
        const s = await seed(store);
        assert.deepEqual(names(await store.searchRuns({ experimentIds: [s.b.experimentId] })), ['delta', 'Gamma']);
        assert.deepEqual(names(await store.searchRuns({ parentRunId: s.r1.runId })), ['trial']);
        assert.deepEqual(names(await store.searchRuns({ experimentIds: ['999'] })), []);
      });
      withStore('filters on metrics, params, tags and attributes', async (store) => {
        const s = await seed(store);
        const f = async (filter: string) => names(await store.searchRuns({ filter }));
        assert.deepEqual(await f("metrics.rmse < 50 and params.max_depth = '8' and tags.stage != 'prod' and status = 'FINISHED'"), ['alpha']);
        assert.deepEqual(await f('metrics.rmse >= 40'), ['beta', 'alpha']);
        assert.deepEqual(await f("attributes.status = 'FAILED'"), ['Gamma']);
        assert.deepEqual(await f("run_name = 'beta'"), ['beta']);
        assert.deepEqual(await f("attributes.run_name != 'beta' AND status != 'RUNNING'"), ['Gamma', 'alpha']);
        assert.deepEqual(await f(`run_id = '${s.r2.runId}'`), ['beta']);
        assert.deepEqual(await f(`parent_run_id = '${s.r1.runId}'`), ['trial']);
        assert.deepEqual(await f('start_time > 2500 and start_time <= 4000'), ['delta', 'Gamma']);
        assert.deepEqual(await f('end_time > 0'), ['Gamma', 'beta', 'alpha']);
        // MLflow semantics: a run without the tag does not match a clause on it
        assert.deepEqual(await f("tags.stage != 'dev'"), ['delta', 'Gamma', 'beta']);
      });
      withStore('LIKE is case-sensitive, ILIKE is not', async (store) => {
        await seed(store);
        const f = async (filter: string) => names(await store.searchRuns({ filter }));
        assert.deepEqual(await f("tags.stage LIKE 'pro%'"), ['Gamma', 'beta']);
        assert.deepEqual(await f("tags.stage ILIKE 'pro%'"), ['delta', 'Gamma', 'beta']);
        assert.deepEqual(await f("run_name LIKE '_amma'"), ['Gamma']);
        assert.deepEqual(await f("run_name LIKE 'g%'"), []);
        assert.deepEqual(await f("run_name ILIKE 'G%'"), ['Gamma']);
        assert.deepEqual(await f("params.max_depth LIKE '%'"), ['delta', 'Gamma', 'beta', 'alpha']);
      });
      withStore('a quoted injection attempt stays a value and matches nothing', async (store) => {
        await seed(store);
        for (const filter of [
          `params.max_depth = "' OR 1=1 --"`,
          `params.max_depth = ''' OR 1=1 --'`,
          `run_name = "x'; DROP TABLE runs; --"`,
          `tags.stage LIKE "%' OR '1'='1"`,
          'metrics.`rmse OR 1=1` < 100',
        ]) {
          assert.deepEqual(await store.searchRuns({ filter }), [], filter);
        }
        assert.equal((await store.searchRuns()).length, 5);
        await rejectsWith(store.searchRuns({ filter: "params.max_depth = '' OR 1=1 --'" }), 'INVALID_OPTION', /only AND/);
      });
      withStore('orders by a metric with runs lacking it last, in both directions', async (store) => {
        await seed(store);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['metrics.rmse ASC'] })), ['Gamma', 'alpha', 'beta', 'trial', 'delta']);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['metrics.rmse DESC'] })), ['beta', 'alpha', 'Gamma', 'trial', 'delta']);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['metrics.rmse'], limit: 2 })), ['Gamma', 'alpha']);
      });
      withStore('pages through runs with and without the ordered metric', async (store) => {
        const s = await seed(store);
        const page = async (offset: number, limit = 2) => names(await store.searchRuns({ orderBy: ['metrics.rmse ASC'], limit, offset }));
        assert.deepEqual(await page(2), ['beta', 'trial']);
        assert.deepEqual(await page(3), ['trial', 'delta']);
        assert.deepEqual(await page(4), ['delta']);
        assert.deepEqual(await page(5), []);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['metrics.rmse ASC'], experimentIds: [s.a.experimentId] })), ['alpha', 'beta', 'trial']);
        assert.deepEqual(names(await store.searchRuns({ filter: 'metrics.rmse > 35', orderBy: ['metrics.rmse DESC'] })), ['beta', 'alpha']);
        assert.deepEqual(names(await store.searchRuns({ filter: "tags.stage ILIKE 'PROD'", orderBy: ['tags.stage', 'metrics.rmse DESC'] })), ['delta', 'beta', 'Gamma']);
      });
      withStore('orders by params, attributes and several keys', async (store) => {
        await seed(store);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['start_time ASC'] })), ['alpha', 'beta', 'Gamma', 'delta', 'trial']);
        // (upper/lower case order differs between database collations, so Gamma stays out)
        assert.deepEqual(names(await store.searchRuns({ filter: "run_name != 'Gamma'", orderBy: ['run_name'] })), ['alpha', 'beta', 'delta', 'trial']);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['status DESC', 'start_time ASC'] })), ['delta', 'trial', 'alpha', 'beta', 'Gamma']);
        assert.deepEqual(names(await store.searchRuns({ orderBy: ['params.max_depth ASC', 'metrics.rmse DESC'] })), ['Gamma', 'beta', 'alpha', 'delta', 'trial']);
      });
      withStore('limit and offset page through the runs', async (store) => {
        await seed(store);
        assert.deepEqual(names(await store.searchRuns({ limit: 2 })), ['trial', 'delta']);
        assert.deepEqual(names(await store.searchRuns({ limit: 2, offset: 2 })), ['Gamma', 'beta']);
        assert.equal((await store.searchRuns({ limit: Infinity })).length, 5);
        assert.deepEqual(await store.searchRuns({ limit: 0 }), []);
        await rejectsWith(store.searchRuns({ limit: -1 }), 'INVALID_OPTION');
        await rejectsWith(store.searchRuns({ limit: 1.5 }), 'INVALID_OPTION');
      });
      withStore('returns params, latest metrics and tags with each run', async (store) => {
        const s = await seed(store);
        const [r] = await store.searchRuns({ filter: "run_name = 'alpha'" });
        assert.equal(r.runId, s.r1.runId);
        assert.deepEqual(r.params, { max_depth: '8' });
        assert.deepEqual(r.metrics, { rmse: 40 });
        assert.deepEqual(r.tags, { stage: 'dev' });
        assert.equal(r.experimentName, 'a');
      });
      withStore('a malformed filter or order-by is INVALID_OPTION naming the token', async (store) => {
        await rejectsWith(store.searchRuns({ filter: 'metrics.rmse <' }), 'INVALID_OPTION', /expected a value/);
        await rejectsWith(store.searchRuns({ filter: "metrics.rmse < 'x'" }), 'INVALID_OPTION', /position 16: "'x'"/);
        await rejectsWith(store.searchRuns({ orderBy: ['metrics.rmse UP'] }), 'INVALID_OPTION', /"UP"/);
      });

      // MLflow's search language where grove used to differ (mlflow/utils/search_utils.py)
      withStore('IS NULL / IS NOT NULL on params and tags: whether the run has the key', async (store) => {
        await seed(store);
        const f = async (filter: string, orderBy?: string[]) => names(await store.searchRuns({ filter, orderBy }));
        assert.deepEqual(await f('params.max_depth IS NULL'), ['trial']);
        assert.deepEqual(await f('params.max_depth is not null'), ['delta', 'Gamma', 'beta', 'alpha']);
        assert.deepEqual(await f("tags.stage IS NOT NULL AND tags.stage = 'prod'"), ['Gamma', 'beta']);
        assert.deepEqual(await f('tags.nope IS NULL'), ['trial', 'delta', 'Gamma', 'beta', 'alpha']);
        assert.deepEqual(await f('tags.`stage` IS NULL and params.max_depth IS NULL'), ['trial']);
        // on the ordered key too (the search then runs in parts: with the key, without it)
        assert.deepEqual(await f('params.max_depth IS NULL', ['params.max_depth']), ['trial']);
        assert.deepEqual(await f('params.max_depth IS NOT NULL', ['params.max_depth ASC']), ['Gamma', 'delta', 'beta', 'alpha']);
        assert.deepEqual(await f('tags.stage IS NULL', ['metrics.rmse']), ['trial']);
        await rejectsWith(store.searchRuns({ filter: 'metrics.rmse IS NULL' }), 'INVALID_OPTION', /IS NULL applies to params and tags/);
        await rejectsWith(store.searchRuns({ filter: 'params.max_depth IS 8' }), 'INVALID_OPTION', /expected NULL or NOT NULL after IS/);
      });
      withStore('run_id IN (...) and NOT IN (...)', async (store) => {
        const s = await seed(store);
        const f = async (filter: string, orderBy?: string[]) => names(await store.searchRuns({ filter, orderBy }));
        assert.deepEqual(await f(`run_id IN ('${s.r1.runId}', '${s.r3.runId}')`), ['Gamma', 'alpha']);
        assert.deepEqual(await f(`attributes.run_id IN ("${s.r2.runId}")`), ['beta']);
        assert.deepEqual(await f(`run_id NOT IN ('${s.r1.runId}','${s.child.runId}') and status != 'RUNNING'`), ['Gamma', 'beta']);
        assert.deepEqual(await f(`run_id in ('${s.r1.runId}', '${s.r2.runId}', '${s.r3.runId}')`, ['metrics.rmse DESC']), ['beta', 'alpha', 'Gamma']);
        assert.deepEqual(await f(`run_id IN ('${'0'.repeat(32)}')`), []);
        await rejectsWith(store.searchRuns({ filter: "run_name IN ('beta')" }), 'INVALID_OPTION', /applies to run_id only/);
        await rejectsWith(store.searchRuns({ filter: 'run_id IN ()' }), 'INVALID_OPTION', /expected a quoted run id/);
        await rejectsWith(store.searchRuns({ filter: `run_id IN ('${s.r1.runId}'` }), 'INVALID_OPTION', /expected , or \)/);
        await rejectsWith(store.searchRuns({ filter: `run_id NOT ('${s.r1.runId}')` }), 'INVALID_OPTION', /expected IN after NOT/);
      });
      withStore('attribute aliases created and `Run name`, backquoted prefixes and the run. prefix', async (store) => {
        await seed(store);
        const f = async (filter: string, orderBy?: string[]) => names(await store.searchRuns({ filter, orderBy }));
        assert.deepEqual(await f('created >= 3000'), ['trial', 'delta', 'Gamma']);
        assert.deepEqual(await f('attributes.Created < 2000'), ['alpha']);
        for (const key of ['`Run name`', '`run name`', '"Run Name"', 'attributes.`Run name`', 'attributes."run name"', 'run.`Run name`']) {
          assert.deepEqual(await f(`${key} = 'beta'`), ['beta'], key);
        }
        assert.deepEqual(await f("`Run name` LIKE '%a'"), ['delta', 'Gamma', 'beta', 'alpha']);
        assert.deepEqual(await f("`metrics`.rmse < 50 and `params`.max_depth = '4'"), ['Gamma']);
        assert.deepEqual(await f("`metric`.`rmse` >= 40 and `tags`.stage = 'dev'"), ['alpha']);
        assert.deepEqual(await f("`attributes`.status = 'FAILED'"), ['Gamma']);
        assert.deepEqual(await f("run.status = 'FAILED' and run.start_time > 0"), ['Gamma']);
        assert.deepEqual(await f("parameter.max_depth = '4'"), ['Gamma']);
        assert.deepEqual(await f('', ['created ASC']), ['alpha', 'beta', 'Gamma', 'delta', 'trial']);
        assert.deepEqual(await f('', ['`metrics`.rmse DESC']), ['beta', 'alpha', 'Gamma', 'trial', 'delta']);
        assert.deepEqual(await f('', ['run.start_time ASC']), ['alpha', 'beta', 'Gamma', 'delta', 'trial']);
        // as in MLflow, the run-name alias is for filters only
        await rejectsWith(store.searchRuns({ orderBy: ['`Run name`'] }), 'INVALID_OPTION', /unknown key/);
        await rejectsWith(store.searchRuns({ filter: "`Run_name` = 'x'" }), 'INVALID_OPTION', /unknown key/);
      });
      withStore('a NaN metric sorts after numbers and before runs without the metric, in both directions', async (store) => {
        const s = await seed(store);
        // beta's latest rmse becomes NaN (rmse: Gamma 30, alpha 40, beta NaN, trial and delta none)
        await store.logBatch(s.r2.runId, { metrics: [{ key: 'rmse', value: NaN, step: 1 }] });
        assert.ok(Number.isNaN((await store.getRun(s.r2.runId)).metrics.rmse));
        const o = async (orderBy: string[], extra: { limit?: number; offset?: number; experimentIds?: string[]; filter?: string } = {}) => names(await store.searchRuns({ orderBy, ...extra }));
        assert.deepEqual(await o(['metrics.rmse ASC']), ['Gamma', 'alpha', 'beta', 'trial', 'delta']);
        assert.deepEqual(await o(['metrics.rmse DESC']), ['alpha', 'Gamma', 'beta', 'trial', 'delta']);
        // a search confined to a few runs sorts them in one query: the same order
        const both = [s.a.experimentId, s.b.experimentId];
        assert.deepEqual(await o(['metrics.rmse ASC'], { experimentIds: both }), ['Gamma', 'alpha', 'beta', 'trial', 'delta']);
        assert.deepEqual(await o(['metrics.rmse DESC'], { experimentIds: both }), ['alpha', 'Gamma', 'beta', 'trial', 'delta']);
        // as a second key
        assert.deepEqual(await o(['params.max_depth DESC', 'metrics.rmse ASC']), ['alpha', 'beta', 'delta', 'Gamma', 'trial']);
        assert.deepEqual(await o(['params.max_depth DESC', 'metrics.rmse DESC']), ['alpha', 'beta', 'delta', 'Gamma', 'trial']);
        // pages across the boundaries
        assert.deepEqual(await o(['metrics.rmse'], { limit: 3 }), ['Gamma', 'alpha', 'beta']);
        assert.deepEqual(await o(['metrics.rmse'], { limit: 2, offset: 2 }), ['beta', 'trial']);
        assert.deepEqual(await o(['metrics.rmse'], { limit: 2, offset: 3 }), ['trial', 'delta']);
        // NaN fails every comparison
        assert.deepEqual(await o(['metrics.rmse DESC'], { filter: 'metrics.rmse > 0' }), ['alpha', 'Gamma']);
      });
      withStore('an order-by term with leading or trailing spaces is refused, as in MLflow', async (store) => {
        await seed(store);
        for (const term of ['metrics.rmse ', ' metrics.rmse', 'metrics.rmse ASC ', 'start_time\t']) {
          await rejectsWith(store.searchRuns({ orderBy: [term] }), 'INVALID_OPTION', /leading or trailing spaces are not allowed/);
        }
        assert.equal((await store.searchRuns({ orderBy: ['metrics.rmse  ASC'] })).length, 5, 'spaces inside the term are fine');
      });
    });

    describe('artifacts', () => {
      withStore('stores bytes with size and sha256 and reads them back', async (store) => {
        const run = await newRun(store);
        const bytes = Buffer.from('model bytes \u0000\u0001\u00ff');
        const info = await store.logArtifact(run.runId, 'model', bytes);
        assert.equal(info.size, bytes.length);
        assert.match(info.sha256, /^[0-9a-f]{64}$/);
        assert.deepEqual(await store.readArtifact(run.runId, 'model'), bytes);
        assert.deepEqual(await store.getArtifactInfo(run.runId, 'model'), info);
        await store.logArtifact(run.runId, 'plots/importance.json', new Uint8Array([1, 2, 3]));
        assert.deepEqual(
          (await store.listArtifacts(run.runId)).map((a) => a.name),
          ['model', 'plots/importance.json'],
        );
      });
      withStore('artifacts are immutable: same bytes again is fine, different bytes is CONFLICT', async (store) => {
        const run = await newRun(store);
        const first = await store.logArtifact(run.runId, 'model', Buffer.from('a'));
        assert.deepEqual(await store.logArtifact(run.runId, 'model', Buffer.from('a')), first);
        await rejectsWith(store.logArtifact(run.runId, 'model', Buffer.from('b')), 'CONFLICT', /immutable/);
        assert.deepEqual(await store.readArtifact(run.runId, 'model'), Buffer.from('a'));
      });
      withStore('the same bytes in two runs share one sha256', async (store) => {
        const r1 = await newRun(store);
        const r2 = await newRun(store);
        const a = await store.logArtifact(r1.runId, 'model', Buffer.from('same'));
        const b = await store.logArtifact(r2.runId, 'model', Buffer.from('same'));
        assert.equal(a.sha256, b.sha256);
        assert.deepEqual(await store.readArtifact(r2.runId, 'model'), Buffer.from('same'));
      });
      withStore('unknown artifacts are NOT_FOUND, bad names INVALID_OPTION', async (store) => {
        const run = await newRun(store);
        await rejectsWith(store.readArtifact(run.runId, 'model'), 'NOT_FOUND', /no artifact "model"/);
        await rejectsWith(store.listArtifacts(MISSING_RUN), 'NOT_FOUND');
        await rejectsWith(store.logArtifact(run.runId, '../etc/passwd', Buffer.from('x')), 'INVALID_OPTION');
        await rejectsWith(store.logArtifact(run.runId, 'a b', Buffer.from('x')), 'INVALID_OPTION');
      });
    });

    describe('chunked artifacts (GROVE_ARTIFACT_CHUNK_BYTES small, so many chunks)', () => {
      /** a store whose chunks are `chunkBytes` long: the size is read from the environment when it opens */
      const withChunks = (title: string, chunkBytes: number, fn: (store: Store) => Promise<void>) =>
        test(title, async () => {
          const saved = process.env.GROVE_ARTIFACT_CHUNK_BYTES;
          process.env.GROVE_ARTIFACT_CHUNK_BYTES = String(chunkBytes);
          let store: Store;
          try {
            store = await makeStore();
          } finally {
            if (saved === undefined) delete process.env.GROVE_ARTIFACT_CHUNK_BYTES;
            else process.env.GROVE_ARTIFACT_CHUNK_BYTES = saved;
          }
          try {
            await fn(store);
          } finally {
            await store.close();
          }
        });
      const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      /** `bytes` cut into pieces of irregular sizes, yielded across event-loop turns */
      async function* pieces(bytes: Buffer, sizes = [1, 13, 100, 6, 250]): AsyncGenerator<Uint8Array> {
        for (let at = 0, i = 0; at < bytes.length; i++) {
          const n = sizes[i % sizes.length];
          yield new Uint8Array(bytes.subarray(at, at + n));
          at += n;
          await new Promise((r) => setImmediate(r));
        }
      }
      async function chunksOf(it: AsyncIterable<Buffer>): Promise<Buffer[]> {
        const out: Buffer[] = [];
        for await (const c of it) out.push(c);
        return out;
      }

      withChunks('a streamed artifact is stored in many chunks and read back in order, whole and as chunks', 7, async (store) => {
        const run = await newRun(store);
        const bytes = randomBytes(1000);
        const info = await store.logArtifact(run.runId, 'model', pieces(bytes));
        assert.deepEqual([info.size, info.sha256], [1000, sha256(bytes)]);
        assert.deepEqual(await store.readArtifact(run.runId, 'model'), bytes);
        const chunks = await chunksOf(store.readArtifactChunks(run.runId, 'model'));
        assert.equal(chunks.length, Math.ceil(1000 / 7));
        assert.ok(chunks.slice(0, -1).every((c) => c.length === 7));
        assert.equal(chunks.at(-1)!.length, 1000 % 7);
        assert.deepEqual(Buffer.concat(chunks), bytes);
        // the same bytes given as one Buffer are the same artifact
        assert.deepEqual(await store.logArtifact(run.runId, 'model', bytes), info);
        await rejectsWith(store.logArtifact(run.runId, 'model', pieces(randomBytes(1000))), 'CONFLICT', /immutable/);
      });
      withChunks('sizes that are exact multiples of the chunk size, one chunk, and one byte', 16, async (store) => {
        const run = await newRun(store);
        for (const n of [16 * 20, 16, 1, 17, 15]) {
          const bytes = randomBytes(n);
          await store.logArtifact(run.runId, `a${n}`, pieces(bytes, [5, 16, 32]));
          const chunks = await chunksOf(store.readArtifactChunks(run.runId, `a${n}`));
          assert.equal(chunks.length, Math.ceil(n / 16), `${n} bytes`);
          assert.ok(chunks.every((c) => c.length === 16 || c === chunks.at(-1)));
          assert.deepEqual(Buffer.concat(chunks), bytes);
          assert.deepEqual(await store.readArtifact(run.runId, `a${n}`), bytes);
        }
      });
      withChunks('an empty artifact has no chunks and reads back empty', 8, async (store) => {
        const run = await newRun(store);
        const empty = await store.logArtifact(run.runId, 'empty', Buffer.alloc(0));
        assert.deepEqual([empty.size, empty.sha256], [0, sha256(Buffer.alloc(0))]);
        assert.deepEqual(await store.logArtifact(run.runId, 'empty-stream', []), { ...empty, name: 'empty-stream', createdTime: (await store.getArtifactInfo(run.runId, 'empty-stream')).createdTime });
        assert.equal((await store.readArtifact(run.runId, 'empty')).length, 0);
        assert.deepEqual(await chunksOf(store.readArtifactChunks(run.runId, 'empty-stream')), []);
        await rejectsWith(store.logArtifact(run.runId, 'bad', [Buffer.from('ok'), 'text' as unknown as Uint8Array]), 'INVALID_OPTION', /every chunk must be a Buffer/);
        await rejectsWith(store.getArtifactInfo(run.runId, 'bad'), 'NOT_FOUND');
      });
      withChunks('a model version reads back as chunks through every URI form', 5, async (store) => {
        const run = await newRun(store);
        const bytes = randomBytes(203);
        await store.logArtifact(run.runId, 'model', pieces(bytes));
        await store.createModelVersion('chunky', { runId: run.runId });
        await store.setAlias('chunky', 'production', 1);
        assert.deepEqual(await store.readModelVersionBytes('chunky', 1), bytes);
        const chunks = await chunksOf(store.readModelVersionChunks('chunky', 1));
        assert.equal(chunks.length, Math.ceil(203 / 5));
        assert.deepEqual(Buffer.concat(chunks), bytes);
        for (const uri of [`runs:/${run.runId}/model`, 'models:/chunky/1', 'models:/chunky@production', 'models:/chunky/latest']) {
          assert.deepEqual((await resolveModelBytes(store, uri)).bytes, bytes, uri);
        }
      });
      withChunks('concurrent writers of one store each get their whole artifact, and other writes go on', 9, async (store) => {
        const runs = await Promise.all([newRun(store), newRun(store), newRun(store)]);
        const data = runs.map(() => randomBytes(500));
        await Promise.all([
          ...runs.map((r, i) => store.logArtifact(r.runId, 'model', pieces(data[i]))),
          // the same bytes from two runs at once: stored once, both readable
          store.logArtifact(runs[0].runId, 'copy', pieces(data[1], [3, 70])),
          ...runs.map((r) => store.logMetric(r.runId, 'rmse', 1.5)),
        ]);
        for (const [i, r] of runs.entries()) {
          assert.deepEqual(await store.readArtifact(r.runId, 'model'), data[i]);
          assert.equal((await store.getRun(r.runId)).metrics.rmse, 1.5);
        }
        assert.deepEqual(await store.readArtifact(runs[0].runId, 'copy'), data[1]);
      });
    });

    describe('model registry', () => {
      async function runWithModel(store: Store, content = 'model-bytes') {
        const run = await newRun(store);
        await store.logArtifact(run.runId, 'model', Buffer.from(content));
        return run;
      }
      withStore('numbers versions per model, creating the model on first use', async (store) => {
        const r1 = await runWithModel(store, 'v1');
        const r2 = await runWithModel(store, 'v2');
        const v1 = await store.createModelVersion('diabetes', { runId: r1.runId, description: 'first', tags: { data: 'diabetes' } });
        const v2 = await store.createModelVersion('diabetes', { runId: r2.runId, artifact: 'model' });
        const o1 = await store.createModelVersion('other', { runId: r2.runId });
        assert.deepEqual([v1.version, v2.version, o1.version], [1, 2, 1]);
        assert.equal(v1.runId, r1.runId);
        assert.equal(v1.artifact, 'model');
        assert.equal(v1.description, 'first');
        assert.deepEqual(v1.tags, { data: 'diabetes' });
        assert.equal(v1.size, 2);
        assert.ok(v1.createdTime > 0);
        const model = await store.getRegisteredModel('diabetes');
        assert.equal(model.latestVersion, 2);
        assert.deepEqual(
          (await store.listModelVersions('diabetes')).map((v) => v.version),
          [1, 2],
        );
        assert.equal((await store.getLatestModelVersion('diabetes')).version, 2);
        assert.deepEqual(
          (await store.listRegisteredModels()).map((m) => m.name),
          ['diabetes', 'other'],
        );
        assert.deepEqual(await store.readModelVersionBytes('diabetes', 1), Buffer.from('v1'));
      });
      withStore('createRegisteredModel: explicit creation, duplicates CONFLICT, empty model has no latest', async (store) => {
        const m = await store.createRegisteredModel('empty', { description: 'd', tags: { a: 'b' } });
        assert.deepEqual([m.name, m.description, m.tags, m.latestVersion, m.aliases], ['empty', 'd', { a: 'b' }, null, {}]);
        await rejectsWith(store.createRegisteredModel('empty'), 'CONFLICT');
        await rejectsWith(store.getLatestModelVersion('empty'), 'NOT_FOUND', /no versions/);
        await rejectsWith(store.createRegisteredModel('bad/name'), 'INVALID_OPTION');
        await rejectsWith(store.createRegisteredModel('bad@name'), 'INVALID_OPTION');
      });
      withStore('a version needs an existing run artifact', async (store) => {
        const run = await newRun(store);
        await rejectsWith(store.createModelVersion('m', { runId: run.runId }), 'NOT_FOUND', /no artifact/);
        await rejectsWith(store.createModelVersion('m', { runId: MISSING_RUN }), 'NOT_FOUND');
        await rejectsWith(store.getRegisteredModel('m'), 'NOT_FOUND');
      });
      withStore('versions change only in description and tags', async (store) => {
        const run = await runWithModel(store);
        await store.createModelVersion('m', { runId: run.runId, tags: { a: '1' } });
        const v = await store.updateModelVersion('m', 1, { description: 'better', tags: { a: '2', b: '3' } });
        assert.equal(v.description, 'better');
        assert.deepEqual(v.tags, { a: '2', b: '3' });
        assert.equal(v.runId, run.runId);
        await rejectsWith(store.updateModelVersion('m', 2, { description: 'x' }), 'NOT_FOUND');
      });
      withStore('unknown models and versions are NOT_FOUND', async (store) => {
        const run = await runWithModel(store);
        await store.createModelVersion('m', { runId: run.runId });
        await rejectsWith(store.getRegisteredModel('nope'), 'NOT_FOUND', /no registered model/);
        await rejectsWith(store.getModelVersion('m', 7), 'NOT_FOUND', /no version 7/);
        await rejectsWith(store.getModelVersion('m', 0), 'INVALID_OPTION');
        await rejectsWith(store.listModelVersions('nope'), 'NOT_FOUND');
        await rejectsWith(store.readModelVersionBytes('m', 2), 'NOT_FOUND');
      });
      withStore('aliases point at versions, move atomically and keep a history', async (store) => {
        const r1 = await runWithModel(store, 'one');
        const r2 = await runWithModel(store, 'two');
        await store.createModelVersion('m', { runId: r1.runId });
        await store.createModelVersion('m', { runId: r2.runId });
        const c1 = await store.setAlias('m', 'production', 1);
        assert.deepEqual([c1.oldVersion, c1.newVersion], [null, 1]);
        assert.match(c1.who, /@.+ pid \d+$/);
        const c2 = await store.setAlias('m', 'production', 2);
        assert.deepEqual([c2.oldVersion, c2.newVersion], [1, 2]);
        await store.setAlias('m', 'production', 2); // no move, no record
        await store.setAlias('m', 'staging', 1);
        assert.equal((await store.getModelVersionByAlias('m', 'production')).version, 2);
        assert.deepEqual((await store.getRegisteredModel('m')).aliases, { production: 2, staging: 1 });
        assert.deepEqual((await store.getModelVersion('m', 1)).aliases, ['staging']);
        const d = await store.deleteAlias('m', 'staging');
        assert.deepEqual([d.oldVersion, d.newVersion], [1, null]);
        await rejectsWith(store.deleteAlias('m', 'staging'), 'NOT_FOUND');
        await rejectsWith(store.getModelVersionByAlias('m', 'staging'), 'NOT_FOUND', /aliases: production/);
        const hist = await store.getAliasHistory('m');
        assert.deepEqual(
          hist.map((h) => [h.alias, h.oldVersion, h.newVersion]),
          [
            ['production', null, 1],
            ['production', 1, 2],
            ['staging', null, 1],
            ['staging', 1, null],
          ],
        );
        assert.deepEqual((await store.getAliasHistory('m', 'production')).length, 2);
      });
      withStore('an alias needs an existing version and a valid name', async (store) => {
        const run = await runWithModel(store);
        await store.createModelVersion('m', { runId: run.runId });
        await rejectsWith(store.setAlias('m', 'production', 5), 'NOT_FOUND');
        await rejectsWith(store.setAlias('nope', 'production', 1), 'NOT_FOUND');
        await rejectsWith(store.setAlias('m', 'latest', 1), 'INVALID_OPTION', /reserved/);
        await rejectsWith(store.setAlias('m', '1abc', 1), 'INVALID_OPTION');
      });
    });

    describe('model URIs through the store', () => {
      withStore('resolves runs:/, models:/<n>/<v>, models:/<n>@<alias> and models:/<n>/latest', async (store) => {
        const r1 = await newRun(store);
        const r2 = await newRun(store);
        await store.logArtifact(r1.runId, 'model', Buffer.from('first'));
        await store.logArtifact(r2.runId, 'model', Buffer.from('second'));
        await store.createModelVersion('m', { runId: r1.runId });
        await store.createModelVersion('m', { runId: r2.runId });
        await store.setAlias('m', 'production', 1);
        const byRun = await resolveModelBytes(store, `runs:/${r2.runId}/model`);
        assert.equal(byRun.bytes.toString(), 'second');
        assert.equal(byRun.source.runId, r2.runId);
        const byVersion = await resolveModelBytes(store, 'models:/m/1');
        assert.equal(byVersion.bytes.toString(), 'first');
        assert.deepEqual([byVersion.source.modelName, byVersion.source.version, byVersion.source.runId], ['m', 1, r1.runId]);
        const byAlias = await resolveModelBytes(store, 'models:/m@production');
        assert.deepEqual([byAlias.bytes.toString(), byAlias.source.version, byAlias.source.alias], ['first', 1, 'production']);
        const latest = await resolveModelBytes(store, 'models:/m/latest');
        assert.deepEqual([latest.bytes.toString(), latest.source.version], ['second', 2]);
        await rejectsWith(resolveModelBytes(store, `runs:/${r1.runId}/nope`), 'NOT_FOUND');
        await rejectsWith(resolveModelBytes(store, 'models:/m/3'), 'NOT_FOUND');
        await rejectsWith(resolveModelBytes(store, 'models:/m@staging'), 'NOT_FOUND');
        await rejectsWith(resolveModelBytes(store, 'models:/zzz/latest'), 'NOT_FOUND');
      });
    });

    describe('dead processes', () => {
      withStore('a RUNNING run whose process is gone is dead; gc marks it FAILED and leaves the rest', async (store) => {
        const exp = await store.getOrCreateExperiment('Default');
        const pid = deadPid();
        const dead = await store.createRun({ experimentId: exp.experimentId, pid });
        const alive = await store.createRun({ experimentId: exp.experimentId });
        const remote = await store.createRun({ experimentId: exp.experimentId, host: 'some-other-host', pid });
        const done = await store.createRun({ experimentId: exp.experimentId, pid });
        await store.endRun(done.runId, 'FINISHED');
        assert.equal(runLiveness(await store.getRun(dead.runId)), 'dead');
        assert.equal(runLiveness(await store.getRun(alive.runId)), 'alive');
        assert.equal(runLiveness(await store.getRun(remote.runId)), 'unknown');
        assert.equal(runLiveness(await store.getRun(done.runId)), 'ended');
        const collected = await gcDeadRuns(store);
        assert.deepEqual(
          collected.map((c) => c.runId),
          [dead.runId],
        );
        const after = await store.getRun(dead.runId);
        assert.equal(after.status, 'FAILED');
        assert.ok(after.endTime !== null);
        assert.equal(after.tags[FAILURE_TAG], `process ${pid} on ${currentHost()} exited`);
        assert.equal((await store.getRun(alive.runId)).status, 'RUNNING');
        assert.equal((await store.getRun(remote.runId)).status, 'RUNNING');
        assert.deepEqual(await gcDeadRuns(store), []);
      });
    });
  });
}
