// grove's preprocessing record as ONNX nodes: one named graph input per training column, in the
// training file's order, turned into the engine's feature matrix [N, features] exactly as
// applyPreprocessing does (imputation, ordinal codes, one-hot columns), then concatenated.
import { GroveError } from '../errors.js';
import type { InputColumn, Preprocessing } from '../data/preprocessing.js';
import { attr, type OnnxGraph } from './onnx-graph.js';
import { ONNX_DOUBLE, ONNX_FLOAT, ONNX_STRING } from './onnx-schema.js';

const ML = 'ai.onnx.ml';

/**
 * Declares the inputs, adds the nodes, returns the name of the feature matrix and notes on
 * what the graph does differently from grove (an ONNX graph cannot reject a row).
 */
export function addPreprocessing(graph: OnnxGraph, p: Preprocessing, elemType: number): { features: string; notes: string[] } {
  const inputs = p.columns.map((c) => graph.input(c.name, c.type === 'categorical' ? ONNX_STRING : elemType, describe(c, elemType)));
  const parts = p.columns.map((c, i) => encodeColumn(graph, c, inputs[i], elemType));
  const features = graph.node('Concat', parts, [graph.fresh('features')], [attr.int('axis', 1)]);

  const notes: string[] = [];
  const unimputed = p.columns.filter((c) => c.impute_value === undefined).map((c) => c.name);
  if (unimputed.length > 0) {
    notes.push(
      `grove rejects missing values in ${unimputed.map((n) => `"${n}"`).join(', ')}; the ONNX graph cannot reject a row: ` +
        'a NaN takes the "greater than" side of every split and an empty or unseen text gets the unseen-category encoding',
    );
  }
  const strict = p.columns.filter((c) => c.type === 'categorical').map((c) => c.name);
  if (p.unseen_category === 'error' && strict.length > 0) {
    notes.push(
      `grove rejects categories unseen in training in ${strict.map((n) => `"${n}"`).join(', ')}; the ONNX graph encodes them as grove's ` +
        '"fallback" policy does (the fallback code for ordinal columns, all zeros for one-hot columns)',
    );
  }
  return { features, notes };
}

function describe(c: InputColumn, elemType: number): string {
  const kind = elemType === ONNX_DOUBLE ? 'double' : 'float';
  if (c.type === 'numeric') return `numeric column "${c.name}" (${kind}; NaN is missing${c.impute_value !== undefined ? `, imputed as ${c.impute_value}` : ''})`;
  if (c.type === 'boolean') return `boolean column "${c.name}" as ${kind}: 1 for true, 0 for false`;
  return `categorical column "${c.name}" as text (${c.encoding} encoding of ${c.categories!.length} categories; "" is missing)`;
}

/** The [N, width] tensor (of elemType) this column contributes to the feature matrix. */
function encodeColumn(graph: OnnxGraph, c: InputColumn, input: string, elemType: number): string {
  if (c.type === 'numeric' || c.type === 'boolean') {
    if (c.impute_value === undefined) return input;
    if (typeof c.impute_value !== 'number') throw cannot(c, `the imputation value ${JSON.stringify(c.impute_value)} is not a number`);
    const isMissing = graph.node('IsNaN', [input], [graph.fresh('missing')]);
    const fill = graph.constNumbers('impute', [c.impute_value], [], elemType);
    return graph.node('Where', [isMissing, fill, input], [graph.fresh('imputed')]);
  }
  if (c.type !== 'categorical') throw cannot(c, `the column type ${JSON.stringify(c.type)} is unknown`);
  const categories = c.categories ?? [];
  const oneHot = c.encoding === 'one-hot';
  if (!oneHot && c.encoding !== 'ordinal') throw cannot(c, `the encoding ${JSON.stringify(c.encoding)} is unknown`);
  // unseen: all zeros for one-hot (code -1 matches no column), the fallback code for ordinal
  const unseen = oneHot ? -1 : (c.fallback_code ?? categories.length);
  const keys = [...categories];
  const codes = categories.map((_, i) => i);
  if (typeof c.impute_value === 'string' && !categories.includes('')) {
    // a missing text arrives as "": it takes the code of the imputed category
    const at = categories.indexOf(c.impute_value);
    keys.push('');
    codes.push(at >= 0 ? at : unseen);
  }
  if (keys.length === 0) throw cannot(c, 'it has no categories');
  const code = graph.node(
    'LabelEncoder',
    [input],
    [graph.fresh(oneHot ? 'code' : 'ordinal')],
    [attr.strings('keys_strings', keys), attr.floats('values_floats', codes), attr.float('default_float', unseen)],
    ML,
  );
  // LabelEncoder v2 maps to float; small integer codes are exact in both widths
  if (!oneHot) return elemType === ONNX_FLOAT ? code : graph.node('Cast', [code], [graph.fresh('ordinal')], [attr.int('to', elemType)]);
  const columns = graph.constNumbers('categories', codes.slice(0, categories.length), [categories.length]);
  const hot = graph.node('Equal', [code, columns], [graph.fresh('hot')]);
  return graph.node('Cast', [hot], [graph.fresh('one_hot')], [attr.int('to', elemType)]);
}

function cannot(c: InputColumn, why: string): GroveError {
  return new GroveError('INVALID_MODEL', `cannot export to ONNX: column "${c.name}": ${why}`, { column: c.name });
}
