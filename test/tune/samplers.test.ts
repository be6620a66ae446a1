// Samplers: seeded, reproducible for any concurrency, grid exhaustive, TPE better than random.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroveError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { createSampler, TPE_LAG, type Sampler, type SamplerKind, type TrialRecord } from '../../src/tune/samplers/index.js';
import { choice, defaultSpace, float, grid, int, validateConfig, type Config, type SearchSpace } from '../../src/tune/space.js';

const MAX_FEATURES_COST: Record<string, number> = { all: 0.6, sqrt: 0.2, '0.5': 0, '0.33': 0.1 };

/** A synthetic objective over the default space with its minimum 0 at (150, 8, 4, 3, 0.5). */
function objective(c: Config): number {
  const trees = Math.log(c.n_estimators as number) - Math.log(150);
  const depth = c.max_depth === null ? 0.5 : ((c.max_depth as number) - 8) ** 2 / 40;
  const split = ((c.min_samples_split as number) - 4) ** 2 / 16;
  const leaf = ((c.min_samples_leaf as number) - 3) ** 2 / 20;
  return trees * trees + depth + split + leaf + MAX_FEATURES_COST[String(c.max_features)];
}

/** Trials whose leaf size is 7 fail, deterministically, to exercise failed trials. */
function evaluate(c: Config): TrialRecord['value'] | 'failed' {
  return c.min_samples_leaf === 7 ? 'failed' : objective(c);
}

function finish(t: TrialRecord): void {
  const v = evaluate(t.config);
  if (v === 'failed') t.state = 'failed';
  else [t.state, t.value] = ['finished', v];
}

/** Trials one after the other. */
function runSequential(sampler: Sampler, n: number): TrialRecord[] {
  const history: TrialRecord[] = [];
  for (let k = 0; k < n; k++) {
    const t: TrialRecord = { number: k, config: sampler.ask(k, history), state: 'running' };
    history.push(t);
    finish(t);
  }
  return history;
}

/**
 * `concurrency` trials in flight that end in a shuffled order; trial k is asked only once every
 * trial < k - lag has ended (the study loop's contract).
 */
function runConcurrent(sampler: Sampler, n: number, concurrency: number, orderSeed: number, lag = TPE_LAG): TrialRecord[] {
  const history: TrialRecord[] = [];
  const inFlight: TrialRecord[] = [];
  const order = new Rng(orderSeed, 99);
  let next = 0;
  const ended = (k: number) => history.slice(0, Math.max(0, k)).every((t) => t.state !== 'running');
  while (next < n || inFlight.length > 0) {
    while (next < n && inFlight.length < concurrency && ended(next - lag)) {
      // Hand the sampler the history in a scrambled order too: it must index by number.
      const shuffled = [...history].reverse();
      const t: TrialRecord = { number: next, config: sampler.ask(next, shuffled), state: 'running' };
      history.push(t);
      inFlight.push(t);
      next++;
    }
    const [t] = inFlight.splice(order.below(inFlight.length), 1);
    finish(t);
  }
  return history;
}

const configs = (h: TrialRecord[]) => h.map((t) => t.config);

test('random: the same seed gives the same configs, another seed other configs', () => {
  const space = defaultSpace();
  const a = configs(runSequential(createSampler('random', space, 7), 30));
  const b = configs(runSequential(createSampler('random', space, 7), 30));
  const c = configs(runSequential(createSampler('random', space, 8), 30));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.filter((x, i) => JSON.stringify(x) === JSON.stringify(c[i])).length <= 1);
  for (const x of a) validateConfig(space, x);
  // Trial k depends on (seed, k) only: no history, any order of asking.
  const s = createSampler('random', space, 7);
  assert.deepEqual(s.ask(17, []), a[17]);
  assert.equal(s.capacity, Infinity);
});

test('random: draws cover each distribution and respect log and step', () => {
  const space: SearchSpace = {
    n_estimators: int(10, 20),
    min_samples_leaf: int(1, 1000, { log: true }),
    min_samples_split: int(2, 20, { step: 6 }),
    max_samples: float(0.5, 1, { step: 0.1 }),
    min_impurity_decrease: float(0.001, 1, { log: true }),
    max_depth: choice([null, 3]),
    max_features: grid(['sqrt', 0.5, 3]),
  };
  const s = createSampler('random', space, 1);
  const seen = new Map<string, Set<unknown>>();
  let smallLeaf = 0;
  let smallDecrease = 0;
  const n = 2000;
  for (let k = 0; k < n; k++) {
    const c = s.ask(k, []);
    validateConfig(space, c);
    for (const [key, v] of Object.entries(c)) (seen.get(key) ?? seen.set(key, new Set()).get(key)!).add(v);
    if ((c.min_samples_leaf as number) <= 31) smallLeaf++;
    if ((c.min_impurity_decrease as number) <= 0.0316) smallDecrease++;
  }
  assert.equal(seen.get('n_estimators')!.size, 11);
  assert.deepEqual(
    [...seen.get('min_samples_split')!].sort((a, b) => (a as number) - (b as number)),
    [2, 8, 14, 20],
  );
  assert.deepEqual([...seen.get('max_samples')!].sort(), [0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.equal(seen.get('max_depth')!.size, 2);
  assert.equal(seen.get('max_features')!.size, 3);
  // Log scale: about half the mass below the geometric midpoint.
  assert.ok(Math.abs(smallLeaf / n - 0.5) < 0.06, `leaf <= 31 in ${smallLeaf} of ${n}`);
  assert.ok(Math.abs(smallDecrease / n - 0.5) < 0.06, `decrease <= 0.0316 in ${smallDecrease} of ${n}`);
});

test('grid: every point exactly once, in a fixed order, then it is exhausted', () => {
  const space: SearchSpace = { max_features: grid(['sqrt', 0.5, 'all']), max_depth: choice([null, 4]), min_samples_leaf: grid([1, 2, 4, 8]), n_estimators: int(10, 50) };
  const s = createSampler('grid', space, 3);
  assert.equal(s.capacity, 24);
  const points = new Set<string>();
  for (let k = 0; k < s.capacity; k++) {
    const c = s.ask(k, []);
    validateConfig(space, c);
    const { n_estimators: _drawn, ...point } = c;
    points.add(JSON.stringify(point));
  }
  assert.equal(points.size, 24);
  assert.throws(
    () => s.ask(24, []),
    (e: unknown) => e instanceof GroveError && /grid has 24 trials/.test(e.message),
  );
  // Sorted key order, last key fastest: max_depth, max_features, min_samples_leaf.
  assert.deepEqual(
    [0, 1, 4, 12].map((k) => s.ask(k, [])).map((c) => [c.max_depth, c.max_features, c.min_samples_leaf]),
    [
      [null, 'sqrt', 1],
      [null, 'sqrt', 2],
      [null, 0.5, 1],
      [4, 'sqrt', 1],
    ],
  );
  assert.deepEqual(s.ask(5, []), createSampler('grid', space, 3).ask(5, []));
  assert.notDeepEqual(
    Array.from({ length: 24 }, (_, k) => s.ask(k, []).n_estimators),
    Array.from({ length: 24 }, (_, k) => createSampler('grid', space, 4).ask(k, []).n_estimators),
  );
  const twice = createSampler('grid', space, 3, { gridRepeats: 2 });
  assert.equal(twice.capacity, 48);
  const { n_estimators: _a, ...p0 } = twice.ask(0, []);
  const { n_estimators: _b, ...p24 } = twice.ask(24, []);
  assert.deepEqual(p24, p0);
});

test('grid: a space with nothing to enumerate is rejected', () => {
  assert.throws(
    () => createSampler('grid', { n_estimators: int(10, 50) }, 0),
    (e: unknown) => e instanceof GroveError && /no grid or choice dimension/.test(e.message),
  );
});

test('createSampler rejects a bad kind, seed or space', () => {
  const isGrove = (re: RegExp) => (e: unknown) => e instanceof GroveError && re.test(e.message);
  assert.throws(() => createSampler('bayes' as SamplerKind, defaultSpace(), 0), isGrove(/sampler: must be one of tpe, random, grid/));
  assert.throws(() => createSampler('tpe', defaultSpace(), -1), isGrove(/seed/));
  assert.throws(() => createSampler('tpe', { n_estimators: int(5, 1) }, 0), isGrove(/n_estimators: low must be below high/));
  assert.throws(() => createSampler('tpe', defaultSpace(), 0, { lag: -1 }), isGrove(/lag/));
  assert.throws(() => createSampler('tpe', defaultSpace(), 0, { startupTrials: 0 }), isGrove(/startupTrials/));
});

test("tpe: startup trials are the random sampler's", () => {
  const space = defaultSpace();
  const tpe = runSequential(createSampler('tpe', space, 11), 10);
  const random = runSequential(createSampler('random', space, 11), 10);
  assert.deepEqual(configs(tpe), configs(random));
});

test('tpe: the same seed gives the same configs for concurrency 1 and 4', () => {
  const space = defaultSpace();
  for (const seed of [0, 1, 2, 3, 4]) {
    const one = configs(runSequential(createSampler('tpe', space, seed), 60));
    for (const orderSeed of [1, 2]) {
      const four = configs(runConcurrent(createSampler('tpe', space, seed), 60, 4, orderSeed + seed * 10));
      assert.deepEqual(four, one, `seed ${seed}, completion order ${orderSeed}`);
    }
    const nine = configs(runConcurrent(createSampler('tpe', space, seed), 60, 9, seed));
    assert.deepEqual(nine, one, `seed ${seed}, concurrency 9`);
    assert.notDeepEqual(configs(runSequential(createSampler('tpe', space, seed + 100), 60)), one);
  }
});

test('tpe: ask(k) depends only on configs before k and values before k - lag', () => {
  const space = defaultSpace();
  const sampler = createSampler('tpe', space, 5);
  const history = runSequential(sampler, 40);
  for (const k of [10, 15, 25, 39]) {
    const before = history.slice(0, k);
    const expected = sampler.ask(k, before);
    // Trials in the lag window still running, or with other values, or failed: same answer.
    const window = (f: (t: TrialRecord) => TrialRecord) => before.map((t) => (t.number >= k - TPE_LAG ? f({ ...t }) : t));
    assert.deepEqual(
      sampler.ask(
        k,
        window((t) => ({ number: t.number, config: t.config, state: 'running' })),
      ),
      expected,
    );
    assert.deepEqual(
      sampler.ask(
        k,
        window((t) => ({ ...t, state: 'finished', value: -1000 })),
      ),
      expected,
    );
    assert.deepEqual(
      sampler.ask(
        k,
        window((t) => ({ number: t.number, config: t.config, state: 'failed' })),
      ),
      expected,
    );
    assert.deepEqual(sampler.ask(k, [...before].reverse()), expected);
    // Later trials in the history are ignored.
    assert.deepEqual(sampler.ask(k, history), expected);
    // A fresh sampler (a resumed study) answers the same.
    assert.deepEqual(createSampler('tpe', space, 5).ask(k, before), expected);
  }
  // And the values it may see do matter.
  const k = 30;
  const flipped = history.slice(0, k).map((t) => (t.state === 'finished' ? { ...t, value: -(t.value as number) } : t));
  assert.notDeepEqual(sampler.ask(k, flipped), sampler.ask(k, history.slice(0, k)));
});

test('tpe beats random on a synthetic objective at equal budget', (t) => {
  const space = defaultSpace();
  const budget = 40;
  const meanBest = (kind: SamplerKind, seeds: number) => {
    let sum = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const h = runSequential(createSampler(kind, space, seed), budget);
      sum += Math.min(...h.filter((x) => x.state === 'finished').map((x) => x.value as number));
    }
    return sum / seeds;
  };
  for (const seeds of [10, 30]) {
    const random = meanBest('random', seeds);
    const tpe = meanBest('tpe', seeds);
    t.diagnostic(`mean best of ${budget} trials over ${seeds} seeds: random ${random.toFixed(4)}, tpe ${tpe.toFixed(4)}`);
    assert.ok(tpe < random, `${seeds} seeds: tpe ${tpe} vs random ${random}`);
    // Seeds 0-9 happen to be TPE's weakest; with 30 the margin is wide.
    if (seeds === 30) assert.ok(tpe < 0.7 * random, `${seeds} seeds: tpe ${tpe} vs random ${random}`);
  }
});

test('tpe does not propose the config of a trial still running', (t) => {
  // A small space (40 points) where the best-looking point would otherwise be proposed again and again.
  const space: SearchSpace = { max_depth: choice([2, 4, 8, 16, null]), min_samples_leaf: int(1, 8) };
  const f = (c: Config) => (c.max_depth === null ? 2 : Math.abs((c.max_depth as number) - 8)) + Math.abs((c.min_samples_leaf as number) - 3) / 4;
  let aware = 0;
  let unaware = 0;
  let asked = 0;
  for (let seed = 0; seed < 40; seed++) {
    const sampler = createSampler('tpe', space, seed);
    const history: TrialRecord[] = [];
    for (let k = 0; k < 30; k++) {
      const config = sampler.ask(k, history);
      if (k >= 10) {
        asked++;
        const running = history.slice(k - TPE_LAG).map((x) => JSON.stringify(x.config));
        if (running.includes(JSON.stringify(config))) aware++;
        // The same sampler told nothing about the trials in flight.
        if (running.includes(JSON.stringify(sampler.ask(k, history.slice(0, k - TPE_LAG))))) unaware++;
      }
      history.push({ number: k, config, state: 'finished', value: f(config) });
    }
  }
  t.diagnostic(`${asked} asks: ${aware} repeat one of the ${TPE_LAG} trials in flight; ${unaware} when the sampler is not told about them`);
  assert.equal(aware, 0);
  assert.ok(unaware > asked / 4, `${unaware} of ${asked}`);
});

test('tpe does not repeat earlier configs while the space has room, and still answers when it has none', () => {
  for (let seed = 0; seed < 10; seed++) {
    const h = runSequential(createSampler('tpe', defaultSpace(), seed), 60);
    const tpeTrials = h.slice(10).map((x) => JSON.stringify(x.config));
    const all = h.map((x) => JSON.stringify(x.config));
    for (const c of tpeTrials) assert.equal(all.filter((x) => x === c).length, 1, `seed ${seed}: ${c} repeated`);
  }
  // Six points, twenty trials: repeats are unavoidable, and every point is tried first.
  const tiny: SearchSpace = { max_depth: choice([2, 4, 8]), bootstrap: choice([true, false]) };
  const sampler = createSampler('tpe', tiny, 1, { startupTrials: 2, lag: 1 });
  const history: TrialRecord[] = [];
  for (let k = 0; k < 20; k++) {
    const config = sampler.ask(k, history);
    history.push({ number: k, config, state: 'finished', value: (config.max_depth as number) + (config.bootstrap ? 0 : 1) });
  }
  const h = history.map((x) => JSON.stringify(x.config));
  assert.equal(new Set(h.slice(0, 6)).size, 6, h.slice(0, 6).join(' '));
  assert.equal(h.length, 20);
});

test('a trial number must be a non-negative integer', () => {
  for (const kind of ['tpe', 'random', 'grid'] as const) {
    const s = createSampler(kind, defaultSpace(), 0);
    assert.throws(
      () => s.ask(-1, []),
      (e: unknown) => e instanceof GroveError && /trial: a trial number/.test(e.message),
    );
    assert.throws(
      () => s.ask(1.5, []),
      (e: unknown) => e instanceof GroveError && /trial/.test(e.message),
    );
  }
});
