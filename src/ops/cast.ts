// SPDX-License-Identifier: MIT
// dtype conversion, copies across devices, clone and detach.
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { device as toDevice, type DeviceLike } from '../tensor/device.js';
import { checkDType, isFloat, type DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensor, nv } from './util.js';

/**
 * A copy converted to `dtype`. float -> int32 truncates toward zero and saturates at the int32
 * range, NaN becoming 0 (what CUDA's conversion does; a plain C++ conversion of those values is
 * undefined); -> bool is "nonzero".
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  const t = checkTensor('cast', 'x', x);
  const d = checkDType('cast', 'dtype', dtype);
  const y = Tensor.empty(t.shape, d, t.device);
  if (y.size) kernels.copy({ y: nv(y), x: nv(t) });
  if (!isFloat(d) || !isFloat(t.dtype)) return y;
  return attachGrad(y, 'cast', [t], [], (g) => [cast(g, t.dtype)]);
}

/** A contiguous copy (gradient flows through). */
export function clone(x: Tensor): Tensor {
  const t = checkTensor('clone', 'x', x);
  const y = Tensor.empty(t.shape, t.dtype, t.device);
  if (y.size) kernels.copy({ y: nv(y), x: nv(t) });
  return attachGrad(y, 'clone', [t], [], (g) => [g]);
}

/** The same data, cut from the autograd graph (shares storage, no copy). */
export function detach(x: Tensor): Tensor {
  const t = checkTensor('detach', 'x', x);
  return Tensor.view(t, t.shape, t.strides, t.offset);
}

/** A copy on another device (the same tensor when already there). */
export function to(x: Tensor, dev: DeviceLike): Tensor {
  const t = checkTensor('to', 'x', x);
  const d = toDevice(dev);
  if (d.equals(t.device)) return t;
  const y = Tensor.empty(t.shape, t.dtype, d);
  if (y.size) kernels.copy({ y: nv(y), x: nv(t) });
  return attachGrad(y, 'to', [t], [], (g) => [to(g, t.device)]);
}
