// Real model files, the seeds of both fuzzers: the TS model-file fuzzer (test/fuzz/model-fuzzer.ts)
// mutates them in memory; run as a script, this writes the format-1 ones to a folder as the native
// fuzzer's seed corpus (scripts/fuzz-native.sh; native/fuzz/model_fuzzer.cpp reads format 1 only).
// Small forests of several shapes (one leaf, stumps, deep exact-split trees, histogram mode, sqrt
// features) so that mutations start from every kind of node layout the engine writes, each in
// format 1, format 2 with its stats section, and (some) format 2 without it.
//   node --import tsx test/fuzz/seed-models.ts <folder>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { friedman1 } from '../../src/data/friedman.js';
import { RandomForestClassifier } from '../../src/forest/classifier.js';
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import type { RandomForestClassifierParams, RandomForestParams } from '../../src/forest/params.js';
import type { Label } from '../../src/labels.js';

export interface SeedModel {
  name: string;
  bytes: Buffer;
  version: 1 | 2;
  task: 'regression' | 'classification';
}

const SHAPES: { name: string; rows: number; params: RandomForestParams }[] = [
  { name: 'stumps', rows: 60, params: { nEstimators: 3, maxDepth: 1 } },
  { name: 'single-leaf', rows: 4, params: { nEstimators: 2, minSamplesLeaf: 4 } },
  { name: 'exact-deep', rows: 200, params: { nEstimators: 2 } },
  { name: 'hist', rows: 300, params: { nEstimators: 3, maxDepth: 6, splitMode: 'hist', maxBins: 16 } },
  { name: 'sqrt-depth4', rows: 150, params: { nEstimators: 4, maxDepth: 4, maxFeatures: 'sqrt' } },
];

/** Shapes also written as format 2 without the stats section (exact and hist thresholds). */
const NO_STATS = new Set(['exact-deep', 'hist', 'single-leaf']);

/**
 * Classifier shapes (format 2 only: format 1 cannot hold one), friedman1's target cut into K
 * classes: 2 and 5 classes, string and integer labels, hist and exact thresholds.
 */
const CLASSIFIER_SHAPES: { name: string; rows: number; labels: Label[]; params: RandomForestClassifierParams }[] = [
  { name: 'clf2-string-hist', rows: 200, labels: ['high', 'low'], params: { nEstimators: 3, maxDepth: 5, splitMode: 'hist', maxBins: 16 } },
  { name: 'clf5-int-exact', rows: 150, labels: [-3, 0, 2, 7, 40], params: { nEstimators: 2, maxDepth: 6 } },
  { name: 'clf5-string-stumps', rows: 80, labels: ['a', 'b', 'c', 'd', 'e'], params: { nEstimators: 3, maxDepth: 1 } },
  { name: 'clf2-int-exact', rows: 120, labels: [0, 1], params: { nEstimators: 2, maxDepth: 4, maxFeatures: 'sqrt' } },
];

/** Classifier shapes also written without the stats section. */
const CLASSIFIER_NO_STATS = new Set(['clf2-string-hist', 'clf5-int-exact']);

/** The seed models, fitted with the native backend when it loads, else the TS twin (same trees). */
export async function seedModels(): Promise<SeedModel[]> {
  const out: SeedModel[] = [];
  for (const [i, shape] of SHAPES.entries()) {
    const d = friedman1(shape.rows, 11 + i);
    const m = await new RandomForestRegressor({ seed: 5 + i, ...shape.params }).fit({ data: d.x, rows: d.rows, cols: d.cols, layout: 'row' }, d.y, { featureNames: d.featureNames, targetName: 'y' });
    const task = 'regression' as const;
    out.push({ name: `${shape.name}-v1`, bytes: m.toBuffer({ version: 1 }), version: 1, task });
    out.push({ name: `${shape.name}-v2`, bytes: m.toBuffer({ version: 2 }), version: 2, task });
    if (NO_STATS.has(shape.name)) out.push({ name: `${shape.name}-v2-nostats`, bytes: m.toBuffer({ version: 2, stats: false }), version: 2, task });
  }
  for (const [i, shape] of CLASSIFIER_SHAPES.entries()) {
    const d = friedman1(shape.rows, 31 + i);
    // the target's quantiles cut it into K classes of about the same size
    const sorted = Array.from(d.y).sort((a, b) => a - b);
    const k = shape.labels.length;
    const cuts = Array.from({ length: k - 1 }, (_, j) => sorted[Math.floor(((j + 1) * sorted.length) / k)]);
    const y = Array.from(d.y, (v) => shape.labels[cuts.filter((c) => v >= c).length]);
    const m = await new RandomForestClassifier({ seed: 15 + i, ...shape.params }).fit({ data: d.x, rows: d.rows, cols: d.cols, layout: 'row' }, y, { featureNames: d.featureNames, targetName: 'y' });
    const task = 'classification' as const;
    out.push({ name: `${shape.name}-v2`, bytes: m.toBuffer({ version: 2 }), version: 2, task });
    if (CLASSIFIER_NO_STATS.has(shape.name)) out.push({ name: `${shape.name}-v2-nostats`, bytes: m.toBuffer({ version: 2, stats: false }), version: 2, task });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx test/fuzz/seed-models.ts <folder>');
    process.exit(2);
  }
  mkdirSync(dir, { recursive: true });
  const v1 = (await seedModels()).filter((s) => s.version === 1);
  for (const s of v1) writeFileSync(join(dir, `${s.name}.grove`), s.bytes);
  console.error(`wrote ${v1.length} format-1 seed models to ${dir}`);
}
