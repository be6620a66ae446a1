// `grove serve <model-uri>`: the HTTP scoring server, with alias hot-swap and graceful shutdown.
import { InvalidArgumentError, type Command } from 'commander';
import { SERVE_DEFAULTS } from '../constants.js';
import { startServer } from '../serve/server.js';
import { choiceOption, floatOption, intOption } from './options.js';
import { note } from './output.js';
import { addTrackingUriOption, type TrackingFlags } from './tracking-store.js';

interface ServeFlags extends TrackingFlags {
  host: string;
  port: number;
  maxBody: number;
  pollSeconds: number;
  backend?: 'native' | 'js';
  threads?: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve a model over HTTP: POST /invocations (MLflow JSON shapes or CSV), GET /ping, /health, /version, /metadata')
    .argument('<model-uri>', 'a model file path, runs:/<run-id>/model, models:/<name>/<version> or models:/<name>@<alias> (followed when the alias moves)')
    .option('--host <host>', 'address to listen on', SERVE_DEFAULTS.host)
    .option('--port <n>', 'port to listen on (0: any free port)', intOption('--port', 0), SERVE_DEFAULTS.port)
    .option('--max-body <size>', 'largest request body: bytes, or with kb/mb/gb (default 10mb)', byteSize, SERVE_DEFAULTS.maxBodyBytes)
    .option(
      '--poll-seconds <s>',
      'for models:/<name>@<alias>: how often to check whether the alias moved (0: never)',
      floatOption('--poll-seconds', (n) => (n < 0 ? 'must be >= 0' : null)),
      SERVE_DEFAULTS.pollSeconds,
    )
    .option('--backend <b>', 'native or js (default: native, falling back to js)', choiceOption('--backend', ['native', 'js'] as const))
    .option('--threads <n>', 'threads per large batch (default: all cores)', intOption('--threads', 1));
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nBodies: {"dataframe_split": {"columns": [...], "data": [[...]]}}, {"dataframe_records": [{...}]},\n' +
        '{"instances": [...]}, {"inputs": [[...]] | {"col": [...]}} as application/json, or text/csv with a header.\n' +
        "Rows given as arrays follow the model's input columns in training order.\n" +
        'Answers {"predictions": [...]}: numbers from a regressor, class labels from a classifier. A JSON body with\n' +
        '"params": {"predict_method": "predict_proba"} gets one array of class probabilities per row from a classifier,\n' +
        'in the order of the classes listed by GET /metadata. Other "params" keys are refused (400), so a typo is not ignored.\n' +
        'SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.\n\n' +
        'Examples:\n  grove serve models:/diabetes@production --port 5000\n' +
        '  curl -H "Content-Type: application/json" -d \'{"dataframe_records": [{"age": 0.03, ...}]}\' http://127.0.0.1:5000/invocations\n' +
        '  curl -H "Content-Type: application/json" -d \'{"dataframe_records": [...], "params": {"predict_method": "predict_proba"}}\' http://127.0.0.1:5000/invocations',
    )
    .action(async (uri: string, flags: ServeFlags) => {
      await serve(uri, flags);
    });
}

async function serve(uri: string, flags: ServeFlags): Promise<void> {
  const server = await startServer(uri, {
    host: flags.host,
    port: flags.port,
    maxBodyBytes: flags.maxBody,
    pollSeconds: flags.pollSeconds,
    trackingUri: flags.trackingUri,
    backend: flags.backend,
    threads: flags.threads,
    log: note,
  });
  const m = server.slot.current;
  note(`grove: serving ${uri} (version ${m.label}, ${m.model.backend} backend) on ${server.url}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(1); // a second signal does not wait
      stopping = true;
      const n = server.inFlight();
      note(`grove: ${signal}: shutting down, finishing ${n} request${n === 1 ? '' : 's'} in flight`);
      void server.close().then(() => {
        note('grove: server stopped');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.exit(0);
}

/** "10mb", "512kb", "1048576": sizes in bytes, 1 kb = 1024 bytes. */
function byteSize(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(value);
  if (!m) throw new InvalidArgumentError(`--max-body must be a size like 10mb, 512kb or 1048576 (got "${value}")`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const bytes = Math.floor(Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1));
  if (bytes < 1) throw new InvalidArgumentError(`--max-body must be at least 1 byte (got "${value}")`);
  return bytes;
}
