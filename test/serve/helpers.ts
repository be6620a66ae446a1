// Shared by the serve tests: a tracked model in a temp store, grove as a child process, HTTP calls.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
export const FEATURES = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'grove-serve-'));
}

/** grove <args> synchronously (never while an in-process server must answer: it blocks the loop). */
export function groveSync(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** grove <args> without blocking the event loop. */
export function groveAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [grove, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Trains diabetes into `db` and registers it as `name`, alias production; returns the version. */
export function trainRegistered(db: string, name: string, trees: number, seed = 0, extra: string[] = []): number {
  const r = groveSync('train', 'diabetes', '--trees', String(trees), '--seed', String(seed), '--register', name, '--alias', 'production', '--tracking-uri', db, '--json', ...extra);
  if (r.status !== 0) throw new Error(`grove train failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { version: number }).version;
}

/** The first `n` rows of the bundled diabetes data, features only, as numbers. */
export function diabetesRows(n: number): number[][] {
  const path = fileURLToPath(new URL('../../data/diabetes.csv', import.meta.url));
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  return Array.from({ length: n }, (_, i) => lines[i % lines.length].split(',').slice(0, FEATURES.length).map(Number));
}

/** What grove predict says for these rows (through a CSV file). */
export function predictWithCli(dir: string, uri: string, db: string, rows: number[][]): number[] {
  const file = join(dir, `rows-${rows.length}-${Date.now()}.csv`);
  writeFileSync(file, [FEATURES.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  const r = groveSync('predict', uri, '--input', file, '--tracking-uri', db, '--json');
  if (r.status !== 0) throw new Error(`grove predict failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { predictions: number[] }).predictions;
}

export interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

export async function post(base: string, body: string, contentType = 'application/json', path = '/invocations'): Promise<Reply> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

export async function get(base: string, path: string, method = 'GET'): Promise<Reply> {
  const res = await fetch(base + path, { method });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
