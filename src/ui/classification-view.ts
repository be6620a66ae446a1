// A classification run's evaluation for the run page: the confusion matrix and (binary) the ROC
// curve, read from the two artifacts `grove train` and a study's refit store with the run
// (confusion_matrix.json, roc_curve.json), checked before they reach the browser. An artifact that
// is absent, too large or not of the documented shape gives null (the page then shows neither;
// the artifact can still be downloaded).
import type { ArtifactInfo, Run, Store } from '../track/store.js';
import type { ConfusionMatrixJson, RocCurveJson, RunTask } from './api-types.js';

export const CONFUSION_MATRIX_ARTIFACT = 'confusion_matrix.json';
export const ROC_CURVE_ARTIFACT = 'roc_curve.json';
/** larger artifacts are not parsed for the page (a 1,000-class matrix is about 4 MB) */
export const MAX_EVALUATION_ARTIFACT_BYTES = 32 * 1024 * 1024;

export interface ClassificationView {
  confusion_matrix: ConfusionMatrixJson | null;
  roc_curve: RocCurveJson | null;
}

export async function classificationView(store: Store, runId: string, artifacts: ArtifactInfo[]): Promise<ClassificationView> {
  const read = async (name: string): Promise<unknown> => {
    const info = artifacts.find((a) => a.name === name);
    if (!info || info.size > MAX_EVALUATION_ARTIFACT_BYTES) return undefined;
    try {
      return JSON.parse((await store.readArtifact(runId, name)).toString('utf8'));
    } catch {
      return undefined;
    }
  };
  const [cm, roc] = await Promise.all([read(CONFUSION_MATRIX_ARTIFACT), read(ROC_CURVE_ARTIFACT)]);
  return { confusion_matrix: confusionMatrixOf(cm), roc_curve: rocCurveOf(roc) };
}

function isLabel(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** {"labels": [...K], "matrix": [[...K] x K]} with counts >= 0, else null. */
export function confusionMatrixOf(v: unknown): ConfusionMatrixJson | null {
  if (v === null || typeof v !== 'object') return null;
  const { labels, matrix } = v as { labels?: unknown; matrix?: unknown };
  if (!Array.isArray(labels) || labels.length < 1 || !labels.every(isLabel)) return null;
  const k = labels.length;
  if (!Array.isArray(matrix) || matrix.length !== k) return null;
  for (const row of matrix) if (!Array.isArray(row) || row.length !== k || !row.every(isCount)) return null;
  return { labels, matrix: matrix as number[][] };
}

/** {"positive_label", "fpr", "tpr", "thresholds", "auc"}: rates in [0, 1] of one length, else null. */
export function rocCurveOf(v: unknown): RocCurveJson | null {
  if (v === null || typeof v !== 'object') return null;
  const r = v as { positive_label?: unknown; fpr?: unknown; tpr?: unknown; thresholds?: unknown; auc?: unknown };
  const rates = (a: unknown): a is number[] => Array.isArray(a) && a.every((x) => typeof x === 'number' && x >= 0 && x <= 1);
  if (!rates(r.fpr) || !rates(r.tpr) || r.fpr.length !== r.tpr.length || r.fpr.length < 2) return null;
  // the first threshold is +Infinity in scikit-learn; JSON writes it as null or a large number
  const thresholds = Array.isArray(r.thresholds) && r.thresholds.length === r.fpr.length ? r.thresholds.map((t) => (typeof t === 'number' && Number.isFinite(t) ? t : null)) : null;
  const auc = typeof r.auc === 'number' && Number.isFinite(r.auc) ? r.auc : null;
  return { positive_label: isLabel(r.positive_label) ? r.positive_label : null, fpr: r.fpr, tpr: r.tpr, thresholds, auc };
}

/** Classification or regression: the model's header says so; else the run's task param, its artifacts, its metrics. */
export function runTask(run: Run, headerTask: unknown, artifacts: ArtifactInfo[]): RunTask | null {
  if (headerTask === 'classification' || headerTask === 'regression') return headerTask;
  const param = run.params.task;
  if (param === 'classification' || param === 'regression') return param;
  if (artifacts.some((a) => a.name === CONFUSION_MATRIX_ARTIFACT)) return 'classification';
  const keys = Object.keys(run.metrics);
  if (keys.some((k) => /(^|_)(accuracy|log_loss|roc_auc|f1_macro)$/.test(k))) return 'classification';
  if (keys.some((k) => /(^|_)(rmse|r2|mae)$/.test(k))) return 'regression';
  return null;
}
