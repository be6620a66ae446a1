// Shared by the tracking commands (experiments, runs, models) and by train/tune/predict:
// the --tracking-uri option, opening the store it names, and the table / --json / --csv choice.
import { Option, type Command } from 'commander';
import { GroveError } from '../errors.js';
import { openStore, trackingUriFrom, DEFAULT_TRACKING_URI, TRACKING_URI_ENV } from '../track/tracking-uri.js';
import type { Store } from '../track/store.js';

export interface TrackingFlags {
  trackingUri?: string;
}

export interface OutputFlags {
  json?: boolean;
  csv?: boolean;
}

export function addTrackingUriOption(cmd: Command): Command {
  return cmd.option(
    '--tracking-uri <uri>',
    `where runs and models are stored: sqlite:<path>, sqlite:///<abs path>, a file path, or postgres://user@host:5432/db[?schema=name] (default: $${TRACKING_URI_ENV}, else ${DEFAULT_TRACKING_URI})`,
  );
}

export function addOutputOptions(cmd: Command, csv = true): Command {
  cmd.addOption(new Option('--json', 'print one JSON document on stdout').conflicts('csv'));
  if (csv) cmd.addOption(new Option('--csv', 'print CSV on stdout').conflicts('json'));
  return cmd;
}

/**
 * Opens the store for a command. Commands that only read (or change existing entries) pass
 * create: false, so a mistyped path gives an error instead of a new empty database.
 */
export function openTrackingStore(flags: TrackingFlags, options: { create?: boolean } = {}): Promise<Store> {
  return openStore(trackingUriFrom(flags.trackingUri), options);
}

/** Runs `fn` with an open store and always closes it. */
export async function withStore<T>(flags: TrackingFlags, options: { create?: boolean }, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openTrackingStore(flags, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** RFC 4180 CSV: quote fields with commas, quotes or line breaks. */
export function formatCsv(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? '' : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** "2026-01-31 12:00:05" in UTC, for tables. */
export function formatTime(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}

/** Numbers for tables: short but exact enough to compare runs. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(6)).toString();
}

/** JSON has no NaN or Infinity: they become null (JSON.stringify would do the same silently). */
export function jsonNumber(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function notFoundExperiment(name: string, known: string[]): GroveError {
  return new GroveError('NOT_FOUND', `no experiment named ${JSON.stringify(name)} (experiments: ${known.length ? known.join(', ') : 'none yet'})`, { experiment: name });
}
