// The benchmark's datasets, written ONCE as train/test CSV files (header x0..x(p-1),y) under
// bench/.work/, so every competitor, whatever its language, reads the same rows.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { diabetesPath, friedman1, loadData, splitRows } from '../../src/data/index.js';
import { FRIEDMAN_NOISE, FRIEDMAN_SEED, SPLIT_SEED, TEST_FRACTION, WORK_DIR } from './config.js';

export interface BenchDataset {
  /** 'diabetes' or 'friedman1-10k' ... */
  name: string;
  /** Rows before the split. */
  rows: number;
  cols: number;
  nTrain: number;
  nTest: number;
  train: string;
  test: string;
  description: string;
}

/** Bump when the way files are written changes: older cached files are rewritten. */
const FORMAT = 2;

export function sizeLabel(rows: number): string {
  if (rows >= 1_000_000 && rows % 1_000_000 === 0) return `${rows / 1_000_000}M`;
  if (rows >= 1_000 && rows % 1_000 === 0) return `${rows / 1_000}k`;
  return String(rows);
}

export function prepareDiabetes(log: (s: string) => void): BenchDataset {
  const text = readFileSync(diabetesPath(), 'utf8').trim().split(/\r?\n/);
  const header = text[0].split(',');
  const target = header.indexOf('target');
  if (target < 0) throw new Error('data/diabetes.csv: no column "target"');
  const features = header.map((_, j) => j).filter((j) => j !== target);
  const rows = text.length - 1;
  const cols = features.length;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const cells = text[i + 1].split(',').map(Number);
    features.forEach((j, k) => {
      x[i * cols + k] = cells[j];
    });
    y[i] = cells[target];
  }
  // Diabetes values are written as parsed (shortest round trip): the files hold the same numbers.
  return writeSplit('diabetes', x, y, rows, cols, (v) => String(v), `data/diabetes.csv (${header.filter((_, j) => j !== target).join(', ')} -> target)`, log, FRIEDMAN_KEY);
}

export function prepareFriedman(rows: number, log: (s: string) => void): BenchDataset {
  const name = `friedman1-${sizeLabel(rows)}`;
  const cached = cachedSplit(name, rows, FRIEDMAN_KEY);
  if (cached) {
    log(`bench: ${name}: reusing ${cached.train}`);
    return cached;
  }
  log(`bench: ${name}: generating ${rows} rows`);
  const d = friedman1(rows, FRIEDMAN_SEED, FRIEDMAN_NOISE);
  // Friedman values are written with 7 decimals (x in [0, 1]) and 6 (y): half the bytes of the
  // shortest round trip, the same numbers for every reader.
  return writeSplit(name, d.x, d.y, rows, d.cols, (v) => v.toFixed(7), `Friedman #1, 10 features (x5..x9 noise), noise ${FRIEDMAN_NOISE}, seed ${FRIEDMAN_SEED}`, log, FRIEDMAN_KEY, 6);
}

/**
 * The built-in classification generator `classes:<rows>:<k>:<seed>` (src/data), as train/test
 * CSV files whose y is the class index 0..k-1 (the position of the label among the sorted
 * classes), for the classification stage (bench/classification.ts). Features are written with 7
 * significant digits: every reader gets the same numbers.
 */
export async function prepareClasses(rows: number, k: number, seed: number, log: (s: string) => void): Promise<BenchDataset & { classes: string[] }> {
  const spec = `classes:${rows}:${k}:${seed}`;
  const name = `classes-${sizeLabel(rows)}-k${k}`;
  const key = [spec, SPLIT_SEED, TEST_FRACTION];
  const cached = cachedSplit(name, rows, key);
  if (cached) {
    log(`bench: ${name}: reusing ${cached.train}`);
    return { ...cached, classes: (JSON.parse(readFileSync(paths(name).meta, 'utf8')) as { classes: string[] }).classes };
  }
  log(`bench: ${name}: generating ${spec}`);
  const loaded = await loadData(spec);
  const target = loaded.defaultTarget;
  const yCol = loaded.columns.find((c) => c.name === target);
  if (!target || !yCol) throw new Error(`${spec}: the generator names no target column`);
  const features = loaded.columns.filter((c) => c.name !== target);
  for (const c of features) if (!(c.values instanceof Float64Array) || c.kind !== 'numeric') throw new Error(`${spec}: column ${c.name} is ${c.kind}, the bench writes numeric features only`);
  // labels -> class indices in sorted label order (numbers by value, strings by code units)
  const labels: (string | number)[] = Array.from(yCol.values as ArrayLike<string | number | null>, (v, i) => {
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) throw new Error(`${spec}: target row ${i + 1} is missing`);
    return v;
  });
  const classes = [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length !== k) throw new Error(`${spec}: ${classes.length} classes in the target, expected ${k}`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Float64Array.from(labels, (v) => index.get(v) as number);
  const cols = features.length;
  const x = new Float64Array(rows * cols);
  features.forEach((c, j) => {
    const v = c.values as Float64Array;
    for (let i = 0; i < rows; i++) x[i * cols + j] = v[i];
  });
  const ds = writeSplit(name, x, y, rows, cols, (v) => String(Number(v.toPrecision(7))), `${spec} (src/data: ${cols} features, ${k} classes; y = class index)`, log, key, 0, {
    classes: classes.map(String),
  });
  return { ...ds, classes: classes.map(String) };
}

function paths(name: string): { train: string; test: string; meta: string } {
  return { train: join(WORK_DIR, `${name}-train.csv`), test: join(WORK_DIR, `${name}-test.csv`), meta: join(WORK_DIR, `${name}.json`) };
}

/** What a cached file pair was made from: when it differs, the files are written again. */
type CacheKey = (string | number)[];
const FRIEDMAN_KEY: CacheKey = [FRIEDMAN_SEED, SPLIT_SEED, TEST_FRACTION, FRIEDMAN_NOISE];

function cachedSplit(name: string, rows: number, key: CacheKey): BenchDataset | null {
  const p = paths(name);
  if (!existsSync(p.meta) || !existsSync(p.train) || !existsSync(p.test)) return null;
  try {
    const meta = JSON.parse(readFileSync(p.meta, 'utf8')) as BenchDataset & { format: number; seeds: CacheKey; trainBytes: number; testBytes: number };
    const same = meta.format === FORMAT && meta.rows === rows && meta.seeds.join() === key.join();
    if (!same || statSync(p.train).size !== meta.trainBytes || statSync(p.test).size !== meta.testBytes) return null;
    return { name: meta.name, rows: meta.rows, cols: meta.cols, nTrain: meta.nTrain, nTest: meta.nTest, train: p.train, test: p.test, description: meta.description };
  } catch {
    return null;
  }
}

function writeSplit(
  name: string,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  cols: number,
  fmtX: (v: number) => string,
  description: string,
  log: (s: string) => void,
  key: CacheKey,
  yDigits?: number,
  extraMeta: Record<string, unknown> = {},
): BenchDataset {
  mkdirSync(WORK_DIR, { recursive: true });
  const p = paths(name);
  const fmtY = yDigits === undefined ? fmtX : (v: number) => v.toFixed(yDigits);
  const parts = splitRows(rows, { test: TEST_FRACTION }, SPLIT_SEED);
  const header = [...Array.from({ length: cols }, (_, j) => `x${j}`), 'y'].join(',') + '\n';
  const write = (file: string, idx: Int32Array): number => {
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    let bytes = writeSync(fd, header);
    let chunk: string[] = [];
    const flush = () => {
      if (chunk.length === 0) return;
      bytes += writeSync(fd, chunk.join(''));
      chunk = [];
    };
    for (const r of idx) {
      const cells: string[] = [];
      for (let j = 0; j < cols; j++) cells.push(fmtX(x[r * cols + j]));
      cells.push(fmtY(y[r]));
      chunk.push(cells.join(',') + '\n');
      if (chunk.length === 50_000) flush();
    }
    flush();
    closeSync(fd);
    renameSync(tmp, file);
    return bytes;
  };
  const trainBytes = write(p.train, parts.train);
  const testBytes = write(p.test, parts.test);
  const ds: BenchDataset = { name, rows, cols, nTrain: parts.train.length, nTest: parts.test.length, train: p.train, test: p.test, description };
  writeFileSync(p.meta, JSON.stringify({ ...ds, ...extraMeta, format: FORMAT, seeds: key, trainBytes, testBytes }, null, 2));
  log(`bench: ${name}: ${ds.nTrain} train / ${ds.nTest} test rows -> ${p.train}`);
  return ds;
}
