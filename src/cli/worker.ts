// `grove worker`: join a study in a shared tracking store from any machine and work on its
// trials until it has them all. Flags only: the work is src/tune/tune.ts (runWorker).
import type { Command } from 'commander';
import { STUDY_QUEUE_DEFAULTS } from '../constants.js';
import { runWorker } from '../tune/tune.js';
import { floatOption, intOption } from './options.js';
import { runStudyCommand } from './study-output.js';
import { addTrackingUriOption, openTrackingStore, type TrackingFlags } from './tracking-store.js';

interface WorkerFlags extends TrackingFlags {
  study: string;
  cpus?: number;
  concurrency?: number;
  threadsPerTrial?: number;
  data?: string;
  wait: number;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('worker')
    .description('work on a study in a shared tracking store (PostgreSQL across machines, SQLite on one): claim trials, run them, report them')
    .requiredOption('--study <name>', 'the study to join (its name or run id)')
    .option('--cpus <n>', 'cores to use on this machine (default: all)', intOption('--cpus', 1))
    .option('--concurrency <n>', 'trials in flight (default: chosen from data size)', intOption('--concurrency', 1))
    .option('--threads-per-trial <n>', 'threads per trial (default: chosen from data size)', intOption('--threads-per-trial', 1))
    .option('--data <path>', "this machine's copy of the study's data, when it is not at the recorded path (its fingerprint must match)")
    .option(
      '--wait <s>',
      'seconds to wait for the study to appear',
      floatOption('--wait', (n) => (n >= 0 ? null : 'must be >= 0')),
      STUDY_QUEUE_DEFAULTS.waitS,
    )
    .option('--json', 'print one JSON object on stdout at the end');
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      `
The study is created by grove tune --study <name> (on any machine, against the same store).
Every worker loads the data itself (or the copy stored with --ship-data) and refuses data whose
fingerprint differs. A worker exits 0 when the study has its trials and nothing is left to
claim; the first to find the study complete refits, registers and promotes the best model. A trial whose
worker stops heartbeating for the study's grace period (default ${STUDY_QUEUE_DEFAULTS.graceS} s) is run again.

Examples:
  grove worker --tracking-uri postgres://grove@db.internal/grove --study houses
  grove worker --tracking-uri postgres://grove@db.internal/grove --study houses --cpus 8 --data /mnt/data/houses.csv
  grove worker --tracking-uri grove.db --study houses          (more processes on one machine)`,
    )
    .action(async (flags: WorkerFlags) => {
      await runStudyCommand(
        (hooks) =>
          runWorker(
            () => openTrackingStore(flags, { create: true }),
            { ref: flags.study, data: flags.data, waitS: flags.wait },
            { cpus: flags.cpus, concurrency: flags.concurrency, threadsPerTrial: flags.threadsPerTrial },
            hooks,
          ),
        flags.json === true,
        (r) => `other workers go on; this one rejoins with: grove worker --study ${r.study.config.studyName}`,
      );
    });
}
