// SPDX-License-Identifier: MIT
// Parameter initialisers. variance_scaling follows the DDPM / score_sde reference (fan_avg,
// uniform); the torch defaults are provided for layers that mirror torch.nn.
import { argError } from '../errors.js';
import { rand, randn, type Generator } from '../ops/random.js';
import { zeros } from '../ops/creation.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

export interface InitOptions {
  dtype?: DType;
  generator?: Generator;
}

/** fan_in and fan_out of a weight: [out, in] for linear, [out, in, kh, kw] for conv. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/**
 * score_sde's variance_scaling(scale, mode, distribution): variance = scale / n with n the fan
 * selected by mode; 'uniform' draws U(-sqrt(3 variance), +sqrt(3 variance)).
 */
export function varianceScaling(shape: readonly number[], scale = 1, mode: 'fan_in' | 'fan_out' | 'fan_avg' = 'fan_avg',
  distribution: 'uniform' | 'normal' = 'uniform', o: InitOptions = {}): Tensor {
  if (!(scale >= 0)) throw argError('varianceScaling', 'scale', scale, 'a number >= 0');
  const { fanIn, fanOut } = fans(shape);
  const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
  const variance = scale / n;
  const dtype = o.dtype ?? 'float32';
  if (distribution === 'normal') return randn([...shape], { std: Math.sqrt(variance), dtype, generator: o.generator });
  const lim = Math.sqrt(3 * variance);
  if (lim === 0) return zeros([...shape], { dtype });
  return rand([...shape], { low: -lim, high: lim, dtype, generator: o.generator });
}

/** DDPM's default_init: variance_scaling(scale, 'fan_avg', 'uniform'); scale 0 is replaced by 1e-10 as in the reference. */
export function defaultInit(shape: readonly number[], scale = 1, o: InitOptions = {}): Tensor {
  return varianceScaling(shape, scale === 0 ? 1e-10 : scale, 'fan_avg', 'uniform', o);
}

/** torch.nn.Linear / Conv2d default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. */
export function torchDefault(shape: readonly number[], fanIn: number, o: InitOptions = {}): Tensor {
  const b = 1 / Math.sqrt(Math.max(fanIn, 1));
  return rand([...shape], { low: -b, high: b, dtype: o.dtype ?? 'float32', generator: o.generator });
}
