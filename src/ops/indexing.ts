// SPDX-License-Identifier: MIT
// Indexing: indexSelect / embedding and gather / scatterAdd. Each pair is adjoint, so gradients of
// any order stay on the native kernels. Indices are int32; out-of-range ones raise an error.
import { DTypeError, IndexError, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './cast.js';
import { checkSameDevice, checkTensor, nc, nv } from './util.js';
import { contiguous, reshape } from './view.js';


/** The int32 contiguous form of an index argument (a temporary when it had to be made). */
function indexTensor(op: string, arg: string, idx: unknown): Tensor {
  const t = checkTensor(op, arg, idx);
  if (t.dtype === 'float32' || t.dtype === 'float64') {
    throw new DTypeError(`${op}: argument '${arg}' has dtype ${t.dtype}, expected int32 indices (use .cast('int32'))`);
  }
  const i = t.dtype === 'int32' ? t : cast(t, 'int32');
  const c = contiguous(i);
  if (c !== i && i !== t) i.dispose();
  return c;
}

/** Frees an index temporary made by indexTensor (the graph keeps its own reference). */
function release(made: Tensor, given: unknown): void {
  if (made !== given) made.dispose();
}

/**
 * When the output is empty the kernel never runs, so it never sees the indices: check them here
 * (indexSelect(zeros([0, 4]), 1, [9]) used to succeed).
 */
function checkIndicesOfEmpty(op: string, idx: Tensor, D: number): void {
  if (!idx.size) return;
  for (const v of idx.dataSync())
    if (v < 0 || v >= D) throw new IndexError(`${op}: index ${v} is out of range for a dimension of size ${D}`);
}

function split3(shape: readonly number[], d: number): [number, number, number] {
  return [numel(shape.slice(0, d)), shape[d], numel(shape.slice(d + 1))];
}

function zerosOf(shape: readonly number[], t: Tensor): Tensor {
  const z = Tensor.empty(shape, t.dtype, t.device);
  if (z.size) kernels.fill({ y: nv(z), value: 0 });
  return z;
}

/** Rows `index` (1-D int32) of dimension `dim`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const t = checkTensor('indexSelect', 'x', x);
  if (t.ndim === 0) throw new ShapeError('indexSelect: cannot index a 0-d tensor');
  const d = normDim('indexSelect', dim, t.ndim);
  const idx = indexTensor('indexSelect', 'index', index);
  try {
    checkSameDevice('indexSelect', t, idx);
    if (idx.ndim !== 1) throw new ShapeError(`indexSelect: index must be 1-D, got shape ${show([...idx.shape])}`);
    const [outer, D, inner] = split3(t.shape, d);
    const M = idx.shape[0];
    const shape = [...t.shape];
    shape[d] = M;
    const y = Tensor.empty(shape, t.dtype, t.device);
    const xc = contiguous(t);
    try {
      if (y.size) kernels.indexSelect({ outer, D, inner, M, x: nc(xc), index: nc(idx), y: nc(y) });
      else checkIndicesOfEmpty('indexSelect', idx, D);
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (xc !== t) xc.dispose();
    }
    return attachGrad(y, 'indexSelect', [t], [idx], (g, [idx]) => [indexAddInto(t.shape, d, idx, g)]);
  } finally {
    release(idx, index);
  }
}

/** zeros(shape) with g's rows added at `idx` along dim: the gradient of indexSelect. */
function indexAddInto(shape: readonly number[], d: number, idx: Tensor, g: Tensor): Tensor {
  const [outer, D, inner] = split3(shape, d);
  const out = zerosOf(shape, g);
  const gc = contiguous(g);
  if (gc.size) kernels.indexAdd({ outer, D, inner, M: idx.shape[0], y: nc(out), index: nc(idx), src: nc(gc) });
  if (gc !== g) gc.dispose();
  return attachGrad(out, 'indexAdd', [g], [idx], (gg, [idx]) => [indexSelect(gg, d, idx)]);
}

/** Embedding lookup: weight [num, dim] rows at integer `indices` (any shape) -> [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  const w = checkTensor('embedding', 'weight', weight);
  if (w.ndim !== 2) throw new ShapeError(`embedding: weight must be [num, dim], got ${show([...w.shape])}`);
  const idx = indexTensor('embedding', 'indices', indices);
  try {
    const flat = reshape(idx, [-1]);
    const rows = indexSelect(w, 0, flat);
    const out = reshape(rows, [...idx.shape, w.shape[1]]);
    if (flat !== idx) flat.dispose();
    rows.dispose();
    return out;
  } finally {
    release(idx, indices);
  }
}

function checkGatherShapes(op: string, x: Tensor, idx: Tensor, d: number): void {
  if (idx.ndim !== x.ndim || idx.shape.some((s, i) => i !== d && s !== x.shape[i]))
    throw new ShapeError(`${op}: index shape ${show([...idx.shape])} must equal x shape ${show([...x.shape])} except along dim ${d}`);
}

/** out[..., i, ...] = x[..., index[..., i, ...], ...] along dim (index matches x except along dim). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const t = checkTensor('gather', 'x', x);
  if (t.ndim === 0) throw new ShapeError('gather: cannot index a 0-d tensor');
  const d = normDim('gather', dim, t.ndim);
  const idx = indexTensor('gather', 'index', index);
  try {
    checkSameDevice('gather', t, idx);
    checkGatherShapes('gather', t, idx, d);
    const [outer, D, inner] = split3(t.shape, d);
    const y = Tensor.empty(idx.shape, t.dtype, t.device);
    const xc = contiguous(t);
    try {
      if (y.size) kernels.gather({ outer, D, inner, M: idx.shape[d], x: nc(xc), index: nc(idx), y: nc(y) });
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (xc !== t) xc.dispose();
    }
    return attachGrad(y, 'gather', [t], [idx], (g, [idx]) => [scatterAdd(zerosOf(t.shape, g), d, idx, g)]);
  } finally {
    release(idx, index);
  }
}

/** A copy of x with src added at index along dim (repeated indices accumulate). */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const t = checkTensor('scatterAdd', 'x', x), s = checkTensor('scatterAdd', 'src', src);
  if (t.ndim === 0) throw new ShapeError('scatterAdd: cannot index a 0-d tensor');
  if (s.dtype !== t.dtype) throw new DTypeError(`scatterAdd: src has dtype ${s.dtype}, expected ${t.dtype} like x`);
  const d = normDim('scatterAdd', dim, t.ndim);
  const idx = indexTensor('scatterAdd', 'index', index);
  try {
    checkSameDevice('scatterAdd', t, idx, s);
    checkGatherShapes('scatterAdd', t, idx, d);
    if (s.ndim !== idx.ndim || s.shape.some((v, i) => v !== idx.shape[i]))
      throw new ShapeError(`scatterAdd: src shape ${show([...s.shape])} must equal index shape ${show([...idx.shape])}`);
    const [outer, D, inner] = split3(t.shape, d);
    const y = Tensor.empty(t.shape, t.dtype, t.device);
    const sc = contiguous(s);
    try {
      if (y.size) kernels.copy({ y: nv(y), x: nv(t) });
      if (idx.size) kernels.scatterAdd({ outer, D, inner, M: idx.shape[d], y: nc(y), index: nc(idx), src: nc(sc) });
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (sc !== s) sc.dispose();
    }
    return attachGrad(y, 'scatterAdd', [t, s], [idx], (g, [idx], ctx) => [
      ctx.needsGrad[0] ? g : null,
      ctx.needsGrad[1] ? gather(g, d, idx) : null,
    ]);
  } finally {
    release(idx, index);
  }
}
