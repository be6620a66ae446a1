import { GroveError } from '../errors.js';
// export/ reads the forest and the data layer's record; it imports nothing from this file
import { exportOnnx, type OnnxExport, type OnnxExportOptions } from '../export/onnx.js';
import { argmaxRows, checkClasses, decodeLabels, encodeLabels, sortedClasses, type Label } from '../labels.js';
import type { MatrixInput } from '../matrix.js';
import { MAX_FOREST_CLASSES } from './flat-forest.js';
import { constructStored, ForestBase, requireTask, withLoadOptions, type FitOptions, type LoadOptions, type OobSums, type PreparedTarget, type TaskHeader } from './forest-base.js';
import { decodeModel, decodeModelChunks, readModelHeader, type DecodedModel, type ModelHeader } from './model-file.js';
import { openModelFile } from './model-io.js';
import { paramsFromSnake, resolveClassWeight, resolveParams, type RandomForestClassifierParams } from './params.js';

export interface ClassifierFitOptions extends FitOptions {
  /**
   * The classes, sorted (e.g. the data layer's, found on all rows before a split): y's labels
   * must be among them, and a class with no training row keeps probability 0. Default: the
   * distinct labels of y.
   */
  classes?: readonly Label[];
}

/**
 * A random-forest classifier: scikit-learn's RandomForestClassifier semantics (gini or entropy,
 * max_features 'sqrt', class weights, soft voting: predictProba averages the trees' leaf class
 * frequencies, predict is its arg-max with ties to the lowest class), on the C++/OpenMP engine
 * ('native', the default) or its pure-TS twin ('js'), which build the same trees.
 * Labels are strings, finite numbers or booleans; `classes` holds them sorted, and
 * probabilities come in that order.
 */
export class RandomForestClassifier extends ForestBase {
  readonly task = 'classification' as const;
  /** The class labels, sorted; column k of predictProba is classes[k]'s probability. */
  classes: Label[] = [];
  #oobProba: Float64Array | null = null;
  #oobAccuracy: number | null = null;

  constructor(params: RandomForestClassifierParams = {}) {
    super(resolveParams(params, 'classification'));
  }

  protected get className(): string {
    return 'RandomForestClassifier';
  }

  get nClasses(): number {
    return this.classes.length;
  }

  async fit(X: MatrixInput, y: ArrayLike<Label>, options: ClassifierFitOptions = {}): Promise<this> {
    return this.runFit(this.fitJob(X, y, options));
  }

  fitSync(X: MatrixInput, y: ArrayLike<Label>, options: ClassifierFitOptions = {}): this {
    return this.runFitSync(this.fitJob(X, y, options));
  }

  /** Warm start: adds `count` trees fitted on the same X and y (labels among `classes`); as RandomForestRegressor.grow. */
  async grow(X: MatrixInput, y: ArrayLike<Label>, count: number, options: Pick<FitOptions, 'cancel'> = {}): Promise<this> {
    return this.runFit(this.growJob(X, y, count, options));
  }

  growSync(X: MatrixInput, y: ArrayLike<Label>, count: number, options: Pick<FitOptions, 'cancel'> = {}): this {
    return this.runFitSync(this.growJob(X, y, count, options));
  }

  /** Class probabilities, rows x K row-major (the mean over trees of the leaves' class frequencies). */
  async predictProba(X: MatrixInput): Promise<Float64Array> {
    return this.predictRaw(X);
  }

  predictProbaSync(X: MatrixInput): Float64Array {
    return this.predictRawSync(X);
  }

  /** The most probable class of each row (ties to the lowest class), as its label. */
  async predict(X: MatrixInput): Promise<Label[]> {
    return decodeLabels(argmaxRows(await this.predictRaw(X), this.nClasses), this.classes);
  }

  predictSync(X: MatrixInput): Label[] {
    return decodeLabels(argmaxRows(this.predictRawSync(X), this.nClasses), this.classes);
  }

  /** The most probable class of each row, as its index into `classes`. */
  async predictIndex(X: MatrixInput): Promise<Int32Array> {
    return argmaxRows(await this.predictRaw(X), this.nClasses);
  }

  predictIndexSync(X: MatrixInput): Int32Array {
    return argmaxRows(this.predictRawSync(X), this.nClasses);
  }

  /** Per training row, the class probabilities of the trees that did not draw it, rows x K (NaN when every tree did); null without bootstrap. */
  get oobProba(): Float64Array | null {
    return this.#oobProba;
  }

  /** Accuracy of the OOB predictions over the rows that have one (scikit-learn's oob_score_); null without bootstrap or when no row was out of bag. */
  get oobAccuracy(): number | null {
    return this.#oobAccuracy;
  }

  /** Same as oobAccuracy, under scikit-learn's name. */
  get oobScore(): number | null {
    return this.#oobAccuracy;
  }

  /**
   * The forest and its preprocessing as an ONNX model (ai.onnx.ml TreeEnsembleClassifier): one
   * input per training column, outputs "label" [N] (the most probable class: int64 for integer
   * labels, text for string labels and, as String(label), for booleans and fractional numbers)
   * and "probabilities" [N, K] (float32, columns in `classes` order). See RandomForestRegressor.toOnnx
   * for the inputs, the precision and the notes.
   */
  toOnnx(options: OnnxExportOptions = {}): Uint8Array {
    return this.onnxExport(options).bytes;
  }

  onnxExport(options: OnnxExportOptions = {}): OnnxExport {
    const forest = this.requireFitted();
    return exportOnnx({ forest, featureNames: this.featureNames, targetName: this.targetName, preprocessing: this.metadata.preprocessing, classes: this.classes }, options);
  }

  /** Loads a classifier's model file bytes; the same bytes load on both backends. */
  static fromBuffer(buf: Uint8Array, options: LoadOptions = {}): RandomForestClassifier {
    return RandomForestClassifier.fromDecoded(decodeModel(buf, options.source, { stats: options.stats }), options);
  }

  /** Loads a classifier's model file streamed in chunks. */
  static async fromChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: LoadOptions & { totalBytes?: number } = {}): Promise<RandomForestClassifier> {
    return RandomForestClassifier.fromDecoded(await decodeModelChunks(chunks, options), options);
  }

  /** Loads a classifier's model file from disk, streamed. */
  static async load(path: string, options: LoadOptions = {}): Promise<RandomForestClassifier> {
    const source = options.source ?? path;
    const { chunks, size } = await openModelFile(path);
    return RandomForestClassifier.fromChunks(chunks, { ...options, source, totalBytes: size });
  }

  /** A classifier from a decoded model file (loadForestModel's classification branch). */
  static fromDecoded(decoded: DecodedModel, options: LoadOptions = {}): RandomForestClassifier {
    const source = options.source ?? 'model buffer';
    requireTask(decoded.header, 'classification', source);
    const stored = paramsFromSnake(decoded.header.params ?? {}, 'classification') as RandomForestClassifierParams;
    const model = constructStored(() => new RandomForestClassifier(withLoadOptions(stored, options)), source);
    return model.restore(decoded, source);
  }

  /** The header of a model file's bytes (the trees are not decoded). */
  static readHeader(buf: Uint8Array, source?: string): ModelHeader {
    return readModelHeader(buf, source);
  }

  protected prepareTarget(y: unknown, rows: number, grow: boolean, options: ClassifierFitOptions): PreparedTarget {
    if (y === null || typeof y !== 'object' || typeof (y as ArrayLike<unknown>).length !== 'number') {
      throw new GroveError('INVALID_DATA', 'y must be an array of class labels (strings, finite numbers or booleans)');
    }
    const labels = y as ArrayLike<unknown>;
    if (labels.length !== rows) throw new GroveError('INVALID_DATA', `y has ${labels.length} labels but X has ${rows} rows`);
    let classes: Label[];
    if (grow) classes = this.classes;
    else if (options.classes !== undefined) classes = checkClasses(options.classes, 'classes');
    else {
      classes = sortedClasses(labels, 'y');
      if (classes.length < 2) {
        throw new GroveError('INVALID_DATA', `y has a single class (${classes.map((c) => JSON.stringify(c)).join('')}); a classifier needs at least 2 classes`, { classes: classes.length });
      }
    }
    if (classes.length > MAX_FOREST_CLASSES) {
      throw new GroveError('INVALID_DATA', `y has ${classes.length} classes; a grove classifier takes at most ${MAX_FOREST_CLASSES}`, { classes: classes.length });
    }
    const encoded = encodeLabels(labels, classes, 'y');
    const { classWeight, balancedSubsample } = resolveClassWeight(this.params.classWeight, classes, encoded, this.params.bootstrap);
    this.#pendingClasses = grow ? null : classes;
    return { y: encoded, classes: { nClasses: classes.length, classWeight, balancedSubsample } };
  }

  // the classes of a fit in progress: kept only once the fit succeeds
  #pendingClasses: Label[] | null = null;

  protected afterFit(oob: OobSums | null, y: Float64Array): void {
    if (this.#pendingClasses) {
      this.classes = this.#pendingClasses;
      this.#pendingClasses = null;
    }
    this.#oobProba = null;
    this.#oobAccuracy = null;
    if (!oob) return;
    const k = this.nClasses;
    const proba = new Float64Array(oob.sum.length);
    let seen = 0;
    let right = 0;
    for (let i = 0; i < oob.count.length; i++) {
      const n = oob.count[i];
      if (n === 0) {
        proba.fill(NaN, i * k, (i + 1) * k);
        continue;
      }
      let best = 0;
      for (let c = 0; c < k; c++) {
        proba[i * k + c] = oob.sum[i * k + c] / n;
        if (proba[i * k + c] > proba[i * k + best]) best = c;
      }
      seen++;
      if (best === y[i]) right++;
    }
    this.#oobProba = proba;
    this.#oobAccuracy = seen > 0 ? right / seen : null;
  }

  protected taskHeader(): TaskHeader {
    return { task: 'classification', classes: this.classes, metrics: { oob_accuracy: this.#oobAccuracy } };
  }

  protected restoreTask(header: ModelHeader, metrics: Record<string, number | null>): Record<string, number | null> {
    // parseHeader checked them: sorted, distinct, one kind, n_classes of them
    this.classes = [...(header.classes as Label[])];
    this.#oobAccuracy = typeof metrics.oob_accuracy === 'number' ? metrics.oob_accuracy : null;
    delete metrics.oob_accuracy;
    return metrics;
  }
}
