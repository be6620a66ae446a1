import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NATIVE_PATH_ENV } from '../constants.js';
import type { EngineParams } from './engine-params.js';
import type { FlatForest } from './flat-forest.js';

/**
 * The one loader of the native addon. Search order:
 *   1. the file named by GROVE_NATIVE_PATH (an explicit override: it must load, or we say why);
 *   2. prebuilds/<platform>-<arch>/*.node shipped in the package;
 *   3. build/Release/grove.node from a local `cmake-js compile`.
 * A candidate that exists but fails to load (wrong platform, missing libgomp, corrupt file)
 * is skipped; the reasons are kept for the one-line fallback warning.
 */

export interface NativeMatrixArgs {
  x: Float64Array | Float32Array;
  rows: number;
  cols: number;
  layout: 'row' | 'col';
}

export interface NativeFitOutput extends Omit<FlatForest, 'nFeatures'> {
  oobPrediction?: Float64Array;
}

export interface NativeForestHandle {
  predict(args: NativeMatrixArgs & { threads: number }): Promise<Float64Array>;
  predictSync(args: NativeMatrixArgs & { threads: number }): Float64Array;
}

export interface NativeAddon {
  fit(args: NativeMatrixArgs & { y: Float64Array; params: EngineParams }): Promise<NativeFitOutput>;
  fitSync(args: NativeMatrixArgs & { y: Float64Array; params: EngineParams }): NativeFitOutput;
  NativeForest: new (forest: FlatForest) => NativeForestHandle;
  openmp: boolean;
  hardwareThreads: number;
}

export interface NativeLoad {
  addon: NativeAddon | null;
  path: string | null;
  /** Why each candidate failed, when none loaded. */
  errors: string[];
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let cached: NativeLoad | undefined;

export function nativeCandidates(root = packageRoot, env = process.env): string[] {
  const override = env[NATIVE_PATH_ENV];
  if (override) return [override];
  const out: string[] = [];
  const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (existsSync(prebuildDir)) {
    for (const f of readdirSync(prebuildDir).sort()) if (f.endsWith('.node')) out.push(join(prebuildDir, f));
  }
  out.push(join(root, 'build', 'Release', 'grove.node'));
  return out;
}

export function loadNativeFrom(candidates: string[]): NativeLoad {
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      errors.push(`${path}: not found`);
      continue;
    }
    try {
      const addon = require(path) as NativeAddon;
      if (typeof addon.fit !== 'function' || typeof addon.NativeForest !== 'function') {
        errors.push(`${path}: not a grove addon`);
        continue;
      }
      return { addon, path, errors };
    } catch (err) {
      errors.push(`${path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { addon: null, path: null, errors };
}

/** The addon for this process (loaded once), or null with the reasons. */
export function loadNative(): NativeLoad {
  cached ??= loadNativeFrom(nativeCandidates());
  return cached;
}

let warned = false;

/** The one-line warning when 'native' falls back to 'js', once per process. */
export function warnFallbackOnce(load: NativeLoad): void {
  if (warned) return;
  warned = true;
  const why = load.errors.length > 0 ? load.errors[load.errors.length - 1] : 'no addon found';
  process.stderr.write(`grove: warning: native engine unavailable (${why}); using the pure-TS backend\n`);
}
