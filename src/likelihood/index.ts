// SPDX-License-Identifier: MIT
// Likelihoods through the probability-flow ODE (docs: SCORE_MATCHING.md section 5).
export { bpd, type BPDOptions, type BPDResult } from './bpd.js';
export { valueAndDivergence, hutchinsonProbe, type ProbeKind } from './divergence.js';
export { dequantize, bpdOffset, type DataRange } from './dequantize.js';
