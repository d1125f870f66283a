// SPDX-License-Identifier: MIT
// Telling a Tensor from other values without importing its class: tensor.ts imports scope.ts (every
// new tensor joins the open tidy scope), so scope.ts recognises tensors by this module's symbol,
// which only the Tensor class sets. Not Symbol.for: a second copy of the library has its own.
import type { Tensor } from './tensor.js';

export const TENSOR: unique symbol = Symbol('lcss.Tensor');

export function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && (v as { [TENSOR]?: unknown })[TENSOR] === true;
}
