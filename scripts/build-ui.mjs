#!/usr/bin/env node
// Bundles the dashboard front-end (src/ui/client/main.ts and the CSS it imports, uPlot's
// included) into src/ui/static/app.js and app.css with esbuild. `grove ui` runs it when the
// bundle is missing or older than the client sources; `npm run build:ui` runs it by hand.
// With --dist (prepack) it also copies src/ui/static/ to dist/ui/static/, which the npm package ships.
import { cpSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildUi(root = ROOT) {
  const esbuild = await import('esbuild');
  const started = Date.now();
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src/ui/client/main.ts')],
    outfile: join(root, 'src/ui/static/app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
    tsconfig: join(root, 'src/ui/client/tsconfig.json'),
  });
  return Date.now() - started;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ms = await buildUi();
  process.stderr.write(`grove: src/ui/static/app.js built in ${ms} ms\n`);
  if (process.argv.includes('--dist')) {
    cpSync(join(ROOT, 'src/ui/static'), join(ROOT, 'dist/ui/static'), { recursive: true });
    process.stderr.write('grove: dist/ui/static/ written\n');
  }
}
