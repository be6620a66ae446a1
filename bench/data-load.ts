// Load + convert benchmark of the data layer: a 1M-row x 11-column numeric CSV (~130 MB) through
// loadData and prepareTraining, printing one JSON line with seconds per stage and peak RSS.
// Target (issue 3): under 5 s total and under 2 GB peak RSS.
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/rng.js';
import { loadData, prepareTraining } from '../src/data/index.js';

const ROWS = 1_000_000;
const COLS = 11;
const path = process.argv[2] ?? join(tmpdir(), `grove-bench-${ROWS}x${COLS}.csv`);

async function generate(file: string): Promise<void> {
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const rng = new Rng(1, 0x42454e43);
  out.write(Array.from({ length: COLS - 1 }, (_, j) => `x${j}`).join(',') + ',y\n');
  let lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const cells: string[] = [];
    for (let j = 0; j < COLS; j++) cells.push((rng.nextDouble() * 1000).toFixed(7)); // 11 bytes a cell: ~132 MB
    lines.push(cells.join(','));
    if (lines.length === 10000) {
      if (!out.write(lines.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      lines = [];
    }
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).on('error', reject));
  renameSync(partial, file);
}

if (!existsSync(path)) await generate(path);

const t0 = performance.now();
const data = await loadData(path);
const t1 = performance.now();
const prepared = prepareTraining(data, { target: 'y' });
const t2 = performance.now();

const round = (s: number) => Math.round(s * 1000) / 1000;
process.stdout.write(
  JSON.stringify({
    bench: 'data_load',
    file: path,
    rows: prepared.x.rows,
    cols: COLS,
    read_s: round(data.timings?.read ?? 0),
    parse_s: round(data.timings?.parse ?? 0),
    validate_s: round(data.timings?.validate ?? 0),
    convert_s: round((t2 - t1) / 1000),
    total_s: round((t2 - t0) / 1000),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n',
);
