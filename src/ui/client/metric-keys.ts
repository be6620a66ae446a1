// What a metric key says about its metric, shared by the API server (src/ui/study-view.ts,
// src/ui/api.ts) and the pages: which way is better, which keys are scores, and the order the
// run tables show them in. Keys carry a prefix for where they were measured (val_, test_, oob_,
// best_val_): "val_accuracy" is an accuracy. No DOM and no Node here.

/** r2 and the classification scores are maximised; errors and losses (rmse, mae, log_loss) are minimised. */
export function higherIsBetter(key: string): boolean {
  return /(^|_)(r2|accuracy|roc_auc|f1_macro)$/.test(key);
}

/** Scores get a best mark in comparisons (not counts or timings). */
export function isScore(key: string): boolean {
  return /(^|_)(rmse|mse|mae|r2|loss|error|accuracy|roc_auc|f1_macro)$/.test(key);
}

/** The headline metrics of each task, in the order tables show them first. */
const HEADLINE = ['rmse', 'r2', 'mae', 'accuracy', 'balanced_accuracy', 'log_loss', 'roc_auc', 'f1_macro'];
const PREFIXES = ['', 'val_', 'test_', 'best_val_', 'oob_'];

function rank(key: string): number {
  for (let p = 0; p < PREFIXES.length; p++) {
    const prefix = PREFIXES[p];
    if (!key.startsWith(prefix)) continue;
    const i = HEADLINE.indexOf(key.slice(prefix.length));
    if (i >= 0) return p * HEADLINE.length + i;
  }
  return Number.MAX_SAFE_INTEGER;
}

/** Headline metrics first (a regressor's rmse, r2, mae; a classifier's accuracy, log_loss, ...), then the rest by name. */
export function orderMetricKeys(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
