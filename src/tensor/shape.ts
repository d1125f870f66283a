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
  if (!Number.isInteger(dim) || dim < -n || dim >= n)
    throw new ArgumentError(`${op}: argument '${arg}' got ${show(dim)}, expected an integer in [${-n}, ${n - 1}]`);
  return dim < 0 ? dim + n : dim;
}

export function normDims(op: string, dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (dims === undefined) return [...Array(ndim).keys()];
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(op, d, ndim));
  if (new Set(out).size !== out.length) throw new ArgumentError(`${op}: argument 'dim' got repeated dims ${show(list)}`);
  return out.sort((a, b) => a - b);
}

export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    throw new ShapeError(`${op}: argument '${arg}' got ${show(shape)}, expected an array of non-negative integers`);
  if (shape.length > 8) throw new ShapeError(`${op}: argument '${arg}' has ${shape.length} dims, at most 8 are supported`);
  return shape as number[];
}
