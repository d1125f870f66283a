// SPDX-License-Identifier: MIT
// The nn namespace: modules, layers, initialisers and the resampling functions they use.
// Classes and constants are exported as they are, functions only behind the guard below: a star
// export would also publish internal helpers, unguarded.
export type * from './module.js';
export type * from './init.js';
export type * from './linear.js';
export type * from './activation.js';
export type * from './containers.js';
export type * from './dropout.js';
export type * from './conv.js';
export type * from './norm.js';
export type * from './embedding.js';
export type * from './attention.js';
export type * from './upfirdn.js';
export type * from './resample.js';
export { Module } from './module.js';
export { Linear } from './linear.js';
export { ACTIVATIONS, ActivationModule, ELU, ReLU, SiLU, Tanh } from './activation.js';
export { ModuleList, Sequential } from './containers.js';
export { Dropout } from './dropout.js';
export { Conv2d } from './conv.js';
export { ConditionalInstanceNorm2dPlus, EmbeddingTable, GroupNorm, InstanceNorm2dPlus } from './norm.js';
export { GaussianFourierProjection } from './embedding.js';
export { AttnBlock, AttnBlockpp, NIN } from './attention.js';
export { Downsample, FirConv2d, Upsample } from './resample.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard } from '../api.js';
import * as _init from './init.js';
import * as _activation from './activation.js';
import * as _conv from './conv.js';
import * as _norm from './norm.js';
import * as _embedding from './embedding.js';
import * as _attention from './attention.js';
import * as _upfirdn from './upfirdn.js';
import * as _resample from './resample.js';
export const defaultInit = guard('defaultInit', _init.defaultInit);
export const fans = guard('fans', _init.fans);
export const torchDefault = guard('torchDefault', _init.torchDefault);
export const varianceScaling = guard('varianceScaling', _init.varianceScaling);
export const getActivation = guard('getActivation', _activation.getActivation);
export const leakyRelu = guard('leakyRelu', _activation.leakyRelu);
export const conv1x1 = guard('conv1x1', _conv.conv1x1);
export const conv3x3 = guard('conv3x3', _conv.conv3x3);
export const ddpmConv1x1 = guard('ddpmConv1x1', _conv.ddpmConv1x1);
export const ddpmConv3x3 = guard('ddpmConv3x3', _conv.ddpmConv3x3);
export const ncsnConv1x1 = guard('ncsnConv1x1', _conv.ncsnConv1x1);
export const ncsnConv3x3 = guard('ncsnConv3x3', _conv.ncsnConv3x3);
export const groupNormFor = guard('groupNormFor', _norm.groupNormFor);
export const groupsFor = guard('groupsFor', _norm.groupsFor);
export const timestepEmbedding = guard('timestepEmbedding', _embedding.timestepEmbedding);
export const spatialAttention = guard('spatialAttention', _attention.spatialAttention);
export const convDownsample2d = guard('convDownsample2d', _upfirdn.convDownsample2d);
export const downsample2d = guard('downsample2d', _upfirdn.downsample2d);
export const naiveDownsample2d = guard('naiveDownsample2d', _upfirdn.naiveDownsample2d);
export const naiveUpsample2d = guard('naiveUpsample2d', _upfirdn.naiveUpsample2d);
export const setupKernel = guard('setupKernel', _upfirdn.setupKernel);
export const upfirdn2d = guard('upfirdn2d', _upfirdn.upfirdn2d);
export const upsample2d = guard('upsample2d', _upfirdn.upsample2d);
export const upsampleConv2d = guard('upsampleConv2d', _upfirdn.upsampleConv2d);
export const interpolateBilinear = guard('interpolateBilinear', _resample.interpolateBilinear);
