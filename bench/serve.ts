// Scoring-server benchmark (issue 6): wrk against grove serve on 127.0.0.1. Prints one JSON line.
//   single-row dataframe_split requests, 64 connections, --duration seconds (default 30):
//     zero errors and timeouts required; requests/s, p50/p99 latency (goal >= 10,000/s, p99 < 20 ms)
//   the same with the synchronous fast path off (every batch through the async native predict)
//   1,000-row dataframe_split requests: rows/s
// Usage: node --import tsx bench/serve.ts [--duration 30] [--trees 100]
// Needs wrk (apt-get install wrk); without it the line says so and nothing is measured.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer } from '../src/serve/server.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_QUICK === '1' ? '5' : '30' },
    connections: { type: 'string', default: '64' },
    trees: { type: 'string', default: '100' },
    // internal: this file also runs the server, in its own process, so wrk and the server do not share an event loop
    'serve-only': { type: 'string' },
    'tracking-uri': { type: 'string' },
    'sync-max-rows': { type: 'string' },
  },
});

if (args['serve-only']) {
  const server = await startServer(args['serve-only'], {
    port: 0,
    trackingUri: args['tracking-uri'],
    pollSeconds: 0,
    syncMaxRows: args['sync-max-rows'] === undefined ? undefined : Number(args['sync-max-rows']),
    log: () => {},
  });
  process.stdout.write(`${server.port}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
} else {
  await main();
}

interface WrkResult {
  requests: number;
  duration_s: number;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
}

async function main(): Promise<void> {
  const duration = Number(args.duration);
  const connections = Number(args.connections);
  if (spawnSync('wrk', ['--version']).error) {
    process.stdout.write(JSON.stringify({ bench: 'serve', skipped: 'wrk not found (apt-get install wrk); nothing measured' }) + '\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'grove-bench-serve-'));
  const root = fileURLToPath(new URL('..', import.meta.url));
  const db = join(dir, 'grove.db');
  const train = spawnSync(process.execPath, [join(root, 'bin/grove.js'), 'train', 'diabetes', '--trees', args.trees, '--register', 'bench', '--alias', 'production', '--tracking-uri', db, '--json'], {
    encoding: 'utf8',
  });
  if (train.status !== 0) throw new Error(`grove train failed: ${train.stderr}`);
  const uri = 'models:/bench@production';

  const rows = diabetesRows(root);
  const columns = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];
  const single = JSON.stringify({ dataframe_split: { columns, data: [rows[0]] } });
  const batch = JSON.stringify({ dataframe_split: { columns, data: Array.from({ length: 1000 }, (_, i) => rows[i % rows.length]) } });

  // a short unmeasured run first: JIT warm-up and connection set-up are not the steady state
  const warmup = Math.min(3, Math.max(1, Math.round(duration / 10)));
  const measure = (body: string, conns: number) => async (port: number) => {
    await wrk(dir, port, body, conns, warmup);
    return wrk(dir, port, body, conns, duration);
  };
  const load = loadavg()[0];
  try {
    const fast = await withServer(root, uri, db, undefined, measure(single, connections));
    const async_ = await withServer(root, uri, db, '0', measure(single, connections));
    const large = await withServer(root, uri, db, undefined, measure(batch, 4));
    const ok = (r: WrkResult) => Object.values(r.errors).every((n) => n === 0);
    const result = {
      bench: 'serve',
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, load_average_at_start: Math.round(load * 100) / 100 },
      warmup_s: warmup,
      model: { uri, trees: Number(args.trees), data: 'diabetes' },
      load: 'wrk -t1 on the same machine (it takes part of a core from the server)',
      single_row: { connections, ...fast, zero_errors: ok(fast) },
      single_row_async_only: { connections, ...async_, zero_errors: ok(async_) },
      batch_1000_rows: { connections: 4, ...large, rows_per_s: Math.round(large.requests_per_s * 1000), zero_errors: ok(large) },
      goal: { requests_per_s: 10_000, p99_ms: 20, met: ok(fast) && fast.requests_per_s >= 10_000 && fast.p99_ms < 20 },
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function diabetesRows(root: string): number[][] {
  const lines = readFileSync(join(root, 'data/diabetes.csv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => l.split(',').slice(0, 10).map(Number));
}

/** Runs the server in a child process (this file with --serve-only) for the length of `fn`. */
async function withServer<T>(root: string, uri: string, db: string, syncMax: string | undefined, fn: (port: number) => Promise<T>): Promise<T> {
  const argv = ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve-only', uri, '--tracking-uri', db];
  if (syncMax !== undefined) argv.push('--sync-max-rows', syncMax);
  const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await firstLine(child);
    return await fn(Number(port));
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0].trim());
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
}

/** One wrk run; a Lua script sends the body and writes the summary as JSON. */
async function wrk(dir: string, port: number, body: string, connections: number, seconds: number): Promise<WrkResult> {
  const script = join(dir, 'wrk.lua');
  const bodyFile = join(dir, 'body.json');
  writeFileSync(bodyFile, body);
  writeFileSync(
    script,
    `local f = io.open(${JSON.stringify(bodyFile)}, "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('@@{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
`,
  );
  const r = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '2s', '-s', script, `http://127.0.0.1:${port}/invocations`]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
  const line = r.split('\n').find((l) => l.startsWith('@@'));
  if (!line) throw new Error(`no summary from wrk: ${r}`);
  const s = JSON.parse(line.slice(2)) as Record<string, number>;
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    requests: s.requests,
    duration_s: Math.round(s.duration_us / 1e4) / 100,
    requests_per_s: Math.round(s.requests / (s.duration_us / 1e6)),
    p50_ms: ms(s.p50_us),
    p99_ms: ms(s.p99_us),
    max_ms: ms(s.max_us),
    errors: { connect: s.connect, read: s.read, write: s.write, status: s.status, timeout: s.timeout },
  };
}
