#!/usr/bin/env node
// Before publishing: every binary the loader may look for is in prebuilds/, with the runtime
// DLLs that ship next to it, and nothing is empty. Exits 1 with the list of what is missing.
// `--only linux-x64` checks a subset (what the development machine can build).
'use strict';
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const expected = {
  'linux-x64': ['grove.glibc.node', 'grove.musl.node'],
  'linux-arm64': ['grove.glibc.node', 'grove.musl.node'],
  // libomp.dylib is absent when the macOS leg fell back to a single-threaded build: optional.
  'darwin-x64': ['grove.node'],
  'darwin-arm64': ['grove.node'],
  'win32-x64': ['grove.node', 'vcomp140.dll'],
};

const i = process.argv.indexOf('--only');
const targets = i > 0 ? process.argv[i + 1].split(',') : Object.keys(expected);
const missing = [];
for (const target of targets) {
  for (const name of expected[target] ?? []) {
    const path = join(root, 'prebuilds', target, name);
    if (!existsSync(path) || statSync(path).size === 0) missing.push(`prebuilds/${target}/${name}`);
    else process.stdout.write(`ok ${target}/${name} (${statSync(path).size} bytes)\n`);
  }
  if (!expected[target]) missing.push(`unknown target ${target}`);
}
if (missing.length > 0) {
  process.stderr.write(`missing prebuilds:\n  ${missing.join('\n  ')}\n`);
  process.exit(1);
}
