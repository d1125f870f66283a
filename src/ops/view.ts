// SPDX-License-Identifier: MIT
// Views: new shape/strides/offset over the same storage, no copy (reshape copies only when the
// strides cannot express the new shape). The gradient of a view is the inverse view, or an
// embedding of the gradient into zeros for narrowing views.
import { argError, ShapeError, show } from '../errors.js';
import { attachGrad } from '../autograd/node.js';
import { kernels } from '../native.js';
import { checkShape, contiguousStrides, normDim, normDims, numel, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
// reduce imports this file: sumToShape comes through the forwarder of late.ts
import { sumToShape } from './late.js';
import { checkTensor, nv } from './util.js';

/** Strides that view (oldShape, oldStrides) as newShape, or null when a copy is needed. */
function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (numel(oldShape) === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let base = oldStrides[oldStrides.length - 1];
  let tn = 1, vn = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tn *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tn * base)) {
      while (viewD >= 0 && (vn < tn || newShape[viewD] === 1)) {
        out[viewD] = vn * base;
        vn *= newShape[viewD];
        viewD--;
      }
      if (vn !== tn) return null;
      if (d > 0) {
        base = oldStrides[d - 1];
        tn = 1;
        vn = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

function inferShape(op: string, t: Tensor, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw argError(op, 'shape', shape, 'an array of non-negative integers (one may be -1)');
  const s = [...shape];
  const neg = s.filter((d) => d === -1).length;
  if (neg > 1 || s.some((d) => !Number.isInteger(d) || d < -1)) throw argError(op, 'shape', shape, 'non-negative integers with at most one -1');
  const known = s.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (neg) {
    if (known === 0 || t.size % known !== 0) throw new ShapeError(`${op}: cannot reshape ${t.size} elements (shape ${show([...t.shape])}) to ${show(s)}`);
    s[s.indexOf(-1)] = t.size / known;
  }
  if (numel(s) !== t.size) throw new ShapeError(`${op}: cannot reshape ${t.size} elements (shape ${show([...t.shape])}) to ${show(s)}`);
  return checkShape(op, 'shape', s);
}

/** Same data with a new shape (one dim may be -1); a copy only when strides cannot express it. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const t = checkTensor('reshape', 'x', x);
  const s = inferShape('reshape', t, shape);
  let st = viewStrides(t.shape, t.strides, s);
  let src = t;
  if (!st) {
    src = contiguous(t);
    st = contiguousStrides(s);
  }
  const y = Tensor.view(src, s, st, src.offset);
  if (src !== t) src.dispose();
  return attachGrad(y, 'reshape', [t], [], (g) => [reshape(g, t.shape)]);
}

/** Like reshape but never copies: throws when the strides cannot express the shape. */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const t = checkTensor('view', 'x', x);
  const s = inferShape('view', t, shape);
  const st = viewStrides(t.shape, t.strides, s);
  if (!st) throw new ShapeError(`view: shape ${show([...t.shape])} with strides ${show([...t.strides])} cannot be viewed as ${show(s)}; use reshape() (copies)`);
  return attachGrad(Tensor.view(t, s, st, t.offset), 'view', [t], [], (g) => [reshape(g, t.shape)]);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const t = checkTensor('permute', 'x', x);
  if (!Array.isArray(dims) || dims.length !== t.ndim) throw argError('permute', 'dims', dims, `a permutation of the ${t.ndim} dims`);
  const p = dims.map((d) => normDim('permute', d, t.ndim, 'dims'));
  if (new Set(p).size !== p.length) throw argError('permute', 'dims', dims, 'a permutation (no repeats)');
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  const y = Tensor.view(t, p.map((d) => t.shape[d]), p.map((d) => t.strides[d]), t.offset);
  return attachGrad(y, 'permute', [t], [], (g) => [permute(g, inv)]);
}

export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const t = checkTensor('transpose', 'x', x);
  const a = normDim('transpose', dim0, t.ndim, 'dim0'), b = normDim('transpose', dim1, t.ndim, 'dim1');
  if (t.ndim < 2) return attachGrad(Tensor.view(t, t.shape, t.strides, t.offset), 'transpose', [t], [], (g) => [g]);
  const p = [...Array(t.ndim).keys()];
  [p[a], p[b]] = [p[b], p[a]];
  return permute(t, p);
}

/** A view op that indexes one dimension: a 0-d tensor has none (normDim lets dim 0 pass for reductions). */
function indexedDim(op: string, t: Tensor, dim: number): number {
  if (t.ndim === 0) throw new ShapeError(`${op}: cannot be applied to a 0-d tensor (it has no dimension ${show(dim)})`);
  return normDim(op, dim, t.ndim);
}

/** Elements [start, start + length) of dimension `dim`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const t = checkTensor('narrow', 'x', x);
  const d = indexedDim('narrow', t, dim);
  const n = t.shape[d];
  if (!Number.isInteger(start) || start < -n || start > n) throw argError('narrow', 'start', start, `an integer in [${-n}, ${n}]`);
  const s0 = start < 0 ? start + n : start;
  if (!Number.isInteger(length) || length < 0 || s0 + length > n) throw argError('narrow', 'length', length, `an integer in [0, ${n - s0}]`);
  return slice(t, d, s0, s0 + length);
}

/** Python-style slice start:end:step along `dim` (negative start/end count from the end). */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  const t = checkTensor('slice', 'x', x);
  const d = indexedDim('slice', t, dim);
  const n = t.shape[d];
  if (!Number.isInteger(step) || step < 1) throw argError('slice', 'step', step, 'a positive integer');
  const clampIdx = (v: number | undefined, def: number, name: string) => {
    if (v === undefined) return def;
    if (!Number.isInteger(v)) throw argError('slice', name, v, 'an integer');
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, 0), n);
  };
  const s0 = clampIdx(start, 0, 'start'), e0 = Math.max(clampIdx(end, n, 'end'), s0);
  const len = Math.ceil((e0 - s0) / step);
  const shape = [...t.shape], strides = [...t.strides];
  shape[d] = len;
  strides[d] = t.strides[d] * step;
  const y = Tensor.view(t, shape, strides, t.offset + s0 * t.strides[d]);
  return attachGrad(y, 'slice', [t], [], (g) => [embedInto(g, t.shape, (z) => slice(z, d, s0, e0, step))]);
}

/** Index `index` of dimension `dim`, removing that dimension. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const t = checkTensor('select', 'x', x);
  const d = indexedDim('select', t, dim);
  const n = t.shape[d];
  if (!Number.isInteger(index) || index < -n || index >= n) throw argError('select', 'index', index, `an integer in [${-n}, ${n - 1}]`);
  const i = index < 0 ? index + n : index;
  const shape = t.shape.filter((_, k) => k !== d), strides = t.strides.filter((_, k) => k !== d);
  const y = Tensor.view(t, shape, strides, t.offset + i * t.strides[d]);
  return attachGrad(y, 'select', [t], [], (g) => [embedInto(g, t.shape, (z) => select(z, d, i))]);
}

/**
 * zeros(shape) with `g` written into the view `region(zeros)`: the gradient of a narrowing view.
 * Its own gradient is the same view of the incoming gradient.
 */
export function embedInto(g: Tensor, shape: readonly number[], region: (t: Tensor) => Tensor): Tensor {
  const z = Tensor.empty(shape, g.dtype, g.device);
  if (z.size) kernels.fill({ y: nv(z), value: 0 });
  const v = region(detachView(z));
  if (!sameShape(v.shape, g.shape)) throw new ShapeError(`embed: region shape ${show([...v.shape])} != gradient shape ${show([...g.shape])}`);
  if (v.size) kernels.copy({ y: nv(v), x: nv(g) });
  v.dispose();
  return attachGrad(z, 'embed', [g], [], (gg) => [region(gg)]);
}

/** A view without graph, for writing into (internal). */
function detachView(t: Tensor): Tensor {
  return Tensor.view(t, t.shape, t.strides, t.offset);
}

/** Broadcasts to `shape` as a stride-0 view (-1 keeps a dim). Gradient sums back. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const t = checkTensor('expand', 'x', x);
  if (!Array.isArray(shape) || shape.length < t.ndim) throw argError('expand', 'shape', shape, `at least ${t.ndim} dims`);
  const off = shape.length - t.ndim;
  const outShape: number[] = [], strides: number[] = [];
  shape.forEach((s, i) => {
    const k = i - off;
    const src = k >= 0 ? t.shape[k] : 1;
    const target = s === -1 ? src : s;
    if (!Number.isInteger(target) || target < 0 || (k < 0 && s === -1)) throw argError('expand', 'shape', shape, 'non-negative sizes (-1 only for existing dims)');
    if (src !== target && src !== 1) throw new ShapeError(`expand: cannot expand shape ${show([...t.shape])} to ${show([...shape])} (dim ${i}: ${src} vs ${target})`);
    outShape.push(target);
    strides.push(k < 0 || (src === 1 && target !== 1) ? 0 : t.strides[k]);
  });
  if (sameShape(outShape, t.shape)) return attachGrad(Tensor.view(t, t.shape, t.strides, t.offset), 'expand', [t], [], (g) => [g]);
  const y = Tensor.view(t, outShape, strides, t.offset);
  return attachGrad(y, 'expand', [t], [], (g) => [sumToShape(g, t.shape)]);
}

export const broadcastTo = expand;

export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const t = checkTensor('squeeze', 'x', x);
  const dims = dim === undefined || dim === null ? t.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0)
    : normDims('squeeze', dim, t.ndim).filter((d) => d < t.ndim && t.shape[d] === 1);
  const shape = t.shape.filter((_, i) => !dims.includes(i)), strides = t.strides.filter((_, i) => !dims.includes(i));
  return attachGrad(Tensor.view(t, shape, strides, t.offset), 'squeeze', [t], [], (g) => [reshape(g, t.shape)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const t = checkTensor('unsqueeze', 'x', x);
  const d = normDim('unsqueeze', dim, t.ndim + 1);
  const shape = [...t.shape], strides = [...t.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < t.ndim ? t.strides[d] * t.shape[d] : 1);
  return attachGrad(Tensor.view(t, shape, strides, t.offset), 'unsqueeze', [t], [], (g) => [reshape(g, t.shape)]);
}

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const t = checkTensor('flatten', 'x', x);
  if (t.ndim === 0) return reshape(t, [1]);
  const a = normDim('flatten', startDim, t.ndim, 'startDim'), b = normDim('flatten', endDim, t.ndim, 'endDim');
  if (a > b) throw argError('flatten', 'endDim', endDim, `a dim >= startDim (${startDim})`);
  const shape = [...t.shape.slice(0, a), numel(t.shape.slice(a, b + 1)), ...t.shape.slice(b + 1)];
  return reshape(t, shape);
}

/** Reverses the order of elements along dims (a view with negative strides). */
export function flip(x: Tensor, dims: number | number[]): Tensor {
  const t = checkTensor('flip', 'x', x);
  if (dims === undefined || dims === null) throw argError('flip', 'dims', dims, 'a dim or an array of dims');
  // repeated dims are refused (flip(x, [0, 0]) used to shift the offset twice, outside the
  // storage); a 0-d tensor has nothing to flip
  const ds = normDims('flip', dims, t.ndim).filter((d) => d < t.ndim);
  const strides = [...t.strides];
  let off = t.offset;
  for (const d of ds) {
    if (t.shape[d] > 0) off += (t.shape[d] - 1) * t.strides[d];
    strides[d] = -t.strides[d];
  }
  return attachGrad(Tensor.view(t, t.shape, strides, off), 'flip', [t], [], (g) => [flip(g, ds)]);
}

/** x itself when contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  const t = checkTensor('contiguous', 'x', x);
  if (t.isContiguous) return t;
  const y = Tensor.empty(t.shape, t.dtype, t.device);
  if (y.size) kernels.copy({ y: nv(y), x: nv(t) });
  return attachGrad(y, 'contiguous', [t], [], (g) => [g]);
}
