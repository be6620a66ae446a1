// The TS model-file fuzzer: mutated real model files (model-mutator.ts) go through every loader,
// and each answer is checked:
//   - decodeModel either returns or throws GroveError INVALID_MODEL naming the source; any other
//     throw (a RangeError from a Buffer read, a TypeError) is a bug; a format-2 input is also
//     decoded with `stats: false` (the reader that stops before the stats section), same rule;
//   - the same arrays handed straight to the addon (new NativeForest, no TS checks first) and to
//     the TS validator are accepted by both or refused by both with the same message (the native
//     validator is the TS one's twin);
//   - a format-2 forest that decodes goes to the addon's NativeForest and the TS validator too:
//     both accept it or both refuse it with the same message;
//   - a forest that loads (loadForestModel's dispatch: a regressor or a classifier by the header's
//     task) predicts the same values on the native and the TS backend, for rows of extreme values
//     and the forest's own thresholds (a classifier: predictProba, every class column).
// A bug is recorded with the seed model, the input's index and the mutations applied, so
// `runModelFuzz` with the same seed reproduces it.
import { GroveError } from '../../src/errors.js';
import { validateFlatForest, type FlatForest } from '../../src/forest/flat-forest.js';
import { decodeModel } from '../../src/forest/model-file.js';
import { loadNative, type NativeAddon } from '../../src/forest/native.js';
import { forestModelFromBuffer } from '../../src/forest/load-model.js';
import { FuzzRng, mutate } from './model-mutator.js';
import { rawForest } from './model-layout.js';
import type { SeedModel } from './seed-models.js';

export interface FuzzFinding {
  input: number;
  seed: string;
  applied: string[];
  problem: string;
}

export interface FuzzReport {
  inputs: number;
  /** decodeModel refused the file (a clear INVALID_MODEL error) */
  rejected: number;
  /** loaded and predicted the same on both backends */
  loaded: number;
  /** inputs whose arrays went straight to the addon and the TS validator (format 1 only) */
  rawCompared: number;
  /** format-2 inputs (the rest are format 1) */
  v2Inputs: number;
  /** format-2 inputs that decoded with `stats: false` (a damaged stats section is not read) */
  v2LoadedWithoutStats: number;
  /** decoded format-2 forests handed to the addon and the TS validator */
  decodedCompared: number;
  /** inputs mutated from a classifier seed, and how many of them loaded */
  classifierInputs: number;
  classifierLoaded: number;
  /** first words of each rejection message, counted: which checks the inputs reached */
  reasons: Record<string, number>;
  findings: FuzzFinding[];
}

const SOURCE = 'fuzz.grove';

// Rows of extreme values and of the forest's own thresholds (exact ties). predict() refuses NaN and
// infinities in X before any backend sees them; the native fuzzer feeds those to the predictor.
function rows(f: FlatForest): Float64Array {
  const specials = [0, -0, 1e308, -1e308, 5e-324];
  const thresholds: number[] = [];
  for (let i = 0; i < f.threshold.length && thresholds.length < 24; i++) {
    if (f.feature[i] >= 0 && Number.isFinite(f.threshold[i])) thresholds.push(f.threshold[i]);
  }
  const values = [...specials, ...thresholds];
  const x = new Float64Array(values.length * f.nFeatures);
  values.forEach((v, r) => {
    x.fill(v, r * f.nFeatures, (r + 1) * f.nFeatures);
  });
  return x;
}

function reasonOf(message: string): string {
  const why = message.replace(/^.*?is not a valid grove model: /, '').replace(/^invalid forest: /, '');
  return why
    .replace(/tree \d+ node \d+: /, '')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N')
    .slice(0, 60);
}

/** The native validator against the TS one on the same arrays, without any check before. */
function compareRaw(addon: NativeAddon, forest: FlatForest): string | null {
  let tsError: string | null = null;
  try {
    validateFlatForest(forest);
  } catch (err) {
    if (!(err instanceof GroveError)) return `TS validator threw ${(err as Error).name}: ${(err as Error).message}`;
    tsError = err.message;
  }
  let nativeError: string | null = null;
  try {
    new addon.NativeForest(forest);
  } catch (err) {
    if (!(err instanceof RangeError || err instanceof TypeError)) return `addon threw ${(err as Error).name}: ${(err as Error).message}`;
    nativeError = (err as Error).message;
  }
  // lengths and counts the addon checks in its own words (typed arrays, nFeatures cap)
  if (nativeError && !nativeError.startsWith('invalid forest:')) return tsError ? null : `addon refused what TS accepts: ${nativeError}`;
  if (tsError !== nativeError) return `validators disagree: TS ${JSON.stringify(tsError)}, native ${JSON.stringify(nativeError)}`;
  return null;
}

async function checkOne(addon: NativeAddon | null, bytes: Buffer, report: FuzzReport, classifierSeed: boolean): Promise<string | null> {
  if (classifierSeed) report.classifierInputs++;
  if (bytes.length >= 12 && bytes.readUInt32LE(8) === 2) {
    report.v2Inputs++;
    try {
      decodeModel(bytes, SOURCE, { stats: false });
      report.v2LoadedWithoutStats++;
    } catch (err) {
      if (!(err instanceof GroveError) || err.code !== 'INVALID_MODEL') return `decodeModel (stats: false) threw ${(err as Error).name}: ${(err as Error).message}`;
      if (!err.message.startsWith(`${SOURCE} is not a valid grove model: `)) return `unclear error: ${err.message}`;
    }
  }
  if (addon) {
    let raw: FlatForest | null = null;
    try {
      raw = rawForest(bytes);
    } catch {
      // no layout to read arrays from (header or counts destroyed): decodeModel's job alone
    }
    // the addon caps nFeatures at 2^24 in its own words; a file needs as many feature names
    if (raw && Number.isInteger(raw.nFeatures) && raw.nFeatures <= 1 << 24 && raw.treeOffsets.length < 1 << 20 && raw.feature.length < 1 << 22) {
      report.rawCompared++;
      const problem = compareRaw(addon, raw);
      if (problem) return problem;
    }
  }
  let loaded: { header: unknown; forest: FlatForest };
  try {
    loaded = decodeModel(bytes, SOURCE);
  } catch (err) {
    if (!(err instanceof GroveError) || err.code !== 'INVALID_MODEL') return `decodeModel threw ${(err as Error).name}: ${(err as Error).message}`;
    if (!err.message.startsWith(`${SOURCE} is not a valid grove model: `)) return `unclear error: ${err.message}`;
    report.rejected++;
    const r = reasonOf(err.message);
    report.reasons[r] = (report.reasons[r] ?? 0) + 1;
    return null;
  }
  if (addon && bytes.readUInt32LE(8) === 2) {
    report.decodedCompared++;
    const problem = compareRaw(addon, loaded.forest);
    if (problem) return `decoded format-2 forest: ${problem}`;
  }
  const x = rows(loaded.forest);
  const n = x.length / loaded.forest.nFeatures;
  const predictions: Float64Array[] = [];
  for (const backend of addon ? (['native', 'js'] as const) : (['js'] as const)) {
    try {
      const m = forestModelFromBuffer(bytes, { backend, source: SOURCE });
      const input = { data: x, rows: n, cols: loaded.forest.nFeatures, layout: 'row' } as const;
      if (m.task !== (loaded.forest.nClasses > 0 ? 'classification' : 'regression')) return `loaded a ${m.task} model from a forest of ${loaded.forest.nClasses} classes`;
      predictions.push(m.task === 'classification' ? await m.predictProba(input) : await m.predict(input));
    } catch (err) {
      // the stored hyperparameters can be damaged too: that is a clear INVALID_MODEL as well
      if (err instanceof GroveError && err.code === 'INVALID_MODEL') {
        report.rejected++;
        return null;
      }
      return `${backend} backend failed on a file decodeModel accepted: ${(err as Error).name}: ${(err as Error).message}`;
    }
  }
  const width = Math.max(1, loaded.forest.nClasses);
  if (predictions[0].length !== n * width) return `${predictions[0].length} predictions for ${n} rows of ${width}`;
  if (predictions.length === 2) {
    for (let i = 0; i < n * width; i++) {
      if (!Object.is(predictions[0][i], predictions[1][i])) return `backends disagree on row ${i}: native ${predictions[0][i]}, js ${predictions[1][i]}`;
    }
  }
  report.loaded++;
  if (classifierSeed) report.classifierLoaded++;
  return null;
}

export interface FuzzOptions {
  /** skip checking the inputs before this index (they are still generated: same stream) */
  from?: number;
  /** an input that takes longer than this is a finding (a loader must not stall); default 2,000 ms */
  slowMs?: number;
  onProgress?: (done: number, r: FuzzReport) => void;
  /** called with each input before it is checked (the long run saves it, to replay a hang) */
  onInput?: (index: number, bytes: Buffer) => void;
}

/** `count` inputs, mutated from the seeds in turn by a stream seeded with `seed`. */
export async function runModelFuzz(seeds: SeedModel[], count: number, seed: number, options: FuzzOptions = {}): Promise<FuzzReport> {
  const addon = loadNative().addon;
  const rng = new FuzzRng(seed);
  const slowMs = options.slowMs ?? 2000;
  const report: FuzzReport = {
    inputs: 0,
    rejected: 0,
    loaded: 0,
    rawCompared: 0,
    v2Inputs: 0,
    v2LoadedWithoutStats: 0,
    decodedCompared: 0,
    classifierInputs: 0,
    classifierLoaded: 0,
    reasons: {},
    findings: [],
  };
  for (let i = 0; i < count; i++) {
    const s = seeds[i % seeds.length];
    const { bytes, applied } = mutate(s.bytes, rng);
    if (i < (options.from ?? 0)) continue;
    options.onInput?.(i, bytes);
    let problem: string | null;
    const t0 = performance.now();
    try {
      problem = await checkOne(addon, bytes, report, s.task === 'classification');
    } catch (err) {
      problem = `harness: ${(err as Error).stack}`;
    }
    const ms = performance.now() - t0;
    if (!problem && ms > slowMs) problem = `slow: ${Math.round(ms)} ms for one input`;
    report.inputs++;
    if (problem) report.findings.push({ input: i, seed: s.name, applied, problem });
    if (options.onProgress && (i + 1) % 1000 === 0) options.onProgress(i + 1, report);
  }
  return report;
}
