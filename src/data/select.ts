// Target and feature selection, with the target checks: present, its task (inferred or given),
// numeric for regression, labelled for classification, not constant, enough rows.
import { GroveError, closest, formatValue, invalidOption } from '../errors.js';
import { listRows, missingRows, type Column } from './column.js';
import { DEFAULT_TARGET } from '../constants.js';
import type { Label } from '../labels.js';
import type { LoadedData } from './loaded.js';
import { checkTask, columnLabels, inferTask, type Task } from './task.js';

export interface SelectOptions {
  target?: string;
  /** feature columns, in this order; default: every other column in file order */
  features?: readonly string[];
  /** columns left out of the default feature list */
  drop?: readonly string[];
  /** default: inferred from the target's values (see inferTask) */
  task?: Task;
}

export interface Selection {
  target: Column;
  features: Column[];
  /** 0-based rows whose target is present */
  labelled: Int32Array;
  notes: string[];
  task: Task;
  /** classification: the label of every data row (none is missing); regression: null */
  labels: Label[] | null;
}

export function selectColumns(data: LoadedData, options: SelectOptions = {}): Selection {
  const names = data.columns.map((c) => c.name);
  const find = (name: string, role: string): Column => {
    const c = data.columns.find((col) => col.name === name);
    if (c) return c;
    const hint = closest(name, names);
    throw new GroveError('INVALID_DATA', `${data.source}: ${role} column "${name}" is not in the data${hint ? ` (did you mean "${hint}"?)` : ''}; available columns: ${names.join(', ')}`, {
      file: data.source,
      column: name,
    });
  };
  const targetName = options.target ?? data.defaultTarget ?? DEFAULT_TARGET;
  if (options.target === undefined && !names.includes(targetName)) {
    throw new GroveError('INVALID_DATA', `${data.source}: no target given and there is no column "${targetName}"; pass --target <column> (available columns: ${names.join(', ')})`, {
      file: data.source,
      option: 'target',
    });
  }
  const target = find(targetName, 'target');
  const drop = new Set(options.drop ?? []);
  for (const d of drop) find(d, '--drop');
  let features: Column[];
  if (options.features) {
    if (options.features.length === 0) throw invalidOption('features', [], 'list at least one column');
    const seen = new Set<string>();
    features = options.features.map((f) => {
      if (seen.has(f)) throw invalidOption('features', f, 'lists the column twice');
      if (f === targetName) throw invalidOption('features', f, 'is the target column; a feature cannot be the target');
      if (drop.has(f)) throw invalidOption('features', f, 'is also in --drop');
      seen.add(f);
      return find(f, 'feature');
    });
  } else {
    features = data.columns.filter((c) => c.name !== targetName && !drop.has(c.name));
  }
  if (features.length === 0)
    throw new GroveError('INVALID_DATA', `${data.source}: no feature columns left after choosing the target "${targetName}" and dropping ${[...drop].join(', ') || 'nothing'}`);
  for (const f of features) {
    if (f.kind === 'empty') {
      throw new GroveError('INVALID_DATA', `${data.source}: column "${f.name}" has no values at all (every row is missing); drop it with --drop ${f.name}`, {
        file: data.source,
        column: f.name,
      });
    }
  }
  const notes: string[] = [];
  const given = checkTask(options.task);
  if (target.kind === 'empty') {
    throw new GroveError('INVALID_DATA', `${data.source}: target column "${target.name}" has no values at all`, { file: data.source, column: target.name });
  }
  const inferred = inferTask(target, target.name === data.defaultTarget ? data.defaultTask : undefined);
  const task = given ?? inferred.task;
  if (task === 'classification') {
    const labels = checkLabels(target, data.source);
    if (given === undefined) notes.push(`task: classification (target "${target.name}": ${inferred.reason}${target.kind === 'numeric' ? '; --task regression to regress on it' : ''})`);
    const labelled = new Int32Array(labels.length);
    for (let i = 0; i < labelled.length; i++) labelled[i] = i;
    return { target, features, labelled, notes, task, labels };
  }
  const labelled = checkTarget(target, data.source, notes);
  return { target, features, labelled, notes, task, labels: null };
}

/** Every row's label; a missing one is an error (a row without a class cannot be placed in a stratified split, nor silently dropped). */
function checkLabels(target: Column, source: string): Label[] {
  const labels = columnLabels(target);
  const m = missingRows(target, null);
  if (m.count > 0) {
    throw new GroveError(
      'INVALID_DATA',
      `${source}: target column "${target.name}" has no class label in ${listRows(m.first, m.count)}; fill ${m.count === 1 ? 'it' : 'them'} in or remove ${m.count === 1 ? 'that row' : 'those rows'}`,
      { file: source, column: target.name, row: m.first[0] + 1 },
    );
  }
  return labels as Label[];
}

function checkTarget(target: Column, source: string, notes: string[]): Int32Array {
  const name = target.name;
  if (target.kind !== 'numeric') {
    const values = target.values;
    let row = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== null && !(typeof v === 'number' && Number.isNaN(v))) {
        row = i;
        break;
      }
    }
    const shown = target.kind === 'boolean' ? values[row] === 1 : values[row];
    throw new GroveError(
      'INVALID_DATA',
      `${source}: target column "${name}" is not numeric: data row ${row + 1} has ${formatValue(shown)}; regression needs a numeric target (without --task regression it is read as class labels)`,
      {
        file: source,
        column: name,
        row: row + 1,
      },
    );
  }
  const y = target.values as Float64Array;
  const m = missingRows(target, null);
  const labelled = new Int32Array(y.length - m.count);
  for (let i = 0, k = 0; i < y.length; i++) if (y[i] === y[i]) labelled[k++] = i;
  if (m.count > 0) notes.push(`${source}: dropped ${m.count} row${m.count === 1 ? '' : 's'} with a missing target "${name}" (${listRows(m.first, m.count)})`);
  return labelled;
}

/** After any row dropping: at least 2 rows and a target that varies. */
export function checkUsable(target: Column, rows: Int32Array, source: string, labels: readonly Label[] | null = null): void {
  if (rows.length < 2) {
    throw new GroveError('INVALID_DATA', `${source}: only ${rows.length} usable row${rows.length === 1 ? '' : 's'} (target "${target.name}" present, features complete); need at least 2`, {
      file: source,
      column: target.name,
    });
  }
  const y = labels ?? (target.values as Float64Array);
  const first = y[rows[0]];
  for (let k = 1; k < rows.length; k++) if (y[rows[k]] !== first) return;
  const what = labels ? `has one class (${formatValue(first)}) in all ${rows.length} usable rows; a classifier needs at least 2` : `is constant (${first} in all ${rows.length} usable rows)`;
  throw new GroveError('INVALID_DATA', `${source}: target column "${target.name}" ${what}; there is nothing to learn`, {
    file: source,
    column: target.name,
  });
}
