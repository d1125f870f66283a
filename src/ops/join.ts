// SPDX-License-Identifier: MIT
// Joining and splitting: cat, stack, split, chunk, pad. cat/pad write their inputs into views of
// one output buffer; split/chunk are views.
import { argError, DTypeError, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { normDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkSameDevice, checkTensor, nv } from './util.js';
import { narrow, slice, unsqueeze } from './view.js';

/** Concatenates tensors (same shape except along dim, same dtype and device) along dim. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw argError('cat', 'tensors', tensors, 'a non-empty array of tensors');
  const ts = tensors.map((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const first = ts[0];
  checkSameDevice('cat', ...ts);
  ts.forEach((t, i) => {
    if (t.ndim === 0) throw new ShapeError(`cat: tensors[${i}] is 0-d; 0-d tensors cannot be concatenated (stack() them)`);
  });
  const d = normDim('cat', dim, first.ndim);
  ts.forEach((t, i) => {
    if (t.dtype !== first.dtype) throw new DTypeError(`cat: tensors[${i}] has dtype ${t.dtype}, expected ${first.dtype}`);
    if (t.ndim !== first.ndim || t.shape.some((s, k) => k !== d && s !== first.shape[k]))
      throw new ShapeError(`cat: tensors[${i}] has shape ${show([...t.shape])}, incompatible with ${show([...first.shape])} outside dim ${d}`);
  });
  const sizes = ts.map((t) => t.shape[d]);
  const shape = [...first.shape];
  shape[d] = sizes.reduce((a, b) => a + b, 0);
  const y = Tensor.empty(shape, first.dtype, first.device);
  let off = 0;
  for (const t of ts) {
    if (t.size) {
      const st = [...y.strides];
      kernels.copy({ y: { buffer: y.storage.buffer, offset: off * y.strides[d], shape: t.shape, strides: st }, x: nv(t) });
    }
    off += t.shape[d];
  }
  return attachGrad(y, 'cat', ts, [], (g, _s, ctx) => {
    let o = 0;
    return sizes.map((n, i) => {
      const r = ctx.needsGrad[i] ? narrow(g, d, o, n) : null;
      o += n;
      return r;
    });
  });
}

/** Stacks same-shaped tensors along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw argError('stack', 'tensors', tensors, 'a non-empty array of tensors');
  const ts = tensors.map((t, i) => checkTensor('stack', `tensors[${i}]`, t));
  ts.forEach((t, i) => {
    if (t.ndim !== ts[0].ndim || t.shape.some((s, k) => s !== ts[0].shape[k]))
      throw new ShapeError(`stack: tensors[${i}] has shape ${show([...t.shape])}, expected ${show([...ts[0].shape])}`);
  });
  const d = normDim('stack', dim, ts[0].ndim + 1);
  const us = ts.map((t) => unsqueeze(t, d));
  const y = cat(us, d);
  us.forEach((u) => u.dispose());
  return y;
}

/** Splits along dim into pieces of `size` (last may be smaller) or of the listed sizes (views). */
export function split(x: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const t = checkTensor('split', 'x', x);
  if (t.ndim === 0) throw new ShapeError('split: cannot split a 0-d tensor');
  if (typeof sizes !== 'number' && !Array.isArray(sizes)) throw argError('split', 'sizes', sizes, 'a positive integer or a list of sizes');
  const d = normDim('split', dim, t.ndim);
  const n = t.shape[d];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) throw argError('split', 'sizes', sizes, 'a positive integer or a list of sizes');
    parts = [];
    for (let o = 0; o < n; o += sizes) parts.push(Math.min(sizes, n - o));
  } else {
    parts = [...sizes];
    if (parts.some((s) => !Number.isInteger(s) || s < 0) || parts.reduce((a, b) => a + b, 0) !== n)
      throw argError('split', 'sizes', sizes, `non-negative integers summing to ${n}`);
  }
  let o = 0;
  return parts.map((p) => {
    const r = slice(t, d, o, o + p);
    o += p;
    return r;
  });
}

/** Splits along dim into `chunks` nearly equal views. */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const t = checkTensor('chunk', 'x', x);
  if (t.ndim === 0) throw new ShapeError('chunk: cannot split a 0-d tensor');
  if (!Number.isInteger(chunks) || chunks < 1) throw argError('chunk', 'chunks', chunks, 'a positive integer');
  const d = normDim('chunk', dim, t.ndim);
  return split(t, Math.max(1, Math.ceil(t.shape[d] / chunks)), d);
}

/**
 * Constant padding, torch.nn.functional.pad order: [left, right] pads the last dim,
 * [left, right, top, bottom] the last two, and so on. Pads must be non-negative.
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  const t = checkTensor('pad', 'x', x);
  if (typeof value !== 'number') throw argError('pad', 'value', value, 'a number');
  if (t.dtype === 'int32' && !(Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1)) throw argError('pad', 'value', value, 'an integer in int32 range for an int32 tensor');
  if (!Array.isArray(pads) || pads.length % 2 || pads.length / 2 > t.ndim || pads.some((p) => !Number.isInteger(p) || p < 0))
    throw argError('pad', 'pads', pads, `an even-length list (at most ${2 * t.ndim}) of non-negative integers`);
  const shape = [...t.shape];
  const lo = new Array<number>(t.ndim).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = t.ndim - 1 - i;
    lo[d] = pads[2 * i];
    shape[d] += pads[2 * i] + pads[2 * i + 1];
  }
  const y = Tensor.empty(shape, t.dtype, t.device);
  if (y.size) kernels.fill({ y: nv(y), value });
  const off = lo.reduce((a, l, d) => a + l * y.strides[d], 0);
  if (t.size) kernels.copy({ y: { buffer: y.storage.buffer, offset: off, shape: t.shape, strides: y.strides }, x: nv(t) });
  return attachGrad(y, 'pad', [t], [], (g) => {
    let r = g;
    lo.forEach((l, d) => {
      if (shape[d] !== t.shape[d]) r = narrow(r, d, l, t.shape[d]);
    });
    return [r];
  });
}
