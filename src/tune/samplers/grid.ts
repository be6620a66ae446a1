/**
 * Grid search: the cartesian product of every grid and choice dimension, walked in a fixed order
 * (the first dimension in sorted key order varies slowest). int/float dimensions cannot be
 * enumerated, so each point draws them from trial k's own stream.
 */
import { invalidOption } from '../../errors.js';
import type { Config, ParamValue, SearchSpace } from '../space.js';
import { drawOrder, drawUniform, inSpaceOrder } from './draw.js';
import type { Sampler } from './sampler.js';
import { trialRng } from './stream.js';

function levels(space: SearchSpace, key: string): ParamValue[] | undefined {
  const d = space[key];
  return d.type === 'grid' ? d.values : d.type === 'choice' ? d.choices : undefined;
}

export function createGridSampler(space: SearchSpace, seed: number, repeats = 1): Sampler {
  if (!Number.isInteger(repeats) || repeats < 1) throw invalidOption('gridRepeats', repeats, 'must be an integer >= 1');
  const keys = drawOrder(space);
  const enumerated = keys.filter((k) => levels(space, k) !== undefined);
  if (enumerated.length === 0) {
    throw invalidOption('sampler', 'grid', 'the search space has no grid or choice dimension to enumerate; use random or tpe');
  }
  const points = enumerated.reduce((n, k) => n * (levels(space, k) as ParamValue[]).length, 1);
  const capacity = points * repeats;
  return {
    name: 'grid',
    capacity,
    ask(number: number): Config {
      if (!Number.isInteger(number) || number < 0 || number >= capacity) {
        throw invalidOption('trial', number, `the grid has ${capacity} trials (${points} points${repeats > 1 ? ` x ${repeats} repeats` : ''})`);
      }
      const values = new Map<string, ParamValue>();
      let rest = number % points;
      // Mixed radix, last enumerated key fastest.
      for (let i = enumerated.length - 1; i >= 0; i--) {
        const lv = levels(space, enumerated[i]) as ParamValue[];
        values.set(enumerated[i], lv[rest % lv.length]);
        rest = Math.floor(rest / lv.length);
      }
      const rng = trialRng(seed, number);
      for (const key of keys) if (!values.has(key)) values.set(key, drawUniform(space[key], rng));
      return inSpaceOrder(space, values);
    },
  };
}
