// Store records as API JSON: snake_case keys, and NaN/Infinity as null (JSON has neither).
import { ONNX_ARTIFACT_TAG } from '../constants.js';
import type { AliasChange, ArtifactInfo, ExperimentSummary, Metric, ModelVersion, RegisteredModel, Run } from '../track/store.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function metricsJson(metrics: Record<string, number>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = num(v);
  return out;
}

export function runJson(r: Run): { [key: string]: Json } {
  return {
    run_id: r.runId,
    run_name: r.runName,
    experiment_id: r.experimentId,
    experiment_name: r.experimentName,
    status: r.status,
    start_time: r.startTime,
    end_time: r.endTime,
    parent_run_id: r.parentRunId,
    data_fingerprint: r.dataFingerprint,
    host: r.host,
    pid: r.pid,
    heartbeat_time: r.heartbeatTime,
    params: r.params,
    metrics: metricsJson(r.metrics),
    tags: r.tags,
  };
}

export function experimentJson(e: ExperimentSummary): { [key: string]: Json } {
  return { experiment_id: e.experimentId, name: e.name, tags: e.tags, created_time: e.createdTime, run_count: e.runCount };
}

/** [step, value, timestamp] triples: compact for long histories. */
export function historyJson(history: Metric[]): [number, number | null, number][] {
  return history.map((m) => [m.step, num(m.value), m.timestamp]);
}

export function artifactJson(a: ArtifactInfo): { [key: string]: Json } {
  return { name: a.name, size: a.size, sha256: a.sha256, created_time: a.createdTime };
}

export function modelJson(m: RegisteredModel): { [key: string]: Json } {
  return {
    name: m.name,
    description: m.description,
    tags: m.tags,
    created_time: m.createdTime,
    updated_time: m.updatedTime,
    latest_version: m.latestVersion,
    aliases: m.aliases,
  };
}

export function versionJson(v: ModelVersion): { [key: string]: Json } {
  return {
    name: v.name,
    version: v.version,
    run_id: v.runId,
    artifact: v.artifact,
    sha256: v.sha256,
    size: v.size,
    created_time: v.createdTime,
    description: v.description,
    tags: v.tags,
    aliases: v.aliases,
    // set once `grove models export` stored an ONNX file for this version
    onnx_url: v.tags[ONNX_ARTIFACT_TAG] === undefined ? null : `/api/models/${encodeURIComponent(v.name)}/versions/${v.version}/onnx`,
  };
}

export function aliasChangeJson(c: AliasChange): { [key: string]: Json } {
  return { name: c.name, alias: c.alias, old_version: c.oldVersion, new_version: c.newVersion, time: c.time, who: c.who };
}
