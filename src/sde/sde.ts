// SPDX-License-Identifier: MIT
// The SDE interface shared by losses, samplers and likelihoods (docs/OBJECTIVES.md, sections 7 and 9).
// dx = f(x, t) dt + g(t) dw on t in [0, T]. Affine SDEs (VE, VP, subVP) have a Gaussian
// perturbation kernel p_0t(x_t | x_0) = N(mean(x_0, t), std(t)^2 I); others only simulate.
// Every tensor of times has shape [B] (one time per sample); x has shape [B, ...].
import { ArgumentError, argError, checkBool, checkFunction, LcssError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ScoreFn } from '../score_types.js';
import { type Generator, mul, sub, zerosLike, square } from '../ops/index.js';
import type { DeviceLike } from '../tensor/device.js';
import { tidy } from '../tensor/scope.js';
import { checkBatch, checkScore, perSample, validateTime } from './util.js';

export type { ScoreFn };

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

/** One step of a discretised SDE: x_{i+1} = x_i + f_i + G_i z_i (score_sde's `discretize`). */
export interface Discretized {
  /** f_i, same shape as x */
  f: Tensor;
  /** G_i per sample, shape [B] */
  G: Tensor;
}

/** Options of SDE.sampleXt. */
export interface SampleXtOptions {
  generator?: Generator;
  /** Euler-Maruyama steps from 0 to t (SDEs without a closed-form kernel only). */
  steps?: number;
}

/** Options of SDE.priorSample. */
export interface PriorOptions {
  generator?: Generator;
  dtype?: 'float32' | 'float64';
  device?: DeviceLike;
}

/** Thrown by `marginal` of SDEs whose perturbation kernel has no closed form. */
export class NotAffineError extends LcssError {}

export abstract class SDE {
  constructor() {
    // abstract in TypeScript only: plain JS could build one and get "this.sde is not a function"
    if (new.target === SDE) throw new ArgumentError('SDE: the class is abstract; use VESDE, VPSDE, SubVPSDE, DoubleWellSDE or a subclass');
  }
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

  /** Mean and std of p_0t(x_t | x_0); throws NotAffineError for SDEs without a closed-form kernel. */
  abstract marginal(x0: Tensor, t: Tensor): Marginal;

  /**
   * The scale used by LCSS's smoothing (sigma_s = rho * sigmaBar) and the default loss weight
   * lambda(t) = sigmaBar(t)^2: the marginal std for affine SDEs, sqrt(int_0^t g(u)^2 du) otherwise.
   * Shape [B].
   */
  abstract sigmaBar(t: Tensor): Tensor;

  /** Samples x_t given x_0: from the kernel when affine, else by Euler-Maruyama simulation. */
  abstract sampleXt(x0: Tensor, t: Tensor, opts?: SampleXtOptions): Tensor;

  /** A sample of the prior p_T. */
  abstract priorSample(shape: number[], opts?: PriorOptions): Tensor;

  /** log p_T(z) per sample, shape [B]. */
  abstract priorLogp(z: Tensor): Tensor;

  /**
   * One step of the discretised forward SDE, x_{i+1} = x_i + f + G z, at time t: Euler-Maruyama
   * with dt = T / N by default (f = f(x, t) dt, G = g(t) sqrt(dt)). VP (DDPM) and VE (SMLD)
   * override it with their discrete chains, as score_sde does.
   */
  discretize(x: Tensor, t: Tensor): Discretized {
    const dt = this.T / this.N;
    return tidy(() => {
      const { drift, diffusion } = this.sde(x, t);
      return { f: mul(drift, dt), G: mul(diffusion, Math.sqrt(dt)) };
    });
  }

  /**
   * The reverse-time SDE dx = [f - g^2 s] dt + g dw_bar or, with probabilityFlow, the
   * probability-flow ODE dx = [f - g^2 s / 2] dt, for a score function s.
   */
  reverse(score: ScoreFn, probabilityFlow = false): ReverseSDE {
    const op = `${this.constructor.name}.reverse`;
    checkFunction(op, 'score', score);
    checkBool(op, 'probabilityFlow', probabilityFlow);
    return new ReverseSDE(this, score, probabilityFlow);
  }
}

/** The reverse of a forward SDE for a given score (score_sde's `RSDE`). */
export class ReverseSDE {
  constructor(readonly forward: SDE, readonly score: ScoreFn, readonly probabilityFlow = false) {
    const op = 'ReverseSDE';
    if (!(forward instanceof SDE)) throw argError(op, 'sde', forward, 'an SDE (VESDE, VPSDE, SubVPSDE, DoubleWellSDE)');
    checkFunction(op, 'score', score);
    checkBool(op, 'probabilityFlow', probabilityFlow);
  }

  get N(): number {
    return this.forward.N;
  }
  get T(): number {
    return this.forward.T;
  }

  /** Score at (x, t), with its shape checked (a wrong shape would broadcast silently). */
  scoreAt(x: Tensor, t: Tensor): Tensor {
    checkBatch('ReverseSDE.scoreAt', 'x', x);
    validateTime('ReverseSDE.scoreAt', t, x);
    return checkScore('ReverseSDE', this.score(x, t), x);
  }

  /** Drift f - c g^2 s (c = 1, or 1/2 for the ODE) and diffusion g (zeros for the ODE). */
  sde(x: Tensor, t: Tensor): DriftDiffusion {
    checkBatch('ReverseSDE.sde', 'x', x);
    validateTime('ReverseSDE.sde', t, x);
    return tidy(() => {
      const { drift, diffusion } = this.forward.sde(x, t);
      const c = this.probabilityFlow ? 0.5 : 1;
      const rdrift = sub(drift, mul(perSample(mul(square(diffusion), c), x), this.scoreAt(x, t)));
      return { drift: rdrift, diffusion: this.probabilityFlow ? zerosLike(diffusion) : diffusion };
    });
  }

  /** Discretised reverse step: f_rev = f - c G^2 s, G_rev = G (zeros for the ODE). */
  discretize(x: Tensor, t: Tensor): Discretized {
    checkBatch('ReverseSDE.discretize', 'x', x);
    validateTime('ReverseSDE.discretize', t, x);
    return tidy(() => {
      const { f, G } = this.forward.discretize(x, t);
      const c = this.probabilityFlow ? 0.5 : 1;
      const rf = sub(f, mul(perSample(mul(square(G), c), x), this.scoreAt(x, t)));
      return { f: rf, G: this.probabilityFlow ? zerosLike(G) : G };
    });
  }
}
