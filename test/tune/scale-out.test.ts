// Shared studies end to end: grove tune and grove worker processes on one study through a real
// PostgreSQL (a fresh schema per test) or one SQLite file; a worker killed with SIGKILL; workers
// racing on a new database; data that does not match; data shipped inside the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/track/tracking-uri.js';
import { findStudy } from '../../src/tune/study-run.js';
import { schemaFactory, withPostgres } from '../helpers/postgres.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], cwd: string): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [grove, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<Done>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

function groveJson(args: string[], cwd: string): any {
  const r = spawnSync(process.execPath, [grove, ...args, '--json'], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function trialRuns(uri: string, studyId: string, cwd: string): Record<string, any>[] {
  return (groveJson(['runs', 'list', '--tracking-uri', uri, '--filter', "tags.`grove.type` = 'trial'", '--limit', '100000'], cwd) as Record<string, any>[]).filter((r) => r.parent_run_id === studyId);
}

const ok = (d: Done, who: string) => assert.equal(d.code, 0, `${who} exited ${d.code ?? d.signal}: ${d.stderr.slice(-2000)}`);

/** Friedman #1-like rows as a CSV file: slow enough trials for workers to overlap. */
function writeCsv(path: string, rows: number, nudge = 0): void {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const lines = ['a,b,c,d,e,y'];
  for (let i = 0; i < rows; i++) {
    const x = [rand(), rand(), rand(), rand(), rand()];
    const y = 10 * Math.sin(Math.PI * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4] + rand() + (i === 0 ? nudge : 0);
    lines.push([...x, y].map((v) => v.toFixed(6)).join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

const SPACE = { n_estimators: { int: [40, 80] }, min_samples_leaf: { int: [1, 5] }, max_features: { choice: [0.4, 0.6, 1.0] } };

test('several processes share one SQLite study: every trial once, one refit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-share-'));
  const db = join(dir, 'grove.db');
  const tune = start(['tune', 'diabetes', '--study', 'shared', '--trials', '24', '--sampler', 'random', '--cpus', '1', '--no-promote', '--tracking-uri', db, '--json'], dir);
  const worker = start(['worker', '--study', 'shared', '--cpus', '1', '--tracking-uri', db, '--json'], dir);
  const [t, w] = await Promise.all([tune.done, worker.done]);
  ok(t, 'grove tune');
  ok(w, 'grove worker');
  const tj = JSON.parse(t.stdout);
  const wj = JSON.parse(w.stdout);
  assert.equal(tj.trials_finished, 24);
  assert.equal([tj.refit_here, wj.refit_here].filter(Boolean).length, 1, 'exactly one process refits');
  // grove tune waits for the refit wherever it happens and reports its model; a worker that did
  // not refit reports it if it was done when the worker left, else leaves without it
  assert.equal(tj.model_uri, 'models:/diabetes/1');
  if (wj.refit_here) assert.equal(wj.model_uri, 'models:/diabetes/1');
  else assert.ok(wj.model_uri === null || wj.model_uri === 'models:/diabetes/1', String(wj.model_uri));
  const trials = trialRuns(db, tj.study_id, dir);
  const finished = trials.filter((r) => r.status === 'FINISHED');
  assert.equal(finished.length, 24);
  assert.deepEqual(
    finished.map((r) => Number(r.tags['grove.trial'])).sort((a, b) => a - b),
    [...Array(24).keys()],
  );
  assert.equal(tj.trials_finished_here + wj.trials_finished_here, 24);
});

test('TPE over two processes proposes the same configurations as one process: no duplicates from seeded parallel workers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-tpe-'));
  const db = join(dir, 'grove.db');
  const common = ['tune', 'friedman1:3000:3', '--trials', '20', '--seed', '7', '--cpus', '1', '--no-promote', '--tracking-uri', db, '--json'];
  const alone = start([...common, '--study', 'alone'], dir);
  const aloneOut = JSON.parse((await alone.done).stdout);
  // the worker starts first and waits for the study, so both take part
  const worker = start(['worker', '--study', 'pair', '--cpus', '1', '--tracking-uri', db, '--json'], dir);
  const tune = start([...common, '--study', 'pair'], dir);
  const [t, w] = await Promise.all([tune.done, worker.done]);
  ok(t, 'grove tune');
  ok(w, 'grove worker');
  const pairOut = JSON.parse(t.stdout);
  const configs = (id: string) =>
    trialRuns(db, id, dir)
      .filter((r) => r.status === 'FINISHED')
      .sort((a, b) => Number(a.tags['grove.trial']) - Number(b.tags['grove.trial']))
      .map((r) => r.tags['grove.config']);
  const a = configs(aloneOut.study_id);
  const b = configs(pairOut.study_id);
  assert.equal(a.length, 20);
  assert.deepEqual(b, a);
  assert.equal(new Set(b).size, 20, 'twenty distinct configurations');
  assert.ok(JSON.parse(w.stdout).trials_finished_here > 0, 'the worker took part');
});

await withPostgres('shared studies on PostgreSQL', () => {
  const schemas = schemaFactory();

  test('3 workers on one study, one killed with SIGKILL mid-trial: its trial runs again, every trial finishes once, one model version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-kill-'));
    const uri = schemas.uri(schemas.newSchema());
    writeFileSync(join(dir, 'space.json'), JSON.stringify(SPACE));
    writeCsv(join(dir, 'data.csv'), 8000);
    const common = ['--tracking-uri', uri, '--cpus', '1', '--json'];
    const tune = start(
      ['tune', 'data.csv', '--target', 'y', '--study', 'killed', '--trials', '18', '--sampler', 'random', '--space', 'space.json', '--grace', '5', '--register', 'kill-model', ...common],
      dir,
    );
    const victim = start(['worker', '--study', 'killed', ...common], dir);
    const third = start(['worker', '--study', 'killed', ...common], dir);

    // kill the victim while it is training a trial it claimed (watching the queue directly: a
    // grove study status process per look would be slower than a trial)
    let killedTrial: number | null = null;
    const watcher = await openStore(uri);
    try {
      for (let i = 0; i < 6000 && killedTrial === null; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const study = await findStudy(watcher, 'killed').catch(() => null);
        if (!study || !(await watcher.trials.getStudy(study.runId))) continue;
        const running = (await watcher.trials.status(study.runId, true)).running.find((t) => t.workerId?.split(':')[1] === String(victim.child.pid));
        // mid-trial: its run exists (a worker killed between claiming and creating the run leaves
        // no run behind, only the re-run)
        const runs = running ? await watcher.searchRuns({ parentRunId: study.runId, filter: `status = 'RUNNING' and tags.\`grove.trial\` = '${running.number}'` }) : [];
        if (running && runs.some((r) => r.tags['grove.worker_id'] === running.workerId)) {
          victim.child.kill('SIGKILL');
          killedTrial = running.number;
        }
      }
    } finally {
      await watcher.close();
    }
    assert.notEqual(killedTrial, null, 'the victim claimed a trial');
    const [t, v, w] = await Promise.all([tune.done, victim.done, third.done]);
    assert.equal(v.signal, 'SIGKILL');
    ok(t, 'grove tune');
    ok(w, 'grove worker');
    const tj = JSON.parse(t.stdout);
    const wj = JSON.parse(w.stdout);
    assert.equal([tj.refit_here, wj.refit_here].filter(Boolean).length, 1, 'exactly one survivor refits');

    const trials = trialRuns(uri, tj.study_id, dir);
    const finished = trials.filter((r) => r.status === 'FINISHED');
    assert.equal(finished.length, 18, 'exactly the requested number of finished trials');
    const numbers = finished.map((r) => Number(r.tags['grove.trial']));
    assert.equal(new Set(numbers).size, 18, 'no trial finished twice');
    assert.deepEqual(
      [...numbers].sort((a, b) => a - b),
      [...Array(18).keys()],
    );
    assert.ok(
      trials.every((r) => r.status !== 'RUNNING'),
      'no zombie RUNNING trials',
    );
    const lost = trials.filter((r) => Number(r.tags['grove.trial']) === killedTrial && r.status === 'FAILED');
    assert.equal(lost.length, 1, 'the killed attempt is kept, FAILED');
    assert.match(lost[0].tags['grove.failure'], new RegExp(`process ${victim.child.pid} on .* is gone; queued again`));
    const rerun = finished.find((r) => Number(r.tags['grove.trial']) === killedTrial)!;
    assert.equal(Number(rerun.tags['grove.attempt']), Number(lost[0].tags['grove.attempt']) + 1);
    assert.equal(rerun.tags['grove.config'], lost[0].tags['grove.config'], 'the re-run trains the same configuration');
    assert.notEqual(rerun.tags['grove.worker_id'].split(':')[1], String(victim.child.pid));

    const store = await openStore(uri);
    try {
      assert.equal((await store.listModelVersions('kill-model')).length, 1, 'one final model version');
    } finally {
      await store.close();
    }
    const status = groveJson(['study', 'status', 'killed', '--tracking-uri', uri], dir);
    assert.equal(status.state, 'finished');
    assert.equal(status.trials.finished, 18);
    assert.equal(status.trials.running, 0);
    assert.ok(status.trials.requeued >= 1);
    assert.equal(status.workers.length, 3);
    const victimRow = status.workers.find((x: { pid: number }) => x.pid === victim.child.pid);
    assert.equal(victimRow.state, 'gone', 'the killed worker never said goodbye, and its process is gone');
    assert.equal(
      status.workers.reduce((a: number, x: { trials_done: number }) => a + x.trials_done, 0),
      18,
    );
  });

  test('two workers started at the same instant on a new database wait for the study and share it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-race-'));
    const schema = schemas.newSchema();
    const uri = schemas.uri(schema);
    // nothing exists yet: not the schema, not the tables, not the study
    const a = start(['worker', '--study', 'race', '--tracking-uri', uri, '--cpus', '1', '--wait', '60', '--json'], dir);
    const b = start(['worker', '--study', 'race', '--tracking-uri', uri, '--cpus', '1', '--wait', '60', '--json'], dir);
    await new Promise((r) => setTimeout(r, 1500));
    const t = start(['tune', 'diabetes', '--study', 'race', '--trials', '30', '--sampler', 'random', '--no-promote', '--tracking-uri', uri, '--cpus', '1', '--json'], dir);
    const results = await Promise.all([a.done, b.done, t.done]);
    results.forEach((r, i) => {
      ok(r, ['worker a', 'worker b', 'grove tune'][i]);
    });
    const out = results.map((r) => JSON.parse(r.stdout));
    assert.equal(out.filter((o) => o.refit_here).length, 1);
    assert.equal(
      out.reduce((s, o) => s + o.trials_finished_here, 0),
      30,
    );
    assert.match(results[0].stderr, /waiting up to 60 s for study "race"/);
    const finished = trialRuns(uri, out[2].study_id, dir).filter((r) => r.status === 'FINISHED');
    assert.equal(finished.length, 30);
    assert.equal(new Set(finished.map((r) => r.tags['grove.trial'])).size, 30);
    const { rows } = await schemas.admin.query(`SELECT version, COUNT(*)::int AS n FROM "${schema}".schema_version GROUP BY version ORDER BY version`);
    assert.ok(rows.length >= 2 && rows.every((r: { n: number }) => r.n === 1), 'each migration applied once');
  });

  test('a worker whose data differs from the study is refused, naming both fingerprints; nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-data-'));
    const uri = schemas.uri(schemas.newSchema());
    writeCsv(join(dir, 'ours.csv'), 600);
    writeCsv(join(dir, 'theirs.csv'), 600, 0.5);
    const created = groveJson(['tune', 'ours.csv', '--target', 'y', '--study', 'fp', '--trials', '3', '--no-promote', '--tracking-uri', uri], dir);
    const r = spawnSync(process.execPath, [grove, 'worker', '--study', 'fp', '--data', 'theirs.csv', '--tracking-uri', uri], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    const store = await openStore(uri);
    try {
      const study = await store.getRun(created.study_id);
      assert.match(r.stderr, new RegExp(`refusing to work on study "fp": its data ours\\.csv has fingerprint ${study.dataFingerprint!.slice(0, 16)}…, but theirs\\.csv here has [0-9a-f]{16}…`));
      const status = await store.trials.status(created.study_id, true);
      assert.equal(status.workers.length, 1, 'the refused worker never joined');
    } finally {
      await store.close();
    }
    // a worker given the study's own data (by another path) is accepted
    mkdirSync(join(dir, 'copy'));
    writeFileSync(join(dir, 'copy', 'same.csv'), readFileSync(join(dir, 'ours.csv')));
    const same = spawnSync(process.execPath, [grove, 'worker', '--study', 'fp', '--data', 'copy/same.csv', '--tracking-uri', uri, '--json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(same.status, 0, same.stderr);
    assert.equal(JSON.parse(same.stdout).trials_finished, 3);
  });

  test('--ship-data: a worker on a machine without the file loads it from the store', async () => {
    const home = mkdtempSync(join(tmpdir(), 'grove-ship-a-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'grove-ship-b-'));
    const uri = schemas.uri(schemas.newSchema());
    writeFileSync(join(home, 'space.json'), JSON.stringify(SPACE));
    writeCsv(join(home, 'shipped.csv'), 3000);
    const tune = start(
      [
        'tune',
        'shipped.csv',
        '--target',
        'y',
        '--study',
        'ship',
        '--trials',
        '16',
        '--sampler',
        'random',
        '--space',
        'space.json',
        '--ship-data',
        '--no-promote',
        '--cpus',
        '1',
        '--tracking-uri',
        uri,
        '--json',
      ],
      home,
    );
    const worker = start(['worker', '--study', 'ship', '--cpus', '1', '--tracking-uri', uri, '--json'], elsewhere);
    const [t, w] = await Promise.all([tune.done, worker.done]);
    ok(t, 'grove tune');
    ok(w, 'grove worker (without the file)');
    const wj = JSON.parse(w.stdout);
    assert.equal(wj.trials_finished, 16);
    const bad = spawnSync(process.execPath, [grove, 'tune', 'diabetes', '--ship-data', '--tracking-uri', uri], { cwd: home, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--ship-data: diabetes is built into grove/);
  });
});
