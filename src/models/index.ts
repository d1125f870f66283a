// SPDX-License-Identifier: MIT
// The models namespace: score networks, their configs and the score parameterisation per SDE.
// Classes and constants as they are, functions only behind the guard below.
export type * from './small_unet.js';
export type * from './mlp.js';
export type * from './ncsnpp.js';
export type * from './ncsnv2.js';
export type * from './score.js';
export type * from './configs.js';
export { SmallUNet } from './small_unet.js';
export { MLP, MLPScore } from './mlp.js';
export { NCSNPP_DEFAULTS, NCSNpp } from './ncsnpp.js';
export { NCSNV2_DEFAULTS, NCSNv2 } from './ncsnv2.js';
export { MODEL_CONFIGS } from './configs.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard } from '../api.js';
import * as _blocks from './blocks.js';
import * as _ncsnpp from './ncsnpp.js';
import * as _score from './score.js';
import * as _configs from './configs.js';
export const ncsnppGroupNorm = guard('ncsnppGroupNorm', _blocks.ncsnppGroupNorm);
export const geometricSigmas = guard('geometricSigmas', _ncsnpp.geometricSigmas);
export const defaultParameterization = guard('defaultParameterization', _score.defaultParameterization);
export const scoreFn = guard('scoreFn', _score.scoreFn, true);
export const scoreLabels = guard('scoreLabels', _score.scoreLabels);
export const createModel = guard('createModel', _configs.createModel);
export const getModelConfig = guard('getModelConfig', _configs.getModelConfig);
