// runs/create, get, update, delete, restore, search, log-batch, log-metric, log-parameter,
// set-tag, delete-tag.
//
// Deletion: the store keeps every run forever (it is the history the registry points into), so
// runs/delete marks the run with the tag grove.lifecycle_stage = deleted and runs/restore removes
// it. A deleted run keeps its data, answers runs/get with lifecycle_stage "deleted", refuses new
// data as MLflow does, and runs/search hides it unless run_view_type asks for deleted runs.
import type { Run, RunStatus, Store, TerminalStatus } from '../track/store.js';
import { LIFECYCLE_TAG, USER_TAG, lifecycleOf, runInfoJson, runJson } from './entities.js';
import { MlflowError, invalidParameter } from './errors.js';
import { MLFLOW_DEFAULT_EXPERIMENT_ID, resolveExperimentId, tagsOf, viewTypeOf } from './experiments.js';
import { encodePageToken, fieldOf, missing, pageOf, toDouble, toInt, type RequestFields } from './request.js';
import type { Route } from './route.js';

// MLflow's limits on one log-batch request
const MAX_BATCH_METRICS = 1000;
const MAX_BATCH_PARAMS = 100;
const MAX_BATCH_TAGS = 100;
const MAX_BATCH_TOTAL = 1000;

const MLFLOW_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

async function fullRunJson(store: Store, run: Run) {
  return runJson(run, (await store.getLatestMetrics([run.runId]))[run.runId] ?? []);
}

/** the run, which must not be deleted: MLflow refuses data for a deleted run */
async function activeRun(store: Store, runId: string): Promise<Run> {
  const run = await store.getRun(runId);
  if (lifecycleOf(run) !== 'active') throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is deleted.`);
  return run;
}

function statusOf(fields: RequestFields): RunStatus | undefined {
  const s = fields.string('status');
  if (s === undefined) return undefined;
  if (!MLFLOW_STATUSES.includes(s)) throw invalidParameter(`Invalid value ${JSON.stringify(s)} for parameter 'status' supplied: expected one of ${MLFLOW_STATUSES.join(', ')}`);
  if (s === 'SCHEDULED') throw invalidParameter(`status SCHEDULED is not supported by grove: a run is RUNNING from its creation`);
  return s as RunStatus;
}

function metricOf(m: Record<string, unknown>, where: string) {
  if (m.value === undefined) throw missing(`${where}.value`);
  const timestamp = m.timestamp === undefined ? undefined : toInt(m.timestamp, `${where}.timestamp`);
  const step = m.step === undefined ? 0 : toInt(m.step, `${where}.step`);
  return { key: fieldOf(m, 'key', where), value: toDouble(m.value, `${where}.value`), step, timestamp };
}

async function search(store: Store, f: RequestFields) {
  const page = pageOf(f, 1000, 50_000);
  const view = viewTypeOf(f, 'run_view_type');
  const visible = (r: Run) => view === 'ALL' || (lifecycleOf(r) === 'deleted') === (view === 'DELETED_ONLY');
  const experimentIds = await Promise.all(f.strings('experiment_ids').map((id) => resolveExperimentId(store, id)));
  const query = { experimentIds: experimentIds.length ? experimentIds : undefined, filter: f.string('filter'), orderBy: f.strings('order_by') };
  // the page token counts runs in the store's order, hidden ones included, so that pages never
  // overlap or skip even when deleted runs sit between them
  const runs: Run[] = [];
  let offset = page.offset;
  let more = false;
  const chunk = page.max + 1;
  for (;;) {
    const rows = await store.searchRuns({ ...query, limit: chunk, offset });
    let k = 0;
    while (k < rows.length && runs.length < page.max) {
      if (visible(rows[k])) runs.push(rows[k]);
      k++;
    }
    offset += k;
    if (runs.length === page.max) {
      more = k < rows.length || rows.length === chunk;
      break;
    }
    if (rows.length < chunk) break;
  }
  const latest = await store.getLatestMetrics(runs.map((r) => r.runId));
  const json = runs.map((r) => runJson(r, latest[r.runId] ?? []));
  return { runs: json, ...(more ? { next_page_token: encodePageToken(offset) } : {}) };
}

export const RUN_ROUTES: Route[] = [
  {
    verb: 'POST',
    path: 'runs/create',
    async handle(store, f) {
      const tags = tagsOf(f);
      const user = f.string('user_id');
      if (user && tags[USER_TAG] === undefined) tags[USER_TAG] = user;
      delete tags[LIFECYCLE_TAG];
      const run = await store.createRun({
        experimentId: await resolveExperimentId(store, f.string('experiment_id') || MLFLOW_DEFAULT_EXPERIMENT_ID),
        runName: f.string('run_name') || tags['mlflow.runName'] || undefined,
        parentRunId: tags['mlflow.parentRunId'] || null,
        startTime: f.int('start_time'),
        tags,
      });
      return { run: await fullRunJson(store, run) };
    },
  },
  {
    verb: 'GET',
    path: 'runs/get',
    async handle(store, f) {
      return { run: await fullRunJson(store, await store.getRun(f.runId())) };
    },
  },
  {
    verb: 'POST',
    path: 'runs/update',
    async handle(store, f) {
      const runId = f.runId();
      const run = await activeRun(store, runId);
      const name = f.string('run_name');
      if (name && name !== run.runName) throw invalidParameter(`run_name: grove does not rename runs (run ${runId} is ${JSON.stringify(run.runName)})`);
      const status = statusOf(f);
      if (status === 'RUNNING') {
        if (run.status !== 'RUNNING') await store.resumeRun(runId);
      } else if (status !== undefined) {
        if (run.status === 'RUNNING') await store.endRun(runId, status as TerminalStatus, { endTime: f.int('end_time') });
        else if (run.status !== status) throw invalidParameter(`run ${runId} has already ended as ${run.status}: grove keeps a run's first final status`);
      }
      return { run_info: runInfoJson(await store.getRun(runId)) };
    },
  },
  {
    verb: 'POST',
    path: 'runs/delete',
    async handle(store, f) {
      await store.setTag(f.runId(), LIFECYCLE_TAG, 'deleted');
      return {};
    },
  },
  {
    verb: 'POST',
    path: 'runs/restore',
    async handle(store, f) {
      const run = await store.getRun(f.runId());
      if (lifecycleOf(run) === 'deleted') await store.deleteTag(run.runId, LIFECYCLE_TAG);
      return {};
    },
  },
  { verb: 'POST', path: 'runs/search', handle: search },
  {
    verb: 'POST',
    path: 'runs/log-batch',
    async handle(store, f) {
      const runId = f.runId();
      const metrics = f.objects('metrics').map((m, i) => metricOf(m, `metrics[${i}]`));
      const params = f.objects('params').map((p, i) => [fieldOf(p, 'key', `params[${i}]`), paramValue(p.value, `params[${i}]`)] as const);
      const tags = f.objects('tags').map((t, i) => [fieldOf(t, 'key', `tags[${i}]`), paramValue(t.value, `tags[${i}]`)] as const);
      if (metrics.length > MAX_BATCH_METRICS || params.length > MAX_BATCH_PARAMS || tags.length > MAX_BATCH_TAGS || metrics.length + params.length + tags.length > MAX_BATCH_TOTAL) {
        throw invalidParameter(
          `A batch logging request can contain at most ${MAX_BATCH_METRICS} metrics, ${MAX_BATCH_PARAMS} params and ${MAX_BATCH_TAGS} tags, ${MAX_BATCH_TOTAL} in all; got ${metrics.length} metrics, ${params.length} params, ${tags.length} tags`,
        );
      }
      if (tags.some(([k]) => k === LIFECYCLE_TAG)) throw invalidParameter(`tag ${LIFECYCLE_TAG} is grove's record of runs/delete: use runs/delete and runs/restore`);
      // MLflow: a param given twice in one batch with two values is an error, the same value is fine
      const seen = new Map<string, string>();
      for (const [k, v] of params) {
        if (seen.has(k) && seen.get(k) !== v) throw invalidParameter(`Duplicate parameter keys have been submitted: ${JSON.stringify(k)} with two values`);
        seen.set(k, v);
      }
      await activeRun(store, runId);
      await store.logBatch(runId, { metrics, params: Object.fromEntries(params), tags: Object.fromEntries(tags) });
      return {};
    },
  },
  {
    verb: 'POST',
    path: 'runs/log-metric',
    async handle(store, f) {
      const runId = f.runId();
      const key = f.requiredString('key');
      const value = f.requiredDouble('value');
      const step = f.int('step') ?? 0;
      const timestamp = f.int('timestamp');
      await activeRun(store, runId);
      await store.logMetric(runId, key, value, step, timestamp);
      return {};
    },
  },
  {
    verb: 'POST',
    path: 'runs/log-parameter',
    async handle(store, f) {
      const runId = f.runId();
      const key = f.requiredString('key');
      if (!f.has('value')) throw missing('value');
      const value = f.string('value')!;
      await activeRun(store, runId);
      await store.logParam(runId, key, value);
      return {};
    },
  },
  {
    verb: 'POST',
    path: 'runs/set-tag',
    async handle(store, f) {
      const runId = f.runId();
      const key = f.requiredString('key');
      if (key === LIFECYCLE_TAG) throw invalidParameter(`tag ${LIFECYCLE_TAG} is grove's record of runs/delete: use runs/delete and runs/restore`);
      const value = f.string('value') ?? '';
      await activeRun(store, runId);
      await store.setTag(runId, key, value);
      return {};
    },
  },
  {
    verb: 'POST',
    path: 'runs/delete-tag',
    async handle(store, f) {
      const runId = f.runId();
      const key = f.requiredString('key');
      const run = await activeRun(store, runId);
      if (!(key in run.tags) || key === LIFECYCLE_TAG) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No tag with name: ${key} in run with id ${runId}`);
      await store.deleteTag(runId, key);
      return {};
    },
  },
];

function paramValue(v: unknown, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${where}.value' supplied: it must be a string`);
  return v;
}
