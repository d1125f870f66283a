// SPDX-License-Identifier: MIT
// Parameter initialisers. variance_scaling follows the DDPM / score_sde reference (fan_avg,
// uniform); the torch defaults are provided for layers that mirror torch.nn.
import { argError, checkFinite, checkInt, checkIntArray, checkOneOf, checkOptions } from '../errors.js';
import { Generator, rand, randn, zeros } from '../ops/index.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

export interface InitOptions {
  dtype?: DType;
  generator?: Generator;
}

/**
 * Checks the dtype and generator a module constructor was given, in that constructor's name
 * (they are otherwise first read by an initialiser deep inside, whose name the error would carry).
 */
export function checkInitOptions(op: string, o: InitOptions | undefined): void {
  const q = checkOptions(op, 'options', o);
  if (q.dtype !== undefined) checkOneOf(op, 'dtype', q.dtype, ['float32', 'float64']);
  if (q.generator !== undefined && !(q.generator instanceof Generator)) throw argError(op, 'generator', q.generator, 'a Generator');
}

/** fan_in and fan_out of a weight: [out, in] for linear, [out, in, kh, kw] for conv. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  checkIntArray('fans', 'shape', shape, { min: 0 });
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
  const op = 'varianceScaling';
  checkIntArray(op, 'shape', shape, { min: 0 });
  checkFinite(op, 'scale', scale, { min: 0 });
  checkOneOf(op, 'mode', mode, ['fan_in', 'fan_out', 'fan_avg']);
  checkOneOf(op, 'distribution', distribution, ['uniform', 'normal']);
  o = checkOptions(op, 'options', o);
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
  checkIntArray('torchDefault', 'shape', shape, { min: 0 });
  checkInt('torchDefault', 'fanIn', fanIn, 0);
  o = checkOptions('torchDefault', 'options', o);
  const b = 1 / Math.sqrt(Math.max(fanIn, 1));
  return rand([...shape], { low: -b, high: b, dtype: o.dtype ?? 'float32', generator: o.generator });
}
