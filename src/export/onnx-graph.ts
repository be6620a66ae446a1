// A small builder for one ONNX graph: inputs, constant initializers, nodes and outputs as plain
// objects shaped like the messages of onnx-schema.ts, plus unique names for internal values.
import { GroveError } from '../errors.js';
import { ATTR, ONNX_DOUBLE, ONNX_FLOAT, ONNX_INT64 } from './onnx-schema.js';

export type Attribute =
  | { name: string; type: typeof ATTR.FLOAT; f: number }
  | { name: string; type: typeof ATTR.INT; i: number }
  | { name: string; type: typeof ATTR.STRING; s: Uint8Array }
  | { name: string; type: typeof ATTR.TENSOR; t: object }
  | { name: string; type: typeof ATTR.FLOATS; floats: ArrayLike<number> }
  | { name: string; type: typeof ATTR.INTS; ints: ArrayLike<number> }
  | { name: string; type: typeof ATTR.STRINGS; strings: Uint8Array[] };

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** nodes_modes repeats two words per node: encode each distinct string once */
function utf8All(strings: readonly string[]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  return strings.map((s) => {
    let b = seen.get(s);
    if (!b) {
      b = utf8(s);
      seen.set(s, b);
    }
    return b;
  });
}

export const attr = {
  float: (name: string, f: number): Attribute => ({ name, type: ATTR.FLOAT, f }),
  int: (name: string, i: number): Attribute => ({ name, type: ATTR.INT, i }),
  string: (name: string, s: string): Attribute => ({ name, type: ATTR.STRING, s: utf8(s) }),
  floats: (name: string, floats: ArrayLike<number>): Attribute => ({ name, type: ATTR.FLOATS, floats }),
  ints: (name: string, ints: ArrayLike<number>): Attribute => ({ name, type: ATTR.INTS, ints }),
  strings: (name: string, strings: readonly string[]): Attribute => ({ name, type: ATTR.STRINGS, strings: utf8All(strings) }),
  /** a 1-D double tensor: the *_as_tensor attributes of tree ensembles */
  doubles: (name: string, values: ArrayLike<number>): Attribute => ({ name, type: ATTR.TENSOR, t: { dataType: ONNX_DOUBLE, dims: [values.length], doubleData: values } }),
};

interface ValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
  docString?: string;
}

/** Rows are a symbolic dimension: the graph takes any batch size. */
const ROWS = { dimParam: 'N' };

export class OnnxGraph {
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly nodes: object[] = [];
  readonly initializers: object[] = [];
  #names = new Set<string>();
  #counter = 0;

  /** A graph input of shape [N, 1]; its name is the user's column name and must be free. */
  input(name: string, elemType: number, docString: string): string {
    this.#claim(name, 'input');
    this.inputs.push({ name, type: { tensorType: { elemType, shape: { dim: [ROWS, { dimValue: 1 }] } } }, docString });
    return name;
  }

  /** A graph output of shape [N, cols], or [N] when cols is null. */
  output(name: string, elemType: number, cols: number | null, docString: string): string {
    this.#claim(name, 'output');
    this.outputs.push({ name, type: { tensorType: { elemType, shape: { dim: cols === null ? [ROWS] : [ROWS, { dimValue: cols }] } } }, docString });
    return name;
  }

  /** An internal value name, unique in the graph ("grove.<hint>.<n>"). */
  fresh(hint: string): string {
    let name: string;
    do name = `grove.${hint}.${this.#counter++}`;
    while (this.#names.has(name));
    this.#names.add(name);
    return name;
  }

  /** A constant float or double tensor of the given dims (a scalar when dims is empty). */
  constNumbers(hint: string, values: readonly number[], dims: number[], elemType: number = ONNX_FLOAT): string {
    const name = this.fresh(hint);
    this.initializers.push(elemType === ONNX_DOUBLE ? { name, dataType: ONNX_DOUBLE, dims, doubleData: values } : { name, dataType: ONNX_FLOAT, dims, floatData: values });
    return name;
  }

  constInts(hint: string, values: readonly number[], dims: number[]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: ONNX_INT64, dims, int64Data: values });
    return name;
  }

  /** Adds one node; returns its (first) output name. */
  node(opType: string, inputs: string[], outputs: string[], attributes: Attribute[] = [], domain = ''): string {
    this.nodes.push({ opType, domain, input: inputs, output: outputs, attribute: attributes, name: `${opType}.${this.nodes.length}` });
    return outputs[0];
  }

  #claim(name: string, what: string): void {
    if (name === '') throw new GroveError('INVALID_MODEL', `cannot export to ONNX: an ${what} needs a non-empty name`);
    if (this.#names.has(name)) {
      throw new GroveError('INVALID_MODEL', `cannot export to ONNX: the ${what} name "${name}" is used twice in the graph (a column and an output cannot share a name; pass another output name)`, {
        column: name,
      });
    }
    this.#names.add(name);
  }
}
