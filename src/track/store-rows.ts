// The shapes and queries both SQL stores share (SQLite and PostgreSQL hold the same schema): row
// types as the drivers return them, the run and model-version SELECTs, and row -> record mapping.
import type { RunInfo, RunStatus } from './store.js';

export interface RunRow {
  run_id: string;
  experiment_id: number;
  experiment_name: string;
  run_name: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  parent_run_id: string | null;
  data_fingerprint: string | null;
  host: string;
  pid: number;
  heartbeat_time: number;
}

export interface ExperimentRow {
  experiment_id: number;
  name: string;
  created_time: number;
}

export interface ModelRow {
  name: string;
  description: string;
  created_time: number;
  updated_time: number;
}

export interface VersionRow {
  name: string;
  version: number;
  run_id: string;
  artifact: string;
  created_time: number;
  description: string;
  sha256: string;
  size: number;
}

export interface HistoryRow {
  name: string;
  alias: string;
  old_version: number | null;
  new_version: number | null;
  time: number;
  who: string;
}

// the run columns of a search; the experiment name comes by subquery so searches can choose their join order
export const RUN_COLUMNS = `r.run_id, r.experiment_id, (SELECT e.name FROM experiments e WHERE e.experiment_id = r.experiment_id) AS experiment_name,
  r.run_name, r.status, r.start_time, r.end_time, r.parent_run_id, r.data_fingerprint, r.host, r.pid, r.heartbeat_time`;

export const RUN_SELECT = `SELECT r.run_id, r.experiment_id, e.name AS experiment_name, r.run_name, r.status, r.start_time,
  r.end_time, r.parent_run_id, r.data_fingerprint, r.host, r.pid, r.heartbeat_time
  FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id`;

export const VERSION_SELECT = `SELECT v.name, v.version, v.run_id, v.artifact, v.created_time, v.description, a.sha256, a.size
  FROM model_versions v JOIN artifacts a ON a.run_id = v.run_id AND a.name = v.artifact`;

/** Metric values: NaN is stored as NULL (neither SQL database orders NaN usefully). */
export function nanToNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

export function nullToNan(v: number | null): number {
  return v === null ? NaN : v;
}

export function runInfoFromRow(row: RunRow): RunInfo {
  return {
    runId: row.run_id,
    experimentId: String(row.experiment_id),
    experimentName: row.experiment_name,
    runName: row.run_name,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    parentRunId: row.parent_run_id,
    dataFingerprint: row.data_fingerprint,
    host: row.host,
    pid: row.pid,
    heartbeatTime: row.heartbeat_time,
  };
}
