// SPDX-License-Identifier: MIT
// Shape arithmetic shared by the ops: contiguous strides, broadcasting, dim normalisation.
import { ArgumentError, ShapeError, show } from '../errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== s) return false;
    s *= shape[i];
  }
  return true;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const nd = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = nd - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new ShapeError(`${op}: shapes ${shapes.map((x) => show([...x])).join(' and ')} cannot be broadcast together (dim ${o}: ${out[o]} vs ${d})`);
    }
  }
  return out;
}

/** Normalises a possibly negative dim against `ndim` (a scalar counts as ndim 1 for dim 0/-1). */
export function normDim(op: string, dim: number, ndim: number, arg = 'dim'): number {
  const n = Math.max(ndim, 1);
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < -n || dim >= n)
    throw new ArgumentError(`${op}: argument '${arg}' got ${show(dim)}, expected an integer in [${-n}, ${n - 1}]`);
  return dim < 0 ? dim + n : dim;
}

export function normDims(op: string, dims: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dims === undefined || dims === null) return [...Array(ndim).keys()];
  if (typeof dims !== 'number' && !Array.isArray(dims))
    throw new ArgumentError(`${op}: argument 'dim' got ${show(dims)}, expected a dim (integer) or an array of dims`);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(op, d, ndim));
  if (new Set(out).size !== out.length) throw new ArgumentError(`${op}: argument 'dim' got repeated dims ${show(list)}`);
  // a 0-d tensor accepts dim 0 / -1 (as torch does) and has no dim to act on
  return ndim === 0 ? [] : out.sort((a, b) => a - b);
}

/**
 * The most elements one tensor may have: 2^53, the largest count a JS number holds exactly (the
 * native side refuses more too), so no size computed from a shape can round or wrap.
 */
export const MAX_ELEMENTS = 2 ** 53;

export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    throw new ShapeError(`${op}: argument '${arg}' got ${show(shape)}, expected an array of non-negative integers`);
  if (shape.length > 8) throw new ShapeError(`${op}: argument '${arg}' has ${shape.length} dims, at most 8 are supported`);
  checkNumel(op, arg, shape as number[]);
  return shape as number[];
}

/** Refuses shapes whose element count exceeds MAX_ELEMENTS (checked without rounding). */
export function checkNumel(op: string, arg: string, shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (d === 0) return 0;
    n *= d;
  }
  if (n > MAX_ELEMENTS)
    throw new ShapeError(`${op}: argument '${arg}' got shape ${show([...shape])} with ${n.toExponential(3)} elements, more than the 2^53 one tensor may hold`);
  return n;
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Checks a strided view of a storage of `capacity` elements: shape and strides are integer arrays
 * of one length (at most 8), the offset a non-negative integer, and every element the view can
 * reach lies inside the storage. Returns null when it does, else what is wrong.
 */
export function viewProblem(shape: unknown, strides: unknown, offset: unknown, capacity: number): string | null {
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => isIndex(d) && d >= 0))
    return `shape ${show(shape)} is not an array of at most 8 non-negative integers`;
  if (!Array.isArray(strides) || strides.length !== shape.length || !strides.every(isIndex))
    return `strides ${show(strides)} are not ${shape.length} integers`;
  if (!isIndex(offset) || offset < 0) return `offset ${show(offset)} is not a non-negative integer`;
  let n = 1, lo = offset, hi = offset;
  for (let d = 0; d < shape.length; d++) {
    n *= shape[d];
    const ext = (shape[d] - 1) * strides[d];
    if (ext > 0) hi += ext;
    else lo += ext;
  }
  if (n > MAX_ELEMENTS) return `shape ${show(shape)} has more than 2^53 elements`;
  if (n === 0) return offset <= capacity ? null : `offset ${offset} is past the end of a storage of ${capacity} elements`;
  // every partial sum is exact: |ext| < 2^106 would not be, so refuse anything past 2^53 first
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo < 0 || hi >= capacity)
    return `shape ${show(shape)} with strides ${show(strides)} at offset ${offset} reaches elements ${lo}..${hi}, outside a storage of ${capacity} elements`;
  return null;
}
