// The npm package as a user gets it: build and pack a copy of this checkout, install the
// tarball into a fresh project on a PATH without cmake (so grove's own source build cannot
// run; g++ stays because better-sqlite3 compiles from source on this machine), then use it
// from the CLI, from an ESM consumer and from TypeScript. Then the fallbacks: a corrupt
// prebuild, and a tarball without prebuilds that must compile from source.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'grove-package-'));
const stage = join(work, 'stage');
const app = join(work, 'app');
const installed = join(app, 'node_modules', 'grove');
const prebuild = join(installed, 'prebuilds', `${process.platform}-${process.arch}`, 'grove.glibc.node');
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
let tarball = '';

// Every command on this PATH except cmake: links to everything else, first one found wins.
function pathWithoutCmake(): string {
  const bin = join(work, 'bin-no-cmake');
  mkdirSync(bin);
  const dirs = [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)];
  const seen = new Set<string>(['cmake']);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 900_000, ...options });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.signal ?? r.status}):\n${out.slice(-4000)}`);
  return { stdout: String(r.stdout), stderr: String(r.stderr) };
}

const noCmakeEnv = () => ({ ...process.env, PATH: noCmakePath, GROVE_NATIVE_PATH: '', npm_config_audit: 'false', npm_config_fund: 'false' });
let noCmakePath = '';

const consumerJs = `
import { RandomForestRegressor } from 'grove';
const rows = 300, cols = 3, data = new Float64Array(rows * cols), y = new Float64Array(rows);
for (let i = 0; i < rows; i++) {
  for (let j = 0; j < cols; j++) data[i * cols + j] = ((i * 7 + j * 13) % 29) / 29;
  y[i] = 3 * data[i * cols] - data[i * cols + 1];
}
const model = await new RandomForestRegressor({ nEstimators: 20, seed: 3 }).fit({ data, rows, cols }, y);
const p = await model.predict({ data, rows, cols });
console.log(JSON.stringify({ backend: model.backend, n: p.length, finite: p.every(Number.isFinite) }));
`;

const consumerTs = `
import { RandomForestRegressor, GroveError, type RandomForestParams } from 'grove';
const params: RandomForestParams = { nEstimators: 5, maxDepth: 4, seed: 1 };
const model = new RandomForestRegressor(params);
async function main(): Promise<number> {
  await model.fit([[1, 2], [3, 4], [5, 6]], [1, 2, 3]);
  const p: Float64Array = await model.predict([[1, 2]]);
  return p[0];
}
export const done: Promise<number> = main();
export const isGroveError = (e: unknown): boolean => e instanceof GroveError;
// Fails the check if the shipped types resolved to 'any' (the directive would then be unused).
// @ts-expect-error a misspelt hyperparameter is a type error
new RandomForestRegressor({ nEstimatorz: 5 });
`;

before(() => {
  noCmakePath = pathWithoutCmake();
  assert.ok(spawnSync('cmake', ['--version'], { env: { PATH: noCmakePath } }).error, 'cmake must not be on the test PATH');

  // A copy of the working tree, so the checkout's own dist/ and prebuilds/ stay untouched.
  mkdirSync(stage);
  for (const f of ['bin', 'scripts', 'src', 'native', 'data', 'package.json', 'tsconfig.json', 'CMakeLists.txt', 'README.md', 'LICENSE']) {
    if (existsSync(join(repo, f))) cpSync(join(repo, f), join(stage, f), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'));
  run('npm', ['pack', '--pack-destination', work], { cwd: stage });
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);

  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'grove-consumer', private: true, type: 'module' }));
  writeFileSync(join(app, 'consumer.mjs'), consumerJs);
  const install = run('npm', ['install', tarball, '--foreground-scripts'], { cwd: app, env: noCmakeEnv() });
  assert.match(install.stdout + install.stderr, /using the prebuilt native engine prebuilds\/linux-x64\/grove\.glibc\.node/);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds the compiled JS, types, the linux-x64 prebuild, the C++ sources and the data, and nothing else', () => {
  const list = run('tar', ['tzf', tarball])
    .stdout.trim()
    .split('\n')
    .map((p) => p.replace(/^package\//, ''));
  for (const f of [
    'dist/index.js',
    'dist/index.d.ts',
    'dist/cli/main.js',
    'prebuilds/linux-x64/grove.glibc.node',
    'CMakeLists.txt',
    'native/addon/addon.cpp',
    'data/diabetes.csv',
    'data/breast-cancer.csv',
    'bin/grove.js',
    'scripts/install.cjs',
    'package.json',
  ]) {
    assert.ok(list.includes(f), `${f} missing from the tarball`);
  }
  const stray = list.filter((p) => /^(src|test|bench|build|\.ci|node_modules)\/|\.map$|\.tgz$|\.db$/.test(p));
  assert.deepEqual(stray, []);
  assert.ok(statSync(tarball).size < 5 * 1024 * 1024, `tarball is ${statSync(tarball).size} bytes`);
});

test('npx grove train runs on the prebuilt native engine', () => {
  const r = run('npx', ['grove', 'train', 'diabetes', '--trees', '20', '--json', '--no-track'], { cwd: app, env: noCmakeEnv() });
  assert.equal(JSON.parse(r.stdout).backend, 'native');
  assert.doesNotMatch(r.stderr, /native engine unavailable/);
  assert.ok(!existsSync(join(installed, 'build')), 'the install must not have compiled anything');
});

test('an ESM consumer imports RandomForestRegressor from grove, fits and predicts', () => {
  const r = run(process.execPath, ['consumer.mjs'], { cwd: app, env: noCmakeEnv() });
  assert.deepEqual(JSON.parse(r.stdout), { backend: 'native', n: 300, finite: true });
});

test('a TypeScript consumer type-checks against the shipped .d.ts', () => {
  writeFileSync(join(app, 'consumer.ts'), consumerTs);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        // As most projects do (tsc --init): arquero's own .d.ts do not pass a strict lib check.
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(repo, 'node_modules', '@types')],
      },
      files: ['consumer.ts'],
    }),
  );
  run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: app });
});

test('GROVE_NATIVE_PATH makes the installed loader pick the given binary', () => {
  const copy = join(work, 'override', 'grove.node');
  mkdirSync(dirname(copy), { recursive: true });
  copyFileSync(prebuild, copy);
  const script = `import { loadNative } from ${JSON.stringify(join(installed, 'dist', 'forest', 'native.js'))}; console.log(loadNative().path);`;
  const r = run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: { ...noCmakeEnv(), GROVE_NATIVE_PATH: copy } });
  assert.equal(r.stdout.trim(), copy);
});

test('a corrupt prebuild and no way to build: the install still succeeds, names cmake, and grove warns once on the pure-TS backend', () => {
  const saved = join(work, 'saved.node');
  copyFileSync(prebuild, saved);
  try {
    writeFileSync(prebuild, Buffer.alloc(256, 1));
    const install = run(process.execPath, [join(installed, 'scripts', 'install.cjs')], { cwd: installed, env: noCmakeEnv() });
    assert.match(install.stderr, /prebuilt binary did not load: .*grove\.glibc\.node/);
    assert.match(install.stderr, /warning: the native engine is not available; missing: cmake/);
    assert.match(install.stderr, /pure-TS backend/);

    const r = run('npx', ['grove', 'train', 'diabetes', '--trees', '5', '--json', '--no-track'], { cwd: app, env: noCmakeEnv() });
    assert.equal(JSON.parse(r.stdout).backend, 'js');
    const warnings = r.stderr.split('\n').filter((l) => l.includes('native engine unavailable'));
    assert.equal(warnings.length, 1, r.stderr);
  } finally {
    copyFileSync(saved, prebuild);
  }
});

test('without the prebuild, the install compiles from source (cmake on PATH) and the native engine loads', () => {
  const unpack = join(work, 'repack');
  mkdirSync(unpack);
  run('tar', ['xzf', tarball, '-C', unpack]);
  rmSync(join(unpack, 'package', 'prebuilds'), { recursive: true });
  const bare = join(work, 'grove-no-prebuild.tgz');
  run('tar', ['czf', bare, '-C', unpack, 'package']);

  const env = { ...process.env, GROVE_NATIVE_PATH: '' };
  const install = run('npm', ['install', bare, '--foreground-scripts', '--no-audit', '--no-fund'], { cwd: app, env });
  assert.match(install.stdout + install.stderr, /built the native engine from source/);
  assert.ok(!existsSync(join(installed, 'prebuilds')));
  assert.ok(existsSync(join(installed, 'build', 'Release', 'grove.node')));

  const script = `import { loadNative } from ${JSON.stringify(join(installed, 'dist', 'forest', 'native.js'))}; const l = loadNative(); console.log(JSON.stringify({ path: l.path, openmp: l.addon?.openmp }));`;
  const load = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env }).stdout);
  assert.deepEqual(load, { path: join(installed, 'build', 'Release', 'grove.node'), openmp: true });
  assert.deepEqual(JSON.parse(run(process.execPath, ['consumer.mjs'], { cwd: app, env }).stdout), { backend: 'native', n: 300, finite: true });
});
