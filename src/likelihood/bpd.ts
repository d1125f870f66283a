// SPDX-License-Identifier: MIT
// Likelihood through the probability-flow ODE (score_sde `likelihood.py`): integrate
//     d/dt [x, logp] = [f_pf(x, t), div_x f_pf(x, t)],  f_pf = f - g^2 s / 2,
// from eps to T with RK45; then log p_eps(x) = log p_T(z) + delta_logp and
//     bpd = -(priorLogp(z) + delta_logp) / (D ln 2) + offset,
// offset 7 for data in [-1, 1], 8 for [0, 1] (the change of units to 256 levels). The divergence
// is Hutchinson's, with one probe per sample fixed for the whole solve, or exact for small D.
import { argError, checkFinite } from '../errors.js';
import { add, mul, clone, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SDE } from '../sde/sde.js';
import { checkBatch, checkKeys, perSampleSize, timeLike } from '../sde/util.js';
import { checkSamplerOptions, release, runStep, SAMPLER_KEYS, scoreFnOf, type SamplerOptions, type ScoreModel } from '../sampling/common.js';
import { rk45 } from '../sampling/rk45.js';
import { bpdOffset, checkRange, dequantize, type DataRange } from './dequantize.js';
import { hutchinsonProbe, valueAndDivergence, type ProbeKind } from './divergence.js';

export interface BPDOptions extends SamplerOptions {
  sde: SDE;
  score: ScoreModel;
  /** Data [B, ...] in `range`; not modified. */
  data: Tensor;
  /** Start time of the ODE (default 1e-5, as score_sde). */
  eps?: number;
  /** RK45 tolerances (default 1e-5 each). */
  rtol?: number;
  atol?: number;
  /** 'hutchinson' (default) or 'exact' (D vector-Jacobian products per evaluation). */
  divergence?: 'hutchinson' | 'exact';
  /** Hutchinson probe distribution (default 'rademacher'). */
  noise?: ProbeKind;
  /** Range of the data: '[-1,1]' (default, offset 7) or '[0,1]' (offset 8). */
  range?: DataRange;
  /** Overrides the bits/dim offset of `range`. */
  offset?: number;
  /** Treat data as 8-bit (k/255 in range) and dequantise with uniform noise (default false). */
  dequantize?: boolean;
  /** Cap on RK45 step attempts. */
  maxSteps?: number;
}

export interface BPDResult {
  /** Bits per dimension per sample, [B]. */
  bpd: Tensor;
  /** log p_eps(x) in nats per sample (prior + delta), [B]. */
  logp: Tensor;
  /** log p_T(z) under the SDE's prior, [B]. */
  priorLogp: Tensor;
  /** int_eps^T div f_pf dt along the path, [B]. */
  deltaLogp: Tensor;
  /** The latent x_T, shape of the data. */
  z: Tensor;
  /** Score evaluations (RK45 function evaluations; each is one forward and D or 1 backward). */
  nfe: number;
  /** Accepted and rejected RK45 steps. */
  steps: number;
  rejected: number;
}

const KEYS = ['sde', 'score', 'data', 'eps', 'rtol', 'atol', 'divergence', 'noise', 'range', 'offset', 'dequantize', 'maxSteps', ...SAMPLER_KEYS];

/** Bits/dim of data under the model's probability-flow ODE. Every tensor returned is the caller's. */
export async function bpd(opts: BPDOptions): Promise<BPDResult> {
  const op = 'bpd';
  checkKeys(op, opts, KEYS);
  checkSamplerOptions(op, opts);
  const { sde, generator } = opts;
  if (!sde || typeof sde.sde !== 'function') throw argError(op, 'sde', sde, 'an SDE');
  const score = scoreFnOf(op, opts.score);
  const data = checkBatch(op, 'data', opts.data);
  const eps = checkFinite(op, 'eps', opts.eps ?? 1e-5, { min: 0, max: sde.T });
  const method = opts.divergence ?? 'hutchinson';
  if (method !== 'hutchinson' && method !== 'exact') throw argError(op, 'divergence', method, "'hutchinson' or 'exact'");
  const noise = opts.noise ?? 'rademacher';
  if (noise !== 'rademacher' && noise !== 'gaussian') throw argError(op, 'noise', noise, "'rademacher' or 'gaussian'");
  const range = checkRange(op, opts.range ?? '[-1,1]');
  const offset = opts.offset === undefined ? bpdOffset(range) : checkFinite(op, 'offset', opts.offset);
  const D = perSampleSize(data.shape), B = data.shape[0];
  const rsde = sde.reverse(score, true);

  const x0 = runStep(() => (opts.dequantize ? dequantize(data, { range, generator }) : clone(data)));
  const logp0 = runStep(() => zeros([B], { dtype: data.dtype, device: data.device }));
  // one probe per sample for the whole solve: the estimate is then of one fixed trace path
  const probe = method === 'hutchinson' ? runStep(() => hutchinsonProbe(data, noise, generator)) : null;
  let res;
  try {
    res = await rk45((t, [x]) => {
      const vt = timeLike(x, t);
      const { value, div } = valueAndDivergence((xx) => rsde.sde(xx, vt).drift, x, probe);
      return [value, div];
    }, eps, sde.T, [x0, logp0], { rtol: opts.rtol, atol: opts.atol, maxSteps: opts.maxSteps, onProgress: opts.onProgress, signal: opts.signal });
  } finally {
    release([x0, logp0, probe], []);
  }
  const [z, deltaLogp] = res.y;
  const out = runStep(() => {
    const priorLogp = sde.priorLogp(z);
    const logp = add(priorLogp, deltaLogp);
    return { priorLogp, logp, bpd: add(mul(logp, -1 / (D * Math.LN2)), offset) };
  });
  return { ...out, deltaLogp, z, nfe: res.nfe, steps: res.steps, rejected: res.rejected };
}
