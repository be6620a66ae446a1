// A fitted grove forest with its preprocessing as one ONNX model: named inputs (one per training
// column) -> preprocessing nodes -> the feature matrix -> TreeEnsembleRegressor -> [N, 1].
import { GroveError, invalidOption } from '../errors.js';
import { ONNX_EXPORT } from '../constants.js';
import { preprocessingOf } from '../data/model-input.js';
import type { FlatForest } from '../forest/flat-forest.js';
import { GROVE_VERSION } from '../version.js';
import { OnnxGraph } from './onnx-graph.js';
import { ONNX_DOUBLE, ONNX_FLOAT, modelProtoType } from './onnx-schema.js';
import { addPreprocessing } from './preprocessing-graph.js';
import { treeEnsembleAttributes } from './tree-ensemble.js';

export interface OnnxExportOptions {
  /** Name of the graph output (default "prediction"); must differ from every column name. */
  outputName?: string;
  /** Graph name written into the file (default "grove_random_forest"). */
  graphName?: string;
  /**
   * 'float' (default): float inputs, thresholds and leaf values in float32, as every ONNX
   * runtime supports. 'double': double inputs and exact thresholds and leaf values
   * (nodes_values_as_tensor), so splits go exactly as in grove on float64 data; the
   * output stays float32, as TreeEnsembleRegressor defines it.
   */
  precision?: 'float' | 'double';
}

/** What a model needs to be exported: its trees and its model-file header fields. */
export interface ExportableModel {
  forest: FlatForest;
  featureNames: string[];
  targetName: string | null;
  preprocessing?: unknown;
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** Where the graph's behaviour differs from grove's (it cannot reject rows); empty when none. */
  notes: string[];
  inputs: { name: string; type: 'float' | 'double' | 'string' }[];
  output: string;
}

export function exportOnnx(model: ExportableModel, options: OnnxExportOptions = {}): OnnxExport {
  if (model.forest.nClasses > 0) {
    throw new GroveError('INVALID_MODEL', `cannot export to ONNX: this is a classifier (${model.forest.nClasses} classes); grove exports regressors only (TreeEnsembleRegressor)`);
  }
  const p = preprocessingOf({ preprocessing: model.preprocessing, feature_names: model.featureNames, target_name: model.targetName });
  if (p.feature_names.length !== model.forest.nFeatures) {
    throw new GroveError('INVALID_MODEL', `cannot export to ONNX: the preprocessing record makes ${p.feature_names.length} features but the forest reads ${model.forest.nFeatures}`);
  }
  const outputName = options.outputName ?? ONNX_EXPORT.outputName;
  const precision = options.precision ?? 'float';
  if (precision !== 'float' && precision !== 'double') throw invalidOption('precision', precision, "must be 'float' or 'double'");
  const graph = new OnnxGraph();
  const { features, notes } = addPreprocessing(graph, p, precision === 'double' ? ONNX_DOUBLE : ONNX_FLOAT);
  const output = graph.output(outputName, ONNX_FLOAT, 1, `predicted ${p.target}: the mean of the trees, computed in float32`);
  graph.node('TreeEnsembleRegressor', [features], [output], treeEnsembleAttributes(model.forest, p.feature_names, precision), 'ai.onnx.ml');

  const doc = [`grove random forest regressor for "${p.target}": ${model.forest.treeOffsets.length - 1} trees over ${p.feature_names.length} features.`, ...notes].join('\n');
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
  };
}
