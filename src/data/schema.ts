// Schema report: per column its kind, missing and distinct counts, and min/max/mean or top values.
import { TOP_VALUES } from '../constants.js';
import type { Column, ColumnKind } from './column.js';
import type { LoadedData } from './loaded.js';

export interface ColumnSummary {
  name: string;
  type: ColumnKind;
  missing: number;
  distinct: number;
  /** numeric only */
  min?: number;
  max?: number;
  mean?: number;
  /** categorical and boolean: most frequent values, ties broken by value */
  top?: { value: string | boolean; count: number }[];
}

export interface SchemaReport {
  source: string;
  format: string;
  rows: number;
  columns: ColumnSummary[];
}

export function describeData(data: LoadedData): SchemaReport {
  return {
    source: data.source,
    format: data.format,
    rows: data.table.numRows(),
    columns: data.columns.map(summarizeColumn),
  };
}

export function summarizeColumn(column: Column): ColumnSummary {
  const { name, kind, values } = column;
  if (kind === 'categorical') {
    const counts = new Map<string, number>();
    let missing = 0;
    for (const v of values as (string | null)[]) {
      if (v === null) missing++;
      else counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    return { name, type: kind, missing, distinct: counts.size, top: topOf(counts) };
  }
  const v = values as Float64Array;
  if (kind === 'boolean') {
    let t = 0;
    let f = 0;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === 1) t++;
      else if (v[i] === 0) f++;
    }
    const counts = new Map<string, number>();
    if (t > 0) counts.set('true', t);
    if (f > 0) counts.set('false', f);
    return { name, type: kind, missing: v.length - t - f, distinct: counts.size, top: topOf(counts).map((e) => ({ value: e.value === 'true', count: e.count })) };
  }
  // A sorted copy gives min, max and distinct in one native sort (NaN sorts last).
  const sorted = Float64Array.from(v).sort();
  let present = sorted.length;
  while (present > 0 && Number.isNaN(sorted[present - 1])) present--;
  if (present === 0) return { name, type: kind, missing: v.length, distinct: 0 };
  let distinct = 1;
  let sum = sorted[0];
  for (let i = 1; i < present; i++) {
    if (sorted[i] !== sorted[i - 1]) distinct++;
    sum += sorted[i];
  }
  return { name, type: kind, missing: v.length - present, distinct, min: sorted[0], max: sorted[present - 1], mean: sum / present };
}

function topOf(counts: Map<string, number>): { value: string; count: number }[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, TOP_VALUES)
    .map(([value, count]) => ({ value, count }));
}
