// `grove predict <model-uri> --input <file>`: score a file with a saved or registered model.
import type { Command } from 'commander';
import { applyPreprocessing, categoricalColumnsOf, loadData } from '../data/index.js';
import { loadModel } from '../serve/load-model.js';
import { predictionsCsvChunks, predictionsJsonChunks, writeChunks, writeFileAtomically } from '../serve/write-predictions.js';
import { choiceOption, intOption } from './options.js';
import { note } from './output.js';
import { addTrackingUriOption, type TrackingFlags } from './tracking-store.js';

interface PredictFlags extends TrackingFlags {
  input: string;
  output?: string;
  json?: boolean;
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
    .option('--backend <b>', 'native or js (default: native, falling back to js)', choiceOption('--backend', ['native', 'js'] as const))
    .option('--threads <n>', 'prediction threads (default: all cores)', intOption('--threads', 1));
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nOutput: the input columns followed by a last column "prediction", numbers at full double precision.\n\nExamples:\n  grove predict model.grove --input new.csv\n  grove predict models:/diabetes@production --input new.csv --output scored.csv',
    )
    .action(async (uri: string, flags: PredictFlags) => {
      await predict(uri, flags);
    });
}

async function predict(uri: string, flags: PredictFlags): Promise<void> {
  const { model, preprocessing } = await loadModel(uri, { trackingUri: flags.trackingUri, backend: flags.backend, threads: flags.threads });
  const input = await loadData(flags.input, { categoricalColumns: categoricalColumnsOf(preprocessing) });
  const applied = applyPreprocessing(input, preprocessing);
  for (const line of applied.notes) note(`grove: ${line}`);
  const predictions = applied.rows === 0 ? new Float64Array(0) : await model.predict(applied.x);
  // streamed in chunks of rows: the output of a large file never has to fit in one string
  const chunks = flags.json ? predictionsJsonChunks(predictions) : predictionsCsvChunks(input, predictions);
  if (!flags.output) {
    try {
      await writeChunks(process.stdout, chunks);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err; // the reader left (| head): not an error
    }
    return;
  }
  await writeFileAtomically(flags.output, chunks);
  note(`grove: wrote ${predictions.length} predictions to ${flags.output}`);
}
