// SPDX-License-Identifier: MIT
// SDEs (VE, VP, subVP, double-well), their reverse-time forms, and analytic Gaussian-mixture
// oracles (docs: SCORE_MATCHING.md section 3).
export { SDE, ReverseSDE, NotAffineError, type PriorOptions, type ScoreFn, type DriftDiffusion, type Marginal, type Discretized, type SampleXtOptions } from './sde.js';
export { AffineSDE, type KernelCoef } from './affine.js';
export { VESDE, type VESDEOptions } from './ve.js';
export { VPSDE, SubVPSDE, BetaSchedule, type VPSDEOptions } from './vp.js';
export { DoubleWellSDE, type DoubleWellOptions } from './doublewell.js';
export { GaussianMixture, DiffusedMixture, gaussian, type Cov, type GaussianMixtureOptions, type SampleOptions, type PerSample } from './analytic.js';
export { perSample, rowSum, timeLike } from './util.js';
