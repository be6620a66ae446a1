// Reads the benchmark's numeric CSV files (header x0..x(p-1),y; written by bench/lib/datasets.ts)
// in fixed-size chunks, straight into typed arrays, so a runner's peak RSS is the data plus the
// model rather than the whole file as one string.
import { closeSync, openSync, readSync } from 'node:fs';

export interface CsvMatrix {
  /** Row-major rows x cols features. */
  x: Float64Array;
  y: Float64Array;
  rows: number;
  cols: number;
  names: string[];
}

const CHUNK = 8 << 20;

export function readBenchCsv(path: string): CsvMatrix {
  // two passes: count the rows, then parse straight into arrays of exactly that size (no growing
  // buffer and no row-major copy left behind to inflate the runner's peak RSS)
  const rows = countLines(path) - 1;
  let header: string[] | null = null;
  let cols = 0;
  let width = 0;
  let x = new Float64Array(0);
  const y = new Float64Array(Math.max(0, rows));
  let row = 0;
  let line = 0;
  forEachLine(path, (text) => {
    line++;
    if (text.length === 0) return;
    if (header === null) {
      header = text.split(',');
      width = header.length;
      cols = width - 1;
      if (cols < 1 || header[width - 1] !== 'y') throw new Error(`${path}: header must be x0..x(p-1),y (got ${text})`);
      x = new Float64Array(rows * cols);
      return;
    }
    if (row >= rows) throw new Error(`${path} line ${line}: more rows than lines counted`);
    let start = 0;
    for (let j = 0; j < width; j++) {
      const end = j === width - 1 ? text.length : text.indexOf(',', start);
      if (end < 0) throw new Error(`${path} line ${line}: ${j + 1} values, expected ${width}`);
      const v = Number(text.slice(start, end));
      if (!Number.isFinite(v)) throw new Error(`${path} line ${line}, column ${j}: not a number`);
      if (j < cols) x[row * cols + j] = v;
      else y[row] = v;
      start = end + 1;
    }
    row++;
  });
  if (header === null) throw new Error(`${path}: empty file`);
  if (row !== rows) throw new Error(`${path}: ${row} data rows parsed, ${rows} lines counted (blank lines?)`);
  return { x, y, rows, cols, names: (header as string[]).slice(0, cols) };
}

/** Lines in the file (a last line without a newline counts). */
function countLines(path: string): number {
  let n = 0;
  forEachLine(path, () => n++);
  return n;
}

function forEachLine(path: string, fn: (text: string) => void): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  let carry = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const text = carry + buf.toString('latin1', 0, n);
      let from = 0;
      for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
        fn(text.charCodeAt(nl - 1) === 13 ? text.slice(from, nl - 1) : text.slice(from, nl));
        from = nl + 1;
      }
      carry = text.slice(from);
    }
    if (carry.length > 0) fn(carry);
  } finally {
    closeSync(fd);
  }
}

/** Parses `--name value` pairs; every runner takes the same flags from bench/run.ts. */
export function runnerArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`runner: bad argument ${argv[i]}`);
    out.set(argv[i].slice(2), argv[i + 1]);
  }
  return out;
}

export function need(args: Map<string, string>, name: string): string {
  const v = args.get(name);
  if (v === undefined) throw new Error(`runner: --${name} is required`);
  return v;
}

export function rmse(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  let sse = 0;
  for (let i = 0; i < y.length; i++) sse += (pred[i] - y[i]) ** 2;
  return Math.sqrt(sse / y.length);
}

/** Peak resident set size of this process so far, in KB (getrusage ru_maxrss). */
export function peakRssKb(): number {
  return process.resourceUsage().maxRSS;
}

export function rssKb(): number {
  return Math.round(process.memoryUsage.rss() / 1024);
}
