// SPDX-License-Identifier: MIT
// Reductions over any set of dims, with keepdim. The kernel reads a permuted view (kept dims
// first, reduced dims last): no copy for contiguous rows or columns.
import { argError, checkBool, checkKnownKeys, checkOptions, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { Reduce, kernels } from '../native.js';
import { isFloat, type DType } from '../tensor/dtype.js';
import { tidy } from '../tensor/scope.js';
import { contiguousStrides, normDims, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { add, div, eq, mul, sub, where } from './binary.js';
import { cast, detach } from './cast.js';
import { abs, exp, isfinite, log, powScalar as pow, sqrt, square } from './unary.js';
import { checkTensor } from './util.js';
import { expand, reshape } from './view.js';

export type Dims = number | readonly number[];

function keptShape(shape: readonly number[], dims: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((s, i) => {
    if (!dims.includes(i)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Runs a reduce kernel over `dims` (normalised) into a new tensor of dtype `outDType`. */
function reduceKernel(code: number, x: Tensor, dims: number[], keepdim: boolean, outDType: DType): Tensor {
  const kept = [...Array(x.ndim).keys()].filter((d) => !dims.includes(d));
  const perm = [...kept, ...dims];
  const y = Tensor.empty(keptShape(x.shape, dims, keepdim), outDType, x.device);
  if (y.size) {
    const keptShapeOnly = kept.map((d) => x.shape[d]);
    kernels.reduce({ op: code, nkeep: kept.length, y: { buffer: y.storage.buffer, offset: y.offset, shape: keptShapeOnly, strides: contiguousStrides(keptShapeOnly) }, x: { buffer: x.storage.buffer, offset: x.offset, shape: perm.map((d) => x.shape[d]), strides: perm.map((d) => x.strides[d]) } });
  }
  return y;
}

/** Shape of the reduced result with the reduced dims kept as 1. */
function keepShape(x: Tensor, dims: number[]): number[] {
  return x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

/** Sum over dims (all by default). bool and int32 sum to int32. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const t = checkTensor('sum', 'x', x);
  const dims = normDims('sum', dim, t.ndim);
  checkBool('sum', 'keepdim', keepdim);
  const y = reduceKernel(Reduce.sum, t, dims, keepdim, isFloat(t.dtype) ? t.dtype : 'int32');
  return attachGrad(y, 'sum', [t], [], (g) => [expand(reshape(g, keepShape(t, dims)), t.shape)]);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const t = checkTensor('mean', 'x', x);
  const dims = normDims('mean', dim, t.ndim);
  checkBool('mean', 'keepdim', keepdim);
  const n = numel(dims.map((d) => t.shape[d]));
  if (!isFloat(t.dtype)) return tidy(() => mean(cast(t, 'float32'), dims, keepdim));
  return tidy(() => mul(sum(t, dims, keepdim), 1 / n));
}

function extreme(name: 'max' | 'min', x: Tensor, dim: Dims | undefined, keepdim: boolean): Tensor {
  const t = checkTensor(name, 'x', x);
  const dims = normDims(name, dim, t.ndim);
  checkBool(name, 'keepdim', keepdim);
  if (t.size === 0) throw new ShapeError(`${name}: cannot reduce an empty tensor (shape ${show([...t.shape])})`);
  const y = reduceKernel(name === 'max' ? Reduce.max : Reduce.min, t, dims, keepdim, t.dtype === 'bool' ? 'bool' : t.dtype);
  if (!isFloat(t.dtype)) return y;
  return attachGrad(y, name, [t], [t, y], (g, [t, y]) => {
    // the gradient is shared evenly between tied extremes
    const ks = keepShape(t, dims);
    const mask = cast(eq(t, reshape(y, ks)), t.dtype);
    const count = sum(mask, dims, true);
    return [div(mul(mask, reshape(g, ks)), count)];
  });
}

/** Largest value over dims (all by default). */
export const max = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extreme('max', x, dim, keepdim);
/** Smallest value over dims (all by default). */
export const min = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extreme('min', x, dim, keepdim);

function argExtreme(name: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const t = checkTensor(name, 'x', x);
  checkBool(name, 'keepdim', keepdim);
  if (t.size === 0) throw new ShapeError(`${name}: cannot reduce an empty tensor`);
  const code = name === 'argmax' ? Reduce.argmax : Reduce.argmin;
  if (dim !== undefined && dim !== null && typeof dim !== 'number') throw argError(name, 'dim', dim, 'a dim (an integer)');
  if (dim === undefined || dim === null || t.ndim === 0) {
    return tidy(() => {
      const flat = reshape(t, [-1]);
      return reduceKernel(code, flat, [0], false, 'int32');
    });
  }
  return reduceKernel(code, t, normDims(name, dim, t.ndim), keepdim, 'int32');
}

/** Index of the largest value along dim (of the flattened tensor when dim is omitted). */
export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme('argmax', x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme('argmin', x, dim, keepdim);

export interface VarOptions {
  /** Divide by n - 1 (Bessel's correction, the default) instead of n. */
  unbiased?: boolean;
  keepdim?: boolean;
}

function varianceOf(op: string, x: Tensor, dim: Dims | undefined, opts: VarOptions | undefined): Tensor {
  const t = checkTensor(op, 'x', x);
  const dims = normDims(op, dim, t.ndim);
  const o = checkOptions(op, 'options', opts);
  checkKnownKeys(op, 'options', o, ['unbiased', 'keepdim']);
  const unbiased = o.unbiased === undefined ? true : checkBool(op, 'unbiased', o.unbiased);
  const keepdim = o.keepdim === undefined ? false : checkBool(op, 'keepdim', o.keepdim);
  const n = numel(dims.map((d) => t.shape[d]));
  const denom = n - (unbiased ? 1 : 0);
  if (denom <= 0) throw argError(op, 'dim', dim, `dims with more than ${unbiased ? 1 : 0} element(s) in all`);
  return tidy(() => {
    const xf = isFloat(t.dtype) ? t : cast(t, 'float32');
    const c = sub(xf, mean(xf, dims, true));
    return mul(sum(square(c), dims, keepdim), 1 / denom);
  });
}

export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return varianceOf('variance', x, dim, opts);
}

/**
 * Standard deviation: sqrt of the variance, whose gradient is 0 (not NaN) where the variance is
 * 0, as in torch: the derivative of sqrt at 0 is infinite, and infinity times the zero gradient
 * of a constant row was NaN (first order, through grad() and backward(), and second order).
 */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return tidy(() => sqrtZeroSafe(varianceOf('std', x, dim, opts)));
}

/** sqrt(v) with d/dv taken as 0 where v = 0 (its gradient made of ops, so differentiable again). */
function sqrtZeroSafe(v: Tensor): Tensor {
  const y = sqrt(detach(v));
  return attachGrad(y, 'std', [v], [y], (g, [y]) => {
    const zero = eq(y, 0);
    return [where(zero, 0, div(mul(g, 0.5), where(zero, 1, y)))];
  });
}

/** log(sum(exp(x))) over dims, stable for large |x|. */
export function logsumexp(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const t = checkTensor('logsumexp', 'x', x);
  const dims = normDims('logsumexp', dim, t.ndim);
  checkBool('logsumexp', 'keepdim', keepdim);
  return tidy(() => {
    const xf = isFloat(t.dtype) ? t : cast(t, 'float32');
    const m0 = detach(max(xf, dims, true));
    const m = where(isfinite(m0), m0, 0);  // rows of +-inf (or NaN) are not shifted
    const s = log(sum(exp(sub(xf, m)), dims, true));
    const out = add(s, m);
    return keepdim ? out : reshape(out, keptShape(t.shape, dims, false));
  });
}

/**
 * Vector p-norm over dims (all by default): p = 2 (default), 1, Infinity, or any p > 0.
 * The 2-norm has gradient 0 at the origin (subgradient), not NaN.
 */
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  const t = checkTensor('norm', 'x', x);
  const dims = normDims('norm', dim, t.ndim);
  checkBool('norm', 'keepdim', keepdim);
  if (typeof p !== 'number' || !(p > 0)) throw argError('norm', 'p', p, 'a number > 0 or Infinity');
  return tidy(() => {
    const xf = isFloat(t.dtype) ? t : cast(t, 'float32');
    if (p === Infinity) return max(abs(xf), dims, keepdim);
    if (p === 1) return sum(abs(xf), dims, keepdim);
    if (p === 2) {
      const ss = sum(square(xf), dims, keepdim);
      const y = sqrt(ss);
      // replace the gradient of sqrt at 0 (inf * 0 = NaN) by 0
      return attachGrad(detach(y), 'norm', [xf], [xf, y], (g, [xf, y]) => {
        const ks = keepShape(xf, dims);
        const yk = reshape(y, ks);
        const safe = where(eq(yk, 0), 1, yk);
        return [where(eq(yk, 0), 0, div(mul(xf, reshape(g, ks)), safe))];
      });
    }
    return pow(sum(pow(abs(xf), p), dims, keepdim), 1 / p);
  });
}

/** Sums g over broadcast dims so it has `shape` (the gradient of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.ndim === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new ShapeError(`sumToShape: gradient shape ${show([...g.shape])} has fewer dims than ${show([...shape])}`);
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return tidy(() => reshape(sum(g, dims, true), shape));
}
