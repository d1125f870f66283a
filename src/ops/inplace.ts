// SPDX-License-Identifier: MIT
// In-place updates for optimisers, EMA and buffers. They bump the storage version, so autograd
// detects a tensor that was saved for backward and then modified. Writing in place into a tensor
// that requires grad is only allowed with gradient recording off (noGrad), as in torch.
import { argError, AutogradError, checkBool, checkFinite, checkInt, checkOptions, DTypeError, ShapeError, show } from '../errors.js';
import { isGradEnabled } from '../autograd/mode.js';
import { Binary, Unary, kernels } from '../native.js';
import { broadcastShapes, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { ArgumentError } from '../errors.js';
import { checkValueFor } from './creation.js';
import { checkSameDevice, checkTensor, nc, nv, nvBroadcast } from './util.js';

/**
 * Whether two distinct indices of the view reach the same element. Exact for the layouts views are
 * made of (each dim's stride larger than the reach of the dims below it, after sorting by stride,
 * which proves there is none; a stride 0 over more than one element proves there is); other
 * layouts are checked element by element when small, and counted as overlapping when not.
 */
export function hasInternalOverlap(t: Tensor): boolean {
  const dims = t.shape.map((n, i) => ({ n, s: Math.abs(t.strides[i]) })).filter((d) => d.n > 1).sort((a, b) => a.s - b.s);
  if (dims.some((d) => d.s === 0)) return true;
  let reach = 0;
  let nested = true;
  for (const d of dims) {
    if (d.s <= reach) nested = false;
    reach += (d.n - 1) * d.s;
  }
  if (nested) return false;
  if (t.size > 1 << 16) return true;
  const seen = new Set<number>();
  const idx = new Array<number>(t.ndim).fill(0);
  for (let k = 0; k < t.size; k++) {
    let off = 0;
    for (let d = 0; d < t.ndim; d++) off += idx[d] * t.strides[d];
    if (seen.has(off)) return true;
    seen.add(off);
    for (let d = t.ndim - 1; d >= 0 && ++idx[d] === t.shape[d]; d--) idx[d] = 0;
  }
  return false;
}

/** [lowest, highest] element offsets a view reaches (null when empty). */
function span(t: Tensor): [number, number] | null {
  if (t.size === 0) return null;
  let lo = t.offset, hi = t.offset;
  t.shape.forEach((n, d) => ((t.strides[d] > 0 ? (hi += (n - 1) * t.strides[d]) : (lo += (n - 1) * t.strides[d]))));
  return [lo, hi];
}

/**
 * Refuses a source that shares memory with the tensor written in place, unless it is the very same
 * view (x.add_(x) is fine): the kernel reads and writes in its own order, so a partly overlapping
 * source (x.add_(x.flip(0))) would read elements it has already overwritten.
 */
function checkNoPartialOverlap(op: string, x: Tensor, src: Tensor, srcArg: string): void {
  if (src.storage !== x.storage) return;
  const same = src.offset === x.offset && sameShape(src.shape, x.shape) && src.strides.every((s, i) => s === x.strides[i]);
  if (same) return;
  const a = span(x), b = span(src);
  if (a && b && a[0] <= b[1] && b[0] <= a[1])
    throw new ArgumentError(`${op}: argument '${srcArg}' shares memory with the tensor written in place (partly overlapping views); clone() it first`);
}

function target(op: string, t: Tensor): Tensor {
  const x = checkTensor(op, 'self', t);
  if (x.requiresGrad && isGradEnabled())
    throw new AutogradError(`${op}: in-place update of a tensor that requires grad (id ${x.id}); wrap it in noGrad()`);
  // expand(b, [4]).add_(1) used to add 4 times into b's one element
  if (hasInternalOverlap(x))
    throw new ArgumentError(`${op}: the tensor written in place has elements that share memory (shape ${show([...x.shape])}, strides ${show([...x.strides])}, e.g. from expand()); write into a contiguous copy (clone()) instead`);
  x.storage.version++;
  return x;
}

function numericTarget(op: string, t: Tensor): Tensor {
  const x = checkTensor(op, 'self', t);
  if (x.dtype === 'bool') throw new DTypeError(`${op}: the tensor written in place has dtype bool; arithmetic needs a numeric tensor (cast it first)`);
  return target(op, x);
}

/** Fills with zeros. */
export function zero_(t: Tensor): Tensor {
  return fill_(t, 0);
}

export function fill_(t: Tensor, value: number | boolean): Tensor {
  const x = checkTensor('fill_', 'self', t);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw argError('fill_', 'value', value, 'a number or a boolean');
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  checkValueFor('fill_', 'value', v, x.dtype);
  target('fill_', x);
  if (x.size) kernels.fill({ y: nv(x), value: v });
  return x;
}

/** Copies src (broadcast, cast) into t. */
export function copy_(t: Tensor, src: Tensor): Tensor {
  const x = target('copy_', t);
  const s = checkTensor('copy_', 'src', src);
  checkSameDevice('copy_', x, s);
  checkNoPartialOverlap('copy_', x, s, 'src');
  const shape = broadcastShapes('copy_', x.shape, s.shape);
  if (!sameShape(shape, x.shape)) throw new ShapeError(`copy_: src shape ${show([...s.shape])} does not broadcast to ${show([...x.shape])}`);
  if (x.size) kernels.copy({ y: nv(x), x: nvBroadcast(s, x.shape) });
  return x;
}

/** t += alpha * other (other a tensor broadcast to t, or a number). */
export function add_(t: Tensor, other: Tensor | number, alpha = 1): Tensor {
  const x = numericTarget('add_', t);
  checkFinite('add_', 'alpha', alpha);
  if (typeof other === 'number') {
    if (x.dtype === 'int32') checkValueFor('add_', 'other', alpha * other, 'int32');
    if (x.size) kernels.unary({ op: Unary.addS, p1: alpha * other, p2: 0, y: nv(x), x: nv(x) });
    return x;
  }
  const o = checkTensor('add_', 'other', other);
  checkSameDevice('add_', x, o);
  checkNoPartialOverlap('add_', x, o, 'other');
  if (x.dtype === 'int32' && alpha !== 1) throw argError('add_', 'alpha', alpha, '1 for an int32 tensor (the fused update is float-only)');
  if (o.dtype !== x.dtype) throw new DTypeError(`add_: other has dtype ${o.dtype}, expected ${x.dtype}`);
  const shape = broadcastShapes('add_', x.shape, o.shape);
  if (!sameShape(shape, x.shape)) throw new ShapeError(`add_: other shape ${show([...o.shape])} does not broadcast to ${show([...x.shape])}`);
  if (x.size) {
    if (x.dtype === 'int32') kernels.binary({ op: Binary.add, p1: 0, p2: 0, y: nv(x), a: nv(x), b: nvBroadcast(o, x.shape) });
    else kernels.binary({ op: Binary.axpy, p1: alpha, p2: 0, y: nv(x), a: nv(x), b: nvBroadcast(o, x.shape) });
  }
  return x;
}

/** t *= s. */
export function mul_(t: Tensor, s: number | Tensor): Tensor {
  const x = numericTarget('mul_', t);
  if (typeof s === 'number') {
    checkFinite('mul_', 'other', s);
    if (x.dtype === 'int32') checkValueFor('mul_', 'other', s, 'int32');
    if (x.size) kernels.unary({ op: Unary.mulS, p1: s, p2: 0, y: nv(x), x: nv(x) });
    return x;
  }
  const o = checkTensor('mul_', 'other', s);
  checkSameDevice('mul_', x, o);
  checkNoPartialOverlap('mul_', x, o, 'other');
  if (o.dtype !== x.dtype) throw new DTypeError(`mul_: other has dtype ${o.dtype}, expected ${x.dtype}`);
  const shape = broadcastShapes('mul_', x.shape, o.shape);
  if (!sameShape(shape, x.shape)) throw new ShapeError(`mul_: other shape ${show([...o.shape])} does not broadcast to ${show([...x.shape])}`);
  if (x.size) kernels.binary({ op: Binary.mul, p1: 0, p2: 0, y: nv(x), a: nv(x), b: nvBroadcast(o, x.shape) });
  return x;
}

/** t = t + weight * (end - t): the EMA update with weight = 1 - decay. */
export function lerp_(t: Tensor, end: Tensor, weight: number): Tensor {
  checkFinite('lerp_', 'weight', weight);
  const x = checkTensor('lerp_', 'self', t);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`lerp_: the tensor written in place has dtype ${x.dtype}, expected float32 or float64`);
  target('lerp_', x);
  const e = checkTensor('lerp_', 'end', end);
  checkSameDevice('lerp_', x, e);
  checkNoPartialOverlap('lerp_', x, e, 'end');
  if (!sameShape(x.shape, e.shape) || e.dtype !== x.dtype) throw new ShapeError(`lerp_: end must match self (${show([...x.shape])}, ${x.dtype})`);
  if (x.size) kernels.binary({ op: Binary.lerp, p1: weight, p2: 0, y: nv(x), a: nv(x), b: nv(e) });
  return x;
}

export interface AdamStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** step number t >= 1 (bias correction) */
  step: number;
  /** decoupled weight decay (AdamW) */
  decoupled: boolean;
}

/** One fused Adam(W) update of a contiguous parameter p from its gradient g and moments m, v. */
export function adamStep_(p: Tensor, g: Tensor, m: Tensor, v: Tensor, o: AdamStepOptions): void {
  const op = 'adamStep_';
  const x = checkTensor(op, 'param', p);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`${op}: the parameter has dtype ${x.dtype}, expected float32 or float64`);
  const c0 = checkOptions(op, 'options', o);
  checkFinite(op, 'lr', c0.lr, { min: 0 });
  checkFinite(op, 'beta1', c0.beta1, { min: 0 });
  checkFinite(op, 'beta2', c0.beta2, { min: 0 });
  if (!(c0.beta1! < 1)) throw argError(op, 'beta1', c0.beta1, 'a number in [0, 1)');
  if (!(c0.beta2! < 1)) throw argError(op, 'beta2', c0.beta2, 'a number in [0, 1)');
  checkFinite(op, 'eps', c0.eps, { min: 0 });
  checkFinite(op, 'weightDecay', c0.weightDecay, { min: 0 });
  checkInt(op, 'step', c0.step, 1);
  checkBool(op, 'decoupled', c0.decoupled);
  target(op, x);
  for (const [name, t] of [['grad', g], ['m', m], ['v', v]] as const) {
    const c = checkTensor('adamStep_', name, t);
    if (!sameShape(c.shape, x.shape) || c.dtype !== x.dtype) throw new ShapeError(`adamStep_: ${name} must match the parameter (${show([...x.shape])}, ${x.dtype})`);
    if (!c.isContiguous) throw new ShapeError(`adamStep_: ${name} must be contiguous`);
  }
  if (!x.isContiguous) throw new ShapeError('adamStep_: the parameter must be contiguous');
  m.storage.version++;
  v.storage.version++;
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  if (x.size) kernels.adamStep({ n: x.size, p: nc(x), g: nc(g), m: nc(m), v: nc(v), lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, bc1, bc2, adamw: o.decoupled });
}
