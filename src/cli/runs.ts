// `grove runs list|show|gc`: search runs, show one run in full, fail runs whose process died.
import type { Command } from 'commander';
import { GroveError } from '../errors.js';
import { gcDeadRuns, runLiveness } from '../track/liveness.js';
import type { Run, Store } from '../track/store.js';
import { intOption } from './options.js';
import { addOutputOptions, formatCsv, formatDuration, formatNumber, formatTable, formatTime, jsonNumber, note, printJson, type OutputFlags } from './output.js';
import { addTrackingUriOption, withStore, type TrackingFlags } from './tracking-store.js';

interface ListFlags extends TrackingFlags, OutputFlags {
  experiment?: string;
  filter?: string;
  orderBy?: string[];
  limit: number;
}

const TABLE_METRICS = 6;

/** --order-by may repeat, and one value may hold several comma-separated terms. */
function collectOrderBy(value: string, previous: string[] = []): string[] {
  // commas inside backquoted keys belong to the key; a single term goes to the store as given
  // (which refuses leading or trailing spaces, as MLflow does), spaces around commas are layout
  if (value.includes('`') || !value.includes(',')) return [...previous, value];
  return [
    ...previous,
    ...value
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  ];
}

/** The JSON shape of a run (snake_case, as users read it). */
export function runToJson(run: Run): Record<string, unknown> {
  const liveness = runLiveness(run);
  return {
    run_id: run.runId,
    experiment: run.experimentName,
    run_name: run.runName,
    status: run.status,
    parent_run_id: run.parentRunId,
    start_time: run.startTime,
    end_time: run.endTime,
    params: run.params,
    metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, jsonNumber(v)])),
    tags: run.tags,
    // RUNNING but its process on this host is gone (grove runs gc marks it FAILED)
    dead: liveness === 'dead',
  };
}

export function displayStatus(run: Run): string {
  return runLiveness(run) === 'dead' ? 'RUNNING (dead)' : run.status;
}

async function listRuns(flags: ListFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    let experimentIds: string[] | undefined;
    if (flags.experiment !== undefined) {
      const exp = await store.getExperimentByName(flags.experiment);
      if (!exp)
        throw notFoundExperiment(
          flags.experiment,
          (await store.listExperiments()).map((e) => e.name),
        );
      experimentIds = [exp.experimentId];
    }
    const runs = await store.searchRuns({ experimentIds, filter: flags.filter, orderBy: flags.orderBy, limit: flags.limit });
    if (flags.json) return printJson(runs.map(runToJson));
    if (flags.csv) return void process.stdout.write(runsCsv(runs));
    if (runs.length === 0) return note('no runs match');
    process.stdout.write(runsTable(runs));
    if (runs.length === flags.limit) note(`(showing the first ${flags.limit}; use --limit to see more)`);
    const dead = runs.filter((r) => runLiveness(r) === 'dead').length;
    if (dead > 0) note(`${dead} run${dead === 1 ? ' is' : 's are'} RUNNING but ${dead === 1 ? 'its process is' : 'their processes are'} gone: grove runs gc marks them FAILED`);
  });
}

function keysOf(runs: Run[], pick: (r: Run) => Record<string, unknown>): string[] {
  return [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
}

function runsCsv(runs: Run[]): string {
  const params = keysOf(runs, (r) => r.params);
  const metrics = keysOf(runs, (r) => r.metrics);
  const tags = keysOf(runs, (r) => r.tags);
  const headers = [
    'run_id',
    'experiment',
    'run_name',
    'status',
    'parent_run_id',
    'start_time',
    'end_time',
    ...params.map((k) => `params.${k}`),
    ...metrics.map((k) => `metrics.${k}`),
    ...tags.map((k) => `tags.${k}`),
  ];
  const rows = runs.map((r) => [
    r.runId,
    r.experimentName,
    r.runName,
    displayStatus(r),
    r.parentRunId,
    r.startTime,
    r.endTime,
    ...params.map((k) => r.params[k]),
    ...metrics.map((k) => r.metrics[k]),
    ...tags.map((k) => r.tags[k]),
  ]);
  return formatCsv(headers, rows);
}

function runsTable(runs: Run[]): string {
  const metrics = keysOf(runs, (r) => r.metrics).slice(0, TABLE_METRICS);
  const now = Date.now();
  const rows = runs.map((r) => [
    r.runId,
    r.experimentName,
    r.runName,
    displayStatus(r),
    r.parentRunId ? r.parentRunId.slice(0, 8) : '',
    formatTime(r.startTime),
    formatDuration((r.endTime ?? now) - r.startTime),
    ...metrics.map((k) => (k in r.metrics ? formatNumber(r.metrics[k]) : '')),
  ]);
  return formatTable(['run_id', 'experiment', 'run_name', 'status', 'parent', 'started (UTC)', 'duration', ...metrics], rows);
}

async function showRun(runId: string, flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const run = await store.getRun(runId);
    const history = await metricHistories(store, run);
    const artifacts = await store.listArtifacts(run.runId);
    if (flags.json) {
      return printJson({
        ...runToJson(run),
        experiment_id: run.experimentId,
        data_fingerprint: run.dataFingerprint,
        host: run.host,
        pid: run.pid,
        heartbeat_time: run.heartbeatTime,
        metric_history: Object.fromEntries(Object.entries(history).map(([k, ms]) => [k, ms.map((m) => ({ step: m.step, value: jsonNumber(m.value), timestamp: m.timestamp }))])),
        artifacts: artifacts.map((a) => ({ name: a.name, size: a.size, sha256: a.sha256, created_time: a.createdTime })),
      });
    }
    const out: string[] = [];
    const field = (k: string, v: string | number | null) => out.push(`${(k + ':').padEnd(18)}${v ?? ''}`);
    field('run_id', run.runId);
    field('run_name', run.runName);
    field('experiment', `${run.experimentName} (${run.experimentId})`);
    field('status', displayStatus(run));
    field('parent_run_id', run.parentRunId ?? '-');
    field('started (UTC)', formatTime(run.startTime));
    field('ended (UTC)', run.endTime === null ? '-' : formatTime(run.endTime));
    field('duration', formatDuration((run.endTime ?? Date.now()) - run.startTime));
    field('process', `${run.host} pid ${run.pid} (last heartbeat ${formatTime(run.heartbeatTime)})`);
    field('data_fingerprint', run.dataFingerprint ?? '-');
    const section = (title: string, headers: string[], rows: (string | number | null)[][]) => {
      out.push('', title + ':');
      out.push(rows.length ? formatTable(headers, rows).trimEnd() : '  (none)');
    };
    section('params', ['key', 'value'], Object.entries(run.params));
    section(
      'metrics',
      ['key', 'latest', 'step', 'history'],
      Object.keys(run.metrics).map((k) => {
        const h = history[k] ?? [];
        const last = h.reduce((a, b) => (b.step > a.step || (b.step === a.step && b.timestamp >= a.timestamp) ? b : a), h[0]);
        return [
          k,
          formatNumber(run.metrics[k]),
          last?.step ?? 0,
          h.length > 1
            ? h
                .map((m) => formatNumber(m.value))
                .slice(0, 8)
                .join(' ') + (h.length > 8 ? ' ...' : '')
            : '',
        ];
      }),
    );
    section('tags', ['key', 'value'], Object.entries(run.tags));
    section(
      'artifacts',
      ['name', 'size', 'sha256'],
      artifacts.map((a) => [a.name, a.size, a.sha256.slice(0, 16)]),
    );
    process.stdout.write(out.join('\n') + '\n');
  });
}

async function metricHistories(store: Store, run: Run) {
  const entries = await Promise.all(Object.keys(run.metrics).map(async (k) => [k, await store.getMetricHistory(run.runId, k)] as const));
  return Object.fromEntries(entries);
}

async function gc(flags: TrackingFlags & OutputFlags): Promise<void> {
  await withStore(flags, { create: false }, async (store) => {
    const collected = await gcDeadRuns(store);
    if (flags.json) return printJson({ failed: collected.map((c) => ({ run_id: c.runId, host: c.host, pid: c.pid })) });
    for (const c of collected) process.stdout.write(`${c.runId}  FAILED  (process ${c.pid} on ${c.host} exited)\n`);
    note(collected.length === 0 ? 'no dead runs' : `marked ${collected.length} dead run${collected.length === 1 ? '' : 's'} FAILED`);
  });
}

export function register(program: Command): void {
  const runs = program.command('runs').description('list, show and clean up tracked runs');

  const list = runs
    .command('list')
    .description('list runs of every experiment (trials included), newest first')
    .option('--experiment <name>', 'only runs of this experiment')
    .option('--filter <expr>', "e.g. \"metrics.rmse < 50 and params.max_depth = '8' and tags.stage != 'dev' and status = 'FINISHED'\"")
    .option('--order-by <key>', "e.g. 'metrics.rmse ASC', 'params.max_depth', 'start_time DESC', 'status', 'run_name' (repeatable)", collectOrderBy)
    .option('--limit <n>', 'at most this many runs', intOption('--limit', 1), 100);
  addOutputOptions(list);
  addTrackingUriOption(list);
  list
    .addHelpText(
      'after',
      `
Filter keys: metrics.<key>, params.<key>, tags.<key> (backquote keys with spaces or dots:
metrics.\`my metric\`), status, run_name, run_id, parent_run_id, start_time, end_time, as in
MLflow also written attributes.<key> or run.<key>, with the aliases created (start_time) and
\`Run name\` (run_name). Operators: = != < <= > >= on numbers; = != LIKE ILIKE on strings
(quoted); IS NULL / IS NOT NULL on params and tags; run_id IN ('id', ...) / NOT IN (...).
Clauses join with AND. grove's runs carry MLflow's system tags (tags.\`mlflow.runName\`,
tags.\`mlflow.parentRunId\`, tags.\`mlflow.user\`, ...). Ordering by a metric puts NaN after
numbers and runs without the metric last. Times in JSON/CSV are ms since the epoch.
--json prints an array of { run_id, experiment, run_name, status, parent_run_id, start_time,
end_time, params, metrics (latest values), tags, dead } where dead is true for a RUNNING run
whose process on this host has exited (the table shows it as "RUNNING (dead)").

Examples:
  grove runs list --experiment Default --order-by 'metrics.rmse ASC' --limit 10
  grove runs list --filter "metrics.rmse < 55 and params.max_features = 'sqrt'" --json`,
    )
    .action((flags: ListFlags) => listRuns(flags));

  const show = runs.command('show').description('show one run: params, metrics with their history, tags and artifacts').argument('<run-id>', 'the 32-hex-digit run id');
  addOutputOptions(show, false);
  addTrackingUriOption(show);
  show.action((runId: string, flags: TrackingFlags & OutputFlags) => showRun(runId, flags));

  const gcCmd = runs.command('gc').description('mark FAILED every RUNNING run whose process on this host no longer exists (tag grove.failure says why)');
  addOutputOptions(gcCmd, false);
  addTrackingUriOption(gcCmd);
  gcCmd.action((flags: TrackingFlags & OutputFlags) => gc(flags));
}

function notFoundExperiment(name: string, known: string[]): GroveError {
  return new GroveError('NOT_FOUND', `no experiment named ${JSON.stringify(name)} (experiments: ${known.length ? known.join(', ') : 'none yet'})`, { experiment: name });
}
