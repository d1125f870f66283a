// SPDX-License-Identifier: MIT
// The nn namespace: modules, layers, initialisers and the resampling functions they use.
export { Module, type StateDict } from './module.js';
export * from './init.js';
export * from './linear.js';
export * from './activation.js';
export * from './containers.js';
export * from './dropout.js';
export * from './conv.js';
export * from './norm.js';
export * from './embedding.js';
export * from './attention.js';
export * from './upfirdn.js';
export * from './resample.js';
