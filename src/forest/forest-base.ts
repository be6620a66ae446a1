// What RandomForestRegressor and RandomForestClassifier share: backend choice (native with the
// pure-TS twin as fallback), fit and warm start, raw prediction (one value a row, or K class
// probabilities a row), OOB sums, importances and the model file. Each subclass turns its
// target into the engines' y, and the engines' raw output and OOB sums into its own results.
import type { Backend } from '../constants.js';
import { GroveError, invalidOption } from '../errors.js';
import type { Label } from '../labels.js';
import { toTypedMatrix, type MatrixInput } from '../matrix.js';
import { SPLIT_HISTOGRAM, type EngineParams } from './engine-params.js';
import { concatForests, featureImportances, treeCount, valueWidth, type FlatForest } from './flat-forest.js';
import { viewOf } from './js/dataset.js';
import { fitForestJs, type FitOutput } from './js/fit.js';
import { predictForestJs } from './js/predict.js';
import { checkForestFits } from './limits.js';
import { encodeModel, encodeModelChunks, headerTask, type DecodedModel, type EncodeOptions, type HeaderFields, type ModelHeader } from './model-file.js';
import { writeModelFile } from './model-io.js';
import { loadNative, warnFallbackOnce, type NativeAddon, type NativeFitArgs, type NativeFitOutput, type NativeForestHandle } from './native.js';
import { paramsToHeader, resolveThreads, toEngineParams, type ClassificationSetup, type ResolvedParams, type Task } from './params.js';

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

/** A target made ready for the engines: y as doubles (class indices for a classifier) and the classification setup. */
export interface PreparedTarget {
  y: Float64Array;
  classes: ClassificationSetup | null;
}

export interface PreparedFit {
  addon: NativeAddon | null;
  args: NativeFitArgs;
  options: FitOptions;
  target: Float64Array;
  grow: boolean;
}

/** The pieces of a fit's output the subclasses read (OOB sums: rows, or rows x K for a classifier). */
export interface OobSums {
  sum: Float64Array;
  count: Int32Array;
}

/** The header fields that differ by task, and the OOB metrics. */
export interface TaskHeader {
  task: Task;
  classes?: Label[];
  metrics: Record<string, number | null>;
}

export abstract class ForestBase {
  abstract readonly task: Task;
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
  #importances: Float64Array | null = null;

  protected constructor(params: ResolvedParams) {
    this.params = params;
  }

  /** The class name, in messages. */
  protected abstract get className(): string;
  /** y made ready for the engines; `grow`: a warm start on a fitted model (keep its classes). */
  protected abstract prepareTarget(y: unknown, rows: number, grow: boolean, options: FitOptions): PreparedTarget;
  /** After every fit or grow: the accumulated OOB sums (null without bootstrap) and the training y. */
  protected abstract afterFit(oob: OobSums | null, y: Float64Array): void;
  /** The task's header fields (task, classes) and OOB metrics. */
  protected abstract taskHeader(): TaskHeader;
  /** Restores the task's state from a header; returns the header metrics that are not OOB metrics. */
  protected abstract restoreTask(header: ModelHeader, metrics: Record<string, number | null>): Record<string, number | null>;

  // fitting

  protected fitJob(X: MatrixInput, y: unknown, options: FitOptions): PreparedFit {
    return this.#prepareFit(X, y, options, 0, this.params.nEstimators);
  }

  protected growJob(X: MatrixInput, y: unknown, count: number, options: Pick<FitOptions, 'cancel'>): PreparedFit {
    const forest = this.requireFitted();
    if (!Number.isInteger(count) || count < 1) throw invalidOption('count', count, 'must be an integer >= 1 (trees to add)');
    const job = this.#prepareFit(X, y, { featureNames: this.featureNames, targetName: this.targetName ?? undefined, cancel: options.cancel }, treeCount(forest), count, true);
    if (job.args.cols !== forest.nFeatures) {
      throw new GroveError('INVALID_DATA', `grow: X has ${job.args.cols} columns but the forest was fitted on ${forest.nFeatures}`);
    }
    if (this.#oobCount && this.#oobCount.length !== job.args.rows) {
      throw new GroveError('INVALID_DATA', `grow: X has ${job.args.rows} rows but the forest was fitted on ${this.#oobCount.length}; grow on the same data`);
    }
    return job;
  }

  protected async runFit(job: PreparedFit): Promise<this> {
    return this.#finishFit(job, job.addon ? await job.addon.fit(job.args) : runJs(job));
  }

  protected runFitSync(job: PreparedFit): this {
    return this.#finishFit(job, job.addon ? job.addon.fitSync(job.args) : runJs(job));
  }

  #prepareFit(X: MatrixInput, y: unknown, options: FitOptions, firstTree: number, count: number, grow = false): PreparedFit {
    const m = toTypedMatrix(X, 'X');
    if (m.rows < 2) throw new GroveError('INVALID_DATA', `X has ${m.rows} row; fitting a forest needs at least 2 rows`, { rows: m.rows });
    const target = this.prepareTarget(y, m.rows, grow, options);
    if (options.featureNames !== undefined) {
      if (!Array.isArray(options.featureNames) || options.featureNames.length !== m.cols) {
        throw new GroveError('INVALID_OPTION', `featureNames has ${options.featureNames?.length ?? 0} names but X has ${m.cols} columns`, { option: 'featureNames' });
      }
    }
    const params: EngineParams = toEngineParams(this.params, m.rows, m.cols, firstTree, count, target.classes);
    checkForestFits(params, m.rows, firstTree > 0 ? (this.#forest?.feature.length ?? 0) : 0);
    const addon = this.#pickBackend();
    const args: NativeFitArgs = { x: m.data, rows: m.rows, cols: m.cols, layout: m.layout, y: target.y, params };
    if (options.cancel) args.cancel = options.cancel;
    return { addon, args, options, target: target.y, grow };
  }

  #finishFit(job: PreparedFit, out: NativeFitOutput | FitOutput): this {
    const nClasses = job.args.params.n_classes;
    const fresh: FlatForest = 'forest' in out ? { ...out.forest, nClasses } : { nFeatures: job.args.cols, nClasses, ...withoutOob(out) };
    const oobSum = out.oobSum ?? null;
    const oobCount = out.oobCount ?? null;
    if (job.grow) {
      this.#forest = concatForests(this.#forest!, fresh);
      if (this.#oobSum && this.#oobCount && oobSum && oobCount) {
        for (let i = 0; i < oobSum.length; i++) this.#oobSum[i] += oobSum[i];
        for (let i = 0; i < oobCount.length; i++) this.#oobCount[i] += oobCount[i];
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
    this.afterFit(this.#oobSum && this.#oobCount ? { sum: this.#oobSum, count: this.#oobCount } : null, job.target);
    return this;
  }

  #pickBackend(): NativeAddon | null {
    if (this.params.backend === 'js') return null;
    const load = loadNative();
    if (!load.addon) warnFallbackOnce(load);
    return load.addon;
  }

  // prediction

  /** One value a row (a regressor) or K class probabilities a row, row-major (a classifier). */
  protected async predictRaw(X: MatrixInput): Promise<Float64Array> {
    const m = this.#checkPredictInput(X);
    const native = this.#nativeHandle();
    if (native) return native.predict({ x: m.data, rows: m.rows, cols: m.cols, layout: m.layout, threads: resolveThreads(this.params.threads) });
    return predictForestJs(this.#forest!, viewOf(m.data, m.rows, m.cols, m.layout));
  }

  protected predictRawSync(X: MatrixInput): Float64Array {
    const m = this.#checkPredictInput(X);
    const native = this.#nativeHandle();
    if (native) return native.predictSync({ x: m.data, rows: m.rows, cols: m.cols, layout: m.layout, threads: resolveThreads(this.params.threads) });
    return predictForestJs(this.#forest!, viewOf(m.data, m.rows, m.cols, m.layout));
  }

  #checkPredictInput(X: MatrixInput): ReturnType<typeof toTypedMatrix> {
    const forest = this.requireFitted();
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

  // state

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
    return this.requireFitted();
  }
  get nFeatures(): number {
    return this.requireFitted().nFeatures;
  }
  get nTrees(): number {
    return treeCount(this.requireFitted());
  }
  /** Normalised mean decrease in impurity per feature (sums to 1 when the forest has a split). */
  get featureImportances(): Float64Array {
    this.requireFitted();
    this.#importances ??= featureImportances(this.#forest!);
    return this.#importances;
  }

  protected requireFitted(): FlatForest {
    if (!this.#forest) throw new GroveError('INVALID_OPTION', `this ${this.className} is not fitted yet: call fit(X, y) first`);
    return this.#forest;
  }

  // the model file

  /** The model file as a stream of chunks (model-file.ts): any size, never one big Buffer. */
  toChunks(options: EncodeOptions = {}): Iterable<Buffer> {
    return encodeModelChunks(this.requireFitted(), this.#headerFields(), options);
  }

  /** The model file in one Buffer: for small models; save() and toChunks() work for any size. */
  toBuffer(options: EncodeOptions = {}): Buffer {
    return encodeModel(this.requireFitted(), this.#headerFields(), options);
  }

  /** Writes the model file to `path`, streamed; a failure leaves no partial file behind. */
  async save(path: string, options: EncodeOptions = {}): Promise<void> {
    await writeModelFile(path, this.toChunks(options));
  }

  #headerFields(): HeaderFields {
    const { metrics, ...task } = this.taskHeader();
    return {
      created_at: new Date().toISOString(),
      ...task,
      feature_names: this.featureNames,
      target_name: this.targetName,
      params: paramsToHeader(this.params),
      backend: this.backend,
      split_mode: this.#splitMode ?? 'exact',
      metrics: { ...metrics, ...(this.metadata.metrics ?? {}) },
      feature_importances: Array.from(this.featureImportances),
      data_fingerprint: this.metadata.dataFingerprint ?? null,
      preprocessing: this.metadata.preprocessing ?? null,
    };
  }

  /** Loads a decoded model file into this freshly constructed model. */
  protected restore({ header, forest, hasStats }: DecodedModel, source: string): this {
    requireTask(header, this.task, source);
    this.#forest = forest;
    this.#splitMode = header.split_mode === 'hist' ? 'hist' : 'exact';
    this.featureNames = header.feature_names.map(String);
    this.targetName = header.target_name ?? null;
    const metrics = this.restoreTask(header, { ...(header.metrics ?? {}) });
    this.metadata = { preprocessing: header.preprocessing ?? undefined, dataFingerprint: header.data_fingerprint, metrics };
    // without the stats section the per-node statistics are zeros: the header's importances stand
    const headerImportances = header.feature_importances;
    if (!hasStats && Array.isArray(headerImportances) && headerImportances.length === forest.nFeatures) {
      this.#importances = Float64Array.from(headerImportances, Number);
    }
    this.#backend = this.#pickBackend() ? 'native' : 'js';
    return this;
  }

  /** Values a node: 1, or K for a classifier. */
  protected get valueWidth(): number {
    return valueWidth(this.requireFitted());
  }
}

/** Throws when a model file holds the other kind of forest than the class loading it. */
export function requireTask(header: ModelHeader, task: Task, source: string): void {
  const found = headerTask(header);
  if (found === task) return;
  const other = found === 'classification' ? 'RandomForestClassifier' : 'RandomForestRegressor';
  throw new GroveError('INVALID_MODEL', `${source} holds a ${found} model, not a ${task} one: load it with ${other}.load/fromBuffer/fromChunks, or with loadForestModel (either kind)`, {
    file: source,
  });
}

/** Hyperparameters stored in a header, with a load's backend and threads. */
export function withLoadOptions<P extends object>(stored: P, options: LoadOptions): P & { backend?: Backend; threads?: number } {
  const params: P & { backend?: Backend; threads?: number } = { ...stored };
  if (options.backend) params.backend = options.backend;
  if (options.threads !== undefined) params.threads = options.threads;
  return params;
}

/** Constructs a model from stored hyperparameters; invalid ones make the file invalid. */
export function constructStored<T>(make: () => T, source: string): T {
  try {
    return make();
  } catch (err) {
    throw new GroveError('INVALID_MODEL', `${source}: stored hyperparameters are invalid: ${(err as Error).message}`);
  }
}

function withoutOob(out: NativeFitOutput): Omit<FlatForest, 'nFeatures' | 'nClasses'> {
  const { oobSum: _sum, oobCount: _count, handle: _handle, ...rest } = out;
  return rest;
}

function runJs(job: PreparedFit): FitOutput {
  const a = job.args;
  return fitForestJs(viewOf(a.x, a.rows, a.cols, a.layout, a.y), a.params, a.cancel);
}
