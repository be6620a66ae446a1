// Gives a study its trial queue. Studies recorded before the store had trial queues keep their
// trials as child runs only: the first process to work on such a study imports them into a queue.
import type { Store } from '../track/store.js';
import type { StudyRow, TrialRow } from '../track/trial-queue.js';
import type { StudyHandle } from './study-run.js';
import { objectiveKey, TAG_CONFIG, TAG_FAILURE, TAG_PRUNED, TAG_TRIAL_NUMBER, TAG_TYPE, TYPE_TRIAL } from './study-record.js';

/**
 * Gives a study its trial queue: a new study gets an empty one; a study recorded before queues
 * existed gets its trials imported from its child runs (RUNNING ones end KILLED and are queued
 * again). `target` updates the requested number of finished trials.
 */
export async function ensureQueue(store: Store, study: StudyHandle, target?: number): Promise<StudyRow> {
  const c = study.config;
  const existing = await store.trials.getStudy(study.run.runId);
  if (existing && target === undefined) return existing;
  const row = await store.trials.openStudy(study.run.runId, { target: target ?? c.trials, graceMs: c.graceS * 1000, maxAttempts: c.maxAttempts });
  if (existing) return row;
  const children = await store.searchRuns({ parentRunId: study.run.runId, limit: Infinity, orderBy: ['start_time ASC'] });
  const key = objectiveKey(c.metric);
  const rows = new Map<number, Omit<TrialRow, 'seq' | 'workerId'>>();
  for (const child of children) {
    if (child.tags[TAG_TYPE] !== TYPE_TRIAL) continue;
    let status = child.status;
    if (status === 'RUNNING') {
      await store.endRun(child.runId, 'KILLED', { tags: { [TAG_FAILURE]: 'its process ended before the trial did' } }).catch(() => undefined);
      status = 'KILLED';
    }
    const number = Number(child.tags[TAG_TRIAL_NUMBER]);
    const value = child.metrics[key];
    const finished = status === 'FINISHED' && typeof value === 'number';
    rows.set(number, {
      number,
      attempt: 1,
      state: finished ? 'finished' : status === 'KILLED' ? 'queued' : 'failed',
      config: child.tags[TAG_CONFIG] ?? '{}',
      value: finished ? value : null,
      pruned: child.tags[TAG_PRUNED] === 'true',
      rungs: null,
      runId: child.runId,
    });
  }
  // numbers never recorded (a crash between claim and record) count as failed
  const top = Math.max(-1, ...rows.keys());
  for (let n = 0; n <= top; n++) if (!rows.has(n)) rows.set(n, { number: n, attempt: 1, state: 'failed', config: '{}', value: null, pruned: false, rungs: null, runId: null });
  await store.trials.importTrials(
    study.run.runId,
    [...rows.values()].sort((a, b) => a.number - b.number),
  );
  return (await store.trials.getStudy(study.run.runId))!;
}
