// Soak of `grove serve` (issue 16): the real CLI serving a registered model for a bounded time
// (default 180 s) while 16 concurrent clients send a seeded mix of valid and malformed requests:
// bad JSON, missing or extra columns, NaN and text in numbers, wrong and missing content types,
// bodies over --max-body, empty bodies, wrong methods and paths, deep nesting, big valid batches.
// Prints one JSON line: requests, status counts per kind, 5xx count, answers of the wrong class
// (a malformed request answered 200, a valid one not), connection errors, the server's RSS at
// start / end / peak, and p50/p99 latency (all requests, and valid single rows alone).
//   node --import tsx bench/serve-soak.ts [--soak-seconds 180] [--clients 16]
//   (GROVE_SOAK_SECONDS also sets the length; BENCH_QUICK=1: 20 s)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    'soak-seconds': { type: 'string', default: process.env.GROVE_SOAK_SECONDS ?? (process.env.BENCH_QUICK === '1' ? '20' : '180') },
    clients: { type: 'string', default: '16' },
  },
});
const SECONDS = Number(args['soak-seconds']);
const CLIENTS = Number(args.clients);
const MAX_BODY = 1024 * 1024; // the server runs with --max-body 1mb: an over-limit body is cheap to send
const FEATURES = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];

interface Kind {
  name: string;
  weight: number;
  /** true: a 200 is expected; false: a 4xx is */
  valid: boolean;
  method?: 'GET' | 'POST';
  path?: string;
  type?: string | null;
  body: () => string | Buffer;
}

function kinds(rows: number[][]): Kind[] {
  const row = rows[0];
  const record = Object.fromEntries(FEATURES.map((f, j) => [f, row[j]]));
  const split = (data: unknown[][], columns = FEATURES) => JSON.stringify({ dataframe_split: { columns, data } });
  const batch = split(rows.slice(0, 200));
  const csv = [FEATURES.join(','), ...rows.slice(0, 20).map((r) => r.join(','))].join('\n') + '\n';
  const huge = Buffer.alloc(MAX_BODY + 64 * 1024, 0x20); // spaces: valid JSON whitespace, over the limit
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  return [
    { name: 'valid_single_row', weight: 30, valid: true, body: () => split([row]) },
    { name: 'valid_batch_200', weight: 6, valid: true, body: () => batch },
    { name: 'valid_records', weight: 6, valid: true, body: () => JSON.stringify({ dataframe_records: [record, record] }) },
    { name: 'valid_csv', weight: 4, valid: true, type: 'text/csv', body: () => csv },
    { name: 'get_ping', weight: 4, valid: true, method: 'GET', path: '/ping', body: () => '' },
    { name: 'get_version', weight: 2, valid: true, method: 'GET', path: '/version', body: () => '' },
    { name: 'bad_json', weight: 7, valid: false, body: () => split([row]).slice(0, 25) },
    { name: 'wrong_columns', weight: 5, valid: false, body: () => split([row.slice(1)], FEATURES.slice(1)) },
    // a column the model does not use is ignored, as in grove predict: a 200
    { name: 'extra_column', weight: 3, valid: true, body: () => split([[...row, 1]], [...FEATURES, 'extra']) },
    { name: 'nan_value', weight: 4, valid: false, body: () => JSON.stringify({ dataframe_records: [{ ...record, s1: 'NaN' }] }) },
    { name: 'text_value', weight: 3, valid: false, body: () => JSON.stringify({ dataframe_records: [{ ...record, bp: 'high' }] }) },
    { name: 'null_value', weight: 3, valid: false, body: () => JSON.stringify({ inputs: [[null, ...row.slice(1)]] }) },
    { name: 'wrong_shape', weight: 3, valid: false, body: () => JSON.stringify({ dataframe_split: 5 }) },
    { name: 'text_plain', weight: 4, valid: false, type: 'text/plain', body: () => split([row]) },
    { name: 'no_content_type', weight: 2, valid: false, type: null, body: () => split([row]) },
    { name: 'latin1_charset', weight: 1, valid: false, type: 'text/csv; charset=latin1', body: () => csv },
    { name: 'empty_body', weight: 3, valid: false, body: () => '' },
    { name: 'huge_body', weight: 1, valid: false, body: () => huge },
    { name: 'deep_nesting', weight: 2, valid: false, body: () => deep },
    { name: 'get_invocations', weight: 2, valid: false, method: 'GET', path: '/invocations', body: () => '' },
    { name: 'unknown_path', weight: 2, valid: false, path: '/nope', body: () => '{}' },
  ];
}

/** mulberry32: the mix is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}

function send(agent: Agent, port: number, k: Kind): Promise<{ status: number; ms: number }> {
  const body = k.body();
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
  if (k.type !== null) headers['content-type'] = k.type ?? 'application/json';
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, agent, method: k.method ?? 'POST', path: k.path ?? '/invocations', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ status: -1, ms: performance.now() - t0 }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    // the server may answer 413 and close before the whole body is sent: that is not an error
    req.on('error', () => resolve({ status: -1, ms: performance.now() - t0 }));
    if ((k.method ?? 'POST') === 'POST') req.end(body);
    else req.end();
  });
}

function startServe(root: string, uri: string, db: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(root, 'bin/grove.js'), 'serve', uri, '--port', '0', '--tracking-uri', db, '--poll-seconds', '0', '--max-body', '1mb'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`grove serve exited (${code}) before listening: ${text}`)));
  });
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'grove-bench-soak-'));
  const db = join(dir, 'grove.db');
  const train = spawnSync(process.execPath, [join(root, 'bin/grove.js'), 'train', 'diabetes', '--trees', '100', '--register', 'soak', '--alias', 'production', '--tracking-uri', db, '--json'], {
    encoding: 'utf8',
  });
  if (train.status !== 0) throw new Error(`grove train failed: ${train.stderr}`);
  const rows = readFileSync(join(root, 'data/diabetes.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(0, 10).map(Number));
  const mix = kinds(rows);
  const totalWeight = mix.reduce((s, k) => s + k.weight, 0);
  const load = loadavg()[0];
  const { child, port } = await startServe(root, 'models:/soak@production', db);
  const pid = child.pid!;
  let exitedEarly: string | null = null;
  child.once('exit', (code, signal) => (exitedEarly = `grove serve exited during the soak (${code ?? signal})`));
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const stats = new Map<string, Record<string, number>>();
  const latencies: number[] = [];
  const singleRow: number[] = [];
  let wrongClass = 0,
    serverErrors = 0,
    connectionErrors = 0,
    requests = 0;
  const wrongExamples: string[] = [];
  try {
    // warm-up: JIT and the model's first load are not the steady state the RSS start is read in
    for (let i = 0; i < 50; i++) await send(agent, port, mix[0]);
    const rssStart = rssMb(pid)!;
    let rssPeak = rssStart;
    const samples: { s: number; rss_mb: number }[] = [{ s: 0, rss_mb: rssStart }];
    const t0 = performance.now();
    const deadline = t0 + SECONDS * 1000;
    const sampler = setInterval(() => {
      const r = rssMb(pid);
      if (r === null) return;
      rssPeak = Math.max(rssPeak, r);
      const s = Math.round((performance.now() - t0) / 1000);
      if (s % 10 === 0 && samples[samples.length - 1].s !== s) samples.push({ s, rss_mb: r });
    }, 500);
    const client = async (id: number) => {
      const next = rng(1000 + id);
      while (performance.now() < deadline && !exitedEarly) {
        let pick = next() * totalWeight;
        const k = mix.find((m) => (pick -= m.weight) < 0) ?? mix[0];
        const { status, ms } = await send(agent, port, k);
        requests++;
        const counts = stats.get(k.name) ?? {};
        counts[String(status)] = (counts[String(status)] ?? 0) + 1;
        stats.set(k.name, counts);
        if (status === -1) {
          // a 413 may close the socket under the rest of the body; anything else is a failure
          if (k.name !== 'huge_body') connectionErrors++;
          continue;
        }
        latencies.push(ms);
        if (k.name === 'valid_single_row') singleRow.push(ms);
        if (status >= 500) serverErrors++;
        const ok = k.valid ? status === 200 : status >= 400 && status < 500;
        if (!ok) {
          wrongClass++;
          if (wrongExamples.length < 10) wrongExamples.push(`${k.name}: ${status}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    const rssEnd = rssMb(pid) ?? NaN;
    rssPeak = Math.max(rssPeak, rssEnd);
    samples.push({ s: Math.round(seconds), rss_mb: rssEnd });
    latencies.sort((a, b) => a - b);
    singleRow.sort((a, b) => a - b);
    const byStatus: Record<string, number> = {};
    for (const counts of stats.values()) for (const [s, n] of Object.entries(counts)) byStatus[s] = (byStatus[s] ?? 0) + n;
    const result = {
      bench: 'serve_soak',
      machine: { cores: availableParallelism(), node: process.version, load_average_at_start: Math.round(load * 100) / 100 },
      seconds: Math.round(seconds * 10) / 10,
      clients: CLIENTS,
      model: { uri: 'models:/soak@production', trees: 100, data: 'diabetes', max_body: '1mb' },
      requests,
      requests_per_s: Math.round(requests / seconds),
      by_status: byStatus,
      by_kind: Object.fromEntries(stats),
      server_errors_5xx: serverErrors,
      wrong_class: wrongClass,
      wrong_class_examples: wrongExamples,
      connection_errors: connectionErrors,
      server_alive: exitedEarly === null,
      // growth over the second half: the first minute's rise is the heap and JIT settling
      rss_mb: {
        start: rssStart,
        end: rssEnd,
        peak: rssPeak,
        growth: Math.round((rssEnd - rssStart) * 10) / 10,
        growth_second_half: Math.round((rssEnd - (samples.find((x) => x.s >= seconds / 2)?.rss_mb ?? rssStart)) * 10) / 10,
        every_10s: samples,
      },
      latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
      valid_single_row_latency_ms: { p50: percentile(singleRow, 50), p99: percentile(singleRow, 99) },
      passed: exitedEarly === null && serverErrors === 0 && wrongClass === 0 && connectionErrors === 0,
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
