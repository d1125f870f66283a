// SPDX-License-Identifier: MIT
// Samplers (docs/OBJECTIVES.md, section 9): predictor-corrector, probability-flow ODE with
// adaptive RK45, and annealed Langevin dynamics for noise-conditional models.
export { type PCOptions } from './pc.js';
export { type ODEOptions, type ODEResult } from './ode.js';
export { type ALDOptions, type NoiseConditionalScore } from './ald.js';
export { type OdeFn, type RK45Options, type RK45Result } from './rk45.js';
export {
  eulerMaruyama, reverseDiffusion, ancestral, nonePredictor,
  type Predictor, type PredictorContext, type PredictorName, type StepResult,
} from './predictors.js';
export { type Corrector, type CorrectorContext, type CorrectorName } from './correctors.js';
export { type SamplerOptions, type ProgressFn, type ScoreModel } from './common.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard } from '../api.js';
import * as _pc from './pc.js';
import * as _ode from './ode.js';
import * as _ald from './ald.js';
import * as _rk45 from './rk45.js';
import * as _correctors from './correctors.js';
export const pc = guard('pc', _pc.pc, true);
export const ode = guard('ode', _ode.ode, true);
export const ald = guard('ald', _ald.ald, true);
export const geometricSigmas = guard('geometricSigmas', _ald.geometricSigmas);
export const rk45 = guard('rk45', _rk45.rk45, true);
export const rk45Sync = guard('rk45Sync', _rk45.rk45Sync, true);
export const langevin = guard('langevin', _correctors.langevin, true);
export const annealedLangevin = guard('annealedLangevin', _correctors.annealedLangevin, true);
export const noneCorrector = guard('noneCorrector', _correctors.noneCorrector, true);
