// `grove data describe <data>`: the schema of a file or built-in dataset, as a table or JSON.
import type { Command } from 'commander';
import { describeData, loadData, selectColumns, type ColumnSummary, type Task } from '../data/index.js';
import { sortedClasses, type Label } from '../labels.js';
import { choiceOption } from './options.js';
import { formatTable, note, printJson } from './output.js';

export function register(program: Command): void {
  const data = program.command('data').description('Inspect data files and built-in datasets');
  data
    .command('describe <data>')
    .description('Show each column: type (numeric, categorical, boolean), missing and distinct counts, range or top values')
    .option('--target <column>', 'check this column as the target (default: "target" for diabetes, "diagnosis" for breast-cancer, "y" for friedman1 and classes)')
    .option('--task <task>', 'classification or regression (default: inferred from the target)', choiceOption('--task', ['classification', 'regression'] as const))
    .option('--json', 'print one JSON document on stdout')
    .action(async (spec: string, opts: { target?: string; task?: Task; json?: boolean }) => {
      const loaded = await loadData(spec);
      const report = describeData(loaded);
      let target: string | null = null;
      let task: Task | null = null;
      let classes: Label[] | null = null;
      if (opts.target !== undefined || loaded.defaultTarget !== undefined) {
        const selection = selectColumns(loaded, { target: opts.target, task: opts.task });
        target = selection.target.name;
        task = selection.task;
        if (selection.labels) classes = sortedClasses(selection.labels);
        for (const n of selection.notes) note(n);
      }
      for (const n of loaded.notes) note(n);
      if (opts.json) {
        printJson({
          source: report.source,
          format: report.format,
          rows: report.rows,
          target,
          task,
          ...(classes ? { classes } : {}),
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
      process.stdout.write(`${report.source}: ${report.rows} rows, ${report.columns.length} columns (${report.format})\n`);
      if (task) process.stdout.write(`task: ${task}${classes ? ` (${classes.length} classes: ${classes.slice(0, 10).map(String).join(', ')}${classes.length > 10 ? ', ...' : ''})` : ''}\n`);
      process.stdout.write('\n');
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
