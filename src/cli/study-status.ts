// `grove study status <name>`: who works on a shared study and how far it is.
import type { Command } from 'commander';
import { GroveError } from '../errors.js';
import { currentHost, processExists } from '../track/liveness.js';
import { studyConfigFromParams } from '../tune/study-config.js';
import { findStudy } from '../tune/study-run.js';
import { objectiveKey } from '../tune/study-record.js';
import { higherIsBetter } from '../tune/trial-task.js';
import { formatTable, printJson } from './output.js';
import { addTrackingUriOption, withStore, type TrackingFlags } from './tracking-store.js';

interface StatusFlags extends TrackingFlags {
  json?: boolean;
}

export function register(program: Command): void {
  const study = program.command('study').description('inspect tuning studies (shared by grove tune and grove worker)');
  addTrackingUriOption(
    study
      .command('status')
      .description('workers (host, pid, last heartbeat, trials done), trials running / finished / failed / re-queued, and the best so far')
      .argument('<study>', 'the study name or run id')
      .option('--json', 'print one JSON object on stdout'),
  ).action(async (ref: string, flags: StatusFlags) => {
    await withStore(flags, { create: false }, async (store) => {
      const run = await findStudy(store, ref);
      const config = studyConfigFromParams(run.params, ref);
      if (!(await store.trials.getStudy(run.runId))) {
        throw new GroveError('NOT_FOUND', `study "${ref}" was recorded before shared studies; grove tune --resume ${ref} gives it a trial queue`, { option: 'study' });
      }
      const s = await store.trials.status(run.runId, !higherIsBetter(config.metric));
      const graceMs = s.study.graceMs;
      // an active worker is "gone" when its process on this host has exited without leaving,
      // "silent" when its heartbeat is older than the grace period
      const host = currentHost();
      const workers = s.workers.map((w) => ({
        ...w,
        state: w.state !== 'active' ? w.state : w.host === host && !processExists(w.pid) ? ('gone' as const) : w.heartbeatAgeMs > graceMs ? ('silent' as const) : w.state,
      }));
      const out = {
        study_id: run.runId,
        study_name: config.studyName,
        state: s.study.state,
        refit_worker: s.study.refitWorker,
        target: s.study.target,
        grace_s: graceMs / 1000,
        max_attempts: s.study.maxAttempts,
        trials: { ...s.counts, requeued: s.requeued },
        best: s.best && { trial: s.best.number, [objectiveKey(config.metric)]: s.best.value },
        running: s.running.map((r) => ({ trial: r.number, attempt: r.attempt, worker_id: r.workerId, heartbeat_age_s: r.heartbeatAgeMs / 1000 })),
        workers: workers.map((w) => ({
          worker_id: w.workerId,
          host: w.host,
          pid: w.pid,
          state: w.state,
          started_time: w.startedTime,
          last_heartbeat: w.heartbeatTime,
          heartbeat_age_s: w.heartbeatAgeMs / 1000,
          trials_done: w.trialsDone,
        })),
      };
      if (flags.json) {
        printJson(out);
        return;
      }
      const c = s.counts;
      const lines = [
        `study     ${config.studyName} (${run.runId}): ${s.study.state}${s.study.refitWorker ? ` (refit by ${s.study.refitWorker})` : ''}`,
        `trials    ${c.finished}/${s.study.target} finished, ${c.running} running, ${c.failed} failed, ${c.queued} queued; ${s.requeued} re-queued after a lost worker or a stop`,
        `best      ${s.best ? `trial ${s.best.number}: ${objectiveKey(config.metric)} ${Number(s.best.value.toPrecision(6))}` : '-'}`,
        '',
        formatTable(
          ['worker', 'host', 'pid', 'state', 'last heartbeat', 'trials done'],
          workers.map((w) => [w.workerId, w.host, w.pid, w.state, `${(w.heartbeatAgeMs / 1000).toFixed(1)} s ago`, w.trialsDone]),
        ).trimEnd(),
      ];
      if (s.running.length > 0) {
        lines.push(
          '',
          formatTable(
            ['running trial', 'attempt', 'worker', 'last heartbeat'],
            s.running.map((r) => [r.number, r.attempt, r.workerId, `${(r.heartbeatAgeMs / 1000).toFixed(1)} s ago`]),
          ).trimEnd(),
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
  });
}
