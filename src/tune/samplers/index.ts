/** Samplers: grid, random and TPE (the default), all ask/tell, seeded and order-independent. */
import { invalidOption } from '../../errors.js';
import { validateSpace, type SearchSpace } from '../space.js';
import { createGridSampler } from './grid.js';
import { createRandomSampler } from './random.js';
import type { Sampler, SamplerKind, SamplerOptions } from './sampler.js';
import { createTpeSampler } from './tpe.js';

export type { Sampler, SamplerKind, SamplerOptions, TrialRecord } from './sampler.js';
export { randomConfig } from './random.js';
export { TPE_CANDIDATES, TPE_GAMMA, TPE_LAG, TPE_MAX_GOOD, TPE_STARTUP_TRIALS } from './tpe.js';

export const SAMPLER_KINDS: readonly SamplerKind[] = ['tpe', 'random', 'grid'];

export function createSampler(kind: SamplerKind, space: SearchSpace, seed: number, options: SamplerOptions = {}): Sampler {
  validateSpace(space);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw invalidOption('seed', seed, 'must be an integer in [0, 4294967295]');
  const inner =
    kind === 'tpe' ? createTpeSampler(space, seed, options) : kind === 'random' ? createRandomSampler(space, seed) : kind === 'grid' ? createGridSampler(space, seed, options.gridRepeats) : undefined;
  if (!inner) throw invalidOption('sampler', kind, `must be one of ${SAMPLER_KINDS.join(', ')}`);
  return {
    name: inner.name,
    capacity: inner.capacity,
    ask(number, history) {
      if (!Number.isInteger(number) || number < 0 || number > 0xffffffff) throw invalidOption('trial', number, 'a trial number must be an integer >= 0');
      return inner.ask(number, history);
    },
  };
}
