// SPDX-License-Identifier: MIT
// The SDE interface shared by losses, samplers and likelihoods (docs: SCORE_MATCHING.md section 3).
// dx = f(x, t) dt + g(t) dw on t in [0, T]. Affine SDEs (VE, VP, subVP) have a Gaussian
// perturbation kernel p_0t(x_t | x_0) = N(mean(x_0, t), std(t)^2 I); others only simulate.
import type { Tensor } from '../tensor/tensor.js';
import type { Generator } from '../ops/random.js';

export interface DriftDiffusion {
  /** f(x, t), same shape as x */
  drift: Tensor;
  /** g(t) per sample, shape [B] */
  diffusion: Tensor;
}

export interface Marginal {
  /** mean(x_0, t), same shape as x_0 */
  mean: Tensor;
  /** std(t) per sample, shape [B] */
  std: Tensor;
}

export abstract class SDE {
  /** End time T (1 for every SDE here). */
  readonly T: number = 1;
  /** Number of discretisation steps N of the reference (used by discretize and samplers). */
  abstract readonly N: number;
  /** Short name: 've', 'vp', 'subvp', ... */
  abstract readonly name: string;
  /** True when the perturbation kernel is Gaussian and known in closed form. */
  abstract readonly isAffine: boolean;
  /** Default last time of sampling (eps_s): 1e-3 for VP/subVP, 1e-5 for VE. */
  abstract readonly samplingEps: number;

  /** f(x, t) and g(t); t has shape [B]. */
  abstract sde(x: Tensor, t: Tensor): DriftDiffusion;

  /** Mean and std of p_0t(x_t | x_0); throws for SDEs without a closed-form kernel. */
  abstract marginal(x0: Tensor, t: Tensor): Marginal;

  /**
   * The scale used by LCSS's smoothing (sigma_s = rho * sigmaBar) and the default loss weight
   * lambda(t) = sigmaBar(t)^2: the marginal std for affine SDEs, sqrt(int_0^t g(u)^2 du) otherwise.
   * Shape [B].
   */
  abstract sigmaBar(t: Tensor): Tensor;

  /** Samples x_t given x_0: from the kernel when affine, else by Euler-Maruyama simulation. */
  abstract sampleXt(x0: Tensor, t: Tensor, opts?: { generator?: Generator; steps?: number }): Tensor;

  /** A sample of the prior p_T. */
  abstract priorSample(shape: number[], opts?: { generator?: Generator; dtype?: 'float32' | 'float64' }): Tensor;

  /** log p_T(z) per sample, shape [B]. */
  abstract priorLogp(z: Tensor): Tensor;
}
