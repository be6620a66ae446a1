// ONNX export benchmark (issue 19): ONNX Runtime (onnxruntime-node, CPU) against grove's own
// predictor on the same rows and the same forest, plus export time and file sizes. Prints one
// JSON line. Timings are medians of interleaved repetitions (the machine is shared and noisy);
// each side is timed on ready inputs: a column-major Float64Array for grove, float32 tensors
// for ONNX Runtime (building them is timed separately as onnx_feed_s).
// Usage: node --import tsx bench/onnx.ts [--train-rows 20000] [--rows 10000] [--trees 100] [--reps 7]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { RandomForestRegressor } from '../src/index.js';
import { friedman1 } from '../src/data/friedman.js';
import { median } from './lib/stats.js';

const quick = process.env.BENCH_QUICK === '1';
const { values: args } = parseArgs({
  options: {
    'train-rows': { type: 'string', default: quick ? '5000' : '20000' },
    rows: { type: 'string', default: quick ? '2000' : '10000' },
    trees: { type: 'string', default: '100' },
    reps: { type: 'string', default: quick ? '3' : '7' },
  },
});
const trainRows = Number(args['train-rows']);
const rows = Number(args.rows);
const trees = Number(args.trees);
const reps = Number(args.reps);
const cores = availableParallelism();

const train = friedman1(trainRows, 1);
const fresh = friedman1(rows, 2);
const model = await new RandomForestRegressor({ nEstimators: trees, seed: 1, splitMode: 'exact', threads: cores }).fit({ data: train.x, rows: trainRows, cols: train.cols, layout: 'row' }, train.y, {
  featureNames: train.featureNames,
});

const t0 = performance.now();
const exported = model.onnxExport();
const exportS = (performance.now() - t0) / 1000;
const groveBytes = model.toBuffer();

// the same rows for both sides, as float32 values so both take the same branches
const cols = fresh.cols;
const x = new Float64Array(rows * cols);
for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) x[j * rows + i] = Math.fround(fresh.x[i * cols + j]);
const matrix = { data: x, rows, cols, layout: 'col' as const };
const feed = () => {
  const feeds: Record<string, ort.Tensor> = {};
  fresh.featureNames.forEach((name, j) => {
    feeds[name] = new ort.Tensor('float32', Float32Array.from(x.subarray(j * rows, (j + 1) * rows)), [rows, 1]);
  });
  return feeds;
};

const s0 = performance.now();
const sessions = {
  t1: await ort.InferenceSession.create(exported.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
  all: await ort.InferenceSession.create(exported.bytes, { intraOpNumThreads: cores, interOpNumThreads: 1 }),
};
const sessionS = (performance.now() - s0) / 2000;

const groveT1 = RandomForestRegressor.fromBuffer(groveBytes, { threads: 1 });
const groveAll = RandomForestRegressor.fromBuffer(groveBytes, { threads: cores });
const groveJs = RandomForestRegressor.fromBuffer(groveBytes, { backend: 'js' });

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const s = performance.now();
  await fn();
  return (performance.now() - s) / 1000;
};
const samples: Record<string, number[]> = { grove_native_t1: [], grove_native_all: [], grove_js: [], onnx_t1: [], onnx_all: [], onnx_feed: [] };
const feeds = feed();
let maxDiff = 0;
for (let r = 0; r < reps + 1; r++) {
  const warm = r === 0; // first round warms caches and lazy native handles
  const put = (k: string, s: number) => void (warm || samples[k].push(s));
  put('grove_native_t1', await time(() => groveT1.predict(matrix)));
  put('grove_native_all', await time(() => groveAll.predict(matrix)));
  put('onnx_t1', await time(() => sessions.t1.run(feeds)));
  put('onnx_all', await time(() => sessions.all.run(feeds)));
  put('onnx_feed', await time(async () => feed()));
  if (r < 2) put('grove_js', await time(() => groveJs.predict(matrix))); // the TS twin is slow: two runs
  if (r === 0) {
    const a = await groveAll.predict(matrix);
    const b = (await sessions.all.run(feeds)).prediction.data as Float32Array;
    for (let i = 0; i < rows; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
}
await sessions.t1.release();
await sessions.all.release();

// optional: the onnx package's checker, where Debian's python3-onnx is installed
let checker: unknown = 'python3-onnx not installed';
if (spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0) {
  const dir = mkdtempSync(join(tmpdir(), 'grove-bench-onnx-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, exported.bytes);
    const script = fileURLToPath(new URL('../scripts/onnx-check.py', import.meta.url));
    const r = spawnSync('/usr/bin/python3', [script, file], { encoding: 'utf8' });
    checker = r.status === 0 ? 'ok' : `failed: ${r.stdout.trim() || r.stderr.trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (k: string) => {
  const m = median(samples[k]);
  return m === null ? null : Math.round(m * 1e5) / 100;
};
const ratio = (a: string, b: string) => {
  const x = median(samples[a]);
  const y = median(samples[b]);
  return x && y ? Math.round((x / y) * 100) / 100 : null;
};
process.stdout.write(
  JSON.stringify({
    bench: 'onnx',
    data: `friedman1 ${trainRows} training rows, ${rows} new rows x ${cols} features`,
    trees: model.nTrees,
    nodes: model.forest.feature.length,
    cores,
    reps,
    onnxruntime_node: ort.env.versions.node,
    export_s: Math.round(exportS * 1000) / 1000,
    session_create_s: Math.round(sessionS * 1000) / 1000,
    grove_file_bytes: groveBytes.length,
    onnx_file_bytes: exported.bytes.length,
    grove_file_gzip_bytes: gzipSync(groveBytes).length,
    onnx_file_gzip_bytes: gzipSync(exported.bytes).length,
    predict_ms: {
      grove_native_1_thread: ms('grove_native_t1'),
      grove_native_all_threads: ms('grove_native_all'),
      grove_js: ms('grove_js'),
      onnxruntime_1_thread: ms('onnx_t1'),
      onnxruntime_all_threads: ms('onnx_all'),
      onnxruntime_feed_build: ms('onnx_feed'),
    },
    onnx_over_grove_1_thread: ratio('onnx_t1', 'grove_native_t1'),
    onnx_over_grove_all_threads: ratio('onnx_all', 'grove_native_all'),
    max_abs_diff: maxDiff,
    onnx_checker: checker,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n',
);
