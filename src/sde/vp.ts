// SPDX-License-Identifier: MIT
// Variance-preserving SDE (DDPM in continuous time) and the sub-VP SDE (Song et al. 2021,
// score_sde `VPSDE`, `subVPSDE`). beta(t) = beta_0 + t (beta_1 - beta_0);
// log-mean-coefficient m(t) = -t^2 (beta_1 - beta_0) / 4 - t beta_0 / 2.
//   VP:    dx = -beta x / 2 dt + sqrt(beta) dw,              mean e^m x_0, std sqrt(1 - e^{2m})
//   subVP: dx = -beta x / 2 dt + sqrt(beta (1 - e^{4m})) dw, mean e^m x_0, std 1 - e^{2m}
// (1 - e^{4m} = 1 - exp(-2 beta_0 t - (beta_1 - beta_0) t^2); subVP's std has no square root.)
import { argError, ArgumentError, checkFinite, checkInt, checkOptions } from '../errors.js';
import { checkFloatTensor, checkTensor, add, mul, sub, randn, exp, expm1, floor, neg, sqrt, square } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { AffineSDE, gaussianLogp, priorShape, type KernelCoef, type PriorOptions } from './affine.js';
import type { DriftDiffusion, Discretized } from './sde.js';
import { checkBatch, checkKeys, checkTime, perSample, steps } from './util.js';

export interface VPSDEOptions {
  /** beta(0) (default 0.1). */
  betaMin?: number;
  /** beta(1) (default 20). */
  betaMax?: number;
  /** Discretisation steps (default 1000). */
  N?: number;
}

/** The betaMin / betaMax options of `op` (an SDE's constructor, or BetaSchedule itself), checked. */
export function checkBetas(op: string, opts: { betaMin?: number; betaMax?: number } | undefined): { betaMin: number; betaMax: number } {
  const o = checkOptions(op, 'options', opts);
  const betaMin = checkFinite(op, 'betaMin', o.betaMin ?? 0.1, { min: 0 });
  const betaMax = checkFinite(op, 'betaMax', o.betaMax ?? 20, { min: 0, minExclusive: true });
  if (betaMax < betaMin) throw argError(op, 'betaMax', betaMax, `a number >= betaMin (${betaMin})`);
  return { betaMin, betaMax };
}

/** The linear beta schedule shared by VP, subVP and the double-well SDE. */
export class BetaSchedule {
  readonly betaMin: number;
  readonly betaMax: number;
  constructor(opts: { betaMin?: number; betaMax?: number } = {}) {
    ({ betaMin: this.betaMin, betaMax: this.betaMax } = checkBetas('BetaSchedule', opts));
  }
  /** beta(t) = beta_0 + t (beta_1 - beta_0). */
  beta(t: Tensor): Tensor {
    checkFloatTensor('BetaSchedule.beta', 't', t);
    return tidy(() => add(mul(t, this.betaMax - this.betaMin), this.betaMin));
  }
  /** int_0^t beta(u) du = beta_0 t + (beta_1 - beta_0) t^2 / 2. */
  integral(t: Tensor): Tensor {
    checkFloatTensor('BetaSchedule.integral', 't', t);
    return tidy(() => add(mul(square(t), 0.5 * (this.betaMax - this.betaMin)), mul(t, this.betaMin)));
  }
  /** m(t) = -int_0^t beta / 2: the log of the mean coefficient. */
  logMeanCoeff(t: Tensor): Tensor {
    checkFloatTensor('BetaSchedule.logMeanCoeff', 't', t);
    return tidy(() => mul(this.integral(t), -0.5));
  }
  /** The same as a number, for scalar t. */
  integralAt(t: number): number {
    checkFinite('BetaSchedule.integralAt', 't', t);
    return this.betaMin * t + 0.5 * (this.betaMax - this.betaMin) * t * t;
  }
}

abstract class VPFamily extends AffineSDE {
  readonly samplingEps = 1e-3;
  readonly N: number;
  protected readonly schedule: BetaSchedule;

  constructor(op: string, opts: VPSDEOptions) {
    super();
    opts = checkOptions(op, 'options', opts) as VPSDEOptions;
    checkKeys(op, opts, ['betaMin', 'betaMax', 'N']);
    this.schedule = new BetaSchedule(checkBetas(op, opts));
    this.N = steps(op, 'N', opts.N ?? 1000);
  }
  get betaMin(): number {
    return this.schedule.betaMin;
  }
  get betaMax(): number {
    return this.schedule.betaMax;
  }

  /** beta(t), shape [B]. */
  beta(t: Tensor): Tensor {
    const tt = checkTime(`${this.constructor.name}.beta`, t);
    return tidy(() => this.schedule.beta(tt));
  }

  /** The diffusion g(t) for times t (already checked). */
  protected abstract diffusionAt(t: Tensor): Tensor;

  sde(x: Tensor, t: Tensor): DriftDiffusion {
    const op = `${this.constructor.name}.sde`;
    checkBatch(op, 'x', x);
    return tidy(() => {
      const tt = checkTime(op, t, x);
      return { drift: mul(perSample(mul(this.schedule.beta(tt), -0.5), x), x), diffusion: this.diffusionAt(tt) };
    });
  }

  priorSample(shape: number[], opts: PriorOptions = {}): Tensor {
    const s = priorShape(`${this.constructor.name}.priorSample`, shape, opts);
    return randn(s, { generator: opts.generator, dtype: opts.dtype, device: opts.device });
  }

  /** log N(z; 0, I) per sample. */
  priorLogp(z: Tensor): Tensor {
    return gaussianLogp(checkBatch(`${this.constructor.name}.priorLogp`, 'z', z), 1);
  }
}

export class VPSDE extends VPFamily {
  readonly name = 'vp';

  constructor(opts: VPSDEOptions = {}) {
    super('VPSDE', opts);
  }

  protected diffusionAt(t: Tensor): Tensor {
    return sqrt(this.schedule.beta(t));
  }

  marginalCoef(t: Tensor): KernelCoef {
    const tt = checkTime('VPSDE.marginalCoef', t);
    return tidy(() => {
      const m = this.schedule.logMeanCoeff(tt);
      // 1 - e^{2m} through expm1: exact for small t, where 1 - e^{2m} cancels in floating point
      return { scale: exp(m), std: sqrt(neg(expm1(mul(m, 2)))) };
    });
  }

  /** The i-th of DDPM's N betas, linspace(beta_0 / N, beta_1 / N, N). */
  discreteBeta(i: number): number {
    checkInt(`${this.constructor.name}.discreteBeta`, 'i', i, 0, this.N - 1);
    const { betaMin: b0, betaMax: b1 } = this.schedule;
    return this.N === 1 ? b0 : b0 / this.N + (i * (b1 - b0)) / (this.N * (this.N - 1));
  }

  /** DDPM's beta_i at i = floor(t (N - 1) / T), as score_sde indexes it; shape [B]. */
  discreteBetas(t: Tensor): Tensor {
    const tt = checkTime('VPSDE.discreteBetas', t);
    const { betaMin: b0, betaMax: b1 } = this.schedule;
    if (b1 / this.N >= 1)
      throw new ArgumentError(`VPSDE.discreteBetas: DDPM's discrete betas reach betaMax / N = ${b1 / this.N} >= 1 (N = ${this.N}), so sqrt(1 - beta) is undefined; use N > betaMax`);
    return tidy(() => {
      const i = floor(mul(tt, (this.N - 1) / this.T));
      return this.N === 1 ? add(mul(i, 0), b0) : add(mul(i, (b1 - b0) / (this.N * (this.N - 1))), b0 / this.N);
    });
  }

  /** DDPM chain: f = (sqrt(1 - beta_i) - 1) x, G = sqrt(beta_i). */
  override discretize(x: Tensor, t: Tensor): Discretized {
    checkBatch('VPSDE.discretize', 'x', x);
    return tidy(() => {
      const tt = checkTime('VPSDE.discretize', t, x);
      const beta = this.discreteBetas(tt);
      return { f: mul(perSample(sub(sqrt(sub(1, beta)), 1), x), x), G: sqrt(beta) };
    });
  }
}

export class SubVPSDE extends VPFamily {
  readonly name = 'subvp';

  constructor(opts: VPSDEOptions = {}) {
    super('SubVPSDE', opts);
  }

  protected diffusionAt(t: Tensor): Tensor {
    // 1 - exp(-2 beta_0 t - (beta_1 - beta_0) t^2) = -expm1(4 m(t))
    const discount = neg(expm1(mul(this.schedule.logMeanCoeff(t), 4)));
    return sqrt(mul(this.schedule.beta(t), discount));
  }

  marginalCoef(t: Tensor): KernelCoef {
    const tt = checkTime('SubVPSDE.marginalCoef', t);
    return tidy(() => {
      const m = this.schedule.logMeanCoeff(tt);
      return { scale: exp(m), std: neg(expm1(mul(m, 2))) };
    });
  }
}
