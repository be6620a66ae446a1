/**
 * A/B fit times of two builds of grove on Friedman #1: the native engine (100k rows, exact and
 * hist, 1 and 2 threads) and the pure-TS twin (20k and 100k rows, exact and hist). Each fit runs
 * in a process of its own; the two builds alternate within each repetition (A then B, then B then
 * A), because the shared machine's load drifts. Prints the medians per build of the fit's wall
 * time and CPU time (all threads), B/A, and whether the two builds grew the same forests (a
 * digest of every node array and the OOB sums).
 *
 *   node --import tsx bench/engine-ab.ts --a /path/to/old/tree --b . [--reps 5] [--only native|js]
 *
 * A tree is a checkout with its own build/Release/grove.node and node_modules.
 * One fit alone: --one --root DIR --backend native|js --mode exact|hist --rows N --threads T --trees K
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Config {
  backend: 'native' | 'js';
  mode: 'exact' | 'hist';
  rows: number;
  threads: number;
  trees: number;
}

const CONFIGS: Config[] = [
  { backend: 'native', mode: 'hist', rows: 100_000, threads: 1, trees: 40 },
  { backend: 'native', mode: 'hist', rows: 100_000, threads: 2, trees: 40 },
  { backend: 'native', mode: 'exact', rows: 100_000, threads: 1, trees: 20 },
  { backend: 'native', mode: 'exact', rows: 100_000, threads: 2, trees: 20 },
  { backend: 'js', mode: 'hist', rows: 20_000, threads: 1, trees: 10 },
  { backend: 'js', mode: 'hist', rows: 100_000, threads: 1, trees: 4 },
  { backend: 'js', mode: 'exact', rows: 20_000, threads: 1, trees: 10 },
  { backend: 'js', mode: 'exact', rows: 100_000, threads: 1, trees: 3 },
];

const { values } = parseArgs({
  options: {
    one: { type: 'boolean' },
    root: { type: 'string' },
    backend: { type: 'string' },
    mode: { type: 'string' },
    rows: { type: 'string' },
    threads: { type: 'string' },
    trees: { type: 'string' },
    a: { type: 'string' },
    b: { type: 'string' },
    reps: { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});

async function fitOnce(root: string, c: Config): Promise<{ fit_s: number; cpu_s: number; digest: string }> {
  const grove = await import(resolve(root, 'src/index.ts'));
  const { friedman1 } = await import(resolve(root, 'src/data/friedman.ts'));
  const d = friedman1(c.rows, 1, 1.0);
  const model = new grove.RandomForestRegressor({
    nEstimators: c.trees,
    maxFeatures: 'third',
    minSamplesLeaf: 5,
    seed: 7,
    threads: c.threads,
    splitMode: c.mode,
    backend: c.backend,
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await model.fit({ data: d.x, rows: d.rows, cols: d.cols }, d.y);
  const fit_s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpu_s = (cpu.user + cpu.system) / 1e6; // every thread of the process
  const h = createHash('sha256');
  const f = model.forest;
  for (const a of [f.treeOffsets, f.feature, f.left, f.right, f.nSamples, f.threshold, f.value, f.weightedN, f.impurity]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  if (model.oobPrediction) h.update(new Uint8Array(model.oobPrediction.buffer));
  return { fit_s, cpu_s, digest: h.digest('hex').slice(0, 16) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (values.one) {
  const c: Config = {
    backend: values.backend as Config['backend'],
    mode: values.mode as Config['mode'],
    rows: Number(values.rows),
    threads: Number(values.threads),
    trees: Number(values.trees),
  };
  console.log(JSON.stringify(await fitOnce(values.root!, c)));
} else {
  const roots = { A: resolve(values.a ?? '.'), B: resolve(values.b ?? '.') };
  const reps = Number(values.reps);
  const configs = CONFIGS.filter((c) => !values.only || c.backend === values.only);
  const self = fileURLToPath(import.meta.url);
  type Runs = { A: number[]; B: number[] };
  const times = new Map<string, { wall: Runs; cpu: Runs; digests: Set<string> }>();
  const key = (c: Config) => `${c.backend} ${c.mode} ${c.rows / 1000}k ${c.threads}t ${c.trees} trees`;
  for (let r = 0; r < reps; r++) {
    for (const c of configs) {
      const entry = times.get(key(c)) ?? { wall: { A: [], B: [] }, cpu: { A: [], B: [] }, digests: new Set<string>() };
      times.set(key(c), entry);
      for (const which of r % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const args = ['--import', 'tsx', self, '--one', '--root', roots[which], '--backend', c.backend, '--mode', c.mode];
        args.push('--rows', String(c.rows), '--threads', String(c.threads), '--trees', String(c.trees));
        const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', cwd: roots[which] }).trim().split('\n').pop()!);
        entry.wall[which].push(out.fit_s);
        entry.cpu[which].push(out.cpu_s);
        entry.digests.add(out.digest);
        process.stderr.write(`rep ${r} ${key(c)} ${which}: ${out.fit_s.toFixed(3)} s wall, ${out.cpu_s.toFixed(3)} s cpu ${out.digest}\n`);
      }
    }
  }
  // CPU time (all threads) is the steadier figure on a loaded machine; wall time is what a user waits
  console.log(`| config | wall A | wall B | B/A | cpu A | cpu B | B/A | same forests |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const [k, e] of times) {
    const [wa, wb, ca, cb] = [median(e.wall.A), median(e.wall.B), median(e.cpu.A), median(e.cpu.B)];
    const cells = [wa, wb].map((v) => v.toFixed(3)).concat((wb / wa).toFixed(3), ca.toFixed(3), cb.toFixed(3), (cb / ca).toFixed(3));
    console.log(`| ${k} | ${cells.join(' | ')} | ${e.digests.size === 1 ? 'yes' : 'NO'} |`);
  }
}
