// `grove experiments list`: the experiments in the store, with how many runs each holds.
import type { Command } from 'commander';
import { addOutputOptions, formatCsv, formatTable, formatTime, note, printJson, type OutputFlags } from './output.js';
import { addTrackingUriOption, withStore, type TrackingFlags } from './tracking-store.js';

async function listExperiments(flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const exps = await store.listExperiments();
    if (flags.json) {
      return printJson(exps.map((e) => ({ experiment_id: e.experimentId, name: e.name, run_count: e.runCount, created_time: e.createdTime, tags: e.tags })));
    }
    if (flags.csv) {
      return void process.stdout.write(
        formatCsv(
          ['experiment_id', 'name', 'run_count', 'created_time'],
          exps.map((e) => [e.experimentId, e.name, e.runCount, e.createdTime]),
        ),
      );
    }
    if (exps.length === 0) return note('no experiments yet');
    process.stdout.write(
      formatTable(
        ['id', 'name', 'runs', 'created (UTC)'],
        exps.map((e) => [e.experimentId, e.name, e.runCount, formatTime(e.createdTime)]),
      ),
    );
  });
}

export function register(program: Command): void {
  const experiments = program.command('experiments').description('list experiments (groups of runs)');
  const list = experiments.command('list').description('list every experiment with its number of runs');
  addOutputOptions(list);
  addTrackingUriOption(list);
  list.action((flags: TrackingFlags & OutputFlags) => listExperiments(flags));
}
