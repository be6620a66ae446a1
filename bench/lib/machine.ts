// What the numbers were measured on: CPU, cores, memory, Node, and the peers' versions.
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { loadNative } from '../../src/forest/native.js';
import { GROVE_VERSION } from '../../src/version.js';
import { probe } from './proc.js';

export const PYTHON = '/usr/bin/python3';
export const RSCRIPT = '/usr/bin/Rscript';

export interface Peers {
  sklearn: string | null;
  numpy: string | null;
  xgboost: string | null;
  ranger: string | null;
  r: string | null;
  python: string | null;
  mlRandomForest: string | null;
}

export async function detectPeers(): Promise<Peers> {
  const py = async (code: string) => probe(PYTHON, ['-c', code]);
  const [python, numpy, sklearn, xgboost, ranger, r] = await Promise.all([
    py('import platform; print(platform.python_version())'),
    py('import numpy; print(numpy.__version__)'),
    py('import sklearn; print(sklearn.__version__)'),
    py('import xgboost; print(xgboost.__version__)'),
    probe(RSCRIPT, ['-e', 'cat(as.character(packageVersion("ranger")))']),
    probe(RSCRIPT, ['-e', 'cat(R.version$major, R.version$minor, sep=".")']),
  ]);
  let mlRandomForest: string | null = null;
  try {
    mlRandomForest = (createRequire(import.meta.url)('ml-random-forest/package.json') as { version: string }).version;
  } catch {
    mlRandomForest = null;
  }
  return { sklearn, numpy, xgboost, ranger, r, python, mlRandomForest };
}

export function describeMachine(): Record<string, unknown> {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpuModel = /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? cpuModel;
    const f = /flags\s*:\s*(.+)/.exec(info)?.[1] ?? '';
    flags = ['avx', 'avx2', 'avx512f', 'fma'].filter((x) => f.split(/\s+/).includes(x));
  } catch {
    // not Linux: os.cpus() is enough
  }
  const native = loadNative();
  return {
    cpu_model: cpuModel,
    cpu_flags: flags,
    cores: availableParallelism(),
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    grove: GROVE_VERSION,
    grove_native_loaded: native.addon !== null,
    grove_openmp: native.addon?.openmp ?? null,
    load_average_at_start: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
