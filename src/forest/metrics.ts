// Regression metrics, under the names grove tracks them (rmse, mae, r2).
export function regressionMetrics(y: ArrayLike<number>, pred: ArrayLike<number>): { rmse: number; r2: number; mae: number } {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += y[i];
  const mean = sum / n;
  let sse = 0;
  let sst = 0;
  let sae = 0;
  for (let i = 0; i < n; i++) {
    sse += (pred[i] - y[i]) ** 2;
    sst += (y[i] - mean) ** 2;
    sae += Math.abs(pred[i] - y[i]);
  }
  return { rmse: Math.sqrt(sse / n), r2: sst > 0 ? 1 - sse / sst : 0, mae: sae / n };
}
