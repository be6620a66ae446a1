// grove's records as MLflow's JSON entities (service.proto, model_registry.proto): snake_case
// fields, tags as [{key, value}], int64 as numbers, doubles NaN/Infinity as protobuf's strings.
import type { Experiment, Metric, ModelVersion, RegisteredModel, Run, Tags } from '../track/store.js';

/** grove keeps a run's MLflow lifecycle (runs/delete, runs/restore) in this tag: the store has no deletion */
export const LIFECYCLE_TAG = 'grove.lifecycle_stage';
export const USER_TAG = 'mlflow.user';

export type KeyValue = { key: string; value: string };

export function tagList(tags: Tags, hidden: readonly string[] = []): KeyValue[] {
  return Object.entries(tags)
    .filter(([key]) => !hidden.includes(key))
    .map(([key, value]) => ({ key, value }));
}

/** JSON has no NaN or Infinity; protobuf's JSON mapping writes them as strings */
export function jsonDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

// artifacts live inside grove's store, not in an MLflow artifact repository: the URI says where
// they would be on MLflow's proxy, which grove does not serve (README "MLflow tracking server")
export function experimentArtifactLocation(experimentId: string): string {
  return `mlflow-artifacts:/${experimentId}`;
}

export function experimentJson(e: Experiment) {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: experimentArtifactLocation(e.experimentId),
    lifecycle_stage: 'active',
    last_update_time: e.createdTime,
    creation_time: e.createdTime,
    tags: tagList(e.tags),
  };
}

export function lifecycleOf(run: Run): 'active' | 'deleted' {
  return run.tags[LIFECYCLE_TAG] === 'deleted' ? 'deleted' : 'active';
}

export function runInfoJson(run: Run) {
  return {
    run_id: run.runId,
    run_uuid: run.runId,
    run_name: run.runName,
    experiment_id: run.experimentId,
    user_id: run.tags[USER_TAG] ?? '',
    status: run.status,
    start_time: run.startTime,
    ...(run.endTime === null ? {} : { end_time: run.endTime }),
    artifact_uri: `${experimentArtifactLocation(run.experimentId)}/${run.runId}/artifacts`,
    lifecycle_stage: lifecycleOf(run),
  };
}

export function metricJson(m: Metric) {
  return { key: m.key, value: jsonDouble(m.value), timestamp: m.timestamp, step: m.step };
}

/** `latest` holds each metric's latest entry (value, step and timestamp): Store.getLatestMetrics */
export function runJson(run: Run, latest: Metric[]) {
  return {
    info: runInfoJson(run),
    data: {
      metrics: latest.map(metricJson),
      params: Object.entries(run.params).map(([key, value]) => ({ key, value })),
      tags: tagList(run.tags, [LIFECYCLE_TAG]),
    },
    inputs: {},
  };
}

export function modelVersionJson(v: ModelVersion) {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.createdTime,
    last_updated_timestamp: v.createdTime,
    user_id: '',
    current_stage: 'None',
    description: v.description,
    source: `runs:/${v.runId}/${v.artifact}`,
    run_id: v.runId,
    status: 'READY',
    tags: tagList(v.tags),
    aliases: v.aliases,
  };
}

/** `latest` is the newest version (MLflow lists the latest version per stage; grove has no stages) */
export function registeredModelJson(m: RegisteredModel, latest: ModelVersion | null) {
  return {
    name: m.name,
    creation_timestamp: m.createdTime,
    last_updated_timestamp: m.updatedTime,
    description: m.description,
    latest_versions: latest ? [modelVersionJson(latest)] : [],
    tags: tagList(m.tags),
    aliases: Object.entries(m.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}
