/** The ask side of tuning: the study loop tells results by appending to the history it passes. */
import type { Config } from '../space.js';

export type SamplerKind = 'grid' | 'random' | 'tpe';

export interface TrialRecord {
  number: number;
  config: Config;
  state: 'running' | 'finished' | 'failed';
  /** The objective to minimise; present when finished. */
  value?: number;
}

export interface Sampler {
  readonly name: SamplerKind;
  /** The configuration of trial `number`. `history` holds every earlier trial (any state). */
  ask(number: number, history: readonly TrialRecord[]): Config;
  /** Largest number of trials, or Infinity (grid: the number of grid points times gridRepeats). */
  readonly capacity: number;
}

export interface SamplerOptions {
  /** TPE: trials 0..startupTrials-1 are random. */
  startupTrials?: number;
  /** TPE: trial k learns from the values of trials < k - lag only; k-lag..k-1 are pending. */
  lag?: number;
  /** grid: how many times the grid is walked (the int/float dimensions are redrawn each time). */
  gridRepeats?: number;
}
