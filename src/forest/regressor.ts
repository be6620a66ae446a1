import { toTargetVector, type MatrixInput, type VectorInput } from '../matrix.js';
// export/ reads the forest and the data layer's record; it imports nothing from this file
import { exportOnnx, type OnnxExport, type OnnxExportOptions } from '../export/onnx.js';
import { constructStored, ForestBase, requireTask, withLoadOptions, type FitOptions, type LoadOptions, type OobSums, type PreparedTarget, type TaskHeader } from './forest-base.js';
import { decodeModel, decodeModelChunks, readModelHeader, type DecodedModel, type ModelHeader } from './model-file.js';
import { openModelFile } from './model-io.js';
import { paramsFromSnake, resolveParams, type RandomForestParams } from './params.js';

export type { FitOptions, LoadOptions, ModelMetadata } from './forest-base.js';

/**
 * A random-forest regressor: scikit-learn's RandomForestRegressor semantics, a C++/OpenMP
 * engine ('native', the default) or its pure-TS twin ('js') that builds the same trees.
 * fit/predict are async (native work runs off the event loop); fitSync/predictSync are for
 * worker threads.
 */
export class RandomForestRegressor extends ForestBase {
  readonly task = 'regression' as const;
  #oobPrediction: Float64Array | null = null;
  #oobRmse: number | null = null;
  #oobR2: number | null = null;

  constructor(params: RandomForestParams = {}) {
    super(resolveParams(params, 'regression'));
  }

  protected get className(): string {
    return 'RandomForestRegressor';
  }

  async fit(X: MatrixInput, y: VectorInput, options: FitOptions = {}): Promise<this> {
    return this.runFit(this.fitJob(X, y, options));
  }

  fitSync(X: MatrixInput, y: VectorInput, options: FitOptions = {}): this {
    return this.runFitSync(this.fitJob(X, y, options));
  }

  /**
   * Warm start: adds `count` trees (indices nTrees .. nTrees + count - 1) fitted on the same
   * X and y. Tree i depends only on (seed, i), so a forest grown in steps equals one fitted at
   * once with the same total.
   */
  async grow(X: MatrixInput, y: VectorInput, count: number, options: Pick<FitOptions, 'cancel'> = {}): Promise<this> {
    return this.runFit(this.growJob(X, y, count, options));
  }

  growSync(X: MatrixInput, y: VectorInput, count: number, options: Pick<FitOptions, 'cancel'> = {}): this {
    return this.runFitSync(this.growJob(X, y, count, options));
  }

  async predict(X: MatrixInput): Promise<Float64Array> {
    return this.predictRaw(X);
  }

  predictSync(X: MatrixInput): Float64Array {
    return this.predictRawSync(X);
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
    const forest = this.requireFitted();
    return exportOnnx({ forest, featureNames: this.featureNames, targetName: this.targetName, preprocessing: this.metadata.preprocessing }, options);
  }

  /** Loads a model file's bytes; the same bytes load on both backends. */
  static fromBuffer(buf: Uint8Array, options: LoadOptions = {}): RandomForestRegressor {
    return RandomForestRegressor.fromDecoded(decodeModel(buf, options.source, { stats: options.stats }), options);
  }

  /** Loads a model file streamed in chunks (a store's readModelVersionChunks, a file stream). */
  static async fromChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: LoadOptions & { totalBytes?: number } = {}): Promise<RandomForestRegressor> {
    return RandomForestRegressor.fromDecoded(await decodeModelChunks(chunks, options), options);
  }

  /** Loads a model file from disk, streamed. */
  static async load(path: string, options: LoadOptions = {}): Promise<RandomForestRegressor> {
    const source = options.source ?? path;
    const { chunks, size } = await openModelFile(path);
    return RandomForestRegressor.fromChunks(chunks, { ...options, source, totalBytes: size });
  }

  /** A regressor from a decoded model file (loadForestModel's regression branch). */
  static fromDecoded(decoded: DecodedModel, options: LoadOptions = {}): RandomForestRegressor {
    const source = options.source ?? 'model buffer';
    requireTask(decoded.header, 'regression', source);
    const stored = paramsFromSnake(decoded.header.params ?? {}, 'regression') as RandomForestParams;
    const model = constructStored(() => new RandomForestRegressor(withLoadOptions(stored, options)), source);
    return model.restore(decoded, source);
  }

  /** The header of a model file's bytes (the trees are not decoded), for tools that inspect models. */
  static readHeader(buf: Uint8Array, source?: string): ModelHeader {
    return readModelHeader(buf, source);
  }

  protected prepareTarget(y: unknown, rows: number): PreparedTarget {
    return { y: toTargetVector(y as VectorInput, rows), classes: null };
  }

  protected afterFit(oob: OobSums | null, y: Float64Array): void {
    this.#oobPrediction = null;
    this.#oobRmse = null;
    this.#oobR2 = null;
    if (!oob) return;
    const mean = new Float64Array(oob.sum.length);
    for (let i = 0; i < mean.length; i++) mean[i] = oob.count[i] > 0 ? oob.sum[i] / oob.count[i] : NaN;
    this.#oobPrediction = mean;
    this.#setOobMetrics(mean, y);
  }

  #setOobMetrics(p: Float64Array, y: Float64Array): void {
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

  protected taskHeader(): TaskHeader {
    return { task: 'regression', metrics: { oob_rmse: this.#oobRmse, oob_r2: this.#oobR2 } };
  }

  protected restoreTask(_header: ModelHeader, metrics: Record<string, number | null>): Record<string, number | null> {
    this.#oobRmse = typeof metrics.oob_rmse === 'number' ? metrics.oob_rmse : null;
    this.#oobR2 = typeof metrics.oob_r2 === 'number' ? metrics.oob_r2 : null;
    delete metrics.oob_rmse;
    delete metrics.oob_r2;
    return metrics;
  }
}
