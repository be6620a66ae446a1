// Hyperparameter importance: one of grove's own forests fitted on the finished trials
// (params -> objective); its impurity importances say which hyperparameters mattered.
import { RandomForestRegressor } from '../forest/regressor.js';
import type { Study, Trial } from './study-view.js';

export interface Importance {
  param: string;
  importance: number;
}

export interface ImportanceResult {
  n_trials: number;
  importances: Importance[];
  /** which trials the forest saw: 'finished', or 'finished and pruned' when too few finished (ASHA) */
  basis: string;
  /** why there are none (too few trials, nothing varied) */
  reason: string | null;
}

const MIN_TRIALS = 4;

/** Numbers stay numbers; a param with any non-number value (choices like "sqrt", None) becomes category codes. */
export function encodeParams(trials: Trial[], names: string[]): number[][] {
  const columns = names.map((name) => {
    const raw = trials.map((t) => t.params[name] ?? 'None');
    const nums = raw.map(Number);
    if (nums.every((v, i) => Number.isFinite(v) && raw[i].trim() !== '')) return nums;
    const codes = new Map<string, number>();
    for (const v of [...new Set(raw)].sort()) codes.set(v, codes.size);
    return raw.map((v) => codes.get(v)!);
  });
  return trials.map((_, i) => columns.map((c) => c[i]));
}

/** Finished trials; when successive halving left too few, pruned ones too (their last rung's value). */
function usable(study: Study): { trials: Trial[]; basis: string } {
  const scored = study.trials.filter((t) => t.status === 'FINISHED' && t.value !== null);
  const finished = scored.filter((t) => !t.pruned);
  return finished.length >= MIN_TRIALS ? { trials: finished, basis: 'finished' } : { trials: scored, basis: 'finished and pruned' };
}

export async function studyImportance(study: Study): Promise<ImportanceResult> {
  const { trials: done, basis } = usable(study);
  const names = [...new Set(done.flatMap((t) => Object.keys(t.params)))].sort();
  const varying = names.filter((n) => new Set(done.map((t) => t.params[n])).size > 1);
  if (done.length < MIN_TRIALS) return { n_trials: done.length, basis, importances: [], reason: `needs at least ${MIN_TRIALS} finished trials` };
  if (varying.length === 0) return { n_trials: done.length, basis, importances: [], reason: 'no hyperparameter varied between trials' };
  const x = encodeParams(done, varying);
  const y = done.map((t) => t.value!);
  const forest = new RandomForestRegressor({ nEstimators: 64, seed: 0, threads: 1, minSamplesLeaf: 2 });
  await forest.fit(x, y, { featureNames: varying, targetName: study.objective });
  const imp = forest.featureImportances;
  const importances = varying.map((param, i) => ({ param, importance: Number.isFinite(imp[i]) ? imp[i] : 0 }));
  importances.sort((a, b) => b.importance - a.importance);
  return { n_trials: done.length, basis, importances, reason: null };
}

/** Refits only when the set of finished trials changed. */
export class ImportanceCache {
  private readonly entries = new Map<string, { key: string; result: Promise<ImportanceResult> }>();

  get(study: Study): Promise<ImportanceResult> {
    const done = study.trials.filter((t) => t.status === 'FINISHED' && t.value !== null);
    const key = `${done.length}:${done.filter((t) => t.pruned).length}:${done.at(-1)?.run_id ?? ''}`;
    const hit = this.entries.get(study.run.runId);
    if (hit && hit.key === key) return hit.result;
    const result = studyImportance(study);
    // a failed fit is not cached
    result.catch(() => this.entries.delete(study.run.runId));
    this.entries.set(study.run.runId, { key, result });
    if (this.entries.size > 100) this.entries.delete(this.entries.keys().next().value!);
    return result;
  }
}
