// The piscina pool that runs trials. From TypeScript sources (a dev checkout) the worker is the
// .ts file and workers need tsx; from the compiled package it is the .js file next to this one.
import { Piscina } from 'piscina';

export function createTrialPool(concurrency: number): Piscina {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(fromSource ? './trial-worker.ts' : './trial-worker.js', import.meta.url).href;
  // resolve tsx from grove's own install, not from the user's working directory
  const execArgv = fromSource && !hasTsx(process.execArgv) ? [...process.execArgv, '--import', import.meta.resolve('tsx')] : process.execArgv;
  const pool = new Piscina({
    filename,
    minThreads: concurrency,
    maxThreads: concurrency,
    // one task per worker at a time: the thread budget counts trials, not queued tasks
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
    execArgv,
  });
  // A worker that dies rejects its task (the trial is recorded FAILED); the pool's own 'error'
  // event must not also crash the process.
  pool.on('error', () => undefined);
  return pool;
}

function hasTsx(argv: string[]): boolean {
  return argv.some((a, i) => (a === '--import' && /tsx/.test(argv[i + 1] ?? '')) || /^--import=.*tsx/.test(a));
}
