// `grove export <model-uri> --format onnx --output model.onnx`: a model as a file another runtime reads.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GroveError } from '../errors.js';
import { loadModel } from '../serve/load-model.js';
import { choiceOption } from './options.js';
import { note, printJson } from './output.js';
import { addTrackingUriOption, type TrackingFlags } from './tracking-store.js';

interface ExportFlags extends TrackingFlags {
  format: 'onnx';
  output: string;
  outputName?: string;
  probabilityName?: string;
  precision?: 'float' | 'double';
  json?: boolean;
}

export const ONNX_HELP = `
The ONNX graph (IR 8, opsets ai.onnx 16 and ai.onnx.ml 3) has one input per training column, named
after it, shape [N, 1]: float for numeric and boolean columns (NaN is missing, true is 1), text for
categorical columns ("" is missing). It applies the model's preprocessing (column order, ordinal or
one-hot encoding, imputation) and a tree ensemble. A regressor's TreeEnsembleRegressor outputs
"prediction" [N, 1] in float32. A classifier's TreeEnsembleClassifier outputs "label" [N], the most
probable class (int64 for integer labels; text for string labels, and "true"/"false" or the
number's text for boolean and fractional labels), and "probabilities" [N, K] in float32, columns
in the model's class order (the file's metadata "classes" lists them).
With --precision float (default) thresholds are float32: predictions equal grove's on float32 data
within float32 rounding, but values float32 cannot tell apart may take another branch. With
--precision double, inputs are double and thresholds exact: every split goes as in grove.
A graph cannot reject a row: where grove would refuse a missing value or an unseen category, the
export says on stderr what the graph does instead.`;

/** The options grove export and grove models export share: the format and how the graph is written. */
export function addOnnxOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', 'onnx (the only format so far)', choiceOption('--format', ['onnx'] as const), 'onnx')
    .option('--output-name <name>', "name of the graph output (default: prediction; a classifier's label output, default: label)")
    .option('--probability-name <name>', "a classifier's probabilities output (default: probabilities)")
    .option('--precision <p>', 'float (default: float inputs, float32 thresholds) or double (double inputs, exact thresholds)', choiceOption('--precision', ['float', 'double'] as const));
}

export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('write a model in a format other runtimes read (ONNX: ONNX Runtime in Python, C#, Java, the browser, ...)')
    .argument('<model-uri>', 'a model file path, runs:/<run-id>/model, models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>')
    .requiredOption('--output <file>', 'the file to write, e.g. model.onnx');
  addOnnxOptions(cmd).option('--json', 'print a JSON summary on stdout');
  addTrackingUriOption(cmd)
    .addHelpText('after', `${ONNX_HELP}\n\nExamples:\n  grove export model.grove --output model.onnx\n  grove export models:/diabetes@production --format onnx --output diabetes.onnx`)
    .action(async (uri: string, flags: ExportFlags) => {
      const { model } = await loadModel(uri, { trackingUri: flags.trackingUri, backend: 'js' });
      const exported = model.onnxExport({ outputName: flags.outputName, probabilityName: flags.probabilityName, precision: flags.precision });
      for (const line of exported.notes) note(`grove: ${line}`);
      writeAtomically(flags.output, exported.bytes);
      if (flags.json)
        return printJson({
          model: uri,
          format: flags.format,
          output: flags.output,
          bytes: exported.bytes.length,
          inputs: exported.inputs,
          output_name: exported.output,
          ...(exported.probabilities ? { probability_name: exported.probabilities, labels: exported.labels } : {}),
          notes: exported.notes,
        });
      const outputs = exported.probabilities ? `"${exported.output}", "${exported.probabilities}"` : `"${exported.output}"`;
      note(`grove: wrote ${flags.output} (${exported.bytes.length} bytes, ${exported.inputs.length} inputs -> ${outputs})`);
    });
}

/** Whole file or nothing: a cut write leaves no half-written model behind. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new GroveError('INVALID_FILE', `cannot write ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}
