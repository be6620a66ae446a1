// The commander program: one file per command, each exporting `register(program)`.
// Commands hold no business logic; they parse flags, call src/, and print.
import { Command } from 'commander';
import { GROVE_VERSION } from '../version.js';
import { register as registerTrain } from './train.js';
import { register as registerPredict } from './predict.js';
import { register as registerTune } from './tune.js';
import { register as registerServe } from './serve.js';
import { register as registerServer } from './server.js';
import { register as registerExperiments } from './experiments.js';
import { register as registerRuns } from './runs.js';
import { register as registerModels } from './models.js';
import { register as registerData } from './data.js';
import { register as registerUi } from './ui.js';
import { register as registerWorker } from './worker.js';
import { register as registerStudy } from './study-status.js';
import { register as registerExport } from './export.js';

export function buildProgram(): Command {
  const program = new Command('grove')
    .description('Train, tune, track, register and serve random-forest models')
    .version(GROVE_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();
  registerTrain(program);
  registerPredict(program);
  registerTune(program);
  registerWorker(program);
  registerStudy(program);
  registerServe(program);
  registerServer(program);
  registerExperiments(program);
  registerRuns(program);
  registerModels(program);
  registerExport(program);
  registerData(program);
  registerUi(program);
  return program;
}
