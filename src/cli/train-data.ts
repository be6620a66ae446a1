// Interim loader for `grove train` until the data layer (src/data) lands: numeric CSV with a
// header, the built-in diabetes table and generated friedman1. Row-major matrices.
import { readFileSync, statSync } from 'node:fs';
import { GroveError } from '../errors.js';
import { friedman1 } from '../data/friedman.js';

export interface TrainingTable {
  name: string;
  x: Float64Array;
  y: Float64Array;
  rows: number;
  cols: number;
  featureNames: string[];
  targetName: string;
}

const DIABETES = new URL('../../data/diabetes.csv', import.meta.url);

export function loadTrainingTable(source: string, target?: string): TrainingTable {
  if (source === 'diabetes') return parseNumericCsv(readFileSync(DIABETES, 'utf8'), 'diabetes', target ?? 'target');
  const gen = /^friedman1(?::(\d+))?(?::(\d+))?$/.exec(source);
  if (gen) {
    const d = friedman1(Number(gen[1] ?? 1000), Number(gen[2] ?? 0));
    return { name: source, x: d.x, y: d.y, rows: d.rows, cols: d.cols, featureNames: d.featureNames, targetName: 'y' };
  }
  let text: string;
  try {
    if (statSync(source).isDirectory()) throw new GroveError('INVALID_FILE', `${source} is a directory, not a data file`, { file: source });
    text = readFileSync(source, 'utf8');
  } catch (err) {
    if (err instanceof GroveError) throw err;
    throw new GroveError('INVALID_FILE', `cannot read ${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { file: source });
  }
  if (target === undefined) throw new GroveError('INVALID_OPTION', `--target is required for ${source} (name the column to predict)`, { option: '--target' });
  return parseNumericCsv(text, source, target);
}

function parseNumericCsv(text: string, file: string, target: string): TrainingTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length < 2) throw new GroveError('INVALID_FILE', `${file}: needs a header row and at least one data row`, { file });
  const header = lines[0].split(',').map((s) => s.trim());
  const t = header.indexOf(target);
  if (t < 0) throw new GroveError('INVALID_OPTION', `${file}: no column "${target}" (columns: ${header.join(', ')})`, { option: '--target', file });
  const rows = lines.length - 1;
  const cols = header.length - 1;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1].split(',');
    if (cells.length !== header.length) throw new GroveError('INVALID_FILE', `${file}: row ${i + 1} has ${cells.length} fields, the header has ${header.length}`, { file, row: i + 1 });
    let j = 0;
    for (let c = 0; c < cells.length; c++) {
      const v = Number(cells[c]);
      if (cells[c].trim() === '' || !Number.isFinite(v)) {
        throw new GroveError('INVALID_FILE', `${file}: row ${i + 1}, column "${header[c]}": "${cells[c]}" is not a finite number`, { file, row: i + 1, column: header[c] });
      }
      if (c === t) y[i] = v;
      else x[i * cols + j++] = v;
    }
  }
  return { name: file, x, y, rows, cols, featureNames: header.filter((_, c) => c !== t), targetName: target };
}
