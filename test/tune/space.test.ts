// Search spaces: the TS and JSON forms agree, and every bad space is rejected naming the parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroveError } from '../../src/errors.js';
import { choice, configToParams, defaultSpace, float, grid, int, parseSpace, spaceToJson, validateConfig, validateSpace, type SearchSpace } from '../../src/tune/space.js';

const isGrove = (pattern: RegExp) => (err: unknown) => err instanceof GroveError && err.code === 'INVALID_OPTION' && pattern.test(err.message);

test('the JSON form parses to the same space as the TS constructors', () => {
  const json = {
    n_estimators: { int: [10, 200] },
    max_depth: { choice: [null, 4, 8, 16] },
    max_samples: { float: [0.5, 1.0], step: 0.1 },
    min_samples_leaf: { int: [1, 32], log: true },
    min_samples_split: { int: [2, 20], step: 2 },
    min_impurity_decrease: { float: [0.0001, 0.1], log: true },
    max_features: { grid: ['sqrt', 0.5] },
    bootstrap: true,
  };
  const ts: SearchSpace = {
    n_estimators: int(10, 200),
    max_depth: choice([null, 4, 8, 16]),
    max_samples: float(0.5, 1.0, { step: 0.1 }),
    min_samples_leaf: int(1, 32, { log: true }),
    min_samples_split: int(2, 20, { step: 2 }),
    min_impurity_decrease: float(0.0001, 0.1, { log: true }),
    max_features: grid(['sqrt', 0.5]),
    bootstrap: choice([true]),
  };
  assert.deepEqual(parseSpace(json), ts);
  assert.deepEqual(spaceToJson(ts), json);
});

test('spaces round-trip through JSON text', () => {
  const spaces: SearchSpace[] = [
    defaultSpace(),
    { max_depth: choice([null]), n_estimators: int(10, 20, { log: false }), max_features: float(0.1, 0.9) },
    { max_features: choice(['all', 'sqrt', 'log2', 'third', 3, 0.5, '0.25']), min_samples_leaf: grid([1, 2, 4]) },
  ];
  for (const s of spaces) {
    const back = parseSpace(JSON.parse(JSON.stringify(spaceToJson(s))));
    assert.deepEqual(back, s);
    assert.deepEqual(spaceToJson(back), spaceToJson(s));
  }
});

test('the default space is the seed space', () => {
  const s = defaultSpace();
  assert.deepEqual(Object.keys(s), ['n_estimators', 'max_depth', 'min_samples_split', 'min_samples_leaf', 'max_features']);
  assert.deepEqual(s.n_estimators, { type: 'int', low: 10, high: 200 });
  assert.deepEqual(s.min_samples_split, { type: 'int', low: 2, high: 10 });
  assert.deepEqual(s.min_samples_leaf, { type: 'int', low: 1, high: 10 });
  assert.deepEqual(s.max_features, { type: 'choice', choices: ['all', 'sqrt', 0.5, 0.33] });
  assert.equal(s.max_depth.type, 'choice');
  assert.deepEqual((s.max_depth as { choices: unknown[] }).choices, [null, ...Array.from({ length: 19 }, (_, i) => i + 2)]);
  validateSpace(s);
  assert.deepEqual(parseSpace(spaceToJson(s)), s);
});

test('every invalid space is rejected with the parameter named', () => {
  const bad: [unknown, RegExp][] = [
    [{ n_estimator: { int: [10, 20] } }, /n_estimator: unknown hyperparameter; did you mean n_estimators\?/],
    [{ maxDepth: { choice: [null, 4] } }, /maxDepth: unknown hyperparameter; did you mean max_depth\?/],
    [{ colour: 3 }, /colour: unknown hyperparameter \(tunable: n_estimators/],
    [{ seed: { int: [1, 5] } }, /seed: cannot be searched: the study seed/],
    [{ threads: 2 }, /threads: cannot be searched/],
    [{ n_estimators: { int: [200, 10] } }, /n_estimators: low must be below high \(got \[200, 10\]\)/],
    [{ n_estimators: { int: [10, 10] } }, /n_estimators: low must be below high/],
    [{ max_samples: { float: [0.9, 0.5] } }, /max_samples: low must be below high/],
    [{ min_impurity_decrease: { float: [0, 0.1], log: true } }, /min_impurity_decrease: log needs low > 0 \(got low 0\)/],
    [{ n_estimators: { int: [10, 200], step: 0 } }, /n_estimators: step must be a number > 0/],
    [{ max_samples: { float: [0.5, 1], step: -0.1 } }, /max_samples: step must be a number > 0/],
    [{ n_estimators: { int: [10, 200], step: 7 } }, /n_estimators: step 7 does not divide \[10, 200\]; make high 199/],
    [{ max_samples: { float: [0.5, 1], step: 0.3 } }, /max_samples: step 0.3 does not divide \[0.5, 1\]; make high 0.8/],
    [{ n_estimators: { int: [10, 20], step: 50 } }, /n_estimators: step 50 is larger than the range/],
    [{ n_estimators: { int: [10, 200], step: 2.5 } }, /n_estimators: an int step must be an integer/],
    [{ n_estimators: { int: [10, 200], log: true, step: 10 } }, /n_estimators: log and step cannot be combined/],
    [{ n_estimators: { int: [10.5, 200] } }, /n_estimators: int bounds must be integers/],
    [{ n_estimators: { float: [10, 200] } }, /n_estimators: cannot be a float range; use int/],
    [{ bootstrap: { int: [0, 1] } }, /bootstrap: cannot be an int range; use choice/],
    [{ max_samples: { int: [1, 2] } }, /max_samples: cannot be an int range; use float/],
    [{ max_depth: { choice: [] } }, /max_depth: choice needs at least one value/],
    [{ max_features: { grid: [] } }, /max_features: grid needs at least one value/],
    [{ max_depth: { choice: [4, null, 4] } }, /max_depth: choice lists 4 twice/],
    [{ max_features: { grid: ['sqrt', 'sqrt'] } }, /max_features: grid lists "sqrt" twice/],
    [{ min_samples_leaf: { int: [0, 10] } }, /min_samples_leaf: low 0: must be an integer >= 1/],
    [{ min_samples_leaf: 0 }, /min_samples_leaf: choice value 0: must be an integer >= 1/],
    [{ min_samples_split: { choice: [1, 2] } }, /min_samples_split: choice value 1: must be an integer >= 2/],
    [{ max_depth: { choice: [null, 0, 4] } }, /max_depth: choice value 0: must be null \(no limit\) or an integer >= 1/],
    [{ max_depth: { int: [0, 8] } }, /max_depth: low 0/],
    [{ n_estimators: { int: [0, 8] } }, /n_estimators: low 0/],
    [{ max_features: { choice: ['sqrt', 2.5] } }, /max_features: choice value 2.5: must be 'all'/],
    [{ max_features: { choice: ['half'] } }, /max_features: choice value "half"/],
    [{ max_features: { float: [0.2, 1.0] } }, /max_features: a float range is a fraction of the features and must stay below 1/],
    [{ max_samples: { float: [0.5, 1.5] } }, /max_samples: high 1.5: must be a fraction in \(0, 1\]/],
    [{ min_impurity_decrease: { float: [-1, 0.5] } }, /min_impurity_decrease: low -1: must be a finite number >= 0/],
    [{ bootstrap: { choice: [true, 'yes'] } }, /bootstrap: choice value "yes": must be true or false/],
    [{ bootstrap: { choice: [true, false] }, max_samples: { float: [0.5, 0.9] } }, /max_samples: applies only with bootstrap, but bootstrap may be false/],
    [{ n_estimators: { int: [10, 200], float: [1, 2] } }, /n_estimators: needs exactly one of "int", "float", "choice", "grid" \(got int, float\)/],
    [{ n_estimators: { range: [10, 200] } }, /n_estimators: needs exactly one of/],
    [{ n_estimators: { int: [10, 200], lg: true } }, /n_estimators: unknown field "lg" in an int distribution; did you mean "log"\?/],
    [{ max_depth: { choice: [4], log: true } }, /max_depth: unknown field "log" in a choice distribution/],
    [{ n_estimators: { int: [10] } }, /n_estimators: "int" must be \[low, high\]/],
    [{ n_estimators: { int: ['10', '20'] } }, /n_estimators: "int" must be \[low, high\]/],
    [{ n_estimators: { int: [10, 200], log: 'yes' } }, /n_estimators: "log" must be true or false/],
    [{ max_depth: { choice: 4 } }, /max_depth: "choice" must be an array/],
    [{ max_depth: { choice: [[4]] } }, /max_depth: choice values must be strings, finite numbers, booleans or null/],
    [{ max_depth: [4, 8] }, /max_depth: must be a fixed value or an object like/],
    [{}, /search space: is empty/],
    [[1, 2], /search space: must be a JSON object/],
    [null, /search space: must be a JSON object/],
  ];
  for (const [json, pattern] of bad) {
    assert.throws(() => parseSpace(json), isGrove(pattern), JSON.stringify(json));
  }
});

test('errors carry the parameter and the file', () => {
  try {
    parseSpace({ min_samples_leaf: { int: [0, 4] } }, 'space.json');
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof GroveError);
    assert.match(err.message, /^search space space\.json: min_samples_leaf: /);
    assert.equal(err.context.option, 'min_samples_leaf');
    assert.equal(err.context.file, 'space.json');
  }
});

test('TS-built spaces are validated with the same rules', () => {
  assert.throws(() => validateSpace({ n_estimators: int(20, 10) }), isGrove(/n_estimators: low must be below high/));
  assert.throws(() => validateSpace({ min_samples_leaf: int(0, 10, { log: true }) }), isGrove(/min_samples_leaf: log needs low > 0/));
  assert.throws(() => validateSpace({ max_features: float(0.1, 0.9, { step: 0 }) }), isGrove(/max_features: step must be a number > 0/));
  assert.throws(() => validateSpace({ max_depth: choice([null, null]) }), isGrove(/max_depth: choice lists null twice/));
  assert.throws(() => validateSpace({ max_depth: { type: 'normal' } as never }), isGrove(/max_depth: unknown distribution type "normal"/));
  validateSpace({ max_samples: float(0.5, 1, { step: 0.1 }), bootstrap: choice([true]), max_features: int(1, 5) });
  validateSpace({ max_samples: choice([null]), bootstrap: choice([true, false]) });
});

test('validateConfig accepts members of the space and rejects the rest', () => {
  const s: SearchSpace = { n_estimators: int(10, 200, { step: 10 }), max_depth: choice([null, 4]), max_samples: float(0.5, 1, { step: 0.1 }) };
  validateConfig(s, { n_estimators: 50, max_depth: null, max_samples: 0.7 });
  assert.throws(() => validateConfig(s, { n_estimators: 55, max_depth: null, max_samples: 0.7 }), isGrove(/n_estimators: 55 is outside the search space/));
  assert.throws(() => validateConfig(s, { n_estimators: 50, max_depth: 5, max_samples: 0.7 }), isGrove(/max_depth: 5 is outside/));
  assert.throws(() => validateConfig(s, { n_estimators: 50, max_samples: 0.7 }), isGrove(/max_depth: missing/));
  assert.throws(() => validateConfig(s, { n_estimators: 50, max_depth: 4, max_samples: 0.7, bootstrap: true }), isGrove(/bootstrap: not in the search space/));
  assert.deepEqual(configToParams({ n_estimators: 50, max_depth: null, max_features: 'sqrt' }), { nEstimators: 50, maxDepth: null, maxFeatures: 'sqrt' });
});
