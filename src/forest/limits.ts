// Limits checked before a fit starts: the forest's size is estimated from the data and the
// hyperparameters and compared with the memory this process may use, so a forest that cannot
// fit fails in a second with what to change, not after an hour with "internal error".
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { GroveError } from '../errors.js';
import type { EngineParams } from './engine-params.js';
import { gib } from './model-file.js';

/**
 * Bytes a node of the finished forest costs while it is fitted and kept: the concatenated
 * arrays handed to JavaScript (48 B) and the predictor's packed copy. Trees still being grown
 * (one a thread) cost IN_FLIGHT_BYTES_PER_NODE: the builder's vectors (44 B) with growth slack.
 * Checked against peak RSS by `npm run bench -- --stages model_size`.
 */
export const FIT_BYTES_PER_NODE = 64;
export const IN_FLIGHT_BYTES_PER_NODE = 90;
/** Node ids are int32 in the engine, the model file and the typed arrays. */
export const MAX_NODES = 0x7fffffff;

export interface ForestEstimate {
  nodesPerTree: number;
  nodes: number;
  /** peak bytes in memory while fitting */
  memoryBytes: number;
}

/**
 * Nodes a forest will have at most, about: each leaf holds at least min_samples_leaf of the
 * distinct rows a tree draws, a full binary tree has 2 × leaves - 1 nodes, and max_depth caps
 * leaves at 2^depth. With bootstrap a tree sees 1 - e^(-draws/rows) of the rows.
 */
export function estimateForest(p: EngineParams, rows: number, existingNodes = 0): ForestEstimate {
  const draws = p.bootstrap ? Math.max(1, Math.round(p.max_samples * rows)) : rows;
  const distinct = p.bootstrap ? rows * (1 - Math.exp(-draws / rows)) : rows;
  let leaves = Math.max(1, Math.floor(distinct / Math.max(1, p.min_samples_leaf)));
  if (p.max_depth >= 0) leaves = Math.min(leaves, 2 ** p.max_depth);
  const nodesPerTree = 2 * leaves - 1;
  const nodes = existingNodes + nodesPerTree * p.n_estimators;
  const inFlight = Math.min(p.n_estimators, Math.max(1, p.threads)) * nodesPerTree;
  // a classifier's node holds K class frequencies (8 bytes each), kept and while growing
  const classBytes = 8 * (p.n_classes ?? 0);
  return { nodesPerTree, nodes, memoryBytes: nodes * (FIT_BYTES_PER_NODE + classBytes) + inFlight * (IN_FLIGHT_BYTES_PER_NODE + classBytes) };
}

/** The memory this process may use: GROVE_MEMORY_LIMIT (bytes), else the cgroup's limit, else the machine's RAM. */
export function memoryLimit(): { bytes: number; source: string } {
  const env = process.env.GROVE_MEMORY_LIMIT;
  if (env !== undefined && env !== '') {
    const v = Number(env);
    if (!Number.isFinite(v) || v <= 0) throw new GroveError('INVALID_OPTION', `GROVE_MEMORY_LIMIT must be a number of bytes > 0 (got ${JSON.stringify(env)})`, { option: 'GROVE_MEMORY_LIMIT' });
    return { bytes: v, source: 'GROVE_MEMORY_LIMIT' };
  }
  systemLimit ??= readSystemLimit();
  return systemLimit;
}

// the cgroup's limit and the RAM do not change while grove runs: read once, not on every fit
let systemLimit: { bytes: number; source: string } | undefined;

function readSystemLimit(): { bytes: number; source: string } {
  const machine = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(v) && v > 0 && v < machine) return { bytes: v, source: `the cgroup limit (${file})` };
    } catch {
      // no such file, or "max": no cgroup limit there
    }
  }
  return { bytes: machine, source: "the machine's RAM" };
}

/** Throws before the fit when the forest it would grow cannot be held. */
export function checkForestFits(p: EngineParams, rows: number, existingNodes = 0): ForestEstimate {
  const e = estimateForest(p, rows, existingNodes);
  const limit = memoryLimit();
  const what = `${p.n_estimators} trees on ${rows} rows${p.n_classes > 0 ? ` of ${p.n_classes} classes` : ''} with min_samples_leaf ${p.min_samples_leaf}${p.max_depth >= 0 ? ` and max_depth ${p.max_depth}` : ''} grow up to about ${fmtCount(e.nodesPerTree)} nodes a tree, ${fmtCount(e.nodes)} in all`;
  const fix = 'raise min_samples_leaf (--min-samples-leaf), set max_depth (--max-depth) or fit fewer trees (--trees)';
  if (e.nodes > MAX_NODES) {
    throw new GroveError('INVALID_OPTION', `this forest is too large: ${what}, over the ${fmtCount(MAX_NODES)} nodes a grove forest can hold; ${fix}`, { nodes: e.nodes });
  }
  if (e.memoryBytes > limit.bytes) {
    throw new GroveError('INVALID_OPTION', `this forest would not fit in memory: ${what}, about ${gib(e.memoryBytes)} while fitting, more than ${limit.source} (${gib(limit.bytes)}); ${fix}`, {
      nodes: e.nodes,
      bytes: e.memoryBytes,
      limit: limit.bytes,
    });
  }
  return e;
}

const fmtCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
