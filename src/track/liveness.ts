// Runs remember the host and pid of the process that created them, so a run left RUNNING by a
// process that died (SIGKILL, power loss, OOM) can be told apart from one still training.
import { hostname, userInfo } from 'node:os';
import type { RunInfo, Store } from './store.js';

export function currentHost(): string {
  return hostname();
}

/** "user@host pid N", recorded with every alias move */
export function whoAmI(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the environment's name
  }
  return `${user}@${hostname()} pid ${process.pid}`;
}

/** Whether a process exists on this host. EPERM means it exists but belongs to someone else. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * 'dead' only when the run is RUNNING, was created on this host and its process is gone;
 * 'unknown' for RUNNING runs of other hosts (their heartbeat is the only clue); else 'alive'
 * for RUNNING runs and 'ended' for the others.
 */
export type Liveness = 'alive' | 'dead' | 'unknown' | 'ended';

export function runLiveness(run: Pick<RunInfo, 'status' | 'host' | 'pid'>, host = currentHost()): Liveness {
  if (run.status !== 'RUNNING') return 'ended';
  if (run.host !== host) return 'unknown';
  return processExists(run.pid) ? 'alive' : 'dead';
}

export interface CollectedRun {
  runId: string;
  host: string;
  pid: number;
}

export const FAILURE_TAG = 'grove.failure';

/**
 * Marks FAILED every RUNNING run whose process on this host no longer exists, with tag
 * grove.failure = "process <pid> on <host> exited". A run that ends meanwhile is left alone.
 */
export async function gcDeadRuns(store: Store): Promise<CollectedRun[]> {
  const running = await store.searchRuns({ filter: "status = 'RUNNING'", limit: Infinity });
  const collected: CollectedRun[] = [];
  for (const run of running) {
    if (runLiveness(run) !== 'dead') continue;
    try {
      await store.endRun(run.runId, 'FAILED', { tags: { [FAILURE_TAG]: `process ${run.pid} on ${run.host} exited` } });
      collected.push({ runId: run.runId, host: run.host, pid: run.pid });
    } catch (err) {
      // ended by someone else between the search and now
      if ((err as { code?: string }).code !== 'CONFLICT') throw err;
    }
  }
  return collected;
}

/**
 * Heartbeats a run every `intervalMs` until the returned function is called. The timer does not
 * keep the process alive, and a failed heartbeat (store busy) is retried at the next tick.
 */
export function startHeartbeat(store: Store, runId: string, intervalMs = 5_000): () => void {
  const timer = setInterval(() => {
    store.heartbeat(runId).catch(() => undefined);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
