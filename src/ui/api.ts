// The read-only JSON API under /api/. Every handler only reads the store. Bad parameters and
// malformed filters are GroveErrors (INVALID_OPTION -> 400), unknown ids NOT_FOUND (-> 404).
import { GroveError } from '../errors.js';
import { readModelHeaderChunks } from '../forest/model-file.js';
import type { Run, Store } from '../track/store.js';
import { ImportanceCache } from './importance.js';
import { classificationView, runTask } from './classification-view.js';
import { orderMetricKeys } from './client/metric-keys.js';
import { ONNX_ARTIFACT_TAG } from '../constants.js';
import { aliasChangeJson, artifactJson, experimentJson, historyJson, metricsJson, modelJson, num, runJson, versionJson, type Json } from './json.js';
import { higherIsBetter, isStudy, loadStudy, studyJson } from './study-view.js';
import { TAG_STUDY_STATE } from '../tune/study-record.js';

export type JsonBody = { [key: string]: Json };

/** A handler answers JSON, or bytes for a download. */
export type ApiResult = { json: JsonBody } | { chunks: AsyncIterable<Buffer>; size: number; filename: string };

type Handler = (params: string[], query: URLSearchParams) => Promise<ApiResult>;

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 1000;
export const COMPARE_MIN = 2;
export const COMPARE_MAX = 200;
/** metrics tried, in order, for an experiment's "best" column (regression, then classification) */
const BEST_KEYS = ['test_rmse', 'rmse', 'val_rmse', 'test_accuracy', 'accuracy', 'val_accuracy', 'test_log_loss', 'log_loss', 'val_log_loss'];

function badParam(name: string, value: string, why: string): GroveError {
  return new GroveError('INVALID_OPTION', `query parameter ${name}: ${why} (got ${JSON.stringify(value)})`, { option: name, value });
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw badParam(name, raw, 'must be a whole number');
  const n = Number(raw);
  if (n < min || n > max) throw badParam(name, raw, `must be between ${min} and ${max}`);
  return n;
}

function keysOf(runs: Run[]): { param_keys: string[]; metric_keys: string[] } {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const r of runs) {
    for (const k in r.params) params.add(k);
    for (const k in r.metrics) metrics.add(k);
  }
  return { param_keys: [...params].sort(), metric_keys: orderMetricKeys(metrics) };
}

export class Api {
  private readonly routes: [RegExp, Handler][];
  private readonly importance = new ImportanceCache();
  private readonly headers = new Map<string, JsonBody | null>();

  constructor(private readonly store: Store) {
    this.routes = [
      [/^\/api\/experiments$/, () => this.experiments()],
      [/^\/api\/experiments\/([^/]+)$/, ([id]) => this.experiment(id)],
      [/^\/api\/experiments\/([^/]+)\/runs$/, ([id], q) => this.runs(id, q)],
      [/^\/api\/runs\/([^/]+)$/, ([id]) => this.run(id)],
      [/^\/api\/runs\/([^/]+)\/artifacts\/(.+)$/, ([id, name]) => this.artifact(id, name)],
      [/^\/api\/studies\/([^/]+)$/, ([id]) => this.study(id)],
      [/^\/api\/studies\/([^/]+)\/importance$/, ([id]) => this.studyImportance(id)],
      [/^\/api\/models$/, () => this.models()],
      [/^\/api\/models\/([^/]+)$/, ([name]) => this.model(name)],
      [/^\/api\/models\/([^/]+)\/versions\/([^/]+)\/onnx$/, ([name, version]) => this.onnx(name, version)],
      [/^\/api\/compare$/, (_, q) => this.compare(q)],
    ];
  }

  /** null when no route matches the path */
  async handle(path: string, query: URLSearchParams): Promise<ApiResult | null> {
    for (const [pattern, handler] of this.routes) {
      const m = pattern.exec(path);
      if (!m) continue;
      let parts: string[];
      try {
        parts = m.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        throw new GroveError('INVALID_OPTION', `malformed percent-encoding in ${JSON.stringify(path)}`, { path });
      }
      return handler(parts, query);
    }
    return null;
  }

  private async experiments(): Promise<ApiResult> {
    const list = await this.store.listExperiments();
    const experiments = await Promise.all(
      list.map(async (e) => {
        const newest = await this.store.searchRuns({ experimentIds: [e.experimentId], limit: 1 });
        const last = newest[0] ? Math.max(newest[0].startTime, newest[0].endTime ?? 0, newest[0].heartbeatTime) : null;
        return { ...experimentJson(e), last_activity: last, best: e.runCount > 0 ? await this.best(e.experimentId) : null };
      }),
    );
    return { json: { experiments } };
  }

  private async best(experimentId: string): Promise<JsonBody | null> {
    for (const key of BEST_KEYS) {
      const dir = higherIsBetter(key) ? 'DESC' : 'ASC';
      const [run] = await this.store.searchRuns({ experimentIds: [experimentId], orderBy: [`metrics.${key} ${dir}`], filter: `metrics.${key} > -1e308`, limit: 1 });
      if (run) return { key, value: num(run.metrics[key]), run_id: run.runId, run_name: run.runName };
    }
    return null;
  }

  private async experiment(id: string): Promise<ApiResult> {
    const e = await this.store.getExperiment(id);
    const runCount = (await this.store.listExperiments()).find((x) => x.experimentId === e.experimentId)?.runCount ?? 0;
    const studies = await this.store.searchRuns({ experimentIds: [e.experimentId], filter: "tags.`grove.type` = 'study'", limit: 200 });
    return {
      json: {
        experiment: experimentJson({ ...e, runCount }),
        studies: studies.map((s) => ({
          run_id: s.runId,
          name: s.runName,
          state: s.tags[TAG_STUDY_STATE] ?? s.status.toLowerCase(),
          start_time: s.startTime,
          end_time: s.endTime,
          metric: s.params.metric ?? 'rmse',
          n_trials: Number(s.params.n_trials ?? NaN) || null,
          metrics: metricsJson(s.metrics),
        })),
      },
    };
  }

  private async runs(id: string, q: URLSearchParams): Promise<ApiResult> {
    const e = await this.store.getExperiment(id);
    const limit = intParam(q, 'limit', PAGE_DEFAULT, 1, PAGE_MAX);
    const offset = intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const filter = q.get('filter') ?? '';
    const orderBy = q.getAll('order_by').filter((o) => o.trim() !== '');
    // one extra row says whether there is a next page without counting every match
    const rows = await this.store.searchRuns({ experimentIds: [e.experimentId], filter, orderBy: orderBy.length ? orderBy : undefined, limit: limit + 1, offset });
    const page = rows.slice(0, limit);
    let total: number | null = null;
    if (filter.trim() === '') total = (await this.store.listExperiments()).find((x) => x.experimentId === e.experimentId)?.runCount ?? null;
    return {
      json: {
        experiment_id: e.experimentId,
        experiment_name: e.name,
        offset,
        limit,
        has_more: rows.length > limit,
        total,
        ...keysOf(page),
        runs: page.map(runJson),
      },
    };
  }

  private async run(id: string): Promise<ApiResult> {
    const run = await this.store.getRun(id);
    const histories: JsonBody = {};
    for (const key of Object.keys(run.metrics).sort()) histories[key] = historyJson(await this.store.getMetricHistory(id, key));
    const artifacts = await this.store.listArtifacts(id);
    const versions: JsonBody[] = [];
    for (const m of await this.store.listRegisteredModels()) {
      for (const v of await this.store.listModelVersions(m.name)) if (v.runId === id) versions.push(versionJson(v));
    }
    const model = artifacts.find((a) => a.name === 'model');
    const header = model ? await this.modelHeader(id, model.name, model.sha256) : null;
    const children = await this.store.searchRuns({ parentRunId: id, limit: 1 });
    const task = runTask(run, header?.task, artifacts);
    const evaluation = task === 'classification' ? await classificationView(this.store, id, artifacts) : { confusion_matrix: null, roc_curve: null };
    return {
      json: {
        run: runJson(run),
        is_study: isStudy(run),
        has_children: children.length > 0,
        task,
        metric_histories: histories,
        artifacts: artifacts.map(artifactJson),
        model_versions: versions,
        model: header,
        confusion_matrix: evaluation.confusion_matrix as unknown as Json,
        roc_curve: evaluation.roc_curve as unknown as Json,
      },
    };
  }

  /** The model file header's feature names and importances (cached by content hash). */
  private async modelHeader(runId: string, name: string, sha256: string): Promise<JsonBody | null> {
    if (this.headers.has(sha256)) return this.headers.get(sha256)!;
    let out: JsonBody | null = null;
    try {
      // the header only: the stream stops there, whatever the model's size
      const h = await readModelHeaderChunks(this.store.readArtifactChunks(runId, name), `runs:/${runId}/${name}`);
      const task: unknown = h.task;
      out = {
        n_trees: h.n_trees,
        n_features: h.n_features,
        target_name: h.target_name,
        feature_names: h.feature_names,
        feature_importances: h.feature_importances.map((v) => num(v)),
        grove_version: h.grove_version,
        // files written before classifiers have no task: regressors
        task: task === 'classification' ? 'classification' : 'regression',
        classes: task === 'classification' && Array.isArray(h.classes) ? (h.classes as Json[]) : null,
      };
    } catch {
      out = null; // not a grove model file: the page shows no importances
    }
    this.headers.set(sha256, out);
    return out;
  }

  private async artifact(id: string, name: string): Promise<ApiResult> {
    const info = await this.store.getArtifactInfo(id, name);
    // a grove model file gets .grove; an artifact with its own extension (model.onnx) keeps it
    const file = /\.[A-Za-z0-9]+$/.test(name) ? name : `${name}.grove`;
    return { chunks: this.store.readArtifactChunks(id, name), size: info.size, filename: `${id.slice(0, 8)}-${file}`.replace(/[^A-Za-z0-9._-]/g, '_') };
  }

  /** The ONNX file `grove models export` stored for a version (named by its onnx_artifact tag). */
  private async onnx(name: string, versionText: string): Promise<ApiResult> {
    const version = Number(versionText);
    if (!/^[1-9][0-9]*$/.test(versionText) || !Number.isSafeInteger(version)) throw badParam('version', versionText, 'must be a version number >= 1');
    const v = await this.store.getModelVersion(name, version);
    const artifact = v.tags[ONNX_ARTIFACT_TAG];
    if (artifact === undefined) {
      throw new GroveError('NOT_FOUND', `${name} version ${version} has no ONNX export; run: grove models export models:/${name}/${version}`, { model: name, version });
    }
    const info = await this.store.getArtifactInfo(v.runId, artifact);
    return { chunks: this.store.readArtifactChunks(v.runId, artifact), size: info.size, filename: `${name}-v${version}.onnx`.replace(/[^A-Za-z0-9._-]/g, '_') };
  }

  private async study(id: string): Promise<ApiResult> {
    return { json: studyJson(await loadStudy(this.store, id)) };
  }

  private async studyImportance(id: string): Promise<ApiResult> {
    const study = await loadStudy(this.store, id);
    const r = await this.importance.get(study);
    return { json: { study_id: id, objective: study.objective, n_trials: r.n_trials, basis: r.basis, reason: r.reason, importances: r.importances as unknown as Json } };
  }

  private async models(): Promise<ApiResult> {
    const models = await this.store.listRegisteredModels();
    return { json: { models: await Promise.all(models.map((m) => this.modelBody(m.name))) } };
  }

  private async model(name: string): Promise<ApiResult> {
    return { json: { model: await this.modelBody(name) } };
  }

  private async modelBody(name: string): Promise<JsonBody> {
    const m = await this.store.getRegisteredModel(name);
    const versions = await this.store.listModelVersions(name);
    const history = await this.store.getAliasHistory(name);
    return { ...modelJson(m), versions: versions.map(versionJson), alias_history: history.map(aliasChangeJson) };
  }

  private async compare(q: URLSearchParams): Promise<ApiResult> {
    const raw = q
      .getAll('run_ids')
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    const ids = [...new Set(raw)];
    if (ids.length < COMPARE_MIN || ids.length > COMPARE_MAX) {
      throw badParam('run_ids', raw.join(','), `give ${COMPARE_MIN} to ${COMPARE_MAX} distinct run ids, comma-separated`);
    }
    const runs = await Promise.all(ids.map((id) => this.store.getRun(id)));
    const histories: JsonBody = {};
    for (const r of runs) {
      const h: JsonBody = {};
      for (const key of Object.keys(r.metrics)) {
        const hist = await this.store.getMetricHistory(r.runId, key);
        // single values are already in the metrics table; only curves are worth sending
        if (hist.length > 1) h[key] = historyJson(hist);
      }
      histories[r.runId] = h;
    }
    return { json: { runs: runs.map(runJson), metric_histories: histories } };
  }
}
