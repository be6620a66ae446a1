// A reader that stops early (`grove tune --help | head -1`) closes the pipe before grove writes:
// every command then ends quietly, with no EPIPE stack trace and no failing status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const COMMANDS = ['train', 'predict', 'tune', 'worker', 'study', 'serve', 'experiments', 'runs', 'models', 'data', 'ui'];

/** Runs grove with its stdout closed by the reader before grove writes anything. */
function withClosedStdout(args: string[]): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [grove, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.destroy(); // the reader is gone
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

test('--help and --version of every command exit 0 with nothing on stderr when stdout is closed early', async () => {
  for (const args of [['--version'], ['--help'], ...COMMANDS.map((c) => [c, '--help'])]) {
    const r = await withClosedStdout(args);
    assert.equal(r.signal, null, args.join(' '));
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', args.join(' '));
  }
});

test('a command writing a long listing into a closed pipe exits 0; one that fails keeps its error status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-pipe-'));
  const db = join(dir, 'grove.db');
  const train = spawnSync(process.execPath, [grove, 'train', 'diabetes', '--trees', '5', '--tracking-uri', db, '--json'], { encoding: 'utf8' });
  assert.equal(train.status, 0, train.stderr);
  for (const args of [
    ['runs', 'list', '--tracking-uri', db],
    ['runs', 'list', '--tracking-uri', db, '--json'],
    ['data', 'describe', 'diabetes'],
  ]) {
    const r = await withClosedStdout(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /, args.join(' '));
  }
  const failing = await withClosedStdout(['runs', 'list', '--tracking-uri', join(dir, 'missing.db')]);
  assert.equal(failing.status, 2, failing.stderr);
  assert.match(failing.stderr, /no tracking store/);
  assert.doesNotMatch(failing.stderr, /EPIPE/);
});

test('through a real shell pipe into head -1', () => {
  // a POSIX sh has no PIPESTATUS: grove's status is written to stderr, which head does not read
  const r = spawnSync('sh', ['-c', `{ "${process.execPath}" "${grove}" tune --help; echo "status=$?" >&2; } | head -1`], { encoding: 'utf8' });
  assert.match(r.stdout, /^Usage: grove tune/);
  assert.match(r.stderr, /status=0/);
  assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
});
