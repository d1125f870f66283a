// SPDX-License-Identifier: MIT
// binary, unary, reduce and view call one another: a binary gradient sums over the broadcast dims
// (reduce), the gradient of expand sums too, unary gradients multiply and select (binary), and
// binary compares with scalars through unary. Imports run one way only (reduce -> binary -> unary,
// reduce -> view); the calls against that direction go through the forwarders below, bound once to
// the real ops by the ops layer's entry (src/ops/index.ts). Modules above src/ops reach ops only
// through that entry (test/layering.test.ts checks it), so the forwarders are bound before any op runs.
import { LcssError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

type TN = Tensor | number;

export interface LateOps {
  add(a: TN, b: TN): Tensor;
  sub(a: TN, b: TN): Tensor;
  mul(a: TN, b: TN): Tensor;
  div(a: TN, b: TN): Tensor;
  where(cond: Tensor, a: TN, b: TN): Tensor;
  ge(a: TN, b: TN): Tensor;
  gt(a: TN, b: TN): Tensor;
  le(a: TN, b: TN): Tensor;
  lt(a: TN, b: TN): Tensor;
  logicalAnd(a: Tensor, b: Tensor): Tensor;
  sumToShape(g: Tensor, shape: readonly number[]): Tensor;
}

let bound: LateOps | null = null;

/** Called once by src/ops/index.ts with the real ops. */
export function bindLateOps(ops: LateOps): void {
  bound = ops;
}

function late(name: string): LateOps {
  if (!bound) throw new LcssError(`${name}: ops were loaded without the ops layer's entry (src/ops/index.ts), which links the op families; import ops from there`);
  return bound;
}

export const add = (a: TN, b: TN): Tensor => late('add').add(a, b);
export const sub = (a: TN, b: TN): Tensor => late('sub').sub(a, b);
export const mul = (a: TN, b: TN): Tensor => late('mul').mul(a, b);
export const div = (a: TN, b: TN): Tensor => late('div').div(a, b);
export const where = (cond: Tensor, a: TN, b: TN): Tensor => late('where').where(cond, a, b);
export const ge = (a: TN, b: TN): Tensor => late('ge').ge(a, b);
export const gt = (a: TN, b: TN): Tensor => late('gt').gt(a, b);
export const le = (a: TN, b: TN): Tensor => late('le').le(a, b);
export const lt = (a: TN, b: TN): Tensor => late('lt').lt(a, b);
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => late('logicalAnd').logicalAnd(a, b);
export const sumToShape = (g: Tensor, shape: readonly number[]): Tensor => late('sumToShape').sumToShape(g, shape);
