#!/usr/bin/env node
// `npm run build`: what the npm package needs. Compiles the addon (cmake-js) and the
// TypeScript (tsc into a clean dist/, so no output of a deleted source is shipped), then
// copies the addon to prebuilds/<platform>-<arch>/, the name the runtime loader looks for.
// `--no-native` skips the addon (the publish job, which downloads every prebuild instead).
'use strict';
const { spawnSync } = require('node:child_process');
const { copyFileSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const native = !process.argv.includes('--no-native');

function run(script, args) {
  // Progress goes to stderr: `npm pack --json` runs this as prepack and its stdout must stay JSON.
  const r = spawnSync(process.execPath, [require.resolve(script), ...args], { cwd: root, stdio: [0, 2, 2] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** prebuilds/<platform>-<arch>/grove[.glibc|.musl].node: Linux names carry the C library. */
function prebuildName() {
  if (process.platform !== 'linux') return 'grove.node';
  let musl = false;
  try {
    musl = readdirSync('/lib').some((f) => f.startsWith('ld-musl-'));
  } catch {}
  return musl ? 'grove.musl.node' : 'grove.glibc.node';
}

if (native) run('cmake-js/bin/cmake-js', ['compile', '--log-level', 'warn']);
rmSync(join(root, 'dist'), { recursive: true, force: true });
run('typescript/bin/tsc', ['-p', 'tsconfig.json']);
if (native) {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(dir, { recursive: true });
  const target = join(dir, prebuildName());
  copyFileSync(join(root, 'build', 'Release', 'grove.node'), target);
  process.stderr.write(`grove: ${target.slice(root.length + 1)}\n`);
}
