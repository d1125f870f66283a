// SPDX-License-Identifier: MIT
export { Optimizer, type OptimizerState } from './optimizer.js';
export { Adam, type AdamOptions } from './adam.js';
export { SGD, type SGDOptions } from './sgd.js';
export { EMA, type EMAOptions } from './ema.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard, guardMethods } from '../api.js';
import * as _clip from './clip.js';
export const clipGradNorm = guard('clipGradNorm', _clip.clipGradNorm);
export const gradNorm = guard('gradNorm', _clip.gradNorm);

// Methods of the public classes behind the guard too (named Class.method).
import { Adam as _Adam } from './adam.js';
import { SGD as _SGD } from './sgd.js';
import { EMA as _EMA } from './ema.js';
for (const C of [_Adam, _SGD, _EMA]) guardMethods(C);
