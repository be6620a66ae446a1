/** Random search: trial k's config is a function of (seed, k) alone. */
import type { Config, ParamValue, SearchSpace } from '../space.js';
import { drawOrder, drawUniform, inSpaceOrder } from './draw.js';
import type { Sampler } from './sampler.js';
import { trialRng } from './stream.js';

export function randomConfig(space: SearchSpace, seed: number, trial: number): Config {
  const rng = trialRng(seed, trial);
  const values = new Map<string, ParamValue>();
  for (const key of drawOrder(space)) values.set(key, drawUniform(space[key], rng));
  return inSpaceOrder(space, values);
}

export function createRandomSampler(space: SearchSpace, seed: number): Sampler {
  return {
    name: 'random',
    capacity: Infinity,
    ask: (number) => randomConfig(space, seed, number),
  };
}
