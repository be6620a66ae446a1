// DESIGN.md's output rule: with --json, stdout holds exactly one JSON document; progress,
// warnings and errors go to stderr; without --json, stdout is for people.
import { CommanderError, Option, type Command } from 'commander';
import { GroveError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function note(message: string): void {
  process.stderr.write(message + '\n');
}

/** A plain-text table for people: right-aligned numbers, left-aligned text. */
export function formatTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, j) => Math.max(h.length, ...cells.map((r) => (r[j] ?? '').length)));
  const numeric = headers.map((_, j) => cells.length > 0 && cells.every((r) => r[j] === '' || /^-?[\d.e+-]+%?$/i.test(r[j])));
  const line = (r: string[]) =>
    r
      .map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

/** Prints an error as one line on stderr (no stack trace for user errors); returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help/version text)
    return err.exitCode;
  }
  if (err instanceof GroveError) {
    process.stderr.write(`grove: error: ${err.message}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`grove: internal error: ${message}\n`);
  if (process.env.GROVE_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return 1;
}

export interface OutputFlags {
  json?: boolean;
  csv?: boolean;
}

/** --json (and --csv where a table has one) for a command whose stdout is a table. */
export function addOutputOptions(cmd: Command, csv = true): Command {
  cmd.addOption(new Option('--json', 'print one JSON document on stdout').conflicts('csv'));
  if (csv) cmd.addOption(new Option('--csv', 'print CSV on stdout').conflicts('json'));
  return cmd;
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
