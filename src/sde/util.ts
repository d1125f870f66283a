// SPDX-License-Identifier: MIT
// Helpers shared by the SDEs, samplers and likelihoods: per-sample broadcasting of [B] vectors,
// time and score checks, per-sample reductions and option validation.
import { argError, checkFinite, checkInt, DTypeError, ShapeError, show } from '../errors.js';
import { cast, full, sum, reshape } from '../ops/index.js';
import { isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/** v of shape [B] viewed as [B, 1, ..., 1] so that it broadcasts against x of shape [B, ...]. */
export function perSample(v: Tensor, x: Tensor): Tensor {
  if (!(v instanceof Tensor) || v.ndim !== 1) throw argError('perSample', 'v', v, 'a Tensor of shape [B]');
  if (!(x instanceof Tensor)) throw argError('perSample', 'x', x, 'a Tensor of shape [B, ...]');
  if (x.ndim >= 1 && v.shape[0] !== x.shape[0]) throw new ShapeError(`perSample: v has ${v.shape[0]} values, x has ${x.shape[0]} samples`);
  if (x.ndim <= 1) return v;
  return reshape(v, [v.shape[0], ...new Array<number>(x.ndim - 1).fill(1)]);
}

/** Checks that x is a float tensor with a batch dim. */
export function checkBatch(op: string, arg: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: argument '${arg}' got ${show(x)}, expected a Tensor of shape [B, ...]`);
  x.assertLive(op, arg);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: argument '${arg}' has dtype ${x.dtype}, expected float32 or float64`);
  if (x.ndim < 1) throw new ShapeError(`${op}: argument '${arg}' has shape ${show([...x.shape])}, expected [B, ...] (a batch dim first)`);
  return x;
}

/**
 * Checks t is a float tensor of shape [B] (B = x.shape[0] when x is given) and returns it in x's
 * dtype, so that float32 times do not lower the precision of float64 states. The cast is a new
 * tensor: call it inside the tidy of the computation.
 */
export function checkTime(op: string, t: unknown, x?: Tensor): Tensor {
  const tt = validateTime(op, t, x);
  return x && x.dtype !== tt.dtype ? cast(tt, x.dtype) : tt;
}

/** The checks of checkTime without the cast (allocates nothing). */
export function validateTime(op: string, t: unknown, x?: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new DTypeError(`${op}: argument 't' got ${show(t)}, expected a Tensor of shape [B] (one time per sample)`);
  t.assertLive(op, 't');
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: argument 't' has dtype ${t.dtype}, expected float32 or float64`);
  if (t.ndim !== 1 || (x && t.shape[0] !== x.shape[0]))
    throw new ShapeError(`${op}: argument 't' has shape ${show([...t.shape])}, expected [${x ? x.shape[0] : 'B'}] (one time per sample)`);
  return t;
}

/** Checks a score function's output has the shape of its input. */
export function checkScore(op: string, s: unknown, x: Tensor): Tensor {
  if (!(s instanceof Tensor)) throw new DTypeError(`${op}: the score function returned ${show(s)}, expected a Tensor of shape ${show([...x.shape])}`);
  if (s.ndim !== x.ndim || s.shape.some((d, i) => d !== x.shape[i]))
    throw new ShapeError(`${op}: the score function returned shape ${show([...s.shape])}, expected the shape of x ${show([...x.shape])}`);
  return s;
}

/** Sum over every dim but the first: [B, ...] -> [B]. */
export function rowSum(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw argError('rowSum', 'x', x, 'a Tensor of shape [B, ...]');
  x.assertLive('rowSum', 'x');
  if (x.ndim <= 1) return x;
  return sum(x, [...Array(x.ndim - 1).keys()].map((d) => d + 1));
}

/** Number of elements per sample of a [B, ...] shape. */
export function perSampleSize(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** A [B] tensor filled with time t, in the dtype and on the device of x. */
export function timeLike(x: Tensor, t: number): Tensor {
  checkBatch('timeLike', 'x', x);
  checkFinite('timeLike', 't', t);
  return full([x.shape[0]], t, { dtype: x.dtype, device: x.device });
}

/** Rejects unknown keys of an options object (a misspelt option would otherwise be ignored). */
export function checkKeys(op: string, o: object | undefined, allowed: readonly string[]): void {
  if (o === undefined) return;
  if (o === null || typeof o !== 'object' || Array.isArray(o) || (o as { _isTensor?: boolean })._isTensor) throw argError(op, 'options', o, 'an options object');
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw argError(op, k, (o as Record<string, unknown>)[k], `no such option (options are ${allowed.join(', ')})`);
}

export function positive(op: string, arg: string, v: unknown): number {
  return checkFinite(op, arg, v, { min: 0, minExclusive: true });
}

export function steps(op: string, arg: string, v: unknown): number {
  return checkInt(op, arg, v, 1, 1e9);
}
