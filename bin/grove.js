#!/usr/bin/env node
// The `grove` command. The npm package ships dist/ and no src/, so it runs dist/cli/main.js.
// In a source checkout it runs the TypeScript sources through tsx unless dist/ was built after
// the newest source file: a stale dist/ must never shadow newer sources (tests spawn this file).
// GROVE_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const sources = join(root, 'src');

// Directories count too: deleting or renaming a source file touches its directory.
function newestMtime(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function useCompiled() {
  if (process.env.GROVE_FROM_SOURCE || !existsSync(compiled)) return false;
  return !existsSync(sources) || statSync(compiled).mtimeMs >= newestMtime(sources);
}

if (useCompiled()) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(sources, 'cli', 'main.ts')).href);
}
