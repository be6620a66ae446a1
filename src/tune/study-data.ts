// The data of a study: loaded once, split once (the test part is held out before anything is
// fitted), preprocessing fitted on each training part only, and copied once into
// SharedArrayBuffers that every trial worker reads.
import { loadData, prepareFolds, prepareTraining, type LoadedData, type PrepareOptions, type PreparedData } from '../data/index.js';
import type { Label } from '../labels.js';
import type { TypedMatrix } from '../matrix.js';
import type { StudyDraft } from './study-config.js';
import type { SharedFold, Task } from './trial-task.js';

export interface StudyData {
  loaded: LoadedData;
  folds: SharedFold[];
  /** all non-test rows with their test part: what the final refit trains and is judged on */
  refit: PreparedData;
  fingerprint: string;
  notes: string[];
  /** the target's task (given, or inferred by the data layer) */
  task: Task;
  /** classification: the sorted class labels; y holds indices into them */
  classes: Label[];
}

export async function prepareStudyData(c: StudyDraft): Promise<StudyData> {
  const loaded = await loadData(c.data);
  const base: PrepareOptions = {
    target: c.target,
    features: c.features,
    drop: c.drop,
    oneHot: c.oneHot,
    impute: c.impute,
    dropMissingRows: c.dropMissingRows,
    unseenCategory: c.unseenCategory,
    task: c.task,
    stratify: c.stratify,
    seed: c.seed,
  };
  const refit = prepareTraining(loaded, { ...base, testFraction: c.testFraction });
  let folds: SharedFold[];
  if (c.evaluation === 'cv') {
    folds = prepareFolds(loaded, c.folds, { ...base, testFraction: c.testFraction }).map((f) => shareFold(f.x, f.y, f.validation!.x, f.validation!.y));
  } else if (c.evaluation === 'val') {
    const p = prepareTraining(loaded, { ...base, validationFraction: c.valFraction, testFraction: c.testFraction });
    folds = [shareFold(p.x, p.y, p.validation!.x, p.validation!.y)];
  } else {
    folds = [shareFold(refit.x, refit.y, null, null)];
  }
  const task: Task = refit.task ?? 'regression';
  return { loaded, folds, refit, fingerprint: refit.fingerprint, notes: refit.notes, task, classes: task === 'classification' ? [...(refit.classes ?? [])] : [] };
}

function shareFold(x: Required<TypedMatrix>, y: Float64Array, valX: Required<TypedMatrix> | null, valY: Float64Array | null): SharedFold {
  return { x: shareMatrix(x), y: shareVector(y), valX: valX && shareMatrix(valX), valY: valY && shareVector(valY) };
}

function shareMatrix(m: Required<TypedMatrix>): Required<TypedMatrix> {
  const data = new Float64Array(new SharedArrayBuffer(m.data.length * 8));
  data.set(m.data);
  return { data, rows: m.rows, cols: m.cols, layout: m.layout };
}

function shareVector(v: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(v.length * 8));
  out.set(v);
  return out;
}
