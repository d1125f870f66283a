// SPDX-License-Identifier: MIT
// Deterministic test inputs (a tiny JS PRNG, independent of the engine's generator) and tensor
// <-> reference conversions.
import * as lc from '../../src/index.js';
import { type Nd } from './ref.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface InputSpec {
  shape: number[];
  /** uniform range (default [-2, 2]) */
  lo?: number;
  hi?: number;
  /** keep |v| >= away (kinks of abs/relu, poles of 1/x) */
  away?: number;
  /** integer values in [lo, hi) (index tensors; never differentiated) */
  int?: boolean;
  /** fixed values */
  values?: number[];
  /** this input is not differentiated (indices, conditions) */
  constant?: boolean;
  /** pass as bool */
  bool?: boolean;
}

export function values(spec: InputSpec, seed: number): number[] {
  if (spec.values) return spec.values;
  const r = mulberry32(seed);
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const lo = spec.lo ?? -2, hi = spec.hi ?? 2;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (spec.bool) out.push(r() < 0.5 ? 1 : 0);
    else if (spec.int) out.push(Math.floor(lo + (hi - lo) * r()));
    else if (spec.away) {
      const m = spec.away + (Math.max(Math.abs(lo), Math.abs(hi)) - spec.away) * r();
      out.push(r() < 0.5 ? -m : m);
    } else out.push(lo + (hi - lo) * r());
  }
  return out;
}

export function toTensor(spec: InputSpec, vals: number[], dtype: 'float32' | 'float64'): lc.Tensor {
  const d = spec.bool ? 'bool' : spec.int ? 'int32' : dtype;
  return lc.tensor(vals, { shape: spec.shape, dtype: d });
}

/** The same values as t (after its dtype's rounding), as a float64 reference array. */
export function toNd(t: lc.Tensor): Nd {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync() as ArrayLike<number>) };
}

/** A non-contiguous view with the given values: every other element of a wider tensor. */
export function nonContiguous(t: lc.Tensor): lc.Tensor {
  if (t.ndim === 0) return t;
  const wide = lc.stack([t, lc.zerosLike(t)], t.ndim);  // [..., n, 2]
  const v = lc.select(wide, -1, 0);
  wide.dispose();
  return v;
}

export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (a[i] === b[i]) continue;  // equal infinities
    const e = Math.abs(a[i] - b[i]) / (atol + Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** True when |a - b| <= atol + rtol |b| everywhere (NaNs and equal infinities match). */
export function allClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number): boolean {
  return a.length === b.length && maxRelErr(a, b, atol / rtol) <= rtol;
}
