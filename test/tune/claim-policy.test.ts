// The claim policy against a real trial queue in a real SQLite file: what it asks for (a new
// number with the sampler's configuration, a queued trial again, wait, done) as trials start,
// end and are given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRunId } from '../../src/track/validate.js';
import { ClaimPolicy } from '../../src/tune/claim-policy.js';
import { QueueView } from '../../src/tune/queue-view.js';
import { createSampler, TPE_LAG } from '../../src/tune/samplers/index.js';
import { grid } from '../../src/tune/space.js';
import type { StudyConfig } from '../../src/tune/study-config.js';
import { sqliteStudy, studyConfig } from './helpers.js';

async function claimer(config: StudyConfig, options: { prepare?: boolean } = {}) {
  const s = await sqliteStudy('claim', config);
  const view = new QueueView(s.study.history, config.metric, null);
  const policy = ClaimPolicy.forStudy(config, view, s.study.history);
  const claim = async () => {
    if (options.prepare !== false) policy.prepareNext();
    const claimed = await s.store.trials.claim(s.studyId, { worker: s.worker, runId: newRunId(), sinceSeq: view.seq, decide: policy.decide });
    policy.observe(claimed);
    return claimed;
  };
  const finish = (number: number, attempt: number, value: number) => s.store.trials.report(s.studyId, s.worker.workerId, number, attempt, { state: 'finished', value, pruned: false, rungs: null });
  return { ...s, view, policy, claim, finish };
}

test("claims new numbers with the sampler's configurations, waits while running trials could reach the target, then is done", async () => {
  const config = studyConfig({ trials: 3, sampler: 'random', seed: 11 });
  const c = await claimer(config);
  const sampler = createSampler('random', config.space, config.seed);
  for (let k = 0; k < 3; k++) {
    const claimed = await c.claim();
    assert.equal(claimed.decision, 'new');
    assert.equal(claimed.trial?.number, k);
    assert.equal(claimed.trial?.attempt, 1);
    assert.deepEqual(JSON.parse(claimed.trial!.config), sampler.ask(k, []));
  }
  const waiting = await c.claim();
  assert.equal(waiting.decision, 'wait');
  assert.equal(waiting.trial, null);
  assert.equal(c.view.running, 3);
  for (let k = 0; k < 3; k++) assert.equal(await c.finish(k, 1, 50 + k), true);
  const done = await c.claim();
  assert.equal(done.decision, 'done');
  assert.equal(c.view.finished, 3);
  assert.equal(c.view.best(), 50);
});

test('TPE proposes trial k only once every trial before k - lag has ended', async () => {
  const c = await claimer(studyConfig({ trials: 40, sampler: 'tpe', seed: 5 }));
  for (let k = 0; k <= TPE_LAG; k++) assert.equal((await c.claim()).trial?.number, k);
  // trial 0 still runs: TPE_LAG + 1 would learn from it
  const blocked = await c.claim();
  assert.equal(blocked.decision, 'wait');
  assert.equal(blocked.trial, null);
  assert.equal(await c.finish(0, 1, 60), true);
  const next = await c.claim();
  assert.equal(next.decision, 'new');
  assert.equal(next.trial?.number, TPE_LAG + 1);
});

test('a trial given back by a stopped worker is claimed again, as its next attempt, before any new number', async () => {
  const c = await claimer(studyConfig({ trials: 5 }));
  const first = (await c.claim()).trial!;
  await c.claim();
  assert.equal(await c.store.trials.release(c.studyId, c.worker.workerId, first.number, first.attempt), true);
  const again = await c.claim();
  assert.equal(again.decision, 'rerun');
  assert.equal(again.trial?.number, 0);
  assert.equal(again.trial?.attempt, 2);
  assert.equal(again.trial?.config, first.config);
  assert.equal((await c.claim()).trial?.number, 2);
});

test('a grid is done once every point has been run, even below the requested trial count', async () => {
  const config = studyConfig({ trials: 10, sampler: 'grid', space: { max_depth: grid([2, 4]), n_estimators: grid([10]) } });
  const c = await claimer(config);
  const a = (await c.claim()).trial!;
  const b = (await c.claim()).trial!;
  assert.deepEqual(
    [JSON.parse(a.config), JSON.parse(b.config)],
    [
      { max_depth: 2, n_estimators: 10 },
      { max_depth: 4, n_estimators: 10 },
    ],
  );
  // the grid is used up but trials still run: one could fail and be queued again
  assert.equal((await c.claim()).decision, 'wait');
  await c.finish(0, 1, 70);
  await c.finish(1, 1, 65);
  assert.equal((await c.claim()).decision, 'done');
});

test('a proposal prepared before the claim is the one the claim would have made (TPE, values arriving in between)', async () => {
  const config = studyConfig({ trials: 24, sampler: 'tpe', seed: 9 });
  const prepared = await claimer(config, { prepare: true });
  const inside = await claimer(config, { prepare: false });
  const sequence = async (c: typeof prepared) => {
    const configs: string[] = [];
    for (let k = 0; k < 24; k++) {
      const claimed = await c.claim();
      assert.equal(claimed.trial?.number, k);
      configs.push(claimed.trial!.config);
      // each trial ends before the next claim, with a value that depends on its configuration
      await c.finish(k, 1, 40 + (claimed.trial!.config.length % 17));
    }
    return configs;
  };
  const a = await sequence(prepared);
  const b = await sequence(inside);
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 24);
});
