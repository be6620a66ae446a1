// --ship-data: a small data file travels inside the tracking store with its study, so workers
// on machines without a copy load it from there (its fingerprint is checked like any other).
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { GroveError } from '../errors.js';
import { isBuiltin } from '../data/builtin.js';
import type { Run, Store } from '../track/store.js';

/** Files above this stay on disk: copy them to every machine instead. */
export const SHIP_DATA_MAX_BYTES = 64 * 1024 * 1024;
export const TAG_SHIPPED_DATA = 'grove.data.shipped';

/** Checks before anything is written that `data` can be shipped. */
export function checkShippable(data: string): void {
  if (isBuiltin(data)) throw new GroveError('INVALID_OPTION', `--ship-data: ${data} is built into grove; every worker has it already`, { option: '--ship-data' });
  let size: number;
  try {
    size = statSync(data).size;
  } catch {
    throw new GroveError('INVALID_FILE', `--ship-data: cannot read ${data}`, { option: '--ship-data', file: data });
  }
  if (size > SHIP_DATA_MAX_BYTES) {
    throw new GroveError(
      'INVALID_OPTION',
      `--ship-data: ${data} is ${(size / 2 ** 20).toFixed(0)} MiB; only files up to ${SHIP_DATA_MAX_BYTES / 2 ** 20} MiB travel in the store (copy it to each machine and pass grove worker --data)`,
      {
        option: '--ship-data',
      },
    );
  }
}

/** Stores the file's bytes as an artifact of the study run and tags the run with its name. */
export async function shipData(store: Store, studyRunId: string, data: string): Promise<void> {
  const name = `data/${basename(data)}`;
  await store.logArtifact(studyRunId, name, readFileSync(data));
  await store.setTag(studyRunId, TAG_SHIPPED_DATA, name);
}

export function shippedDataName(run: Run): string | null {
  return run.tags[TAG_SHIPPED_DATA] ?? null;
}
