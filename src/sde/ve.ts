// SPDX-License-Identifier: MIT
// Variance-exploding SDE (SMLD / NCSN in continuous time; Song et al. 2021, score_sde `VESDE`):
// dx = sigma(t) sqrt(2 ln(sigma_max / sigma_min)) dw, sigma(t) = sigma_min (sigma_max / sigma_min)^t.
// Like score_sde, the kernel std is sigma(t) (not sqrt(sigma(t)^2 - sigma_min^2)): x_0 is taken to
// carry sigma_min of noise already, which is what the models are trained with.
import { argError, checkInt, checkOptions } from '../errors.js';
import { mul, sub, where, onesLike, zerosLike, randn, eqS, exp, floor, sqrt, square } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { AffineSDE, gaussianLogp, priorShape, type KernelCoef, type PriorOptions } from './affine.js';
import type { DriftDiffusion, Discretized } from './sde.js';
import { checkBatch, checkKeys, checkTime, positive, steps } from './util.js';

export interface VESDEOptions {
  /** Smallest noise level sigma(0) (default 0.01). */
  sigmaMin?: number;
  /** Largest noise level sigma(1), the prior's std (default 50). */
  sigmaMax?: number;
  /** Discretisation steps (default 1000). */
  N?: number;
}

export class VESDE extends AffineSDE {
  readonly name = 've';
  readonly samplingEps = 1e-5;
  readonly N: number;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** ln(sigma_max / sigma_min) */
  private readonly logRatio: number;

  constructor(opts: VESDEOptions = {}) {
    super();
    opts = checkOptions(new.target.name, 'options', opts) as typeof opts;
    checkKeys('VESDE', opts, ['sigmaMin', 'sigmaMax', 'N']);
    this.sigmaMin = positive('VESDE', 'sigmaMin', opts.sigmaMin ?? 0.01);
    this.sigmaMax = positive('VESDE', 'sigmaMax', opts.sigmaMax ?? 50);
    if (!(this.sigmaMax > this.sigmaMin)) throw argError('VESDE', 'sigmaMax', this.sigmaMax, `a number > sigmaMin (${this.sigmaMin})`);
    this.N = steps('VESDE', 'N', opts.N ?? 1000);
    this.logRatio = Math.log(this.sigmaMax / this.sigmaMin);
  }

  /** sigma(t) = sigma_min (sigma_max / sigma_min)^t, shape [B]. */
  sigma(t: Tensor): Tensor {
    const tt = checkTime('VESDE.sigma', t);
    return tidy(() => mul(exp(mul(tt, this.logRatio)), this.sigmaMin));
  }

  sde(x: Tensor, t: Tensor): DriftDiffusion {
    checkBatch('VESDE.sde', 'x', x);
    return tidy(() => {
      const tt = checkTime('VESDE.sde', t, x);
      return { drift: zerosLike(x), diffusion: mul(this.sigma(tt), Math.sqrt(2 * this.logRatio)) };
    });
  }

  marginalCoef(t: Tensor): KernelCoef {
    const tt = checkTime('VESDE.marginalCoef', t);
    return tidy(() => ({ scale: onesLike(tt), std: this.sigma(tt) }));
  }

  /** The i-th of the N discrete noise levels exp(linspace(ln sigma_min, ln sigma_max, N)). */
  discreteSigma(i: number): number {
    checkInt('VESDE.discreteSigma', 'i', i, 0, this.N - 1);
    return this.N === 1 ? this.sigmaMin : this.sigmaMin * Math.exp((i / (this.N - 1)) * this.logRatio);
  }

  /**
   * The discrete level sigma_i at i = floor(t (N - 1) / T) and the one below it (0 at i = 0), as
   * score_sde's SMLD discretisation and ancestral sampler index them. Each [B].
   */
  discreteSigmas(t: Tensor): { sigma: Tensor; adjacent: Tensor } {
    const tt = checkTime('VESDE.discreteSigmas', t);
    return tidy(() => {
      const i = floor(mul(tt, (this.N - 1) / this.T));
      const step = this.N === 1 ? 0 : this.logRatio / (this.N - 1);
      const sigma = mul(exp(mul(i, step)), this.sigmaMin);
      const below = mul(exp(mul(sub(i, 1), step)), this.sigmaMin);
      return { sigma, adjacent: where(eqS(i, 0), 0, below) };
    });
  }

  /** SMLD (NCSN) chain: f = 0, G = sqrt(sigma_i^2 - sigma_{i-1}^2). */
  override discretize(x: Tensor, t: Tensor): Discretized {
    checkBatch('VESDE.discretize', 'x', x);
    return tidy(() => {
      const tt = checkTime('VESDE.discretize', t, x);
      const { sigma, adjacent } = this.discreteSigmas(tt);
      return { f: zerosLike(x), G: sqrt(sub(square(sigma), square(adjacent))) };
    });
  }

  priorSample(shape: number[], opts: PriorOptions = {}): Tensor {
    const s = priorShape('VESDE.priorSample', shape, opts);
    return randn(s, { generator: opts.generator, dtype: opts.dtype, device: opts.device, std: this.sigmaMax });
  }

  /** log N(z; 0, sigma_max^2 I) per sample. */
  priorLogp(z: Tensor): Tensor {
    return gaussianLogp(checkBatch('VESDE.priorLogp', 'z', z), this.sigmaMax);
  }
}
