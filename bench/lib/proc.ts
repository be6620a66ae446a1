// Runs one benchmark stage or runner in its own process and reads the one JSON line it prints.
import { spawn } from 'node:child_process';

export interface ProcResult {
  ok: boolean;
  json: Record<string, unknown> | null;
  /** Why it failed (exit code, timeout, no JSON) with the tail of its stderr. */
  error: string | null;
  wallS: number;
}

export function runJsonProcess(cmd: string, args: string[], timeoutS: number, env: NodeJS.ProcessEnv = process.env): Promise<ProcResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.length > 64_000) err = err.slice(-32_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL'); // only the child we started, by its pid
    }, timeoutS * 1000);
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      clearTimeout(timer);
      const wallS = (performance.now() - t0) / 1000;
      const tail = err.trim().split('\n').slice(-6).join(' | ');
      if (spawnError) return resolve({ ok: false, json: null, error: `cannot start ${cmd}: ${spawnError.message}`, wallS });
      if (timedOut) return resolve({ ok: false, json: null, error: `killed after ${timeoutS} s (timeout)`, wallS });
      const lines = out
        .trim()
        .split('\n')
        .filter((l) => l.trim().startsWith('{'));
      let json: Record<string, unknown> | null = null;
      try {
        if (lines.length > 0) json = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
      } catch {
        json = null;
      }
      if (code !== 0) return resolve({ ok: false, json, error: `exit ${code ?? signal}${tail ? `: ${tail}` : ''}`, wallS });
      if (!json) return resolve({ ok: false, json: null, error: `printed no JSON line${tail ? `: ${tail}` : ''}`, wallS });
      resolve({ ok: true, json, error: null, wallS });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Runs a short command and returns its trimmed stdout, or null when it fails. */
export async function probe(cmd: string, args: string[], timeoutS = 60): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? out.trim() : null);
    });
  });
}
