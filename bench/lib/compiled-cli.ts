// The stages that time `grove` commands run bin/grove.js, which runs the TypeScript sources
// through tsx when dist/ is missing or older than src/: a start-up about twice as slow as the
// compiled CLI installed users run. Stages build dist/ first so their numbers are the compiled ones.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** What bin/grove.js will run: the same test it makes. */
export function cliMode(): 'compiled' | 'sources (tsx)' {
  const compiled = join(root, 'dist', 'cli', 'main.js');
  if (process.env.GROVE_FROM_SOURCE || !existsSync(compiled)) return 'sources (tsx)';
  return statSync(compiled).mtimeMs >= newestMtime(join(root, 'src')) ? 'compiled' : 'sources (tsx)';
}

/**
 * Compiles into a new directory and swaps it in with two renames, so a `grove` started meanwhile
 * (tests in the same checkout) never imports a half-written dist/: while dist/ is absent for a
 * moment, bin/grove.js runs the sources. GROVE_BENCH_NO_BUILD=1 keeps whatever is there.
 */
export function ensureCompiled(log: (s: string) => void): void {
  if (cliMode() === 'compiled' || process.env.GROVE_BENCH_NO_BUILD === '1' || process.env.GROVE_FROM_SOURCE) return;
  log('dist/ is missing or older than src/: tsc -p tsconfig.json');
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const fresh = join(root, `.dist-bench-${tag}`);
  const old = join(root, `.dist-old-${tag}`);
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', fresh], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    rmSync(fresh, { recursive: true, force: true });
    throw new Error(`tsc -p tsconfig.json failed (exit ${r.status}); GROVE_BENCH_NO_BUILD=1 runs the sources instead`);
  }
  const dist = join(root, 'dist');
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(fresh, dist);
  rmSync(old, { recursive: true, force: true });
}
