// This machine is shared (other work may compile or test while the benchmark runs). Before each
// fit, measure how busy the CPUs are for a moment and wait (bounded) for them to calm down; the
// background load seen is recorded with every sample, so noisy numbers can be recognised.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

function cpuTimes(): { idle: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait irq softirq steal ..."
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    return { idle, total: v.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Busy cores (0..cores) over `ms` milliseconds, or null where /proc/stat is missing. */
export async function busyCores(ms = 500): Promise<number | null> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total <= a.total) return null;
  return (1 - (b.idle - a.idle) / (b.total - a.total)) * availableParallelism();
}

/**
 * Waits until fewer than `threshold` cores are busy, at most `maxWaitS` seconds.
 * Returns the last busy reading and how long it waited.
 */
export async function waitForQuiet(threshold = 0.3, maxWaitS = 60): Promise<{ busy: number | null; waitedS: number }> {
  const t0 = performance.now();
  let busy = await busyCores();
  while (busy !== null && busy >= threshold && (performance.now() - t0) / 1000 < maxWaitS) {
    await sleep(2000);
    busy = await busyCores();
  }
  return { busy, waitedS: (performance.now() - t0) / 1000 };
}
