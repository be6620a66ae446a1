// A study in a real SQLite file, for the study loop's parts: the config a `grove tune` would
// build, the store, the study run with its queue, and one worker identity joined to it.
import { after } from 'node:test';
import { join } from 'node:path';
import { STUDY_QUEUE_DEFAULTS } from '../../src/constants.js';
import type { Store } from '../../src/track/store.js';
import { openStore } from '../../src/track/tracking-uri.js';
import { defaultSpace } from '../../src/tune/space.js';
import type { StudyConfig } from '../../src/tune/study-config.js';
import { createStudy, type StudyHandle } from '../../src/tune/study-run.js';
import { heartbeatInterval, WorkerSession } from '../../src/tune/worker-session.js';
import { tempDir } from '../data/tmp.js';

export function studyConfig(overrides: Partial<StudyConfig> = {}): StudyConfig {
  return {
    data: 'diabetes',
    trials: 4,
    space: defaultSpace(),
    sampler: 'random',
    scheduler: 'fifo',
    evaluation: 'val',
    folds: 5,
    valFraction: 0.2,
    testFraction: 0.2,
    metric: 'rmse',
    seed: 3,
    trialTimeoutS: null,
    experiment: 'Default',
    studyName: 'unit',
    register: 'unit',
    promote: false,
    backend: 'native',
    graceS: STUDY_QUEUE_DEFAULTS.graceS,
    maxAttempts: STUDY_QUEUE_DEFAULTS.maxAttempts,
    ...overrides,
  };
}

export interface TestStudy {
  store: Store;
  study: StudyHandle;
  studyId: string;
  /** this process, joined to the study and heartbeating */
  session: WorkerSession;
  worker: WorkerSession['identity'];
}

/** A new SQLite store with one study created as `grove tune` creates it, and this process joined to it; closed after the file's tests. */
export async function sqliteStudy(prefix: string, config: StudyConfig, fingerprint = 'unit-fingerprint'): Promise<TestStudy> {
  const store = await openStore(join(tempDir(prefix), 'grove.db'), { create: true });
  after(() => store.close());
  const study = await createStudy(store, config, fingerprint);
  const session = new WorkerSession(store, study.run.runId, heartbeatInterval(config.graceS * 1000));
  await session.join();
  after(() => session.leave());
  return { store, study, studyId: study.run.runId, session, worker: session.identity };
}
