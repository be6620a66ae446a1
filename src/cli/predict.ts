// `grove predict <model-uri> --input <file>`: score a file with a saved or registered model.
import type { Command } from 'commander';
import { applyPreprocessing, categoricalColumnsOf, loadData } from '../data/index.js';
import { GroveError } from '../errors.js';
import { argmaxRows, decodeLabels } from '../labels.js';
import { loadModel } from '../serve/load-model.js';
import { predictionsCsvChunks, predictionsJsonChunks, writeChunks, writeFileAtomically, type PredictionOutput } from '../serve/write-predictions.js';
import { choiceOption, intOption } from './options.js';
import { note } from './output.js';
import { addTrackingUriOption, type TrackingFlags } from './tracking-store.js';

interface PredictFlags extends TrackingFlags {
  input: string;
  output?: string;
  json?: boolean;
  proba?: boolean;
  backend?: 'native' | 'js';
  threads?: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('predict')
    .description("score a data file with a model: the model's own preprocessing applies (column order, encodings, imputation)")
    .argument('<model-uri>', 'a model file path, runs:/<run-id>/model, models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>')
    .requiredOption('--input <file>', 'rows to score: CSV, TSV, .csv.gz, JSON or Arrow (columns in any order; a target column is ignored)')
    .option('--output <file>', 'write the CSV here instead of stdout')
    .option('--json', 'print {"predictions": [...]} instead of CSV (to --output when given)')
    .option('--proba', 'classifiers: add one column proba_<label> per class (in --json: "classes" and "probabilities")')
    .option('--backend <b>', 'native or js (default: native, falling back to js)', choiceOption('--backend', ['native', 'js'] as const))
    .option('--threads <n>', 'prediction threads (default: all cores)', intOption('--threads', 1));
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nOutput: the input columns followed by a column "prediction": for a regressor a number at full double precision,\n' +
        'for a classifier the predicted class label as the training data wrote it (ties go to the first class in sorted order).\n' +
        'With --proba (classifiers only), one more column per class, proba_<label>, in sorted class order:\n' +
        'the mean over the trees of the class frequencies in their leaves (each row sums to 1).\n' +
        'With --json: {"predictions": [...]}, plus "classes" and "probabilities" (one array per row) with --proba.\n\n' +
        'Examples:\n  grove predict model.grove --input new.csv\n  grove predict models:/diabetes@production --input new.csv --output scored.csv\n' +
        '  grove predict models:/churn@production --input new.csv --proba',
    )
    .action(async (uri: string, flags: PredictFlags) => {
      await predict(uri, flags);
    });
}

async function predict(uri: string, flags: PredictFlags): Promise<void> {
  const { model, preprocessing } = await loadModel(uri, { trackingUri: flags.trackingUri, backend: flags.backend, threads: flags.threads });
  if (flags.proba && model.task !== 'classification') {
    throw new GroveError('INVALID_OPTION', `--proba: ${uri} is a regressor; class probabilities come from classifiers only (drop --proba)`, { option: '--proba', uri });
  }
  const input = await loadData(flags.input, { categoricalColumns: categoricalColumnsOf(preprocessing) });
  const applied = applyPreprocessing(input, preprocessing);
  for (const line of applied.notes) note(`grove: ${line}`);
  let output: PredictionOutput;
  if (model.task === 'classification') {
    // one pass over the trees: the labels are the arg-max of the probabilities (what predict does)
    const k = model.classes.length;
    const proba = applied.rows === 0 ? new Float64Array(0) : await model.predictProba(applied.x);
    output = { predictions: decodeLabels(argmaxRows(proba, k), model.classes), proba: flags.proba ? { classes: model.classes, values: proba } : null };
  } else {
    output = { predictions: applied.rows === 0 ? new Float64Array(0) : await model.predict(applied.x) };
  }
  // streamed in chunks of rows: the output of a large file never has to fit in one string
  const chunks = flags.json ? predictionsJsonChunks(output) : predictionsCsvChunks(input, output);
  if (!flags.output) {
    try {
      await writeChunks(process.stdout, chunks);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err; // the reader left (| head): not an error
    }
    return;
  }
  await writeFileAtomically(flags.output, chunks);
  note(`grove: wrote ${output.predictions.length} predictions to ${flags.output}`);
}
