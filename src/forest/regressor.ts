import type { Backend } from '../constants.js';
import { GroveError, invalidOption } from '../errors.js';
import type { EngineParams } from './engine-params.js';
import { SPLIT_HISTOGRAM } from './engine-params.js';
import { concatForests, featureImportances, treeCount, type FlatForest } from './flat-forest.js';
import { viewOf } from './js/dataset.js';
import { fitForestJs, type FitOutput } from './js/fit.js';
import { predictForestJs } from './js/predict.js';
import { toTargetVector, toTypedMatrix, type MatrixInput, type VectorInput } from '../matrix.js';
import { checkForestFits } from './limits.js';
import { decodeModel, decodeModelChunks, readModelHeader, encodeModel, encodeModelChunks, type DecodedModel, type EncodeOptions, type HeaderFields, type ModelHeader } from './model-file.js';
import { openModelFile, writeModelFile } from './model-io.js';
// export/ reads the forest and the data layer's record; it imports nothing from this file
import { exportOnnx, type OnnxExport, type OnnxExportOptions } from '../export/onnx.js';
import { loadNative, warnFallbackOnce, type NativeAddon, type NativeFitArgs, type NativeFitOutput, type NativeForestHandle } from './native.js';
import { paramsFromSnake, paramsToSnake, resolveParams, resolveThreads, toEngineParams, type RandomForestParams, type ResolvedParams } from './params.js';

export interface LoadOptions {
  backend?: Backend;
  threads?: number;
  /** Named in errors (a path or URI). */
  source?: string;
  /** Read the per-node statistics (default true); without them importances come from the header. */
  stats?: boolean;
}

export interface FitOptions {
  /** Names of the columns of X (default x0, x1, ...). */
  featureNames?: string[];
  targetName?: string;
  /** The fit stops before its next tree once cancel[0] != 0 (an Int32Array over a SharedArrayBuffer can be set from another thread). */
  cancel?: Int32Array;
}

/** What travels with the model besides the trees: the data layer's record, fingerprint, metrics. */
export interface ModelMetadata {
  preprocessing?: unknown;
  dataFingerprint?: string | null;
  metrics?: Record<string, number | null>;
}

/**
 * A random-forest regressor: scikit-learn's RandomForestRegressor semantics, a C++/OpenMP
 * engine ('native', the default) or its pure-TS twin ('js') that builds the same trees.
 * fit/predict are async (native work runs off the event loop); fitSync/predictSync are for
 * worker threads.
 */
export class RandomForestRegressor {
  readonly params: ResolvedParams;
  featureNames: string[] = [];
  targetName: string | null = null;
  metadata: ModelMetadata = {};
  #forest: FlatForest | null = null;
  #backend: Backend | null = null;
  #splitMode: 'exact' | 'hist' | null = null;
  #native: NativeForestHandle | null = null;
  #oobSum: Float64Array | null = null;
  #oobCount: Int32Array | null = null;
  #oobPrediction: Float64Array | null = null;
  #oobRmse: number | null = null;
  #oobR2: number | null = null;
  #importances: Float64Array | null = null;

  constructor(params: RandomForestParams = {}) {
    this.params = resolveParams(params);
  }

  async fit(X: MatrixInput, y: VectorInput, options: FitOptions = {}): Promise<this> {
    const job = this.#prepareFit(X, y, options, 0, this.params.nEstimators);
    return this.#finishFit(job, job.addon ? await job.addon.fit(job.args) : runJs(job));
  }

  fitSync(X: MatrixInput, y: VectorInput, options: FitOptions = {}): this {
    const job = this.#prepareFit(X, y, options, 0, this.params.nEstimators);
    return this.#finishFit(job, job.addon ? job.addon.fitSync(job.args) : runJs(job));
  }

  /**
   * Warm start: adds `count` trees (indices nTrees .. nTrees + count - 1) fitted on the same
   * X and y. Tree i depends only on (seed, i), so a forest grown in steps equals one fitted at
   * once with the same total.
   */
  async grow(X: MatrixInput, y: VectorInput, count: number, options: Pick<FitOptions, 'cancel'> = {}): Promise<this> {
    const job = this.#prepareGrow(X, y, count, options);
    return this.#finishFit(job, job.addon ? await job.addon.fit(job.args) : runJs(job));
  }

  growSync(X: MatrixInput, y: VectorInput, count: number, options: Pick<FitOptions, 'cancel'> = {}): this {
    const job = this.#prepareGrow(X, y, count, options);
    return this.#finishFit(job, job.addon ? job.addon.fitSync(job.args) : runJs(job));
  }

  async predict(X: MatrixInput): Promise<Float64Array> {
    const m = this.#checkPredictInput(X);
    const native = this.#nativeHandle();
    if (native) return native.predict({ x: m.data, rows: m.rows, cols: m.cols, layout: m.layout, threads: resolveThreads(this.params.threads) });
    return predictForestJs(this.#forest!, viewOf(m.data, m.rows, m.cols, m.layout));
  }

  predictSync(X: MatrixInput): Float64Array {
    const m = this.#checkPredictInput(X);
    const native = this.#nativeHandle();
    if (native) return native.predictSync({ x: m.data, rows: m.rows, cols: m.cols, layout: m.layout, threads: resolveThreads(this.params.threads) });
    return predictForestJs(this.#forest!, viewOf(m.data, m.rows, m.cols, m.layout));
  }

  /** The backend that actually ran ('native' falls back to 'js' when the addon cannot load). */
  get backend(): Backend {
    return this.#backend ?? this.params.backend;
  }
  /** The split mode the fit used ('auto' resolved by data size). */
  get splitMode(): 'exact' | 'hist' | null {
    return this.#splitMode;
  }
  get isFitted(): boolean {
    return this.#forest !== null;
  }
  get forest(): FlatForest {
    return this.#requireFitted();
  }
  get nFeatures(): number {
    return this.#requireFitted().nFeatures;
  }
  get nTrees(): number {
    return treeCount(this.#requireFitted());
  }
  /** OOB R², as scikit-learn's oob_score_ (null without bootstrap or when no row was ever out of bag). */
  get oobScore(): number | null {
    return this.#oobR2;
  }
  get oobRmse(): number | null {
    return this.#oobRmse;
  }
  /** Per training row, the mean of the trees that did not draw it (NaN when every tree did). */
  get oobPrediction(): Float64Array | null {
    return this.#oobPrediction;
  }
  /** Normalised mean decrease in impurity per feature (sums to 1 when the forest has a split). */
  get featureImportances(): Float64Array {
    this.#requireFitted();
    this.#importances ??= featureImportances(this.#forest!);
    return this.#importances;
  }

  /** The model file as a stream of chunks (model-file.ts): any size, never one big Buffer. */
  toChunks(options: EncodeOptions = {}): Iterable<Buffer> {
    return encodeModelChunks(this.#requireFitted(), this.#headerFields(), options);
  }

  /** The model file in one Buffer: for small models; save() and toChunks() work for any size. */
  toBuffer(options: EncodeOptions = {}): Buffer {
    return encodeModel(this.#requireFitted(), this.#headerFields(), options);
  }

  /** Writes the model file to `path`, streamed; a failure leaves no partial file behind. */
  async save(path: string, options: EncodeOptions = {}): Promise<void> {
    await writeModelFile(path, this.toChunks(options));
  }

  #headerFields(): HeaderFields {
    return {
      created_at: new Date().toISOString(),
      task: 'regression',
      feature_names: this.featureNames,
      target_name: this.targetName,
      params: paramsToSnake(this.params),
      backend: this.backend,
      split_mode: this.#splitMode ?? 'exact',
      metrics: { oob_rmse: this.#oobRmse, oob_r2: this.#oobR2, ...(this.metadata.metrics ?? {}) },
      feature_importances: Array.from(this.featureImportances),
      data_fingerprint: this.metadata.dataFingerprint ?? null,
      preprocessing: this.metadata.preprocessing ?? null,
    };
  }

  /**
   * The forest and its preprocessing as an ONNX model (ai.onnx.ml TreeEnsembleRegressor): one
   * named input per training column (float; text for categorical columns), output [N, 1].
   * Throws a GroveError naming what ONNX cannot express. onnxExport() also returns the notes on
   * where the graph differs from grove (it cannot reject rows).
   */
  toOnnx(options: OnnxExportOptions = {}): Uint8Array {
    return this.onnxExport(options).bytes;
  }

  onnxExport(options: OnnxExportOptions = {}): OnnxExport {
    const forest = this.#requireFitted();
    return exportOnnx({ forest, featureNames: this.featureNames, targetName: this.targetName, preprocessing: this.metadata.preprocessing }, options);
  }

  /** Loads a model file's bytes; the same bytes load on both backends. */
  static fromBuffer(buf: Uint8Array, options: LoadOptions = {}): RandomForestRegressor {
    return RandomForestRegressor.#fromDecoded(decodeModel(buf, options.source, { stats: options.stats }), options);
  }

  /** Loads a model file streamed in chunks (a store's readModelVersionChunks, a file stream). */
  static async fromChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: LoadOptions & { totalBytes?: number } = {}): Promise<RandomForestRegressor> {
    return RandomForestRegressor.#fromDecoded(await decodeModelChunks(chunks, options), options);
  }

  /** Loads a model file from disk, streamed. */
  static async load(path: string, options: LoadOptions = {}): Promise<RandomForestRegressor> {
    const source = options.source ?? path;
    const { chunks, size } = await openModelFile(path);
    return RandomForestRegressor.fromChunks(chunks, { ...options, source, totalBytes: size });
  }

  static #fromDecoded({ header, forest, hasStats }: DecodedModel, options: LoadOptions): RandomForestRegressor {
    const stored = paramsFromSnake(header.params ?? {});
    const params: RandomForestParams = { ...stored };
    if (options.backend) params.backend = options.backend;
    if (options.threads !== undefined) params.threads = options.threads;
    let model: RandomForestRegressor;
    try {
      model = new RandomForestRegressor(params);
    } catch (err) {
      throw new GroveError('INVALID_MODEL', `${options.source ?? 'model buffer'}: stored hyperparameters are invalid: ${(err as Error).message}`);
    }
    model.#forest = forest;
    model.#splitMode = header.split_mode === 'hist' ? 'hist' : 'exact';
    model.featureNames = header.feature_names.map(String);
    model.targetName = header.target_name ?? null;
    const metrics = { ...(header.metrics ?? {}) };
    model.#oobRmse = typeof metrics.oob_rmse === 'number' ? metrics.oob_rmse : null;
    model.#oobR2 = typeof metrics.oob_r2 === 'number' ? metrics.oob_r2 : null;
    delete metrics.oob_rmse;
    delete metrics.oob_r2;
    model.metadata = { preprocessing: header.preprocessing ?? undefined, dataFingerprint: header.data_fingerprint, metrics };
    // without the stats section the per-node statistics are zeros: the header's importances stand
    const headerImportances = header.feature_importances;
    if (!hasStats && Array.isArray(headerImportances) && headerImportances.length === forest.nFeatures) {
      model.#importances = Float64Array.from(headerImportances, Number);
    }
    model.#backend = model.#pickBackend() ? 'native' : 'js';
    return model;
  }

  /** The header of a model file's bytes (the trees are not decoded), for tools that inspect models. */
  static readHeader(buf: Uint8Array, source?: string): ModelHeader {
    return readModelHeader(buf, source);
  }

  #pickBackend(): NativeAddon | null {
    if (this.params.backend === 'js') return null;
    const load = loadNative();
    if (!load.addon) warnFallbackOnce(load);
    return load.addon;
  }

  #prepareGrow(X: MatrixInput, y: VectorInput, count: number, options: Pick<FitOptions, 'cancel'>): PreparedFit {
    const forest = this.#requireFitted();
    if (!Number.isInteger(count) || count < 1) throw invalidOption('count', count, 'must be an integer >= 1 (trees to add)');
    const job = this.#prepareFit(X, y, { featureNames: this.featureNames, targetName: this.targetName ?? undefined, cancel: options.cancel }, treeCount(forest), count);
    if (job.args.cols !== forest.nFeatures) {
      throw new GroveError('INVALID_DATA', `grow: X has ${job.args.cols} columns but the forest was fitted on ${forest.nFeatures}`);
    }
    if (this.#oobCount && this.#oobCount.length !== job.args.rows) {
      throw new GroveError('INVALID_DATA', `grow: X has ${job.args.rows} rows but the forest was fitted on ${this.#oobCount.length}; grow on the same data`);
    }
    return { ...job, grow: true };
  }

  #prepareFit(X: MatrixInput, y: VectorInput, options: FitOptions, firstTree: number, count: number): PreparedFit {
    const m = toTypedMatrix(X, 'X');
    if (m.rows < 2) throw new GroveError('INVALID_DATA', `X has ${m.rows} row; fitting a forest needs at least 2 rows`, { rows: m.rows });
    const target = toTargetVector(y, m.rows);
    if (options.featureNames !== undefined) {
      if (!Array.isArray(options.featureNames) || options.featureNames.length !== m.cols) {
        throw new GroveError('INVALID_OPTION', `featureNames has ${options.featureNames?.length ?? 0} names but X has ${m.cols} columns`, { option: 'featureNames' });
      }
    }
    const params: EngineParams = toEngineParams(this.params, m.rows, m.cols, firstTree, count);
    checkForestFits(params, m.rows, firstTree > 0 ? (this.#forest?.feature.length ?? 0) : 0);
    const addon = this.#pickBackend();
    const args: PreparedFit['args'] = { x: m.data, rows: m.rows, cols: m.cols, layout: m.layout, y: target, params };
    if (options.cancel) args.cancel = options.cancel;
    return { addon, args, options, target, grow: false };
  }

  #finishFit(job: PreparedFit, out: NativeFitOutput | FitOutput): this {
    const fresh: FlatForest = 'forest' in out ? out.forest : { nFeatures: job.args.cols, ...withoutOob(out) };
    const oobSum = out.oobSum ?? null;
    const oobCount = out.oobCount ?? null;
    if (job.grow) {
      this.#forest = concatForests(this.#forest!, fresh);
      if (this.#oobSum && this.#oobCount && oobSum && oobCount) {
        for (let i = 0; i < oobSum.length; i++) {
          this.#oobSum[i] += oobSum[i];
          this.#oobCount[i] += oobCount[i];
        }
      }
    } else {
      this.#forest = fresh;
      this.#oobSum = oobSum;
      this.#oobCount = oobCount;
      this.#splitMode = job.args.params.split_mode === SPLIT_HISTOGRAM ? 'hist' : 'exact';
      this.featureNames = job.options.featureNames ? [...job.options.featureNames] : Array.from({ length: job.args.cols }, (_, j) => `x${j}`);
      this.targetName = job.options.targetName ?? null;
    }
    // a fresh native fit comes with its trees packed for prediction; a grown forest repacks
    this.#native = !job.grow && 'handle' in out ? out.handle : null;
    this.#importances = null;
    this.#backend = job.addon ? 'native' : 'js';
    this.#oobPrediction = null;
    if (this.#oobSum && this.#oobCount) {
      const mean = new Float64Array(this.#oobSum.length);
      for (let i = 0; i < mean.length; i++) mean[i] = this.#oobCount[i] > 0 ? this.#oobSum[i] / this.#oobCount[i] : NaN;
      this.#oobPrediction = mean;
    }
    this.#setOobMetrics(job.target);
    return this;
  }

  #setOobMetrics(y: Float64Array): void {
    this.#oobRmse = null;
    this.#oobR2 = null;
    const p = this.#oobPrediction;
    if (!p) return;
    let n = 0;
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      if (Number.isNaN(p[i])) continue;
      n++;
      sum += y[i];
    }
    if (n === 0) return;
    const mean = sum / n;
    let sse = 0;
    let sst = 0;
    for (let i = 0; i < p.length; i++) {
      if (Number.isNaN(p[i])) continue;
      sse += (p[i] - y[i]) ** 2;
      sst += (y[i] - mean) ** 2;
    }
    this.#oobRmse = Math.sqrt(sse / n);
    this.#oobR2 = sst > 0 ? 1 - sse / sst : null;
  }

  #requireFitted(): FlatForest {
    if (!this.#forest) throw new GroveError('INVALID_OPTION', 'this RandomForestRegressor is not fitted yet: call fit(X, y) first');
    return this.#forest;
  }

  #checkPredictInput(X: MatrixInput) {
    const forest = this.#requireFitted();
    const m = toTypedMatrix(X, 'X');
    if (m.cols !== forest.nFeatures) {
      throw new GroveError('INVALID_DATA', `X has ${m.cols} columns but the model was trained on ${forest.nFeatures} features`, { cols: m.cols });
    }
    return m;
  }

  #nativeHandle(): NativeForestHandle | null {
    if (this.#backend !== 'native') return null;
    if (!this.#native) {
      const addon = loadNative().addon!;
      this.#native = new addon.NativeForest(this.#forest!);
    }
    return this.#native;
  }
}

interface PreparedFit {
  addon: NativeAddon | null;
  args: NativeFitArgs;
  options: FitOptions;
  target: Float64Array;
  grow: boolean;
}

function withoutOob(out: NativeFitOutput): Omit<FlatForest, 'nFeatures'> {
  const { oobSum: _sum, oobCount: _count, handle: _handle, ...rest } = out;
  return rest;
}

function runJs(job: PreparedFit): FitOutput {
  const a = job.args;
  return fitForestJs(viewOf(a.x, a.rows, a.cols, a.layout, a.y), a.params, a.cancel);
}
