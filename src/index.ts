// grove's public API. Everything a user imports comes from here.
export { RandomForestRegressor, type FitOptions, type LoadOptions, type ModelMetadata } from './forest/regressor.js';
export { RandomForestClassifier, type ClassifierFitOptions } from './forest/classifier.js';
export { forestModelFromBuffer, forestModelFromChunks, loadForestModel, isClassifier, type ForestModel } from './forest/load-model.js';
export { CLASSIFIER_DEFAULTS, type RandomForestParams, type RandomForestClassifierParams, type ClassWeight, type Criterion, type Task } from './forest/params.js';
export type { Label } from './labels.js';
export type { TypedMatrix, MatrixInput, VectorInput } from './matrix.js';
export type { FlatForest } from './forest/flat-forest.js';
export {
  decodeModel,
  decodeModelChunks,
  encodeModel,
  encodeModelChunks,
  readModelHeader,
  readModelHeaderChunks,
  type DecodeOptions,
  type EncodeOptions,
  type ModelHeader,
} from './forest/model-file.js';
export { exportOnnx, type OnnxExport, type OnnxExportOptions, type ExportableModel } from './export/onnx.js';
export { GroveError, type GroveErrorCode } from './errors.js';
export { FOREST_DEFAULTS } from './constants.js';
export { regressionMetrics } from './forest/metrics.js';
export { classificationMetrics, confusionMatrix, rocCurve, type ClassificationMetrics, type RocCurve } from './forest/classification-metrics.js';
export * as data from './data/index.js';
export * as track from './track/index.js';
export { recordRun, type RecordRunOptions, type RecordedRun } from './track/record-run.js';
export { loadModel, type LoadedModel } from './serve/load-model.js';
