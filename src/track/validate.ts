// Checks shared by every Store backend, so SQLite and PostgreSQL accept exactly the same input.
import { randomUUID } from 'node:crypto';
import { GroveError } from '../errors.js';
import type { LogBatch, Metric, ParamValue, Tags } from './store.js';

const KEY = /^[A-Za-z0-9_\-./ :]+$/;
const MAX_KEY = 250;
const MAX_PARAM_VALUE = 8000;
const MAX_TAG_VALUE = 64_000;
// model and alias names appear in URIs: no '/', '@' or spaces
const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;
const ALIAS = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
const ARTIFACT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
export const RUN_ID = /^[0-9a-f]{32}$/;

export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

export function checkKey(kind: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY || !KEY.test(key) || key.trim() !== key) {
    throw new GroveError('INVALID_OPTION', `${kind} key ${JSON.stringify(key)} is not valid: use 1-${MAX_KEY} letters, digits, _ - . / : or inner spaces`, { key });
  }
  return key;
}

/** A run id chosen by the caller for a run it is about to create. */
export function checkNewRunId(runId: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw new GroveError('INVALID_OPTION', `a run id is 32 lowercase hex digits (got ${JSON.stringify(runId)})`, { runId });
  return runId;
}

export function checkRunId(runId: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) {
    throw new GroveError('NOT_FOUND', `no run with id ${JSON.stringify(runId)} (run ids are 32 hex digits)`, { runId });
  }
  return runId;
}

export function checkExperimentName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200 || name.trim() !== name) {
    throw new GroveError('INVALID_OPTION', `experiment name ${JSON.stringify(name)} is not valid: 1-200 characters, no leading or trailing spaces`, { name });
  }
  return name;
}

export function checkModelName(name: string): string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new GroveError('INVALID_OPTION', `model name ${JSON.stringify(name)} is not valid: use letters, digits, _ . - (no '/', '@' or spaces), starting with a letter, digit or _`, { name });
  }
  return name;
}

export function checkAlias(alias: string): string {
  if (typeof alias !== 'string' || !ALIAS.test(alias) || alias.toLowerCase() === 'latest') {
    throw new GroveError('INVALID_OPTION', `alias ${JSON.stringify(alias)} is not valid: start with a letter or _, then letters, digits, _ or -; "latest" is reserved`, { alias });
  }
  return alias;
}

export function checkArtifactName(name: string): string {
  if (typeof name !== 'string' || !ARTIFACT.test(name) || name.split('/').some((s) => s === '.' || s === '..') || name.length > 500) {
    throw new GroveError('INVALID_OPTION', `artifact name ${JSON.stringify(name)} is not valid: path segments of letters, digits, _ . - separated by '/'`, { name });
  }
  return name;
}

export function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new GroveError('INVALID_OPTION', `model version must be a positive integer (got ${String(version)})`, { version });
  }
  return version;
}

export function checkTags(tags: Tags | undefined): [string, string][] {
  if (!tags) return [];
  return Object.entries(tags).map(([k, v]) => {
    checkKey('tag', k);
    if (typeof v !== 'string') throw new GroveError('INVALID_OPTION', `tag ${k}: value must be a string (got ${typeof v})`, { key: k });
    if (v.length > MAX_TAG_VALUE) throw new GroveError('INVALID_OPTION', `tag ${k}: value longer than ${MAX_TAG_VALUE} characters`, { key: k });
    return [k, v];
  });
}

export function paramToString(key: string, value: ParamValue): string {
  let s: string;
  if (value === null) s = 'None';
  else if (typeof value === 'string') s = value;
  else if (typeof value === 'number' || typeof value === 'boolean') s = String(value);
  else throw new GroveError('INVALID_OPTION', `param ${key}: value must be a string, number, boolean or null (got ${typeof value})`, { key });
  if (s.length > MAX_PARAM_VALUE) throw new GroveError('INVALID_OPTION', `param ${key}: value longer than ${MAX_PARAM_VALUE} characters`, { key });
  return s;
}

export interface NormalizedBatch {
  params: [string, string][];
  metrics: Metric[];
  tags: [string, string][];
}

/** Validates a batch before any write, so a bad entry leaves nothing half-written. */
export function normalizeBatch(batch: LogBatch, now = Date.now()): NormalizedBatch {
  const params = Object.entries(batch.params ?? {}).map(([k, v]): [string, string] => [checkKey('param', k), paramToString(k, v)]);
  const metrics = (batch.metrics ?? []).map((m): Metric => {
    checkKey('metric', m.key);
    if (typeof m.value !== 'number') throw new GroveError('INVALID_OPTION', `metric ${m.key}: value must be a number (got ${typeof m.value})`, { key: m.key });
    const step = m.step ?? 0;
    if (!Number.isSafeInteger(step)) throw new GroveError('INVALID_OPTION', `metric ${m.key}: step must be an integer (got ${String(step)})`, { key: m.key });
    const timestamp = m.timestamp ?? now;
    if (!Number.isSafeInteger(timestamp)) throw new GroveError('INVALID_OPTION', `metric ${m.key}: timestamp must be integer ms (got ${String(timestamp)})`, { key: m.key });
    return { key: m.key, value: m.value, step, timestamp };
  });
  return { params, metrics, tags: checkTags(batch.tags) };
}
