// SPDX-License-Identifier: MIT
// SDEs with an affine drift f(x, t) = a(t) x, whose perturbation kernel is Gaussian in closed
// form: x_t = scale(t) x_0 + std(t) z. VE, VP and subVP derive from it; so can any user SDE that
// gives its kernel coefficients.
import { ArgumentError } from '../errors.js';
import { add, mul, randn, square } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { SDE, type Marginal, type PriorOptions, type SampleXtOptions } from './sde.js';

export type { PriorOptions };
import { checkBatch, checkKeys, checkTime, perSample, perSampleSize, rowSum } from './util.js';
import { checkShape } from '../tensor/shape.js';
import { argError } from '../errors.js';

/** Coefficients of the Gaussian kernel p_0t(x_t | x_0) = N(scale(t) x_0, std(t)^2 I), each [B]. */
export interface KernelCoef {
  scale: Tensor;
  std: Tensor;
}

export abstract class AffineSDE extends SDE {
  readonly isAffine = true;

  constructor() {
    super();
    if (new.target === AffineSDE) throw new ArgumentError('AffineSDE: the class is abstract; use VESDE, VPSDE, SubVPSDE or a subclass');
  }

  /** scale(t) and std(t) of the kernel, for t of shape [B]. */
  abstract marginalCoef(t: Tensor): KernelCoef;

  marginal(x0: Tensor, t: Tensor): Marginal {
    const op = `${this.constructor.name}.marginal`;
    checkBatch(op, 'x0', x0);
    return tidy(() => {
      const { scale, std } = this.marginalCoef(checkTime(op, t, x0));
      return { mean: mul(perSample(scale, x0), x0), std };
    });
  }

  sigmaBar(t: Tensor): Tensor {
    const tt = checkTime(`${this.constructor.name}.sigmaBar`, t);
    return tidy(() => this.marginalCoef(tt).std);
  }

  /** x_t = mean(x_0, t) + std(t) z from the kernel (`steps` is ignored: nothing is simulated). */
  sampleXt(x0: Tensor, t: Tensor, opts: SampleXtOptions = {}): Tensor {
    const op = `${this.constructor.name}.sampleXt`;
    checkKeys(op, opts, ['generator', 'steps']);
    checkBatch(op, 'x0', x0);
    return tidy(() => {
      const { mean, std } = this.marginal(x0, t);
      const z = randn([...x0.shape], { generator: opts.generator, dtype: x0.dtype, device: x0.device });
      return add(mean, mul(perSample(std, x0), z));
    });
  }
}

/** Validates a prior shape [B, ...] and its options. */
export function priorShape(op: string, shape: number[], opts: PriorOptions | undefined): number[] {
  checkKeys(op, opts, ['generator', 'dtype', 'device']);
  const s = checkShape(op, 'shape', shape);
  if (s.length < 1) throw argError(op, 'shape', shape, 'a shape [B, ...] with a batch dim first');
  return s;
}

/** log N(z; 0, sigma^2 I) per sample of z [B, ...]. */
export function gaussianLogp(z: Tensor, sigma: number): Tensor {
  const D = perSampleSize(z.shape);
  return tidy(() => add(mul(rowSum(square(z)), -0.5 / (sigma * sigma)), (-D / 2) * Math.log(2 * Math.PI * sigma * sigma)));
}
