// The trial queue of shared studies, on both stores: the same suite against a real SQLite file
// and a real PostgreSQL schema. Several Store objects on one database stand for several workers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentHost } from '../../src/track/liveness.js';
import { newRunId } from '../../src/track/validate.js';
import { PostgresStore } from '../../src/track/postgres-store.js';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import type { Store } from '../../src/track/store.js';
import type { ClaimDecision, StudyRow, TrialRow, WorkerIdentity } from '../../src/track/trial-queue.js';
import { POSTGRES_URL, schemaFactory, withPostgres } from '../helpers/postgres.js';

/** A worker's picture of the queue and the simplest sampler: config {"n": number}. */
function follower() {
  const rows = new Map<number, TrialRow>();
  let seq = 0;
  const apply = (changes: TrialRow[]) => {
    for (const r of changes) {
      if ((rows.get(r.number)?.seq ?? -1) < r.seq) rows.set(r.number, r);
      seq = Math.max(seq, r.seq);
    }
  };
  const count = (state: string) => [...rows.values()].filter((r) => r.state === state).length;
  const decide = (changes: TrialRow[], s: StudyRow): ClaimDecision => {
    apply(changes);
    if (count('finished') >= s.target) return { kind: 'done' };
    if (count('finished') + count('running') >= s.target) return { kind: 'wait' };
    const queued = [...rows.values()].filter((r) => r.state === 'queued').map((r) => r.number);
    if (queued.length > 0) return { kind: 'rerun', number: Math.min(...queued) };
    return { kind: 'new', number: s.nextNumber, config: JSON.stringify({ n: s.nextNumber }) };
  };
  return {
    rows,
    apply,
    decide,
    get seq() {
      return seq;
    },
  };
}

let workers = 0;
function worker(host = currentHost(), pid = process.pid): WorkerIdentity {
  return { workerId: `${host}:${pid}:w${++workers}`, host, pid };
}

async function newStudy(store: Store, options: { target: number; graceMs?: number; maxAttempts?: number }) {
  const exp = await store.getOrCreateExperiment('queue');
  const run = await store.createRun({ experimentId: exp.experimentId, runName: 'study' });
  await store.trials.openStudy(run.runId, { target: options.target, graceMs: options.graceMs ?? 30_000, maxAttempts: options.maxAttempts ?? 3 });
  return { studyId: run.runId, experimentId: exp.experimentId };
}

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function queueSuite(name: string, open: () => Promise<{ stores: () => Promise<Store>; close: () => Promise<void> }>) {
  describe(`${name} trial queue`, () => {
    test('claims hand out numbers in order with the changes since the worker last looked', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 3 });
      const f = follower();
      const w = worker();
      const a = await store.trials.claim(studyId, { runId: newRunId(), worker: w, sinceSeq: f.seq, decide: f.decide });
      f.apply(a.changes);
      assert.equal(a.decision, 'new');
      assert.equal(a.trial!.number, 0);
      assert.equal(a.trial!.attempt, 1);
      assert.equal(a.trial!.state, 'running');
      assert.equal(a.trial!.workerId, w.workerId);
      assert.equal(await store.trials.report(studyId, w.workerId, 0, 1, { state: 'finished', value: 2.5 }), true);
      const b = await store.trials.claim(studyId, { runId: newRunId(), worker: w, sinceSeq: f.seq, decide: f.decide });
      f.apply(b.changes);
      // only what changed: trial 0 finishing, then the new claim
      assert.deepEqual(
        b.changes.map((r) => [r.number, r.state]),
        [
          [0, 'finished'],
          [1, 'running'],
        ],
      );
      assert.equal(b.changes[0].value, 2.5);
      assert.equal(b.study.nextNumber, 2);
      await close();
    });

    test('a report counts once, and only from the worker that owns the attempt', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 2 });
      const f = follower();
      const w = worker();
      const other = worker();
      const c = await store.trials.claim(studyId, { runId: newRunId(), worker: w, sinceSeq: 0, decide: f.decide });
      assert.equal(await store.trials.report(studyId, other.workerId, c.trial!.number, 1, { state: 'finished', value: 1 }), false);
      assert.equal(await store.trials.report(studyId, w.workerId, c.trial!.number, 2, { state: 'finished', value: 1 }), false);
      assert.equal(await store.trials.report(studyId, w.workerId, c.trial!.number, 1, { state: 'finished', value: 1 }), true);
      assert.equal(await store.trials.report(studyId, w.workerId, c.trial!.number, 1, { state: 'finished', value: 9 }), false);
      const s = await store.trials.status(studyId, true);
      assert.equal(s.counts.finished, 1);
      assert.deepEqual(s.best, { number: 0, value: 1 });
      await close();
    });

    test('four workers racing claim every number once and stop at exactly the target', async () => {
      const { stores, close } = await open();
      const first = await stores();
      const { studyId } = await newStudy(first, { target: 40 });
      const finishedBy = new Map<number, string>();
      const work = async (store: Store) => {
        const f = follower();
        const w = worker();
        let claims = 0;
        for (;;) {
          const c = await store.trials.claim(studyId, { runId: newRunId(), worker: w, sinceSeq: f.seq, decide: f.decide });
          f.apply(c.changes);
          if (c.decision === 'done') return claims;
          if (!c.trial) {
            await sleep(2);
            continue;
          }
          claims++;
          assert.ok(!finishedBy.has(c.trial.number), `trial ${c.trial.number} claimed twice`);
          finishedBy.set(c.trial.number, w.workerId);
          await sleep(Math.random() * 3);
          assert.equal(await store.trials.report(studyId, w.workerId, c.trial.number, c.trial.attempt, { state: 'finished', value: c.trial.number }), true);
        }
      };
      const all = [first, await stores(), await stores(), await stores()];
      const claims = await Promise.all(all.map(work));
      assert.equal(
        claims.reduce((a, b) => a + b, 0),
        40,
      );
      assert.deepEqual(
        [...finishedBy.keys()].sort((a, b) => a - b),
        [...Array(40).keys()],
      );
      const s = await first.trials.status(studyId, true);
      assert.equal(s.counts.finished, 40);
      assert.equal(s.counts.running, 0);
      await close();
    });

    test('a silent worker loses its trial after the grace period: the run ends FAILED and the trial runs again', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId, experimentId } = await newStudy(store, { target: 1, graceMs: 300 });
      const far = worker('another-machine', 4242);
      const near = worker();
      const f1 = follower();
      const c1 = await store.trials.claim(studyId, { runId: newRunId(), worker: far, sinceSeq: 0, decide: f1.decide });
      // the claim named the run before it exists; the worker creates it after
      const run = await store.createRun({ runId: c1.trial!.runId!, experimentId, parentRunId: studyId });
      // within the grace period nothing is reaped: the other worker waits
      const f2 = follower();
      const early = await store.trials.claim(studyId, { runId: newRunId(), worker: near, sinceSeq: 0, decide: f2.decide });
      f2.apply(early.changes);
      assert.equal(early.decision, 'wait');
      assert.deepEqual(early.reaped, []);
      await sleep(450);
      const late = await store.trials.claim(studyId, { runId: newRunId(), worker: near, sinceSeq: f2.seq, decide: f2.decide });
      assert.deepEqual(late.reaped, [{ number: 0, attempt: 1, requeued: true }]);
      assert.equal(late.decision, 'rerun');
      assert.equal(late.trial!.number, 0);
      assert.equal(late.trial!.attempt, 2);
      assert.equal(late.trial!.config, c1.trial!.config);
      const ended = await store.getRun(run.runId);
      assert.equal(ended.status, 'FAILED');
      assert.match(ended.tags['grove.failure'], /another-machine:4242.*no heartbeat for \d+\.\d s \(grace 0\.3 s\); queued again/);
      // the silent worker comes back: it owns nothing any more and cannot finish the trial
      assert.deepEqual(await store.trials.heartbeat(studyId, far.workerId, [{ number: 0, attempt: 1 }]), [0]);
      assert.equal(await store.trials.report(studyId, far.workerId, 0, 1, { state: 'finished', value: 1 }), false);
      assert.equal(await store.trials.report(studyId, near.workerId, 0, 2, { state: 'finished', value: 2 }), true);
      const s = await store.trials.status(studyId, true);
      assert.equal(s.counts.finished, 1);
      assert.equal(s.requeued, 1);
      assert.deepEqual(s.best, { number: 0, value: 2 });
      await close();
    });

    test('heartbeats keep a long trial its own', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 2, graceMs: 300 });
      const far = worker('another-machine', 4243);
      await store.trials.claim(studyId, { runId: newRunId(), worker: far, sinceSeq: 0, decide: follower().decide });
      for (let i = 0; i < 6; i++) {
        await sleep(100);
        assert.deepEqual(await store.trials.heartbeat(studyId, far.workerId, [{ number: 0, attempt: 1 }]), []);
      }
      const c = await store.trials.claim(studyId, { runId: newRunId(), worker: worker(), sinceSeq: 0, decide: follower().decide });
      assert.deepEqual(c.reaped, []);
      assert.equal(c.trial!.number, 1);
      await close();
    });

    test('a worker whose process on this host is gone loses its trial at once, whatever the grace period', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 1, graceMs: 600_000 });
      const dead = worker(currentHost(), deadPid());
      await store.trials.claim(studyId, { runId: newRunId(), worker: dead, sinceSeq: 0, decide: follower().decide });
      const c = await store.trials.claim(studyId, { runId: newRunId(), worker: worker(), sinceSeq: 0, decide: follower().decide });
      assert.deepEqual(c.reaped, [{ number: 0, attempt: 1, requeued: true }]);
      assert.equal(c.trial!.attempt, 2);
      await close();
    });

    test('a trial lost maxAttempts times stays FAILED and the study moves on', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 1, graceMs: 600_000, maxAttempts: 2 });
      const f = follower();
      await store.trials.claim(studyId, { runId: newRunId(), worker: worker(currentHost(), deadPid()), sinceSeq: 0, decide: follower().decide });
      const second = await store.trials.claim(studyId, { runId: newRunId(), worker: worker(currentHost(), deadPid()), sinceSeq: 0, decide: follower().decide });
      assert.equal(second.trial!.attempt, 2);
      const third = await store.trials.claim(studyId, { runId: newRunId(), worker: worker(), sinceSeq: f.seq, decide: f.decide });
      assert.deepEqual(third.reaped, [{ number: 0, attempt: 2, requeued: false }]);
      assert.equal(third.trial!.number, 1, 'trial 0 is given up; the next number is proposed');
      assert.equal(f.rows.get(0)!.state, 'failed');
      await close();
    });

    test('a released trial is queued and run again by the next claim', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 1 });
      const a = worker();
      await store.trials.claim(studyId, { runId: newRunId(), worker: a, sinceSeq: 0, decide: follower().decide });
      assert.equal(await store.trials.release(studyId, a.workerId, 0, 1), true);
      assert.equal(await store.trials.release(studyId, a.workerId, 0, 1), false);
      const c = await store.trials.claim(studyId, { runId: newRunId(), worker: worker(), sinceSeq: 0, decide: follower().decide });
      assert.equal(c.decision, 'rerun');
      assert.equal(c.trial!.attempt, 2);
      await close();
    });

    test('the refit is claimed by exactly one of many workers, and taken over from a silent one', async () => {
      const { stores, close } = await open();
      const first = await stores();
      const { studyId } = await newStudy(first, { target: 1, graceMs: 300 });
      const all = [first, await stores(), await stores(), await stores()];
      const ids = all.map(() => worker());
      const won = await Promise.all(all.map((s, i) => s.trials.claimRefit(studyId, ids[i])));
      assert.equal(won.filter(Boolean).length, 1);
      assert.equal((await first.trials.getStudy(studyId))!.state, 'refitting');
      // a claim on a refitting study finds nothing to do
      assert.equal((await first.trials.claim(studyId, { runId: newRunId(), worker: worker(), sinceSeq: 0, decide: follower().decide })).decision, 'done');
      // the holder heartbeats: nobody takes over
      const holder = ids[won.indexOf(true)];
      await sleep(200);
      await first.trials.heartbeat(studyId, holder.workerId, []);
      await sleep(200);
      assert.equal(await first.trials.claimRefit(studyId, worker()), false);
      // the holder goes silent past the grace period: the next caller takes the refit over
      await sleep(450);
      assert.equal(await first.trials.claimRefit(studyId, worker()), true);
      await first.trials.setStudyState(studyId, 'finished');
      assert.equal(await first.trials.claimRefit(studyId, worker()), false);
      await close();
    });

    test('status lists the workers with their heartbeats and trials done', async () => {
      const { stores, close } = await open();
      const store = await stores();
      const { studyId } = await newStudy(store, { target: 3 });
      const a = worker();
      const b = worker();
      await store.trials.joinStudy(studyId, a);
      await store.trials.joinStudy(studyId, b);
      const f = follower();
      for (const w of [a, a, b]) {
        const c = await store.trials.claim(studyId, { runId: newRunId(), worker: w, sinceSeq: f.seq, decide: f.decide });
        f.apply(c.changes);
        await store.trials.report(studyId, w.workerId, c.trial!.number, 1, { state: 'finished', value: 10 - c.trial!.number });
      }
      await store.trials.leaveStudy(studyId, b.workerId);
      const s = await store.trials.status(studyId, false);
      assert.deepEqual(
        s.workers.map((w) => [w.workerId, w.trialsDone, w.state]),
        [
          [a.workerId, 2, 'active'],
          [b.workerId, 1, 'exited'],
        ],
      );
      assert.ok(s.workers.every((w) => w.heartbeatAgeMs >= 0 && w.heartbeatAgeMs < 60_000 && w.host === currentHost()));
      // higher is better here (r2): trial 0 has 10
      assert.deepEqual(s.best, { number: 0, value: 10 });
      assert.deepEqual(s.counts, { running: 0, finished: 3, failed: 0, queued: 0 });
      await close();
    });
  });
}

queueSuite('SQLite', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'grove-queue-')), 'grove.db');
  const open: Store[] = [];
  return {
    stores: async () => {
      const s = SqliteStore.open(file);
      open.push(s);
      return s;
    },
    close: async () => {
      for (const s of open) await s.close();
    },
  };
});

await withPostgres('PostgreSQL trial queue', () => {
  const schemas = schemaFactory();
  queueSuite('PostgreSQL', async () => {
    const schema = schemas.newSchema();
    const open: Store[] = [];
    return {
      stores: async () => {
        const s = await PostgresStore.open(POSTGRES_URL, { schema });
        open.push(s);
        return s;
      },
      close: async () => {
        for (const s of open) await s.close();
      },
    };
  });
});
