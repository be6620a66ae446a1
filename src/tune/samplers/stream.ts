/**
 * Trial k's random stream depends only on (seed, k), so a sampler's answer never depends on
 * the order in which the study asked or on how many trials ran at once.
 */
import { Rng } from '../../rng.js';

// Salted so a study seeded s does not share streams with a forest seeded s ('SAMP').
const SAMPLER_SALT = 0x53414d50;

export function trialRng(seed: number, trial: number): Rng {
  return new Rng((seed ^ SAMPLER_SALT) >>> 0, trial >>> 0);
}
