// DESIGN.md's output rule: with --json, stdout holds exactly one JSON document; progress,
// warnings and errors go to stderr; without --json, stdout is for people.
import { CommanderError } from 'commander';
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
    r.map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd();
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
