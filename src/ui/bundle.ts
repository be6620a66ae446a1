// Where the dashboard's static files live, and building the front-end bundle on demand: in a
// source checkout `grove ui` rebuilds src/ui/static/app.js when it is missing or older than the
// client sources (esbuild, a dev dependency); the npm package ships the built files in
// dist/ui/static/ (npm run build:ui -- --dist, run by prepack).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GroveError } from '../errors.js';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new GroveError('INTERNAL', 'cannot find the grove package root');
    dir = up;
  }
  return dir;
}

export const ROOT = packageRoot();
const CLIENT_DIR = join(ROOT, 'src', 'ui', 'client');
export const STATIC_DIR = existsSync(CLIENT_DIR) ? join(ROOT, 'src', 'ui', 'static') : join(ROOT, 'dist', 'ui', 'static');
const BUNDLE = join(STATIC_DIR, 'app.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds the bundle if needed; returns how long the build took (0: it was up to date). */
export async function ensureBundle(): Promise<number> {
  const haveSources = existsSync(CLIENT_DIR);
  const fresh = existsSync(BUNDLE) && (!haveSources || statSync(BUNDLE).mtimeMs >= newestMtime(CLIENT_DIR));
  if (fresh) return 0;
  const script = join(ROOT, 'scripts', 'build-ui.mjs');
  if (!haveSources || !existsSync(script)) {
    throw new GroveError('INTERNAL', `the dashboard bundle ${BUNDLE} is missing; run npm run build:ui in a grove checkout`);
  }
  try {
    const { buildUi } = (await import(pathToFileURL(script).href)) as { buildUi: () => Promise<number> };
    return await buildUi();
  } catch (err) {
    if (existsSync(BUNDLE)) return 0; // esbuild missing (no dev dependencies): serve the bundle we have
    throw new GroveError('INTERNAL', `cannot build the dashboard bundle (${(err as Error).message}); run npm install, then npm run build:ui`, {}, { cause: err });
  }
}
