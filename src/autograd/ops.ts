// SPDX-License-Identifier: MIT
// The few ops autograd itself runs: summing gradients that meet, copying a gradient the caller
// will own, ones to seed backward, and the flattening gradcheck does. Ops sit above autograd (every
// op records its node with attachGrad), so autograd takes them as forwarders, bound once by the ops
// layer's entry (src/ops/index.ts) rather than by importing src/ops.
import { LcssError } from '../errors.js';
import type { Device } from '../tensor/device.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AutogradOps {
  add(a: Tensor, b: Tensor): Tensor;
  clone(x: Tensor): Tensor;
  detach(x: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  zeros(shape: number[], o?: { dtype?: DType; device?: Device }): Tensor;
  cat(tensors: readonly Tensor[], dim?: number): Tensor;
  reshape(x: Tensor, shape: readonly number[]): Tensor;
}

let bound: AutogradOps | null = null;

/** Called once by src/ops/index.ts with the real ops. */
export function bindAutogradOps(ops: AutogradOps): void {
  bound = ops;
}

function ops(name: string): AutogradOps {
  if (!bound) throw new LcssError(`${name}: autograd ran before the ops layer's entry (src/ops/index.ts) was loaded; import ops from there`);
  return bound;
}

export const add = (a: Tensor, b: Tensor): Tensor => ops('add').add(a, b);
export const clone = (x: Tensor): Tensor => ops('clone').clone(x);
export const detach = (x: Tensor): Tensor => ops('detach').detach(x);
export const onesLike = (t: Tensor): Tensor => ops('onesLike').onesLike(t);
export const zeros = (shape: number[], o?: { dtype?: DType; device?: Device }): Tensor => ops('zeros').zeros(shape, o);
export const cat = (tensors: readonly Tensor[], dim?: number): Tensor => ops('cat').cat(tensors, dim);
export const reshape = (x: Tensor, shape: readonly number[]): Tensor => ops('reshape').reshape(x, shape);
