// The dashboard's JSON API against a real store filled by `grove tune` and `grove train`:
// paging, sorting, filtering, 400 for bad filters and parameters, 404 for unknown ids, no
// stack traces, and a study that keeps writing undisturbed while the API reads it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import { buildFixture, getJson, grove, serve, XSS_NAME, type Fixture } from './helpers.js';

let fx: Fixture;
let ui: Awaited<ReturnType<typeof serve>>;
let base: string;
let tuningId: string;

before(async () => {
  fx = await buildFixture(16);
  ui = await serve(fx.db);
  base = ui.server.url;
  const { body } = await getJson(base, '/api/experiments');
  tuningId = body.experiments.find((e: any) => e.name === 'tuning').experiment_id;
});
after(async () => ui?.close());

const runsUrl = (q: string) => `/api/experiments/${tuningId}/runs?${q}`;

describe('experiments', () => {
  test('lists names, run counts, best metric and last activity', async () => {
    const { status, body } = await getJson(base, '/api/experiments');
    assert.equal(status, 200);
    const tuning = body.experiments.find((e: any) => e.name === 'tuning');
    // study + trials + refit
    assert.equal(tuning.run_count, fx.trials + 2);
    assert.equal(typeof tuning.best.value, 'number');
    assert.equal(typeof tuning.last_activity, 'number');
    assert.ok(body.experiments.some((e: any) => e.name === XSS_NAME));
  });

  test('an experiment lists its studies', async () => {
    const { body } = await getJson(base, `/api/experiments/${tuningId}`);
    assert.equal(body.studies.length, 1);
    assert.equal(body.studies[0].run_id, fx.studyId);
    assert.equal(body.studies[0].state, 'finished');
  });
});

describe('runs of an experiment', () => {
  test('pages are disjoint, cover every run and say whether more follow', async () => {
    const seen = new Set<string>();
    for (let offset = 0; ; offset += 5) {
      const { status, body } = await getJson(base, runsUrl(`limit=5&offset=${offset}`));
      assert.equal(status, 200);
      assert.equal(body.total, fx.trials + 2);
      for (const r of body.runs) {
        assert.ok(!seen.has(r.run_id), 'a run on two pages');
        seen.add(r.run_id);
      }
      if (!body.has_more) break;
      assert.equal(body.runs.length, 5);
    }
    assert.equal(seen.size, fx.trials + 2);
    const past = await getJson(base, runsUrl('limit=5&offset=1000'));
    assert.deepEqual(past.body.runs, []);
    assert.equal(past.body.has_more, false);
  });

  test('sorts by a metric both ways, runs without it last', async () => {
    const asc = (await getJson(base, runsUrl(`limit=100&order_by=${encodeURIComponent('metrics.val_rmse ASC')}`))).body;
    const values = asc.runs.map((r: any) => r.metrics.val_rmse).filter((v: unknown) => v !== undefined);
    assert.equal(values.length, fx.trials);
    assert.deepEqual(
      values,
      [...values].sort((a: number, b: number) => a - b),
    );
    assert.equal(asc.runs[asc.runs.length - 1].metrics.val_rmse, undefined);
    const desc = (await getJson(base, runsUrl(`limit=3&order_by=${encodeURIComponent('metrics.val_rmse DESC')}`))).body;
    assert.equal(desc.runs[0].metrics.val_rmse, Math.max(...values));
    assert.ok(desc.metric_keys.includes('val_rmse'));
    assert.ok(desc.param_keys.includes('max_depth'));
  });

  test('filters with the grove filter language', async () => {
    const trials = (await getJson(base, runsUrl(`limit=100&filter=${encodeURIComponent("tags.grove.type = 'trial'")}`))).body;
    assert.equal(trials.runs.length, fx.trials);
    assert.equal(trials.total, null);
    const all = trials.runs.map((r: any) => r.metrics.val_rmse).sort((a: number, b: number) => a - b);
    const cut = all[Math.floor(all.length / 2)];
    const better = (await getJson(base, runsUrl(`limit=100&filter=${encodeURIComponent(`metrics.val_rmse < ${cut}`)}`))).body;
    assert.ok(better.runs.length > 0 && better.runs.length < fx.trials);
    for (const r of better.runs) assert.ok(r.metrics.val_rmse < cut);
  });

  test('a malformed filter is a 400 that names the token, without a stack trace', async () => {
    for (const [filter, token] of [
      ['metrics.val_rmse <', 'at the end'],
      ["metrics.val_rmse < 'x'", "'x'"],
      ['nonsense = 1', 'nonsense'],
      ["params.a = 'b' or params.c = 'd'", 'or'],
    ]) {
      const { status, body } = await getJson(base, runsUrl(`filter=${encodeURIComponent(filter)}`));
      assert.equal(status, 400, filter);
      assert.equal(body.error.code, 'INVALID_OPTION');
      assert.ok(body.error.message.includes(token), `${filter}: ${body.error.message}`);
      assert.doesNotMatch(JSON.stringify(body), /\n\s+at /);
    }
    const order = await getJson(base, runsUrl(`order_by=${encodeURIComponent('metrics.x SIDEWAYS')}`));
    assert.equal(order.status, 400);
  });

  test("MLflow's search forms pass through: IS NULL, run_id IN, aliases; an order-by with a trailing space is a 400", async () => {
    const trials = (await getJson(base, runsUrl(`limit=100&filter=${encodeURIComponent("tags.`grove.type` = 'trial' and params.n_estimators IS NOT NULL")}`))).body;
    assert.equal(trials.runs.length, fx.trials);
    const two = trials.runs.slice(0, 2).map((r: any) => r.run_id);
    const picked = (await getJson(base, runsUrl(`filter=${encodeURIComponent(`run_id IN ('${two[0]}', '${two[1]}')`)}&order_by=${encodeURIComponent('created DESC')}`))).body;
    assert.deepEqual(
      picked.runs.map((r: any) => r.run_id),
      two,
    );
    const byName = (await getJson(base, runsUrl(`filter=${encodeURIComponent(`\`Run name\` = '${trials.runs[0].run_name}'`)}`))).body;
    assert.deepEqual(
      byName.runs.map((r: any) => r.run_id),
      [two[0]],
    );
    const order = await getJson(base, runsUrl(`order_by=${encodeURIComponent('metrics.val_rmse ')}`));
    assert.equal(order.status, 400);
    assert.match(order.body.error.message, /leading or trailing spaces/);
  });

  test('bad paging parameters are 400', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=5000', 'offset=-1', 'offset=1.5']) {
      const { status, body } = await getJson(base, runsUrl(q));
      assert.equal(status, 400, q);
      assert.match(body.error.message, /query parameter (limit|offset)/);
    }
  });
});

describe('runs, studies, models', () => {
  test('a run has metric histories, artifacts, model versions and the model header importances', async () => {
    const { status, body } = await getJson(base, `/api/runs/${fx.trainRunId}`);
    assert.equal(status, 200);
    assert.equal(body.run.experiment_name, XSS_NAME);
    assert.deepEqual(
      body.artifacts.map((a: any) => a.name),
      ['model'],
    );
    assert.deepEqual(
      body.model_versions.map((v: any) => [v.name, v.version, v.aliases]),
      [['d', 1, ['production']]],
    );
    assert.equal(body.model.feature_names.length, 10);
    const sum = body.model.feature_importances.reduce((a: number, b: number) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-6);
    assert.ok(Array.isArray(body.metric_histories.rmse[0]));
  });

  test('the artifact downloads as the stored bytes', async () => {
    const res = await fetch(`${base}/api/runs/${fx.trainRunId}/artifacts/model`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition')!, /^attachment; filename="[A-Za-z0-9._-]+"$/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(bytes, await ui.store.readArtifact(fx.trainRunId, 'model'));
    assert.equal(RandomForestRegressor.readHeader(bytes).n_trees, 20);
  });

  test('a study has its trials, space and objective; importance comes from a grove forest', async () => {
    const { body } = await getJson(base, `/api/studies/${fx.studyId}`);
    assert.equal(body.objective, 'val_rmse');
    assert.equal(body.trials.length, fx.trials);
    assert.deepEqual(
      body.trials.map((t: any) => t.number),
      [...Array(fx.trials).keys()],
    );
    assert.ok(
      body.trials.some((t: any) => t.pruned),
      'ASHA prunes some trials',
    );
    assert.ok(body.trials.every((t: any) => typeof t.value === 'number' && t.worker && t.threads >= 1));
    assert.ok(body.space.max_depth);
    assert.ok(body.refit_run_id);
    const imp = (await getJson(base, `/api/studies/${fx.studyId}/importance`)).body;
    assert.equal(imp.reason, null);
    assert.ok(imp.importances.length >= 2);
    for (const i of imp.importances) assert.ok(i.param in body.space, i.param);
    const total = imp.importances.reduce((a: number, i: any) => a + i.importance, 0);
    assert.ok(Math.abs(total - 1) < 1e-6, `importances sum to ${total}`);
  });

  test('models list versions and alias history', async () => {
    const { body } = await getJson(base, '/api/models');
    const d = body.models.find((m: any) => m.name === 'd');
    assert.deepEqual(d.aliases, { production: 1 });
    assert.equal(d.versions[0].run_id, fx.trainRunId);
    assert.equal(d.alias_history[0].alias, 'production');
    assert.equal(d.alias_history[0].new_version, 1);
  });

  test('compare takes 2 to 200 runs', async () => {
    const trials = (await getJson(base, `/api/studies/${fx.studyId}`)).body.trials;
    const ids = trials.slice(0, 3).map((t: any) => t.run_id);
    const ok = await getJson(base, `/api/compare?run_ids=${ids.join(',')}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ok.body.runs.map((r: any) => r.run_id),
      ids,
    );
    // ASHA trials that went past the first rung have a curve
    assert.ok(Object.values(ok.body.metric_histories).some((h: any) => h.val_rmse?.length > 1) || trials.slice(0, 3).every((t: any) => t.pruned));
    assert.equal((await getJson(base, `/api/compare?run_ids=${ids[0]}`)).status, 400);
    const many = Array.from({ length: 201 }, (_, i) => i.toString(16).padStart(32, '0'));
    assert.equal((await getJson(base, `/api/compare?run_ids=${many.join(',')}`)).status, 400);
    assert.equal((await getJson(base, `/api/compare?run_ids=${ids[0]},${'f'.repeat(32)}`)).status, 404);
  });

  test('unknown ids are 404 with a JSON error', async () => {
    for (const path of [
      '/api/experiments/999',
      '/api/experiments/abc/runs',
      `/api/runs/${'0'.repeat(32)}`,
      '/api/runs/not-a-run',
      `/api/studies/${fx.trainRunId}`,
      `/api/studies/${'0'.repeat(32)}/importance`,
      '/api/models/nope',
      `/api/runs/${fx.trainRunId}/artifacts/nope`,
      '/api/no-such-endpoint',
    ]) {
      const { status, body } = await getJson(base, path);
      assert.equal(status, 404, path);
      assert.equal(typeof body.error.message, 'string');
      assert.doesNotMatch(body.error.message, /\n\s+at /);
    }
  });

  test('read-only: other methods are 405; a foreign Host header is 403', async () => {
    const post = await fetch(`${base}/api/experiments`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/experiments`, { headers: { host: 'evil.example:5050' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 403);
  });

  test('the front-end is served with a script-only-from-self policy', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy')!, /script-src 'self'/);
    assert.match(await res.text(), /<script src="\/app.js"><\/script>/);
    const js = await fetch(`${base}/app.js`);
    assert.equal(js.status, 200);
    assert.ok((await js.text()).length > 10_000);
  });
});

test('a study keeps writing undisturbed while the dashboard polls it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-ui-live-'));
  const db = join(dir, 'grove.db');
  const child = spawn(process.execPath, [grove, 'tune', 'diabetes', '--trials', '24', '--tracking-uri', db, '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  // wait for the store and the study run to exist
  const deadline = Date.now() + 60_000;
  while (!/study .* \(([0-9a-f]{32})\)/.test(stderr) || !existsSync(db)) {
    assert.ok(Date.now() < deadline, `the study did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const studyId = /study .* \(([0-9a-f]{32})\)/.exec(stderr)![1];
  const live = await serve(db);
  let polls = 0;
  let done = false;
  void exited.then(() => (done = true));
  try {
    while (!done) {
      const [study, exps] = await Promise.all([getJson(live.server.url, `/api/studies/${studyId}`), getJson(live.server.url, '/api/experiments')]);
      // the study run may not be committed at the very first poll
      assert.ok(study.status === 200 || study.status === 404, JSON.stringify(study.body));
      assert.equal(exps.status, 200);
      if (study.status === 200) await getJson(live.server.url, `/api/studies/${studyId}/importance`);
      polls++;
    }
    assert.equal(await exited, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.trials_finished, 24);
    const final = await getJson(live.server.url, `/api/studies/${studyId}`);
    assert.equal(final.body.state, 'finished');
    assert.equal(final.body.trials.length, 24);
    assert.ok(polls > 1, `polled ${polls} times`);
  } finally {
    await live.close();
  }
});
