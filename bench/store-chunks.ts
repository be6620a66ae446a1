// Chunked artifacts (issue 15.3): write and read MB/s of one large artifact (512 MiB; 64 MiB
// with BENCH_QUICK) streamed through the store on SQLite and PostgreSQL, and the peak RSS of the
// process doing it (each write and each read runs in a fresh child process, so the peaks are
// its own). Prints one JSON line. PostgreSQL: GROVE_BENCH_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/test), in a schema dropped at the end.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PostgresStore } from '../src/track/postgres-store.js';
import { SqliteStore } from '../src/track/sqlite-store.js';
import type { Store } from '../src/track/store.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.GROVE_BENCH_ARTIFACT_MIB ?? (process.env.BENCH_QUICK ? 64 : 512));
const PG_URL = process.env.GROVE_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function openStore(backend: string, where: string): Promise<Store> {
  return backend === 'sqlite' ? SqliteStore.open(where) : PostgresStore.open(PG_URL, { schema: where });
}

/** 1 MiB pieces of random bytes, each stamped with its index (so no two pieces are equal) */
async function* source(mib: number): AsyncGenerator<Buffer> {
  const piece = randomBytes(MIB);
  for (let i = 0; i < mib; i++) {
    piece.writeUInt32LE(i, 0);
    yield piece;
  }
}

/** In the child: one write or one read; prints seconds and peak RSS. */
async function child(mode: string, backend: string, where: string, runId: string): Promise<void> {
  const store = await openStore(backend, where);
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let bytes = 0;
  if (mode === 'write') {
    bytes = (await store.logArtifact(runId, 'model', source(SIZE_MIB))).size;
  } else {
    for await (const chunk of store.readArtifactChunks(runId, 'model')) bytes += chunk.length;
  }
  const s = (performance.now() - t0) / 1000;
  await store.close();
  process.stdout.write(JSON.stringify({ s, bytes, rss_before_mib: rssBefore / MIB, peak_rss_mib: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

function measure(mode: string, backend: string, where: string, runId: string): { s: number; bytes: number; rss_before_mib: number; peak_rss_mib: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), mode, backend, where, runId], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${mode} on ${backend} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

async function backendFigures(backend: string, where: string): Promise<Record<string, number>> {
  const store = await openStore(backend, where);
  const exp = await store.getOrCreateExperiment('bench');
  const run = await store.createRun({ experimentId: exp.experimentId });
  await store.close();
  const w = measure('write', backend, where, run.runId);
  const r = measure('read', backend, where, run.runId);
  if (w.bytes !== SIZE_MIB * MIB || r.bytes !== w.bytes) throw new Error(`${backend}: wrote ${w.bytes} bytes, read ${r.bytes}`);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    [`${backend}_write_mb_s`]: round(SIZE_MIB / w.s),
    [`${backend}_read_mb_s`]: round(SIZE_MIB / r.s),
    [`${backend}_write_peak_rss_mib`]: round(w.peak_rss_mib),
    [`${backend}_read_peak_rss_mib`]: round(r.peak_rss_mib),
    [`${backend}_rss_at_open_mib`]: round(Math.max(w.rss_before_mib, r.rss_before_mib)),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-bench-chunks-'));
  const out: Record<string, unknown> = { bench: 'store_chunks', artifact_mib: SIZE_MIB, chunk_mib: 64 };
  try {
    Object.assign(out, await backendFigures('sqlite', join(dir, 'chunks.db')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const schema = `grove_bench_chunks_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    Object.assign(out, await backendFigures('postgres', schema));
  } catch (err) {
    out.postgres_error = (err as Error).message.slice(0, 300);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

const [mode, backend, where, runId] = process.argv.slice(2);
if (mode) await child(mode, backend, where, runId);
else await main();
