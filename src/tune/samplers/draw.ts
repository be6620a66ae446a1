/** Uniform draws from one distribution, and snapping a number onto a distribution's values. */
import type { Rng } from '../../rng.js';
import { cleanFloat, type Config, type Distribution, type ParamValue, type SearchSpace } from '../space.js';

/** Keys in a fixed order, so draws do not depend on how the space's keys were written. */
export function drawOrder(space: SearchSpace): string[] {
  return Object.keys(space).sort();
}

/** A config with the space's key order, filled from `values`. */
export function inSpaceOrder(space: SearchSpace, values: Map<string, ParamValue>): Config {
  const config: Config = {};
  for (const key of Object.keys(space)) config[key] = values.get(key) as ParamValue;
  return config;
}

export function drawUniform(d: Distribution, rng: Rng): ParamValue {
  if (d.type === 'choice') return d.choices[rng.below(d.choices.length)];
  if (d.type === 'grid') return d.values[rng.below(d.values.length)];
  if (d.step !== undefined) return onStep(d, rng.below(stepCount(d) + 1));
  if (d.type === 'int' && !d.log) return d.low + rng.below(d.high - d.low + 1);
  const [lo, hi] = numericBounds(d);
  return snap(d, lo + rng.nextDouble() * (hi - lo));
}

/** Number of steps between low and high. */
export function stepCount(d: Extract<Distribution, { type: 'int' | 'float' }>): number {
  return Math.round((d.high - d.low) / (d.step as number));
}

function onStep(d: Extract<Distribution, { type: 'int' | 'float' }>, i: number): number {
  const v = d.low + i * (d.step as number);
  return d.type === 'int' ? v : cleanFloat(v);
}

/**
 * The interval a numeric dimension lives on, in its working space (log if log). Ints and steps
 * widen by half a step so the end values get a full cell of probability after rounding.
 */
export function numericBounds(d: Extract<Distribution, { type: 'int' | 'float' }>): [number, number] {
  const half = d.step !== undefined ? d.step / 2 : d.type === 'int' ? 0.5 : 0;
  const lo = d.low - half;
  const hi = d.high + half;
  return d.log ? [Math.log(lo), Math.log(hi)] : [lo, hi];
}

/** Working-space coordinate of a value. */
export function toWorking(d: Extract<Distribution, { type: 'int' | 'float' }>, v: number): number {
  return d.log ? Math.log(v) : v;
}

/** A working-space coordinate back to a value the distribution can produce. */
export function snap(d: Extract<Distribution, { type: 'int' | 'float' }>, w: number): number {
  const x = d.log ? Math.exp(w) : w;
  if (d.step !== undefined) return onStep(d, Math.min(stepCount(d), Math.max(0, Math.round((x - d.low) / d.step))));
  if (d.type === 'int') return Math.min(d.high, Math.max(d.low, Math.round(x)));
  return Math.min(d.high, Math.max(d.low, x));
}
