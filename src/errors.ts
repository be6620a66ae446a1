/**
 * The one error root. Every error a user can cause carries a stable `code` and the context that
 * says where it happened (option, value, file, row, column, run id), so the CLI can print one
 * clear line and the server can map it to a 4xx.
 */
export type GroveErrorCode =
  | 'INVALID_OPTION' // a hyperparameter, CLI flag or API option is wrong
  | 'INVALID_DATA' // shapes, NaN/Infinity, empty data, bad target
  | 'INVALID_FILE' // a file that cannot be read or parsed
  | 'INVALID_MODEL' // a model file or buffer that is truncated, corrupted or hostile
  | 'INVALID_URI' // a runs:/ or models:/ URI that does not parse
  | 'NOT_FOUND' // a run, model, version, alias or experiment that does not exist
  | 'CONFLICT' // a name that already exists, a state change that is not allowed
  | 'NATIVE_UNAVAILABLE' // the addon cannot load
  | 'STORE_ERROR' // the tracking store failed
  | 'INTERNAL';

export class GroveError extends Error {
  readonly code: GroveErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: GroveErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GroveError';
    this.code = code;
    this.context = context;
  }
}

export function invalidOption(option: string, value: unknown, why: string): GroveError {
  return new GroveError('INVALID_OPTION', `${option}: ${why} (got ${formatValue(value)})`, { option, value });
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  try {
    const s = JSON.stringify(value);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(value);
  }
}

/** Closest candidate by edit distance, for "did you mean" hints on typos. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
