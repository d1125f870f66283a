// SPDX-License-Identifier: MIT
// Likelihoods through the probability-flow ODE (docs/OBJECTIVES.md, section 9).
export { type BPDOptions, type BPDResult } from './bpd.js';
export { type ProbeKind } from './divergence.js';
export { type DataRange } from './dequantize.js';

// Every function above runs behind the public-boundary guard (src/api.ts), so an error names the
// function called; functions that run user callbacks rename only LcssErrors.
import { guard } from '../api.js';
import * as _bpd from './bpd.js';
import * as _divergence from './divergence.js';
import * as _dequantize from './dequantize.js';
export const bpd = guard('bpd', _bpd.bpd, true);
export const valueAndDivergence = guard('valueAndDivergence', _divergence.valueAndDivergence, true);
export const hutchinsonProbe = guard('hutchinsonProbe', _divergence.hutchinsonProbe);
export const dequantize = guard('dequantize', _dequantize.dequantize);
export const bpdOffset = guard('bpdOffset', _dequantize.bpdOffset);
