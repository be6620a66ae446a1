// `grove server` as a process: it starts, answers /health and the API over the store named by
// --tracking-uri (what it writes, the other grove commands read), and stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call } from './protocol.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const env = { ...process.env, GROVE_TRACKING_URI: '', GROVE_FROM_SOURCE: '1' };

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** grove server <args>, resolved once it says where it listens */
function startServer(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [grove, 'server', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = / on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve({ child, url: m[1], stderr: () => stderr, exit });
    });
    void exit.then((code) => reject(new Error(`grove server exited (${code}) before listening: ${stderr}`)));
  });
}

test('grove server --help names the options and the API', () => {
  const r = spawnSync(process.execPath, [grove, 'server', '--help'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  for (const word of ['--host', '--port', '--tracking-uri', '/api/2.0/mlflow', 'SIGTERM', '127.0.0.1', '5000']) assert.ok(r.stdout.includes(word), `--help mentions ${word}`);
});

test('grove server answers /health and the API on the store it is given, and exits 0 on SIGTERM', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'grove-mlflow-cli-')), 'grove.db');
  const s = await startServer(['--tracking-uri', db, '--port', '0']);
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${s.url}/health`);
    assert.equal(await health.text(), 'OK');
    const exp = await call(s.url, 'POST', 'experiments/create', { name: 'from-mlflow' });
    assert.equal(exp.status, 200);
    const run = await call(s.url, 'POST', 'runs/create', { experiment_id: exp.json.experiment_id, run_name: 'logged-over-rest' });
    const runId = run.json.run.info.run_id;
    assert.equal((await call(s.url, 'POST', 'runs/log-metric', { run_id: runId, key: 'rmse', value: 42.5, timestamp: 1, step: 0 })).status, 200);
    assert.equal((await call(s.url, 'POST', 'runs/update', { run_id: runId, status: 'FINISHED' })).status, 200);
  } finally {
    s.child.kill('SIGTERM');
  }
  assert.equal(await s.exit, 0, s.stderr());
  assert.match(s.stderr(), /SIGTERM: shutting down/);
  assert.match(s.stderr(), /server stopped/);
  // the other commands read what the server wrote
  const listed = spawnSync(process.execPath, [grove, 'runs', 'list', '--experiment', 'from-mlflow', '--json', '--tracking-uri', db], { encoding: 'utf8', env });
  assert.equal(listed.status, 0, listed.stderr);
  const runs = JSON.parse(listed.stdout) as { run_name: string; status: string; metrics: Record<string, number> }[];
  assert.deepEqual(
    runs.map((r) => [r.run_name, r.status, r.metrics.rmse]),
    [['logged-over-rest', 'FINISHED', 42.5]],
  );
});

test('a port in use is a clear error and a non-zero exit', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'grove-mlflow-cli-')), 'grove.db');
  const first = await startServer(['--tracking-uri', db, '--port', '0']);
  try {
    const port = new URL(first.url).port;
    const r = spawnSync(process.execPath, [grove, 'server', '--tracking-uri', db, '--port', port], { encoding: 'utf8', env, timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /address is in use/);
    assert.match(r.stderr, /--port/);
  } finally {
    first.child.kill('SIGTERM');
  }
  assert.equal(await first.exit, 0);
});

test('a bad --port is refused before anything starts', () => {
  const r = spawnSync(process.execPath, [grove, 'server', '--port', 'abc'], { encoding: 'utf8', env });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--port must be an integer/);
});
