// SPDX-License-Identifier: MIT
// In-place updates for optimisers, EMA and buffers. They bump the storage version, so autograd
// detects a tensor that was saved for backward and then modified. Writing in place into a tensor
// that requires grad is only allowed with gradient recording off (noGrad), as in torch.
import { AutogradError, checkFinite, DTypeError, ShapeError, show } from '../errors.js';
import { isGradEnabled } from '../autograd/mode.js';
import { Binary, native, Unary } from '../native.js';
import { broadcastShapes, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSameDevice, checkTensor, nc, nv, nvBroadcast } from './util.js';

function target(op: string, t: Tensor): Tensor {
  const x = checkTensor(op, 'self', t);
  if (x.requiresGrad && isGradEnabled())
    throw new AutogradError(`${op}: in-place update of a tensor that requires grad (id ${x.id}); wrap it in noGrad()`);
  x.storage.version++;
  return x;
}

/** Fills with zeros. */
export function zero_(t: Tensor): Tensor {
  return fill_(t, 0);
}

export function fill_(t: Tensor, value: number): Tensor {
  const x = target('fill_', t);
  if (x.size) native.fill(...nv(x), value);
  return x;
}

/** Copies src (broadcast, cast) into t. */
export function copy_(t: Tensor, src: Tensor): Tensor {
  const x = target('copy_', t);
  const s = checkTensor('copy_', 'src', src);
  checkSameDevice('copy_', x, s);
  const shape = broadcastShapes('copy_', x.shape, s.shape);
  if (!sameShape(shape, x.shape)) throw new ShapeError(`copy_: src shape ${show([...s.shape])} does not broadcast to ${show([...x.shape])}`);
  if (x.size) native.copy(...nv(x), ...nvBroadcast(s, x.shape));
  return x;
}

/** t += alpha * other (other a tensor broadcast to t, or a number). */
export function add_(t: Tensor, other: Tensor | number, alpha = 1): Tensor {
  const x = target('add_', t);
  checkFinite('add_', 'alpha', alpha);
  if (typeof other === 'number') {
    if (x.size) native.unary(Unary.addS, alpha * other, 0, ...nv(x), ...nv(x));
    return x;
  }
  const o = checkTensor('add_', 'other', other);
  checkSameDevice('add_', x, o);
  if (o.dtype !== x.dtype) throw new DTypeError(`add_: other has dtype ${o.dtype}, expected ${x.dtype}`);
  const shape = broadcastShapes('add_', x.shape, o.shape);
  if (!sameShape(shape, x.shape)) throw new ShapeError(`add_: other shape ${show([...o.shape])} does not broadcast to ${show([...x.shape])}`);
  if (x.size) native.binary(Binary.axpy, alpha, 0, ...nv(x), ...nv(x), ...nvBroadcast(o, x.shape));
  return x;
}

/** t *= s. */
export function mul_(t: Tensor, s: number | Tensor): Tensor {
  const x = target('mul_', t);
  if (typeof s === 'number') {
    checkFinite('mul_', 'other', s);
    if (x.size) native.unary(Unary.mulS, s, 0, ...nv(x), ...nv(x));
    return x;
  }
  const o = checkTensor('mul_', 'other', s);
  checkSameDevice('mul_', x, o);
  const shape = broadcastShapes('mul_', x.shape, o.shape);
  if (!sameShape(shape, x.shape)) throw new ShapeError(`mul_: other shape ${show([...o.shape])} does not broadcast to ${show([...x.shape])}`);
  if (x.size) native.binary(Binary.mul, 0, 0, ...nv(x), ...nv(x), ...nvBroadcast(o, x.shape));
  return x;
}

/** t = t + weight * (end - t): the EMA update with weight = 1 - decay. */
export function lerp_(t: Tensor, end: Tensor, weight: number): Tensor {
  checkFinite('lerp_', 'weight', weight);
  const x = target('lerp_', t);
  const e = checkTensor('lerp_', 'end', end);
  checkSameDevice('lerp_', x, e);
  if (!sameShape(x.shape, e.shape) || e.dtype !== x.dtype) throw new ShapeError(`lerp_: end must match self (${show([...x.shape])}, ${x.dtype})`);
  if (x.size) native.binary(Binary.lerp, weight, 0, ...nv(x), ...nv(x), ...nv(e));
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
  const x = target('adamStep_', p);
  for (const [name, t] of [['grad', g], ['m', m], ['v', v]] as const) {
    const c = checkTensor('adamStep_', name, t);
    if (!sameShape(c.shape, x.shape) || c.dtype !== x.dtype) throw new ShapeError(`adamStep_: ${name} must match the parameter (${show([...x.shape])}, ${x.dtype})`);
    if (!c.isContiguous) throw new ShapeError(`adamStep_: ${name} must be contiguous`);
  }
  if (!x.isContiguous) throw new ShapeError('adamStep_: the parameter must be contiguous');
  m.storage.version++;
  v.storage.version++;
  const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
  if (x.size) native.adamStep(x.size, ...nc(x), ...nc(g), ...nc(m), ...nc(v), o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, bc1, bc2, o.decoupled);
}
