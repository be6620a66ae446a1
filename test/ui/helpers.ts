// Shared by the dashboard tests: a real store filled by `grove tune` and `grove train`, and a
// `grove ui` server on it (in this process, on an ephemeral port).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/track/tracking-uri.js';
import type { Store } from '../../src/track/store.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';

export const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
export const XSS_NAME = '<img src=x onerror=alert(1)>';

export interface Fixture {
  dir: string;
  db: string;
  studyId: string;
  trials: number;
  trainRunId: string;
  xssExperimentId: string;
}

export function runGrove(db: string, cwd: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [grove, ...args, '--tracking-uri', db], { encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`grove ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A study of `trials` ASHA trials (histories over rungs, pruned trials) and a registered train run in an experiment with a hostile name. */
export async function buildFixture(trials = 16): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-ui-'));
  const db = join(dir, 'grove.db');
  const tune = JSON.parse(runGrove(db, dir, 'tune', 'diabetes', '--trials', String(trials), '--scheduler', 'asha', '--experiment', 'tuning', '--json'));
  const train = JSON.parse(runGrove(db, dir, 'train', 'diabetes', '--trees', '20', '--experiment', XSS_NAME, '--register', 'd', '--alias', 'production', '--json'));
  const store = await openStore(db, { create: false });
  try {
    const xss = await store.getExperimentByName(XSS_NAME);
    return { dir, db, studyId: tune.study_id, trials, trainRunId: train.run_id, xssExperimentId: xss!.experimentId };
  } finally {
    await store.close();
  }
}

export async function serve(db: string): Promise<{ store: Store; server: UiServer; close(): Promise<void> }> {
  const store = await openStore(db, { create: false });
  const server = await startUiServer(store, { port: 0 });
  return {
    store,
    server,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

export async function getJson(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}
