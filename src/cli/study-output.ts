// What \`grove tune\` and \`grove worker\` share: Ctrl-C handling, the progress line, and the
// end-of-study summary.
import { spaceToJson } from '../tune/space.js';
import { higherIsBetter, TASK_METRICS, taskOfMetric } from '../tune/trial-task.js';
import type { Progress } from '../tune/study-loop.js';
import type { TuneResult } from '../tune/tune.js';
import type { OptimizeHooks } from '../tune/study-loop.js';
import { formatTable, note, printJson } from './output.js';

type Hooks = OptimizeHooks & { onPhase?: (message: string) => void };

/**
 * Runs a study job with the hooks a terminal needs. The first Ctrl-C (or SIGTERM) stops the
 * trials in flight and records them KILLED (queued for other workers); a second quits at once.
 */
export async function runStudyCommand(job: (hooks: Hooks) => Promise<TuneResult>, json: boolean, howToContinue: (r: TuneResult) => string): Promise<TuneResult> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    note(`\ngrove: ${signal}: stopping; trials in flight are recorded KILLED and queued again (press Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = progressPrinter();
  try {
    const result = await job({
      signal: controller.signal,
      faults: faultsFromEnv(),
      onStart: (b) =>
        note(`grove: ${b.concurrency} trial${b.concurrency === 1 ? '' : 's'} in flight x ${b.threadsPerTrial} thread${b.threadsPerTrial === 1 ? '' : 's'} on ${b.cpus} cpus (${b.reason})`),
      onProgress: bar.update,
      onReap: (reaped) => {
        bar.clear();
        for (const t of reaped) note(`grove: trial ${t.number} (attempt ${t.attempt}) lost its worker; ${t.requeued ? 'queued again' : 'no attempts left: FAILED'}`);
      },
      onPhase: (m) => {
        bar.clear();
        note(`grove: ${m}`);
      },
    });
    bar.clear();
    for (const n of result.notes) note(`grove: ${n}`);
    reportStudy(result, json);
    if (result.outcome.interrupted) {
      note(`grove: stopped with ${result.outcome.finished} finished trials in the study; ${howToContinue(result)}`);
      process.exitCode = 130;
    }
    return result;
  } finally {
    bar.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** GROVE_TUNE_FAULTS="2:throw,4:exit": a testing hook that makes those trials fail. */
function faultsFromEnv(): Map<number, string> | undefined {
  const spec = process.env.GROVE_TUNE_FAULTS;
  if (!spec) return undefined;
  return new Map(
    spec
      .split(',')
      .map((p) => p.split(':'))
      .map(([n, kind]) => [Number(n), kind] as [number, string]),
  );
}

/** A live line on a terminal; one line per ended trial otherwise. */
function progressPrinter() {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  let lastLogged = -1;
  return {
    update(p: Progress) {
      const best = p.best === null ? '-' : fmt(p.best);
      const eta = p.etaS === null ? '' : ` | ETA ${p.etaS < 1 ? '<1' : Math.round(p.etaS)}s`;
      if (tty) {
        const width = 24;
        const filled = Math.min(width, Math.round((width * p.finished) / p.target));
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.finished}/${p.target} done, ${p.running} running, ${p.failed} failed | best ${best}${eta}   `);
        shown = true;
      } else if (p.last && p.last.number !== lastLogged) {
        lastLogged = p.last.number;
        const what = p.last.state === 'finished' ? `${p.last.pruned ? 'pruned' : 'finished'}: ${fmt(p.last.value!)}` : `${p.last.state}: ${p.last.error}`;
        process.stderr.write(`grove: trial ${p.last.number} ${what} (${p.last.durationS.toFixed(2)} s) | ${p.finished}/${p.target} done, best ${best}\n`);
      }
    },
    clear() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** The end-of-study summary: a table for people, or one JSON object. */
export function reportStudy(r: TuneResult, json: boolean, extra: Record<string, unknown> = {}): void {
  const c = r.study.config;
  const key = `best_val_${c.metric}`;
  const task = c.task ?? taskOfMetric(c.metric);
  const testKeys = TASK_METRICS[task];
  const tests: Record<string, number | null> = {};
  for (const k of testKeys) tests[`test_${k}`] = r.refit?.test[k] ?? null;
  const baselines: Record<string, number | null> = {};
  for (const k of task === 'regression' ? ['rmse' as const] : testKeys) baselines[`baseline_test_${k}`] = r.refit?.baseline[k] ?? null;
  const championTest = r.refit?.promotion.championTest ?? null;
  const out = {
    study_id: r.study.run.runId,
    study_name: c.studyName,
    experiment: c.experiment,
    task,
    interrupted: r.outcome.interrupted,
    trials_finished: r.top.length,
    trials_failed: r.outcome.failed,
    trials_killed: r.outcome.killed,
    trials_pruned: r.outcome.pruned,
    concurrency: r.outcome.budget.concurrency,
    threads_per_trial: r.outcome.budget.threadsPerTrial,
    best_trial: r.best?.number ?? null,
    best_params: r.best?.config ?? null,
    [key]: r.best?.value ?? null,
    best_val_rmse: c.metric === 'rmse' ? (r.best?.value ?? null) : undefined,
    ...tests,
    ...baselines,
    model_uri: r.refit?.modelUri ?? null,
    version: r.refit?.version ?? null,
    promoted: r.refit?.promotion.promoted ?? false,
    promotion: r.refit?.promotion.reason ?? null,
    champion_version: r.refit?.promotion.championVersion ?? null,
    ...(task === 'regression' ? { champion_test_rmse: c.metric === 'rmse' ? championTest : null } : {}),
    [`champion_test_${c.metric}`]: championTest,
    space: spaceToJson(c.space),
    worker_id: r.workerId,
    trials_finished_here: r.outcome.finishedHere,
    refit_here: r.refitHere,
    ...extra,
  };
  if (json) {
    printJson(out);
    return;
  }
  const lines: string[] = [];
  const top = r.top.slice(0, 5);
  if (top.length > 0) {
    const keys = Object.keys(top[0].config);
    lines.push(`top trials (validation ${c.metric}):`);
    lines.push(
      formatTable(
        ['trial', `val_${c.metric}`, ...keys],
        top.map((t) => [t.number, fmt(t.value), ...keys.map((k) => String(t.config[k]))]),
      ).trimEnd(),
    );
  }
  if (r.refit && r.best && task === 'classification') {
    const { test, baseline, promotion } = r.refit;
    const list = (m: typeof test) => testKeys.map((k) => `${k} ${m[k] === null || m[k] === undefined ? '-' : fmt(m[k]!)}`).join(', ');
    const t = test[c.metric];
    const b = baseline[c.metric];
    lines.push('');
    lines.push(`best params       ${JSON.stringify(r.best.config)}`);
    lines.push(`validation        ${c.metric} ${fmt(r.best.value)} (trial ${r.best.number})`);
    lines.push(`test              ${list(test)}`);
    lines.push(`baseline          ${list(baseline)}  (default hyperparameters, same split)`);
    if (typeof t === 'number' && typeof b === 'number') {
      const better = higherIsBetter(c.metric) ? t >= b : t <= b;
      lines.push(`vs baseline       test ${c.metric} ${fmt(t)} is ${t === b ? 'equal to' : better ? 'better than' : 'worse than'} the baseline's ${fmt(b)}`);
    }
    lines.push(`model             ${r.refit.modelUri}`);
    lines.push(`alias production  ${promotion.promoted ? `moved to version ${r.refit.version}` : 'not moved'}: ${promotion.reason}`);
  } else if (r.refit && r.best) {
    const { promotion } = r.refit;
    const test = r.refit.test as Record<'rmse' | 'mae' | 'r2', number>;
    const baseline = r.refit.baseline as Record<'rmse' | 'mae' | 'r2', number>;
    const gain = ((baseline.rmse - test.rmse) / baseline.rmse) * 100;
    lines.push('');
    lines.push(`best params       ${JSON.stringify(r.best.config)}`);
    lines.push(`validation ${c.metric.padEnd(6)} ${fmt(r.best.value)} (trial ${r.best.number})`);
    lines.push(`test RMSE         ${fmt(test.rmse)}  (R² ${fmt(test.r2)})`);
    lines.push(`baseline RMSE     ${fmt(baseline.rmse)}  (default hyperparameters, same split)`);
    lines.push(`improvement       ${gain >= 0 ? '' : '-'}${Math.abs(gain).toFixed(1)}% ${gain >= 0 ? 'lower' : 'higher'} test RMSE than the baseline`);
    lines.push(`model             ${r.refit.modelUri}`);
    lines.push(`alias production  ${promotion.promoted ? `moved to version ${r.refit.version}` : 'not moved'}: ${promotion.reason}`);
  }
  lines.push(
    `study             ${c.studyName} (${r.study.run.runId}): ${r.top.length} finished, ${r.outcome.failed} failed, ${r.outcome.pruned} pruned${r.outcome.finishedHere === r.top.length ? '' : ` (${r.outcome.finishedHere} finished by this worker)`}`,
  );
  if (!r.refit && !r.outcome.interrupted) lines.push(`refit             left to the worker that finishes the study (grove study status ${c.studyName})`);
  process.stdout.write(lines.join('\n') + '\n');
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString();
}
