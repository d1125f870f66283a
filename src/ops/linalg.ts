// SPDX-License-Identifier: MIT
// Matrix products on the packed GEMM kernel. Transposes and broadcast batch dims are strides
// handed to the kernel (no copies) whenever they can be expressed as one batch stride.
import { ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { tidy } from '../tensor/scope.js';
import { broadcastShapes, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { sumToShape, sum } from './reduce.js';
import { checkFloatTensor, checkSameDevice, checkSameDType, nc, nv } from './util.js';
import { contiguous, reshape, transpose, unsqueeze, squeeze } from './view.js';

/** Strides of t's batch dims broadcast to outBatch, coalesced to one stride, or null. */
function batchStride(t: Tensor, outBatch: readonly number[]): number | null {
  const nb = t.ndim - 2, off = outBatch.length - nb;
  const st: number[] = outBatch.map((s, i) => {
    const k = i - off;
    if (k < 0 || (t.shape[k] === 1 && s !== 1)) return 0;
    return t.strides[k];
  });
  // batch index b = sum_i idx_i * prod(outBatch[i+1:]) must map to b * stride
  let stride: number | null = null, inner = 1;
  for (let i = outBatch.length - 1; i >= 0; i--) {
    if (outBatch[i] !== 1) {
      if (stride === null) stride = st[i] / inner;
      if (st[i] !== stride * inner) return null;
    }
    inner *= outBatch[i];
  }
  return stride ?? 0;
}

/** Materialises t broadcast to [...outBatch, r, c] (used when strides cannot be coalesced). */
function materialise(t: Tensor, outBatch: readonly number[]): Tensor {
  const shape = [...outBatch, t.shape[t.ndim - 2], t.shape[t.ndim - 1]];
  const y = Tensor.empty(shape, t.dtype, t.device);
  const off = shape.length - t.ndim;
  const strides = shape.map((s, i) => {
    const k = i - off;
    return k < 0 || (t.shape[k] === 1 && s !== 1) ? 0 : t.strides[k];
  });
  if (y.size) kernels.copy({ y: nv(y), x: { buffer: t.storage.buffer, offset: t.offset, shape: shape, strides: strides } });
  return y;
}

/** C = A @ B for a, b with >= 2 dims (batch dims broadcast). */
function matmul2d(a: Tensor, b: Tensor): Tensor {
  const M = a.shape[a.ndim - 2], K = a.shape[a.ndim - 1], K2 = b.shape[b.ndim - 2], N = b.shape[b.ndim - 1];
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${show([...a.shape])} @ ${show([...b.shape])} (${K} vs ${K2})`);
  const outBatch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const y = Tensor.empty([...outBatch, M, N], a.dtype, a.device);
  if (y.size) {
    let A = a, B = b;
    let as = batchStride(a, outBatch), bs = batchStride(b, outBatch);
    if (as === null) { A = materialise(a, outBatch); as = M * K; }
    if (bs === null) { B = materialise(b, outBatch); bs = K * N; }
    kernels.gemm({ batch: numel(outBatch), M, N, K,
      a: nc(A), aBatchStride: as, aRowStride: A.strides[A.ndim - 2], aColStride: A.strides[A.ndim - 1],
      b: nc(B), bBatchStride: bs, bRowStride: B.strides[B.ndim - 2], bColStride: B.strides[B.ndim - 1],
      c: nc(y), cBatchStride: M * N, cRowStride: N, alpha: 1, beta: 0 });
    if (A !== a) A.dispose();
    if (B !== b) B.dispose();
  }
  return attachGrad(y, 'matmul', [a, b], [a, b], (g, [a, b], ctx) => [
    ctx.needsGrad[0] ? sumToShape(matmul(g, transpose(b)), a.shape) : null,
    ctx.needsGrad[1] ? sumToShape(matmul(transpose(a), g), b.shape) : null,
  ]);
}

/** Matrix product with torch semantics: 1-D operands are vectors, batch dims broadcast. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const x = checkFloatTensor('matmul', 'a', a), w = checkFloatTensor('matmul', 'b', b);
  checkSameDevice('matmul', x, w);
  checkSameDType('matmul', ['a', 'b'], [x, w]);
  if (x.ndim === 0 || w.ndim === 0) throw new ShapeError(`matmul: operands must have at least 1 dim (got ${show([...x.shape])} and ${show([...w.shape])})`);
  if (x.ndim >= 2 && w.ndim >= 2) return matmul2d(x, w);
  return tidy(() => {
    const A = x.ndim === 1 ? unsqueeze(x, 0) : x;
    const B = w.ndim === 1 ? unsqueeze(w, 1) : w;
    let y = matmul2d(A, B);
    if (w.ndim === 1) y = squeeze(y, -1);
    if (x.ndim === 1) y = squeeze(y, x.ndim === 1 && w.ndim === 1 ? -1 : -2);
    return y;
  });
}

/**
 * The one stride between consecutive rows of t's leading dims flattened (row r at offset r * s),
 * or null when the leading dims' strides cannot be expressed that way. Size-1 dims never move.
 */
export function rowStride(t: Tensor): number | null {
  let stride: number | null = null, inner = 1;
  for (let i = t.ndim - 2; i >= 0; i--) {
    const n = t.shape[i];
    if (n !== 1) {
      if (stride === null) stride = t.strides[i] / inner;
      if (t.strides[i] !== stride * inner) return null;
    }
    inner *= n;
  }
  return stride === null ? t.shape[t.ndim - 1] : Number.isInteger(stride) ? stride : null;
}

/** y = x @ w^T + b with x [..., in], w [out, in], b [out] (one GEMM, bias folded in). */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  const t = checkFloatTensor('linear', 'x', x), W = checkFloatTensor('linear', 'weight', w);
  const B = b ? checkFloatTensor('linear', 'bias', b) : null;
  checkSameDevice('linear', t, W, B);
  checkSameDType('linear', ['x', 'weight', 'bias'], [t, W, B]);
  if (W.ndim !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${show([...W.shape])}`);
  const [out, inF] = W.shape;
  if (t.ndim < 1 || t.shape[t.ndim - 1] !== inF)
    throw new ShapeError(`linear: x has shape ${show([...t.shape])}, expected last dim ${inF} (weight ${show([...W.shape])})`);
  if (B && (B.ndim !== 1 || B.shape[0] !== out)) throw new ShapeError(`linear: bias has shape ${show([...B.shape])}, expected [${out}]`);
  const R = numel(t.shape.slice(0, -1));
  const y = Tensor.empty([...t.shape.slice(0, -1), out], t.dtype, t.device);
  if (y.size) {
    // The R rows of x (all leading dims flattened) must be one stride apart; when the leading
    // dims' strides cannot be folded into one, x is copied. (The stride used to be read from dim
    // -2 whenever x counted as contiguous, which ignores size-1 dims: a [2, 1, 3] view with a
    // non-standard stride on its size-1 dim gave rows 0 and 2 instead of 0 and 1.)
    let xc = t, xrs = rowStride(t);
    if (xrs === null) {
      xc = contiguous(t);
      xrs = inF;
    }
    const xcs = xc.strides[xc.ndim - 1];
    if (B) kernels.copy({ y: { buffer: y.storage.buffer, offset: 0, shape: [R, out], strides: [out, 1] }, x: { buffer: B.storage.buffer, offset: B.offset, shape: [R, out], strides: [0, B.strides[0]] } });
    kernels.gemm({ batch: 1, M: R, N: out, K: inF,
      a: nc(xc), aBatchStride: 0, aRowStride: xrs, aColStride: xcs,
      b: nc(W), bBatchStride: 0, bRowStride: W.strides[1], bColStride: W.strides[0],
      c: { buffer: y.storage.buffer, offset: 0 }, cBatchStride: 0, cRowStride: out, alpha: 1, beta: B ? 1 : 0 });
    if (xc !== t) xc.dispose();
  }
  return attachGrad(y, 'linear', [t, W, B], [t, W], (g, [t, W], ctx) => {
    const g2 = reshape(g, [R, out]);
    return [
      ctx.needsGrad[0] ? matmul(g, W) : null,
      ctx.needsGrad[1] ? matmul(transpose(g2), reshape(t, [R, inF])) : null,
      ctx.needsGrad[2] ? sum(g2, 0) : null,
    ];
  });
}

/** Batched matrix product of [B, n, m] and [B, m, p]. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  const x = checkFloatTensor('bmm', 'a', a), w = checkFloatTensor('bmm', 'b', b);
  if (x.ndim !== 3 || w.ndim !== 3 || x.shape[0] !== w.shape[0])
    throw new ShapeError(`bmm: expected [B, n, m] and [B, m, p], got ${show([...x.shape])} and ${show([...w.shape])}`);
  return matmul(x, w);
}
