// SPDX-License-Identifier: MIT
// The few ops the backward engine itself needs.
import { add, clone, detach, onesLike } from './ops.js';
import type { Tensor } from '../tensor/tensor.js';

export function addGrads(a: Tensor, b: Tensor): Tensor {
  return add(a, b);
}

/** A gradient tensor the caller owns: a graph-recording clone under createGraph, else a plain copy. */
export function cloneTensor(g: Tensor, createGraph: boolean): Tensor {
  if (createGraph) return clone(g);
  const d = detach(g);
  const c = clone(d);
  d.dispose();
  return c;
}

export function onesLikeNoGrad(t: Tensor): Tensor {
  return onesLike(t);
}
