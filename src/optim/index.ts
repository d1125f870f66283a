// SPDX-License-Identifier: MIT
export { Optimizer, type OptimizerState } from './optimizer.js';
export { Adam, type AdamOptions } from './adam.js';
export { SGD, type SGDOptions } from './sgd.js';
export { EMA, type EMAOptions } from './ema.js';
export { clipGradNorm, gradNorm } from './clip.js';
