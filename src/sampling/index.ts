// SPDX-License-Identifier: MIT
// Samplers (docs: SCORE_MATCHING.md section 4): predictor-corrector, probability-flow ODE with
// adaptive RK45, and annealed Langevin dynamics for noise-conditional models.
export { pc, type PCOptions } from './pc.js';
export { ode, type ODEOptions, type ODEResult } from './ode.js';
export { ald, geometricSigmas, type ALDOptions, type NoiseConditionalScore } from './ald.js';
export { rk45, rk45Sync, type OdeFn, type RK45Options, type RK45Result } from './rk45.js';
export {
  eulerMaruyama, reverseDiffusion, ancestral, nonePredictor,
  type Predictor, type PredictorContext, type PredictorName, type StepResult,
} from './predictors.js';
export { langevin, annealedLangevin, noneCorrector, type Corrector, type CorrectorContext, type CorrectorName } from './correctors.js';
export { type SamplerOptions, type ProgressFn, type ScoreLike } from './common.js';
