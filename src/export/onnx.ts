// A fitted grove forest with its preprocessing as one ONNX model: named inputs (one per training
// column) -> preprocessing nodes -> the feature matrix -> TreeEnsembleRegressor -> [N, 1], or
// for a classifier TreeEnsembleClassifier -> label [N] and probabilities [N, K].
import { GroveError, invalidOption } from '../errors.js';
import type { Label } from '../labels.js';
import { ONNX_EXPORT } from '../constants.js';
import { preprocessingOf } from '../data/model-input.js';
import type { FlatForest } from '../forest/flat-forest.js';
import { GROVE_VERSION } from '../version.js';
import { OnnxGraph } from './onnx-graph.js';
import { ONNX_DOUBLE, ONNX_FLOAT, ONNX_INT64, ONNX_STRING, modelProtoType } from './onnx-schema.js';
import { addPreprocessing } from './preprocessing-graph.js';
import { treeEnsembleAttributes, treeEnsembleClassifierAttributes, type OnnxClassLabels } from './tree-ensemble.js';

export interface OnnxExportOptions {
  /**
   * Name of the graph output (default "prediction"); for a classifier, of the label output
   * (default "label"). Must differ from every column name.
   */
  outputName?: string;
  /** A classifier's probabilities output (default "probabilities"); an error for a regressor. */
  probabilityName?: string;
  /** Graph name written into the file (default "grove_random_forest"). */
  graphName?: string;
  /**
   * 'float' (default): float inputs, thresholds and leaf values in float32, as every ONNX
   * runtime supports. 'double': double inputs and exact thresholds and leaf values
   * (nodes_values_as_tensor), so splits go exactly as in grove on float64 data; the
   * outputs stay float32, as the tree ensemble operators define them.
   */
  precision?: 'float' | 'double';
}

/** What a model needs to be exported: its trees and its model-file header fields. */
export interface ExportableModel {
  forest: FlatForest;
  featureNames: string[];
  targetName: string | null;
  preprocessing?: unknown;
  /** A classifier's class labels, sorted (forest.nClasses of them); absent for a regressor. */
  classes?: readonly Label[];
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** Where the graph's behaviour differs from grove's (it cannot reject rows); empty when none. */
  notes: string[];
  inputs: { name: string; type: 'float' | 'double' | 'string' }[];
  /** The output name: a regressor's prediction, a classifier's label. */
  output: string;
  /** A classifier's probabilities output [N, K] (columns in class order); absent for a regressor. */
  probabilities?: string;
  /** A classifier's labels as the graph outputs them (int64 or text), in class order. */
  labels?: { type: 'int64' | 'string'; values: (number | string)[] };
}

/**
 * A classifier's labels as ONNX labels: integer labels (safe integers) as int64, string labels
 * as themselves, and everything else (booleans, numbers with a fraction) as text: String(label),
 * i.e. "false"/"true", "0.5". The model's metadata keeps the original labels as JSON.
 */
export function onnxClassLabels(classes: readonly Label[]): OnnxClassLabels {
  if (classes.every((c) => typeof c === 'number' && Number.isSafeInteger(c))) return { kind: 'int64', labels: classes.map((c) => (c as number) || 0) };
  const labels = classes.map(String);
  if (new Set(labels).size !== labels.length) {
    throw new GroveError('INVALID_MODEL', `cannot export to ONNX: the class labels ${JSON.stringify(classes)} are not distinct as text (the ONNX label output is int64 or text)`);
  }
  return { kind: 'string', labels };
}

export function exportOnnx(model: ExportableModel, options: OnnxExportOptions = {}): OnnxExport {
  const K = model.forest.nClasses;
  if (K > 0 && (!model.classes || model.classes.length !== K)) {
    throw new GroveError(
      'INVALID_MODEL',
      `cannot export to ONNX: the forest is a classifier's (${K} classes) but ${model.classes ? `${model.classes.length} class labels were given` : 'no class labels were given'}`,
    );
  }
  if (K === 0 && options.probabilityName !== undefined) throw invalidOption('probabilityName', options.probabilityName, 'applies to classifiers only (a regressor has one output; see outputName)');
  const p = preprocessingOf({ preprocessing: model.preprocessing, feature_names: model.featureNames, target_name: model.targetName });
  if (p.feature_names.length !== model.forest.nFeatures) {
    throw new GroveError('INVALID_MODEL', `cannot export to ONNX: the preprocessing record makes ${p.feature_names.length} features but the forest reads ${model.forest.nFeatures}`);
  }
  const precision = options.precision ?? 'float';
  if (precision !== 'float' && precision !== 'double') throw invalidOption('precision', precision, "must be 'float' or 'double'");
  const graph = new OnnxGraph();
  const { features, notes } = addPreprocessing(graph, p, precision === 'double' ? ONNX_DOUBLE : ONNX_FLOAT);
  const trees = model.forest.treeOffsets.length - 1;
  let outputName: string;
  let probabilities: string | undefined;
  let labels: OnnxClassLabels | undefined;
  let what: string;
  if (K > 0) {
    labels = onnxClassLabels(model.classes!);
    outputName = options.outputName ?? ONNX_EXPORT.labelName;
    const labelType = labels.kind === 'int64' ? ONNX_INT64 : ONNX_STRING;
    graph.output(
      outputName,
      labelType,
      null,
      `predicted ${p.target}: the most probable class (ties to the first class)${labels.kind === 'string' && model.classes!.some((c) => typeof c !== 'string') ? ', as text' : ''}`,
    );
    probabilities = graph.output(
      options.probabilityName ?? ONNX_EXPORT.probabilityName,
      ONNX_FLOAT,
      K,
      `class probabilities in class order (${labels.labels.map((l) => JSON.stringify(l)).join(', ')}): the mean of the trees, computed in float32`,
    );
    graph.node('TreeEnsembleClassifier', [features], [outputName, probabilities], treeEnsembleClassifierAttributes(model.forest, p.feature_names, labels, precision), 'ai.onnx.ml');
    what = `classifier (${K} classes)`;
  } else {
    outputName = options.outputName ?? ONNX_EXPORT.outputName;
    const output = graph.output(outputName, ONNX_FLOAT, 1, `predicted ${p.target}: the mean of the trees, computed in float32`);
    graph.node('TreeEnsembleRegressor', [features], [output], treeEnsembleAttributes(model.forest, p.feature_names, precision), 'ai.onnx.ml');
    what = 'regressor';
  }

  const doc = [`grove random forest ${what} for "${p.target}": ${trees} trees over ${p.feature_names.length} features.`, ...notes].join('\n');
  const message = {
    irVersion: ONNX_EXPORT.irVersion,
    producerName: 'grove',
    producerVersion: GROVE_VERSION,
    modelVersion: 1,
    docString: doc,
    opsetImport: [
      { domain: '', version: ONNX_EXPORT.opset },
      { domain: 'ai.onnx.ml', version: ONNX_EXPORT.mlOpset },
    ],
    metadataProps: [
      { key: 'target', value: p.target },
      { key: 'feature_names', value: JSON.stringify(p.feature_names) },
      // the original labels (booleans and fractional numbers are text in the label output)
      ...(model.classes && K > 0 ? [{ key: 'classes', value: JSON.stringify(model.classes) }] : []),
    ],
    graph: {
      name: options.graphName ?? 'grove_random_forest',
      node: graph.nodes,
      initializer: graph.initializers,
      input: graph.inputs,
      output: graph.outputs,
    },
  };
  const bytes = modelProtoType().encode(message).finish();
  return {
    bytes,
    notes,
    inputs: p.columns.map((c) => ({ name: c.name, type: c.type === 'categorical' ? 'string' : precision })),
    output: outputName,
    ...(labels ? { probabilities, labels: { type: labels.kind, values: labels.labels } } : {}),
  };
}
