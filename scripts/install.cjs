#!/usr/bin/env node
// grove's npm "install" step. In order: a shipped prebuild that actually loads (tried in a
// child process, so a binary that cannot be mapped or crashes cannot take the install down);
// else a source build with cmake-js; else a warning naming what is missing, and grove runs
// on the pure-TS backend (it says so again, once per process, when it starts).
// In a source checkout (src/ present: the package ships no .ts) it always builds, and a failed
// build fails the install, so developers and CI never test the TS twin by accident.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const root = join(__dirname, '..');
const checkout = existsSync(join(root, 'src'));
const localBuild = join(root, 'build', 'Release', 'grove.node');
const say = (msg) => process.stderr.write(`grove: ${msg}\n`);

// Loads the first path that is a grove addon; prints { path, openmp, errors } as JSON.
const probe = `
const errors = [];
for (const p of JSON.parse(process.argv[1])) {
  try {
    const a = require(p);
    if (typeof a.fit !== 'function') throw new Error('not a grove addon');
    console.log(JSON.stringify({ path: p, openmp: a.openmp, errors }));
    process.exit(0);
  } catch (e) { errors.push(p + ': ' + String(e.message).split('\\n')[0]); }
}
console.log(JSON.stringify({ path: null, errors }));`;

function tryLoad(paths) {
  if (paths.length === 0) return { path: null, errors: [] };
  const r = spawnSync(process.execPath, ['-e', probe, JSON.stringify(paths)], { encoding: 'utf8' });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { path: null, errors: [`${paths[0]}: the loading process died (${r.signal || `exit ${r.status}`})`] };
  }
}

// The prebuild names come from the runtime loader itself (platform, arch, glibc/musl tag).
async function prebuilds() {
  const loader = join(root, 'dist', 'forest', 'native.js');
  if (!existsSync(loader)) return [];
  return (await import(pathToFileURL(loader).href)).prebuildCandidates(root);
}

const works = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
};

function missingTools() {
  const missing = [];
  if (!works('cmake', ['--version'])) missing.push('cmake');
  // cmake-js finds MSVC through Visual Studio's installer; elsewhere the compiler is on PATH.
  if (process.platform !== 'win32') {
    const compilers = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
    if (!compilers.some((c) => works(c, ['--version']))) missing.push('a C++17 compiler (g++ or clang++)');
  }
  return missing;
}

function compile() {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--log-level', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    stdio: checkout ? 'inherit' : 'pipe',
  });
  const output = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-15).join('\n');
  return { ok: !r.error && r.status === 0, output };
}

const openmpHint = process.platform === 'darwin' ? 'the OpenMP runtime (brew install libomp)' : 'the OpenMP runtime libgomp.so.1 (apt-get install libgomp1, dnf install libgomp, apk add libgomp)';

async function main() {
  const problems = [];
  if (!checkout) {
    const pre = tryLoad(await prebuilds());
    if (pre.path) {
      say(`using the prebuilt native engine ${pre.path.slice(root.length + 1)}${pre.openmp ? '' : ' (single-threaded: built without OpenMP)'}`);
      return 0;
    }
    for (const e of pre.errors) say(`prebuilt binary did not load: ${e}`);
    if (pre.errors.some((e) => /libgomp|libomp|vcomp/i.test(e))) problems.push(openmpHint);
  }

  const tools = missingTools();
  const built = tools.length === 0 ? compile() : { ok: false, output: '' };
  if (built.ok) {
    const load = tryLoad([localBuild]);
    if (load.path) {
      if (!load.openmp) say(`warning: the native engine was built without OpenMP and runs single-threaded; install ${openmpHint} and the compiler's OpenMP support, then run \`npm rebuild grove\``);
      else if (!checkout) say('built the native engine from source');
      return 0;
    }
    problems.push(`a loadable build (${load.errors.join('; ')})`);
  } else if (tools.length > 0) {
    problems.push(...tools);
  } else {
    problems.push(`a working source build; cmake-js said:\n${built.output}`);
  }

  const what = `the native engine is not available; missing: ${problems.join(', ')}.`;
  if (checkout) {
    say(`error: ${what}`);
    return 1;
  }
  say(`warning: ${what}`);
  say('grove will run on the pure-TS backend (same results, slower). Install what is missing, then run `npm rebuild grove`.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    say(`warning: install step failed (${err?.message}); grove will run on the pure-TS backend`);
    process.exit(checkout ? 1 : 0);
  },
);
