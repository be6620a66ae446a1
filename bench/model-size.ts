// Model size and memory benchmark (issue 15). Prints one JSON line.
//   bytes per node of the model file, v1 vs v2 (with and without the stats section), for hist
//   and exact forests, beside scikit-learn's pickle (protocol 5) of a forest of the same size
//   (same rows, trees, min_samples_leaf; /usr/bin/python3, skipped with a note without sklearn);
//   peak RSS at 1M rows (leaf 1 and leaf 5) for fit, fit + save and fit + register (SQLite),
//   each in its own process, beside scikit-learn's peak for the same fit.
// Usage: node --import tsx bench/model-size.ts [--rows 100000] [--trees 10] [--big-rows 1000000] [--big-trees 8]
// BENCH_QUICK=1 shrinks everything.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { friedman1 } from '../src/data/friedman.js';
import { RandomForestRegressor } from '../src/forest/regressor.js';
import { recordRun } from '../src/track/record-run.js';
import { openStore } from '../src/track/tracking-uri.js';

const quick = process.env.BENCH_QUICK === '1';
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: quick ? '20000' : '100000' },
    trees: { type: 'string', default: quick ? '4' : '10' },
    'big-rows': { type: 'string', default: quick ? '100000' : '1000000' },
    'big-trees': { type: 'string', default: quick ? '2' : '8' },
    child: { type: 'string' },
    leaf: { type: 'string' },
  },
});
const MiB = 2 ** 20;
const script = fileURLToPath(import.meta.url);

const SKLEARN = `
import pickle, resource, sys, json
try:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.datasets import make_friedman1
except ImportError as e:
    print(json.dumps({"skipped": "scikit-learn is not installed for /usr/bin/python3: " + str(e)})); sys.exit(0)
rows, trees, leaf, want_pickle = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
X, y = make_friedman1(n_samples=rows, n_features=10, noise=1.0, random_state=0)
m = RandomForestRegressor(n_estimators=trees, min_samples_leaf=leaf, max_features=3, n_jobs=2, random_state=0).fit(X, y)
nodes = sum(e.tree_.node_count for e in m.estimators_)
out = {"nodes": nodes, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
if want_pickle:
    b = len(pickle.dumps(m, protocol=5))
    out.update({"pickle_bytes": b, "pickle_bytes_per_node": round(b / nodes, 2)})
print(json.dumps(out))
`;

function sklearn(rows: number, trees: number, leaf: number, pickle: boolean): Record<string, unknown> {
  const r = spawnSync('/usr/bin/python3', ['-c', SKLEARN, String(rows), String(trees), String(leaf), pickle ? '1' : '0'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error || r.status !== 0) return { skipped: `python3 failed: ${r.error?.message ?? r.stderr.trim().split('\n').pop()}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** One measured job in its own process: fit (and save / register); its peak RSS. */
async function child(mode: string, rows: number, trees: number, leaf: number): Promise<void> {
  const d = friedman1(rows, 0);
  const X = { data: d.x, rows, cols: d.cols, layout: 'row' as const };
  const afterData = process.memoryUsage().rss;
  const t0 = performance.now();
  const m = await new RandomForestRegressor({ nEstimators: trees, minSamplesLeaf: leaf, maxFeatures: 'third', seed: 0, threads: 2 }).fit(X, d.y);
  const fitS = (performance.now() - t0) / 1000;
  const fitPeak = process.resourceUsage().maxRSS * 1024;
  const dir = mkdtempSync(join(tmpdir(), 'grove-model-size-'));
  const out: Record<string, unknown> = {
    mode,
    rows,
    trees,
    leaf,
    split_mode: m.splitMode,
    nodes: m.forest.feature.length,
    fit_s: +fitS.toFixed(1),
    data_rss_mib: Math.round(afterData / MiB),
    fit_peak_rss_mib: Math.round(fitPeak / MiB),
  };
  try {
    const t1 = performance.now();
    if (mode === 'save') await m.save(join(dir, 'model.grove'));
    if (mode === 'register') {
      const store = await openStore(join(dir, 'grove.db'), { create: true });
      try {
        await recordRun(store, { experiment: 'bench', params: {}, metrics: {}, modelBytes: m.toChunks(), register: 'big' });
      } finally {
        await store.close();
      }
    }
    if (mode !== 'fit') out[`${mode}_s`] = +((performance.now() - t1) / 1000).toFixed(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out.peak_rss_mib = Math.round((process.resourceUsage().maxRSS * 1024) / MiB);
  process.stdout.write(JSON.stringify(out) + '\n');
}

function runChild(mode: string, rows: number, trees: number, leaf: number): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', mode, '--big-rows', String(rows), '--big-trees', String(trees), '--leaf', String(leaf)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) return { mode, leaf, error: r.stderr.trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function sizes(rows: number, trees: number): Promise<Record<string, unknown>[]> {
  const d = friedman1(rows, 0);
  const X = { data: d.x, rows, cols: d.cols, layout: 'row' as const };
  const out: Record<string, unknown>[] = [];
  for (const leaf of [1, 5]) {
    const sk = sklearn(rows, trees, leaf, true);
    for (const splitMode of ['hist', 'exact'] as const) {
      const m = await new RandomForestRegressor({ nEstimators: trees, minSamplesLeaf: leaf, maxFeatures: 'third', seed: 0, splitMode, threads: 2 }).fit(X, d.y);
      const nodes = m.forest.feature.length;
      let v1 = 0;
      for (const c of m.toChunks({ version: 1 })) v1 += c.length;
      let v2 = 0;
      for (const c of m.toChunks()) v2 += c.length;
      let core = 0;
      for (const c of m.toChunks({ stats: false })) core += c.length;
      out.push({
        split_mode: splitMode,
        rows,
        trees,
        leaf,
        nodes,
        v1_bytes_per_node: +(v1 / nodes).toFixed(2),
        v2_bytes_per_node: +(v2 / nodes).toFixed(2),
        v2_without_stats_bytes_per_node: +(core / nodes).toFixed(2),
        v2_file_mib: +(v2 / MiB).toFixed(1),
        sklearn_pickle: sk,
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const rows = Number(args.rows);
  const trees = Number(args.trees);
  const bigRows = Number(args['big-rows']);
  const bigTrees = Number(args['big-trees']);
  const sizeRows = await sizes(rows, trees);
  const peaks: Record<string, unknown>[] = [];
  for (const leaf of [1, 5]) {
    for (const mode of ['fit', 'save', 'register']) peaks.push(runChild(mode, bigRows, bigTrees, leaf));
    peaks.push({ mode: 'sklearn fit', rows: bigRows, trees: bigTrees, leaf, ...sklearn(bigRows, bigTrees, leaf, false) });
  }
  process.stdout.write(
    JSON.stringify({
      note: `sizes: friedman1 ${rows} rows, ${trees} trees, max_features 3 of 10, bootstrap, seed 0; peak RSS: ${bigRows} rows, ${bigTrees} trees (reduced from 100 to keep the stage short), 2 threads, each job in its own process (process.resourceUsage().maxRSS; python: ru_maxrss). sklearn: make_friedman1, n_jobs 2, float64 input`,
      sizes: sizeRows,
      peak_rss: peaks,
    }) + '\n',
  );
}

if (args.child) await child(args.child, Number(args['big-rows']), Number(args['big-trees']), Number(args.leaf));
else await main();
