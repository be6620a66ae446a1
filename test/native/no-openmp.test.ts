// The engine builds and runs without OpenMP (one thread), and builds the same forests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a build with GROVE_OPENMP=OFF loads, reports one thread and fits the same forest', () => {
  const out = mkdtempSync(join(tmpdir(), 'grove-noomp-'));
  const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
  const build = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', out, '--CDGROVE_OPENMP=OFF', '--log-level', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(build.status, 0, build.stderr + build.stdout);
  const script = `
    import { RandomForestRegressor } from ${JSON.stringify(join(root, 'src', 'index.ts'))};
    import { loadNative } from ${JSON.stringify(join(root, 'src', 'forest', 'native.ts'))};
    import { friedman1 } from ${JSON.stringify(join(root, 'src', 'data', 'friedman.ts'))};
    const d = friedman1(2000, 6);
    const m = await new RandomForestRegressor({ nEstimators: 8, threads: 4, splitMode: 'hist', seed: 2 }).fit({ data: d.x, rows: 2000, cols: 10 }, d.y);
    const load = loadNative();
    process.stdout.write(JSON.stringify({ openmp: load.addon.openmp, path: load.path, backend: m.backend, thresholds: Array.from(m.forest.threshold) }));
  `;
  const runWith = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { openmp: boolean; path: string; backend: string; thresholds: number[] };
  };
  const plain = runWith({ GROVE_NATIVE_PATH: join(out, 'Release', 'grove.node') });
  assert.equal(plain.openmp, false);
  assert.equal(plain.backend, 'native');
  const omp = runWith({});
  assert.equal(omp.openmp, true);
  assert.deepEqual(plain.thresholds, omp.thresholds);
});
