/**
 * Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio, Kégl 2011), written from the
 * paper. Finished trials are split at a quantile of their values into good and bad; each
 * dimension gets a density l(x) fitted on the good and g(x) on the bad; the proposal is the
 * candidate drawn from l that maximises l(x)/g(x). Dimensions are independent (our spaces have
 * no conditional branches), so each dimension is chosen on its own.
 *
 * Determinism under concurrency: trial k sees the values of trials < k - lag only, and every
 * trial k-lag..k-1 counts as pending whatever its state: its config joins the bad group (a
 * "constant liar"), so k is not proposed on top of a trial still running. The study loop
 * guarantees trials < k - lag have ended when it asks k, which makes ask(k) a function of
 * (seed, k, configs of trials < k, values of trials < k - lag): the same sequence for any
 * number of trials in flight. On top of the liar, the proposal is the best-scoring combination
 * of candidates that no earlier trial (running or not) has run, while one exists.
 */
import { invalidOption } from '../../errors.js';
import type { Rng } from '../../rng.js';
import type { Config, Distribution, ParamValue, SearchSpace } from '../space.js';
import { drawOrder, inSpaceOrder, numericBounds, snap, toWorking } from './draw.js';
import { CategoricalParzen, NumericParzen } from './parzen.js';
import { randomConfig } from './random.js';
import type { Sampler, TrialRecord } from './sampler.js';
import { trialRng } from './stream.js';

export const TPE_STARTUP_TRIALS = 10;
export const TPE_LAG = 8;
/** Candidates drawn from l(x) per dimension. */
export const TPE_CANDIDATES = 24;
/** Good group size: ceil(GAMMA * n), at least 1, at most TPE_MAX_GOOD. */
export const TPE_GAMMA = 0.15; // the paper's quantile
export const TPE_MAX_GOOD = 25;

export interface TpeOptions {
  startupTrials?: number;
  lag?: number;
}

export function createTpeSampler(space: SearchSpace, seed: number, options: TpeOptions = {}): Sampler {
  const startup = options.startupTrials ?? TPE_STARTUP_TRIALS;
  const lag = options.lag ?? TPE_LAG;
  if (!Number.isInteger(startup) || startup < 1) throw invalidOption('startupTrials', startup, 'must be an integer >= 1');
  if (!Number.isInteger(lag) || lag < 0) throw invalidOption('lag', lag, 'must be an integer >= 0');
  const keys = drawOrder(space);

  return {
    name: 'tpe',
    capacity: Infinity,
    ask(number: number, history: readonly TrialRecord[]): Config {
      if (number < startup) return randomConfig(space, seed, number);
      const horizon = number - lag;
      const observed: TrialRecord[] = [];
      const pending: TrialRecord[] = [];
      for (const t of history) {
        if (t.number >= number) continue;
        if (t.number >= horizon || t.state === 'running')
          pending.push(t); // running before the horizon: the caller broke the contract; still avoid it
        else if (t.state === 'finished' && typeof t.value === 'number' && Number.isFinite(t.value)) observed.push(t);
      }
      if (observed.length === 0) return randomConfig(space, seed, number);
      // Sorted (ties by trial number) so nothing depends on the order of `history`.
      pending.sort((a, b) => a.number - b.number);
      observed.sort((a, b) => (a.value as number) - (b.value as number) || a.number - b.number);
      const nGood = Math.min(TPE_MAX_GOOD, Math.max(1, Math.ceil(TPE_GAMMA * observed.length)));
      const good = observed.slice(0, nGood).map((t) => t.config);
      const bad = observed
        .slice(nGood)
        .map((t) => t.config)
        .concat(pending.map((t) => t.config));

      const rng = trialRng(seed, number);
      const ranked = keys.map((key) => rankCandidates(space[key], key, good, bad, rng));
      const earlier = new Set(history.filter((t) => t.number < number).map((t) => signature(keys, t.config)));
      const chosen = bestUnseen(ranked, (values) => earlier.has(JSON.stringify(values)));
      return inSpaceOrder(space, new Map(keys.map((key, i) => [key, chosen[i]])));
    },
  };
}

interface Ranked {
  value: ParamValue;
  score: number;
}

/** Candidates drawn from l for one dimension, distinct, best log l(x) - log g(x) first. */
function rankCandidates(d: Distribution, key: string, good: Config[], bad: Config[], rng: Rng): Ranked[] {
  const drawn: Ranked[] = [];
  if (d.type === 'choice' || d.type === 'grid') {
    const levels = d.type === 'choice' ? d.choices : d.values;
    const indices = (configs: Config[]) => configs.map((c) => levels.indexOf(c[key])).filter((i) => i >= 0);
    const l = new CategoricalParzen(indices(good), levels.length);
    const g = new CategoricalParzen(indices(bad), levels.length);
    for (let c = 0; c < TPE_CANDIDATES; c++) {
      const i = l.sample(rng);
      drawn.push({ value: levels[i], score: l.logPdf(i) - g.logPdf(i) });
    }
  } else {
    const [lo, hi] = numericBounds(d);
    const points = (configs: Config[]) => {
      const out: number[] = [];
      for (const c of configs) {
        const v = c[key];
        if (typeof v !== 'number' || v < d.low || v > d.high) continue; // e.g. a resumed study whose space changed
        out.push(toWorking(d, v));
      }
      return out;
    };
    const l = new NumericParzen(points(good), lo, hi);
    const g = new NumericParzen(points(bad), lo, hi);
    for (let c = 0; c < TPE_CANDIDATES; c++) {
      // Score the snapped value: that is what the trial will run.
      const v = snap(d, l.sample(rng));
      const w = toWorking(d, v);
      drawn.push({ value: v, score: l.logPdf(w) - g.logPdf(w) });
    }
  }
  // Stable sort keeps draw order among ties, so the ranking is reproducible.
  drawn.sort((a, b) => b.score - a.score);
  return drawn.filter((r, i) => drawn.findIndex((o) => o.value === r.value) === i);
}

function signature(keys: string[], config: Config): string {
  return JSON.stringify(keys.map((k) => config[k] ?? null));
}

/**
 * The best-scoring combination of per-dimension candidates that no earlier trial ran: a forest
 * is a function of its hyperparameters, so a repeat (of a running trial above all) teaches
 * nothing. Best-first over rank vectors; gives up after a few hundred and takes the best.
 */
function bestUnseen(ranked: Ranked[][], seen: (values: ParamValue[]) => boolean): ParamValue[] {
  const valuesOf = (ranks: number[]) => ranks.map((r, d) => ranked[d][r].value);
  const scoreOf = (ranks: number[]) => ranks.reduce((s, r, d) => s + ranked[d][r].score, 0);
  const start = ranked.map(() => 0);
  const frontier: { ranks: number[]; score: number }[] = [{ ranks: start, score: scoreOf(start) }];
  const visited = new Set<string>([start.join(',')]);
  for (let pops = 0; pops < 256 && frontier.length > 0; pops++) {
    let best = 0;
    for (let i = 1; i < frontier.length; i++) if (frontier[i].score > frontier[best].score) best = i;
    const [{ ranks }] = frontier.splice(best, 1);
    const values = valuesOf(ranks);
    if (!seen(values)) return values;
    for (let d = 0; d < ranks.length; d++) {
      if (ranks[d] + 1 >= ranked[d].length) continue;
      const next = ranks.slice();
      next[d]++;
      const id = next.join(',');
      if (visited.has(id)) continue;
      visited.add(id);
      frontier.push({ ranks: next, score: scoreOf(next) });
    }
  }
  return valuesOf(start);
}
