// Medians, within-run ratios, issue 2's targets, and the markdown report.
import type { CompetitorId, Mode } from './competitors.js';
import type { BenchDataset } from './datasets.js';
import { sizeLabel } from './datasets.js';
import type { Peers } from './machine.js';
import { growthExponent, mean, median, nLogNExponent } from './stats.js';

export interface Sample {
  rep: number;
  fit_s: number;
  predict_s: number;
  rmse: number;
  peak_rss_kb: number;
  rss_before_fit_kb: number | null;
  wall_s: number;
  /** Busy cores (other processes) measured just before the runner started. */
  busy_cores_before: number | null;
  raw: Record<string, unknown>;
}

export interface Medians {
  fit_s: number | null;
  predict_s: number | null;
  rmse: number | null;
  peak_rss_mb: number | null;
  rss_before_fit_mb: number | null;
}

export interface JobResult {
  dataset: string;
  rows: number;
  nTrain: number;
  competitor: CompetitorId;
  label: string;
  mode: Mode;
  threads: number;
  key: string;
  samples: Sample[];
  failures: string[];
  /** Why it did not run ("skipped (est. 412 s)", "not installed: ..."), or null. */
  skipped: string | null;
  estimatedFitS: number | null;
  median?: Medians;
  /** Median over repetitions of (this fit time / grove hist fit time at the same threads, same repetition). */
  fitRatioVsHist?: number | null;
  predictRatioVsHist?: number | null;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  value: number | null;
  met: boolean | null;
}

export interface Summary {
  per_size: Record<string, Record<string, number | null>>;
  native_vs_js: Record<string, number | null>;
  thread_speedup: Record<string, number | null>;
  growth: { from: string; to: string; n_log_n_exponent: number; exponents: Record<string, number | null> }[];
  targets: Target[];
}

const mb = (kb: number) => kb / 1024;

/** Median over repetitions of a(rep) / b(rep), pairing samples of the same repetition. */
function pairedRatio(a: JobResult | undefined, b: JobResult | undefined, pick: (s: Sample) => number): number | null {
  if (!a || !b) return null;
  const byRep = new Map(b.samples.map((s) => [s.rep, s]));
  const ratios: number[] = [];
  for (const s of a.samples) {
    const o = byRep.get(s.rep);
    if (o && pick(o) > 0) ratios.push(pick(s) / pick(o));
  }
  return median(ratios);
}

export function computeSummary(results: JobResult[], datasets: BenchDataset[]): Summary {
  for (const r of results) {
    const pick = (f: (s: Sample) => number | null) => median(r.samples.map(f).filter((v): v is number => v !== null));
    r.median = {
      fit_s: pick((s) => s.fit_s),
      predict_s: pick((s) => s.predict_s),
      // the mean, not the median: each repetition has its own seed, and the RMSE compared is the forest's expected one
      rmse: mean(r.samples.map((s) => s.rmse).filter((v): v is number => v !== null)),
      peak_rss_mb: pick((s) => mb(s.peak_rss_kb)),
      rss_before_fit_mb: pick((s) => (s.rss_before_fit_kb === null ? null : mb(s.rss_before_fit_kb))),
    };
  }
  const find = (dataset: string, key: string) => results.find((r) => r.dataset === dataset && r.key === key && r.samples.length > 0);
  for (const r of results) {
    const ref = find(r.dataset, `grove/hist/t${r.threads}`);
    r.fitRatioVsHist = pairedRatio(r, ref, (s) => s.fit_s);
    r.predictRatioVsHist = pairedRatio(r, ref, (s) => s.predict_s);
  }

  const perSize: Summary['per_size'] = {};
  const nativeVsJs: Summary['native_vs_js'] = {};
  const threadSpeedup: Summary['thread_speedup'] = {};
  for (const ds of datasets) {
    const d = ds.name;
    const hist2 = find(d, 'grove/hist/t2');
    const exact2 = find(d, 'grove/exact/t2');
    const sk2 = find(d, 'sklearn/-/t2');
    const entry: Record<string, number | null> = {
      hist_fit_speedup_vs_sklearn_t2: pairedRatio(sk2, hist2, (s) => s.fit_s),
      exact_fit_speedup_vs_sklearn_t2: pairedRatio(sk2, exact2, (s) => s.fit_s),
      hist_predict_speedup_vs_sklearn_t2: pairedRatio(sk2, hist2, (s) => s.predict_s),
      hist_fit_speedup_vs_ranger_t2: pairedRatio(find(d, 'ranger/-/t2'), hist2, (s) => s.fit_s),
      hist_fit_speedup_vs_xgboost_t2: pairedRatio(find(d, 'xgboost/-/t2'), hist2, (s) => s.fit_s),
      hist_fit_speedup_vs_sklearn_t1: pairedRatio(find(d, 'sklearn/-/t1'), find(d, 'grove/hist/t1'), (s) => s.fit_s),
      hist_rmse_diff_pct_vs_sklearn: pctDiff(hist2?.median?.rmse ?? find(d, 'grove/hist/t1')?.median?.rmse, (sk2 ?? find(d, 'sklearn/-/t1'))?.median?.rmse),
      exact_rmse_diff_pct_vs_sklearn: pctDiff(exact2?.median?.rmse ?? find(d, 'grove/exact/t1')?.median?.rmse, (sk2 ?? find(d, 'sklearn/-/t1'))?.median?.rmse),
      hist_peak_rss_over_sklearn_t2: ratioOf(hist2?.median?.peak_rss_mb, sk2?.median?.peak_rss_mb),
    };
    perSize[d] = entry;
    for (const mode of ['hist', 'exact'] as const) {
      const js = find(d, `grove-js/${mode}/t1`);
      if (!js) continue;
      nativeVsJs[`${d}/${mode}/native_t2`] = pairedRatio(js, find(d, `grove/${mode}/t2`), (s) => s.fit_s);
      nativeVsJs[`${d}/${mode}/native_t1`] = pairedRatio(js, find(d, `grove/${mode}/t1`), (s) => s.fit_s);
    }
    for (const key of ['grove/hist', 'grove/exact', 'sklearn/-', 'ranger/-', 'xgboost/-']) {
      const v = pairedRatio(find(d, `${key}/t1`), find(d, `${key}/t2`), (s) => s.fit_s);
      if (v !== null) threadSpeedup[`${d}/${key.replace('/-', '')}`] = v;
    }
  }

  const friedman = datasets.filter((d) => d.name !== 'diabetes');
  const growth: Summary['growth'] = [];
  for (let i = 1; i < friedman.length; i++) {
    const a = friedman[i - 1];
    const b = friedman[i];
    const exps: Record<string, number | null> = {};
    for (const key of ['grove/hist/t2', 'grove/hist/t1', 'grove/exact/t2', 'grove/exact/t1', 'sklearn/-/t2', 'ranger/-/t2', 'xgboost/-/t2']) {
      const ta = find(a.name, key)?.median?.fit_s;
      const tb = find(b.name, key)?.median?.fit_s;
      exps[key.replace('/-', '')] = ta && tb ? growthExponent(ta, a.nTrain, tb, b.nTrain) : null;
    }
    growth.push({ from: a.name, to: b.name, n_log_n_exponent: nLogNExponent(a.nTrain, b.nTrain), exponents: exps });
  }

  const targets: Target[] = [];
  const x = (v: number | null | undefined, d = 2) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(d)}×`);
  for (const ds of friedman.filter((f) => f.rows >= 100_000)) {
    const e = perSize[ds.name];
    const L = sizeLabel(ds.rows);
    targets.push(target(`hist fit vs scikit-learn, ${L}, 2 threads`, '>= 5×', e.hist_fit_speedup_vs_sklearn_t2, (v) => v >= 5, x));
    targets.push(
      target(
        `hist test RMSE vs scikit-learn, ${L}`,
        'within 1%',
        e.hist_rmse_diff_pct_vs_sklearn,
        (v) => Math.abs(v) <= 1,
        (v) => (v === null || v === undefined ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`),
      ),
    );
    targets.push(target(`hist predict vs scikit-learn, ${L}, 2 threads`, '>= 2×', e.hist_predict_speedup_vs_sklearn_t2, (v) => v >= 2, x));
  }
  const big = friedman.find((f) => f.rows >= 1_000_000);
  if (big)
    targets.push(
      target(
        `peak RSS grove hist / scikit-learn, ${sizeLabel(big.rows)}, 2 threads`,
        '<= 1.0',
        perSize[big.name].hist_peak_rss_over_sklearn_t2,
        (v) => v <= 1,
        (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(2)),
      ),
    );
  const f100 = friedman.find((f) => f.rows === 100_000);
  if (f100) targets.push(target('native (2 threads) vs pure-TS twin, hist, 100k', '>= 20×', nativeVsJs[`${f100.name}/hist/native_t2`] ?? null, (v) => v >= 20, x));
  for (const ds of friedman) {
    const v = threadSpeedup[`${ds.name}/grove/hist`];
    if (v !== undefined) targets.push(target(`grove hist 2 threads vs 1, ${sizeLabel(ds.rows)}`, '>= 1.8×', v, (s) => s >= 1.8, x));
  }
  for (const g of growth) {
    const v = g.exponents['grove/hist/t2'] ?? null;
    targets.push(
      target(
        `grove hist fit-time growth exponent, ${g.from} -> ${g.to}`,
        `<= ${g.n_log_n_exponent.toFixed(2)} (n log n)`,
        v,
        (e) => e <= g.n_log_n_exponent,
        (e) => (e === null || e === undefined ? 'n/a' : e.toFixed(2)),
      ),
    );
  }
  return { per_size: perSize, native_vs_js: nativeVsJs, thread_speedup: threadSpeedup, growth, targets };
}

function target(name: string, goal: string, value: number | null, ok: (v: number) => boolean, fmt: (v: number | null | undefined) => string): Target {
  return { name, target: goal, measured: fmt(value), value, met: value === null ? null : ok(value) };
}

function pctDiff(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : ((a - b) / b) * 100;
}

function ratioOf(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
}

function sig(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(digits);
}

export interface ReportInput {
  results: JobResult[];
  summary: Summary;
  machine: Record<string, unknown>;
  peers: Peers;
  config: Record<string, unknown>;
  totalS: number;
  /** name -> one JSON line of bench/<script>.ts */
  stages: Record<string, Record<string, unknown>>;
  started: Date;
}

const ORDER: CompetitorId[] = ['grove', 'grove-js', 'sklearn', 'ranger', 'xgboost', 'ml-rf'];

export function renderReport(inp: ReportInput): string {
  const { results, summary, machine, peers } = inp;
  const out: string[] = [];
  out.push(`## grove benchmark (${inp.started.toISOString().slice(0, 10)})`, '');
  out.push(
    `Machine: ${machine.cpu_model}, ${machine.cores} cores, ${machine.memory_gb} GB; Node ${machine.node}; grove ${machine.grove} (OpenMP ${machine.grove_openmp ? 'on' : 'off'}).`,
    `Peers: scikit-learn ${peers.sklearn ?? 'not installed'}, ranger ${peers.ranger ?? 'not installed'}${peers.r ? ` (R ${peers.r})` : ''}, XGBoost ${peers.xgboost ?? 'not installed'}, ml-random-forest ${peers.mlRandomForest ?? 'not installed'}${peers.python ? `; Python ${peers.python}, numpy ${peers.numpy}` : ''}.`,
  );
  const c = inp.config as { forest: Record<string, unknown>; reps: number; reps_large: number; threads_large: number[]; large_rows: number; test_fraction: number };
  out.push(
    `Forest: ${c.forest.n_estimators} trees, max_features ${c.forest.max_features} (3 of 10), min_samples_leaf ${c.forest.min_samples_leaf}, bootstrap; test fraction ${c.test_fraction}. ` +
      `Medians of ${c.reps} runs (${c.reps_large} at ${sizeLabel(c.large_rows)}, threads ${c.threads_large.join(',')}); each fit in its own process, competitors interleaved; ratios paired within a repetition. Repetition r uses seed ${c.forest.seed} + r for every competitor; test RMSE is the mean over those seeds (times and RSS are medians).`,
    '',
  );
  out.push('| dataset | train rows | threads | competitor | mode | fit s | predict s | test RMSE | peak RSS MB | fit ratio vs grove hist | runs |');
  out.push('|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|');
  const dsOrder = [...new Set(results.map((r) => r.dataset))];
  const sorted = [...results].sort(
    (a, b) => dsOrder.indexOf(a.dataset) - dsOrder.indexOf(b.dataset) || a.threads - b.threads || ORDER.indexOf(a.competitor) - ORDER.indexOf(b.competitor) || a.mode.localeCompare(b.mode),
  );
  for (const r of sorted) {
    const name = r.competitor === 'grove' ? 'grove native' : r.competitor === 'grove-js' ? 'grove js twin' : r.label;
    const cells = [r.dataset, String(r.nTrain), String(r.threads), name, r.mode];
    if (r.samples.length === 0) {
      const why = r.skipped ?? (r.failures.length ? `failed: ${r.failures[0]}` : 'no result');
      out.push(`| ${cells.join(' | ')} | ${why.replace(/\|/g, '/')} | | | | | 0 |`);
      continue;
    }
    const m = r.median!;
    const ratio = r.fitRatioVsHist === null || r.fitRatioVsHist === undefined ? '' : `${sig(r.fitRatioVsHist)}×`;
    out.push(
      `| ${cells.join(' | ')} | ${sig(m.fit_s)} | ${sig(m.predict_s)} | ${m.rmse?.toFixed(4) ?? ''} | ${m.peak_rss_mb?.toFixed(0) ?? ''} | ${ratio} | ${r.samples.length}${r.failures.length ? ` (+${r.failures.length} failed)` : ''} |`,
    );
  }
  out.push(
    '',
    '"fit ratio vs grove hist": the competitor\'s fit time divided by grove native hist at the same thread count (single-threaded competitors: vs grove hist on 1 thread); above 1 means grove hist is faster.',
    '',
  );

  out.push('### Targets (issue 2)', '');
  out.push('| target | goal | measured | met |', '|---|---|---|---|');
  for (const t of summary.targets) out.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'} |`);
  out.push('');

  out.push('### Ratios', '');
  for (const [ds, e] of Object.entries(summary.per_size)) {
    const parts: string[] = [];
    const f = (k: string, label: string, unit = '×') => {
      const v = e[k];
      if (v !== null && v !== undefined) parts.push(`${label} ${unit === '%' ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}%` : `${v.toFixed(2)}${unit}`}`);
    };
    f('hist_fit_speedup_vs_sklearn_t2', 'hist fit vs sklearn (2t)');
    f('hist_fit_speedup_vs_sklearn_t1', 'hist fit vs sklearn (1t)');
    f('exact_fit_speedup_vs_sklearn_t2', 'exact fit vs sklearn (2t)');
    f('hist_predict_speedup_vs_sklearn_t2', 'hist predict vs sklearn (2t)');
    f('hist_fit_speedup_vs_ranger_t2', 'hist fit vs ranger (2t)');
    f('hist_fit_speedup_vs_xgboost_t2', 'hist fit vs XGBoost RF (2t)');
    f('hist_rmse_diff_pct_vs_sklearn', 'hist RMSE vs sklearn', '%');
    f('exact_rmse_diff_pct_vs_sklearn', 'exact RMSE vs sklearn', '%');
    f('hist_peak_rss_over_sklearn_t2', 'peak RSS hist/sklearn (2t)', '');
    if (parts.length) out.push(`- ${ds}: ${parts.join('; ')}`);
  }
  const nj = Object.entries(summary.native_vs_js).filter(([, v]) => v !== null);
  if (nj.length) out.push(`- native vs pure-TS twin (twin fit / native fit): ${nj.map(([k, v]) => `${k.replace('/native_', ' native ')} ${v!.toFixed(1)}×`).join('; ')}`);
  const ts = Object.entries(summary.thread_speedup);
  if (ts.length) out.push(`- 2 threads vs 1 (fit time t1 / t2): ${ts.map(([k, v]) => `${k} ${v!.toFixed(2)}×`).join('; ')}`);
  for (const g of summary.growth) {
    const e = Object.entries(g.exponents).filter(([, v]) => v !== null);
    if (e.length) out.push(`- fit-time growth exponent ${g.from} -> ${g.to} (n log n = ${g.n_log_n_exponent.toFixed(2)}): ${e.map(([k, v]) => `${k} ${v!.toFixed(2)}`).join('; ')}`);
  }
  out.push('');

  const skipped = results.filter((r) => r.samples.length === 0);
  if (skipped.length) {
    out.push('### Not run', '');
    for (const r of skipped) out.push(`- ${r.dataset} ${r.key}: ${r.skipped ?? `failed: ${r.failures.join('; ')}`}`);
    out.push('');
  }
  const stage = (name: string, s: Record<string, unknown>) => {
    if ('skipped' in s && Object.keys(s).length === 1) return `- ${name}: ${String(s.skipped)}`;
    if ('error' in s) return `- ${name}: failed: ${String(s.error)}`;
    const { wall_s: _w, ...rest } = s;
    return `- ${name}: ${JSON.stringify(rest)}`;
  };
  out.push('### Other stages', '', ...Object.entries(inp.stages).map(([name, s]) => stage(name, s)), '');
  const all = results.flatMap((r) => r.samples);
  const noisy = all.filter((s) => s.busy_cores_before !== null && s.busy_cores_before >= 0.3).length;
  out.push(
    `Total benchmark time: ${(inp.totalS / 60).toFixed(1)} min; ${all.length} fits. ` +
      (noisy
        ? `${noisy} of them started while other processes kept >= 0.3 cores busy (the harness waits at most 30 s per fit, 240 s in all): this machine is shared, treat those numbers with care (busy_cores_before in the JSON).`
        : 'Every fit started on an otherwise idle machine (< 0.3 cores busy).'),
    '',
  );
  return out.join('\n');
}
