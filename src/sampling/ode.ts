// SPDX-License-Identifier: MIT
// Probability-flow ODE sampler (score_sde `get_ode_sampler`): integrates
// dx/dt = f(x, t) - g(t)^2 s(x, t) / 2 from T down to eps with adaptive RK45 (rtol = atol = 1e-5),
// from a prior sample or a given latent. Optional denoise: one reverse-diffusion step at eps
// without noise. Deterministic given the latent, so it also decodes latents from the likelihood.
import { argError, checkFinite } from '../errors.js';
import type { DeviceLike } from '../tensor/device.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SDE } from '../sde/sde.js';
import { checkKeys, timeLike } from '../sde/util.js';
import { checkSamplerOptions, release, runStep, SAMPLER_KEYS, scoreFnOf, type SamplerOptions, type ScoreModel } from './common.js';
import { initialState } from './pc.js';
import { reverseDiffusion } from './predictors.js';
import { rk45 } from './rk45.js';

export interface ODEOptions extends SamplerOptions {
  sde: SDE;
  score: ScoreModel;
  /** Shape [B, ...] of the batch to draw (or give the latent `z`). */
  shape?: number[];
  /** Latent at time T (default: a prior sample); not modified. */
  z?: Tensor;
  /** Relative / absolute tolerances of RK45 (default 1e-5 each). */
  rtol?: number;
  atol?: number;
  /** End time (default sde.samplingEps). */
  eps?: number;
  /** One noise-free reverse-diffusion step at eps (default false, as score_sde's ODE sampler). */
  denoise?: boolean;
  /** Cap on RK45 step attempts (default 100000). */
  maxSteps?: number;
  /** Prior dtype and device when `z` is not given (default float32 on the CPU); the ODE runs in
   *  the state's dtype. */
  dtype?: 'float32' | 'float64';
  device?: DeviceLike;
}

export interface ODEResult {
  x: Tensor;
  /** Score evaluations (RK45's function evaluations, plus one for denoise). */
  nfe: number;
  /** Accepted RK45 steps. */
  steps: number;
  /** Rejected RK45 step attempts. */
  rejected: number;
}

const KEYS = ['sde', 'score', 'shape', 'z', 'rtol', 'atol', 'eps', 'denoise', 'maxSteps', 'dtype', 'device', ...SAMPLER_KEYS];

export async function ode(opts: ODEOptions): Promise<ODEResult> {
  const op = 'ode';
  checkKeys(op, opts, KEYS);
  checkSamplerOptions(op, opts);
  const { sde } = opts;
  if (!sde || typeof sde.sde !== 'function') throw argError(op, 'sde', sde, 'an SDE');
  const score = scoreFnOf(op, opts.score);
  const eps = checkFinite(op, 'eps', opts.eps ?? sde.samplingEps, { min: 0, max: sde.T });
  const rsde = sde.reverse(score, true);
  const z = initialState(op, sde, { x: opts.z, shape: opts.shape, dtype: opts.dtype, device: opts.device, generator: opts.generator });
  let res;
  try {
    res = await rk45((t, [x]) => [rsde.sde(x, timeLike(x, t)).drift], sde.T, eps, [z], {
      rtol: opts.rtol, atol: opts.atol, maxSteps: opts.maxSteps, onProgress: opts.onProgress, signal: opts.signal,
    });
  } finally {
    z.dispose();
  }
  let x = res.y[0], nfe = res.nfe;
  if (opts.denoise) {
    const d = runStep(() => reverseDiffusion(x, timeLike(x, eps), { sde, rsde: sde.reverse(score, false), score, generator: opts.generator }).xMean);
    release([x], [d]);
    x = d;
    nfe += 1;
  }
  return { x, nfe, steps: res.steps, rejected: res.rejected };
}
