// SPDX-License-Identifier: MIT
import { ShapeError, show } from '../errors.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { mul } from './binary.js';
import { matmul } from './linalg.js';
import { softmax } from './softmax.js';
import { checkFloatTensor } from './util.js';
import { transpose } from './view.js';

/** softmax(q k^T * scale) v for q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv]; scale = 1/sqrt(d). */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, scale?: number): Tensor {
  const Q = checkFloatTensor('attention', 'q', q), K = checkFloatTensor('attention', 'k', k), V = checkFloatTensor('attention', 'v', v);
  if (Q.ndim < 2 || K.ndim < 2 || V.ndim < 2 || Q.shape[Q.ndim - 1] !== K.shape[K.ndim - 1] || K.shape[K.ndim - 2] !== V.shape[V.ndim - 2])
    throw new ShapeError(`attention: incompatible shapes q ${show([...Q.shape])}, k ${show([...K.shape])}, v ${show([...V.shape])}`);
  const s = scale ?? 1 / Math.sqrt(Q.shape[Q.ndim - 1]);
  return tidy(() => matmul(softmax(mul(matmul(Q, transpose(K)), s), -1), V));
}
