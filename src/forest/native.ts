import { existsSync, readdirSync, statSync } from 'node:fs';
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
 * A prebuild older than the local build is skipped too: the local build was made after it,
 * either by the install script because the prebuild did not load, or by a developer who
 * rebuilt the sources after `npm run build` copied the old binary into prebuilds/.
 */

export interface NativeMatrixArgs {
  x: Float64Array | Float32Array;
  rows: number;
  cols: number;
  layout: 'row' | 'col';
}

/**
 * What a fit returns. A classifier's (params.n_classes = K > 0) `value` holds K values per node
 * (node-major: value[node * K + c]), `weightedN` the class-weighted weight and `oobSum` K sums per
 * row (row-major).
 */
export interface NativeFitOutput extends Omit<FlatForest, 'nFeatures' | 'nClasses'> {
  oobSum?: Float64Array;
  oobCount?: Int32Array;
  /** the fit's trees already packed for prediction */
  handle: NativeForestHandle;
}

/** The classification fields of EngineParams, which the addon lets a caller leave out (a regressor's values). */
type ClassificationFields = 'criterion' | 'n_classes' | 'class_weight' | 'balanced_subsample';
export type NativeEngineParams = Omit<EngineParams, ClassificationFields> & Partial<Pick<EngineParams, ClassificationFields>>;

export interface NativeFitArgs extends NativeMatrixArgs {
  /** the target; a classifier's holds class indices 0..K-1 (the addon checks every one) */
  y: Float64Array;
  params: EngineParams;
  /** the fit stops before its next tree once cancel[0] != 0 (share it to cancel from another thread) */
  cancel?: Int32Array;
}

/** What the addon accepts: the classification fields may be left out (a regressor's values). */
export type NativeFitArgsLoose = Omit<NativeFitArgs, 'params'> & { params: NativeEngineParams };

/** A forest held natively; a classifier's predictions are rows x K probabilities, row-major. */
export interface NativeForestHandle {
  predict(args: NativeMatrixArgs & { threads: number }): Promise<Float64Array>;
  predictSync(args: NativeMatrixArgs & { threads: number }): Float64Array;
}

export interface NativeAddon {
  fit(args: NativeFitArgsLoose): Promise<NativeFitOutput>;
  fitSync(args: NativeFitArgsLoose): NativeFitOutput;
  /** nClasses absent or 0: a regressor; K: a classifier whose value holds K values per node */
  NativeForest: new (
    forest: Omit<FlatForest, 'nClasses'> & { nClasses?: number },
  ) => NativeForestHandle;
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
  const local = join(root, 'build', 'Release', 'grove.node');
  const localTime = existsSync(local) ? statSync(local).mtimeMs : -Infinity;
  const fresh = prebuildCandidates(root).filter((p) => statSync(p).mtimeMs >= localTime);
  return [...fresh, local];
}

/**
 * The shipped binaries for this platform: prebuilds/<platform>-<arch>/*.node. On Linux a
 * name tagged `.glibc.` or `.musl.` is kept only on that C library (a glibc binary cannot
 * load on musl and the reverse); untagged names are always kept.
 */
export function prebuildCandidates(root = packageRoot): string[] {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return [];
  const other = process.platform !== 'linux' ? null : isMusl() ? '.glibc.' : '.musl.';
  return readdirSync(dir)
    .sort()
    .filter((f) => f.endsWith('.node') && (other === null || !f.includes(other)))
    .map((f) => join(dir, f));
}

/** musl's dynamic loader is /lib/ld-musl-<arch>.so.1; process.report would tell too, but costs ~25 ms. */
function isMusl(): boolean {
  try {
    return readdirSync('/lib').some((f) => f.startsWith('ld-musl-'));
  } catch {
    return false;
  }
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
  // A binary that exists but failed says more than a candidate that was never built.
  const why = [...load.errors].reverse().find((e) => !e.endsWith(': not found')) ?? load.errors[load.errors.length - 1] ?? 'no addon found';
  process.stderr.write(`grove: warning: native engine unavailable (${why}); using the pure-TS backend\n`);
}
