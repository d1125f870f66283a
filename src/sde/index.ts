// SPDX-License-Identifier: MIT
// SDEs (VE, VP, subVP, double-well), their reverse-time forms, and analytic Gaussian-mixture
// oracles (the maths: docs/OBJECTIVES.md, section 9).
export { SDE, ReverseSDE, NotAffineError, type PriorOptions, type ScoreFn, type DriftDiffusion, type Marginal, type Discretized, type SampleXtOptions } from './sde.js';
export { AffineSDE, type KernelCoef } from './affine.js';
export { VESDE, type VESDEOptions } from './ve.js';
export { VPSDE, SubVPSDE, BetaSchedule, type VPSDEOptions } from './vp.js';
export { DoubleWellSDE, type DoubleWellOptions } from './doublewell.js';
export { GaussianMixture, DiffusedMixture, type Cov, type GaussianMixtureOptions, type SampleOptions, type PerSample } from './analytic.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard, guardMethods } from '../api.js';
import * as _analytic from './analytic.js';
import * as _util from './util.js';
export const gaussian = guard('gaussian', _analytic.gaussian);
export const perSample = guard('perSample', _util.perSample);
export const rowSum = guard('rowSum', _util.rowSum);
export const timeLike = guard('timeLike', _util.timeLike);

// Methods of the public classes behind the guard too (named Class.method). ReverseSDE is left
// out: samplers and likelihoods call its methods with the user's score function, and its
// errors ('the score function returned shape ...') must be named after the sampler called.
import { SDE as _SDE } from './sde.js';
import { VESDE as _VESDE } from './ve.js';
import { VPSDE as _VPSDE, SubVPSDE as _SubVPSDE, BetaSchedule as _BetaSchedule } from './vp.js';
import { DoubleWellSDE as _DoubleWellSDE } from './doublewell.js';
for (const C of [_VESDE, _VPSDE, _SubVPSDE, _DoubleWellSDE, _BetaSchedule, _analytic.GaussianMixture, _analytic.DiffusedMixture, _SDE]) guardMethods(C);
