// `grove ui`: the dashboard over the tracking store, read-only, on 127.0.0.1:5050 by default.
import type { Command } from 'commander';
import { UI_DEFAULTS, startUiServer } from '../ui/server.js';
import { intOption } from './options.js';
import { note } from './output.js';
import { addTrackingUriOption, openTrackingStore, type TrackingFlags } from './tracking-store.js';

interface UiFlags extends TrackingFlags {
  host: string;
  port: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('ui')
    .description('a web dashboard of experiments, runs, studies and models (read-only)')
    .option('--host <host>', 'address to listen on (0.0.0.0 exposes the dashboard to the network)', UI_DEFAULTS.host)
    .option('--port <n>', 'port to listen on (0: any free port)', intOption('--port', 0), UI_DEFAULTS.port);
  addTrackingUriOption(cmd)
    .addHelpText('after', '\nThe JSON API lives under /api/ (see README, "Dashboard").\n\nExample:\n  grove ui --tracking-uri grove.db --port 5050')
    .action(async (flags: UiFlags) => {
      await ui(flags);
    });
}

async function ui(flags: UiFlags): Promise<void> {
  // create: false: a mistyped path is an error, not a new empty database
  const store = await openTrackingStore(flags, { create: false });
  const server = await startUiServer(store, { host: flags.host, port: flags.port, log: note });
  note(`grove: dashboard of ${store.location} on ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await store.close();
  process.exit(0);
}
