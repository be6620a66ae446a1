// `grove server`: MLflow's tracking REST API over the tracking store, on 127.0.0.1:5000 by default.
import type { Command } from 'commander';
import { MLFLOW_SERVER_DEFAULTS } from '../constants.js';
import { startMlflowServer } from '../mlflow/server.js';
import { intOption } from './options.js';
import { note } from './output.js';
import { addTrackingUriOption, openTrackingStore, type TrackingFlags } from './tracking-store.js';

interface ServerFlags extends TrackingFlags {
  host: string;
  port: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('server')
    .description("an MLflow tracking server: MLflow's REST API 2.0 (experiments, runs, metrics, model registry) over the tracking store")
    .option('--host <host>', 'address to listen on (0.0.0.0 exposes the store, read and write, to the network)', MLFLOW_SERVER_DEFAULTS.host)
    .option('--port <n>', 'port to listen on (0: any free port)', intOption('--port', 0), MLFLOW_SERVER_DEFAULTS.port);
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nAnswers /api/2.0/mlflow/... (see README, "MLflow tracking server", for the endpoints covered), GET /health and /version.\n' +
        'The store is created if missing. SIGTERM or SIGINT: finish requests in flight, close the store, exit 0.\n' +
        '(Not to be confused with `grove serve`, the model scoring server.)\n\n' +
        'Example:\n  grove server --tracking-uri grove.db --port 5000\n  MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py',
    )
    .action(async (flags: ServerFlags) => {
      await server(flags);
    });
}

async function server(flags: ServerFlags): Promise<void> {
  const store = await openTrackingStore(flags);
  const running = await startMlflowServer(store, { host: flags.host, port: flags.port, log: note }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  note(`grove: MLflow tracking server for ${store.location} on ${running.url}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(1); // a second signal does not wait
      stopping = true;
      note(`grove: ${signal}: shutting down`);
      void running.close().then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await store.close();
  note('grove: server stopped');
  process.exit(0);
}
