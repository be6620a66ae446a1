// `grove data describe <data>`: the schema of a file or built-in dataset, as a table or JSON.
import type { Command } from 'commander';
import { describeData, loadData, selectColumns, type ColumnSummary } from '../data/index.js';
import { formatTable, note, printJson } from './output.js';

export function register(program: Command): void {
  const data = program.command('data').description('Inspect data files and built-in datasets');
  data
    .command('describe <data>')
    .description('Show each column: type (numeric, categorical, boolean), missing and distinct counts, range or top values')
    .option('--target <column>', 'check this column as the regression target (default: "target" for diabetes, "y" for friedman1)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (spec: string, opts: { target?: string; json?: boolean }) => {
      const loaded = await loadData(spec);
      const report = describeData(loaded);
      let target: string | null = null;
      if (opts.target !== undefined || loaded.defaultTarget !== undefined) {
        const selection = selectColumns(loaded, { target: opts.target });
        target = selection.target.name;
        for (const n of selection.notes) note(n);
      }
      for (const n of loaded.notes) note(n);
      if (opts.json) {
        printJson({
          source: report.source,
          format: report.format,
          rows: report.rows,
          target,
          columns: report.columns.map((c) => ({
            name: c.name,
            type: c.type,
            role: c.name === target ? 'target' : 'feature',
            missing: c.missing,
            distinct: c.distinct,
            ...(c.min !== undefined ? { min: c.min, max: c.max, mean: c.mean } : {}),
            ...(c.top !== undefined ? { top: c.top } : {}),
          })),
        });
        return;
      }
      process.stdout.write(`${report.source}: ${report.rows} rows, ${report.columns.length} columns (${report.format})\n\n`);
      process.stdout.write(
        formatTable(
          ['column', 'type', 'missing', 'distinct', 'min', 'max', 'mean / top values'],
          report.columns.map((c) => [
            c.name === target ? `${c.name} (target)` : c.name,
            c.type,
            c.missing,
            c.distinct,
            c.min === undefined ? '' : short(c.min),
            c.max === undefined ? '' : short(c.max),
            summary(c),
          ]),
        ),
      );
    });
}

function short(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

function summary(c: ColumnSummary): string {
  if (c.mean !== undefined) return short(c.mean);
  return (c.top ?? []).map((t) => `${String(t.value)} (${t.count})`).join(', ');
}
