// SPDX-License-Identifier: MIT
// Sample-quality metrics for low-dimensional samples against a known distribution:
//   - insideFraction: share of samples inside the checkerboard's 8 cells (1 for a perfect sampler);
//   - nll: mean −log p(x) under the true density, with a floor for samples outside the support;
//   - mmd2: unbiased MMD² with a Gaussian kernel (Gretton et al., JMLR 2012, eq. 3), fixed
//     bandwidths or the median heuristic; its expectation is 0 iff the laws agree;
//   - slicedWasserstein: SW_p over fixed random directions drawn from a seed (Bonneel et al. 2015).
// All are computed in float64 in plain JS: toy sets are small (a few thousand 2-D points) and the
// O(N²) kernel sums are exact this way, with no N×N tensor.
import { argError, checkFinite, checkFunction, checkInt, checkOptions, ShapeError } from '../errors.js';
import { checkFloatTensor, Generator } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { drawArray } from '../data/gmm.js';
import { checkerboardInside, type ToyDistribution } from '../data/toy.js';

/** Points as a float64 array with their dimension. */
export interface Points {
  data: Float64Array;
  n: number;
  dim: number;
}

export type PointsLike = Tensor | Points;

export function toPoints(fn: string, arg: string, x: PointsLike): Points {
  if (x && (x as Tensor)._isTensor) {
    const t = x as Tensor;
    if (t.ndim !== 2 || t.shape[0] < 1) throw argError(fn, arg, t, 'a tensor [N, D] with N >= 1');
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw argError(fn, arg, t, 'a float tensor');
    return { data: Float64Array.from(t.dataSync()), n: t.shape[0], dim: t.shape[1] };
  }
  const p = x as Points;
  if (!p || !(p.data instanceof Float64Array) || p.data.length !== p.n * p.dim || p.n < 1) throw argError(fn, arg, x, 'a tensor [N, D] or {data: Float64Array, n, dim}');
  return p;
}

/** Fraction of 2-D samples inside the checkerboard's cells (density 1/32 on 8 cells of side 2 in [-4, 4]^2; see Checkerboard in src/data/toy.ts). */
export function insideFraction(samples: PointsLike): number {
  const p = toPoints('insideFraction', 'samples', samples);
  if (p.dim !== 2) throw new ShapeError(`insideFraction: samples are ${p.dim}-D, expected 2-D`);
  let k = 0;
  for (let i = 0; i < p.n; i++) if (checkerboardInside(p.data[2 * i], p.data[2 * i + 1])) k++;
  return k / p.n;
}

export interface NllOptions {
  /**
   * Density floor: a sample's log-density is max(log p(x), log floor), so samples outside the
   * support (p = 0, e.g. between checkerboard cells) cost −log floor = 13.8 nats each instead of
   * infinity (default 1e-6). Report `floored` alongside: it says how much of the NLL is penalty.
   */
  floor?: number;
}

export interface NllResult {
  /** Mean of −max(log p(x), log floor), nats. */
  nll: number;
  /** Fraction of samples at the floor. */
  floored: number;
}

/**
 * NLL of samples under a known density, e.g. `nll(x, (t) => dist.logDensity!(t))`. For samples
 * of the true distribution it estimates the entropy H(p) (log 32 = 3.466 for the checkerboard),
 * so compare against that, not against 0.
 */
export function nll(samples: Tensor, logDensity: (x: Tensor) => Tensor, o: NllOptions = {}): NllResult {
  const x = checkFloatTensor('nll', 'samples', samples);
  if (x.ndim < 1) throw argError('nll', 'samples', samples, 'a tensor [N, ...] of samples');
  checkFunction('nll', 'logDensity', logDensity);
  const opts = checkOptions('nll', 'options', o);
  const floor = checkFinite('nll', 'floor', opts.floor ?? 1e-6, { min: 0, minExclusive: true });
  const lf = Math.log(floor);
  const lp = tidy(() => logDensity(samples).dataSync());
  if (lp.length !== samples.shape[0]) throw new ShapeError(`nll: logDensity returned ${lp.length} values for ${samples.shape[0]} samples`);
  let s = 0, k = 0;
  for (const v of lp) {
    if (!(v > lf)) k++; // NaN counts as outside too
    s -= v > lf ? v : lf;
  }
  return { nll: s / lp.length, floored: k / lp.length };
}

// ---------------------------------------------------------------- MMD

function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const t = a[i * d + k] - b[j * d + k];
    s += t * t;
  }
  return s;
}

/** The k-th smallest value of a (reordered in place): Hoare's quickselect, O(n) on average. */
function select(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Median pairwise distance of the pooled samples (the first 500 of each), the usual heuristic. */
export function medianBandwidth(x: PointsLike, y: PointsLike): number {
  const a = toPoints('medianBandwidth', 'x', x), b = toPoints('medianBandwidth', 'y', y);
  const m = Math.min(a.n, 500), n = Math.min(b.n, 500), d = a.dim, N = m + n;
  const pool = new Float64Array(N * d);
  pool.set(a.data.subarray(0, m * d));
  pool.set(b.data.subarray(0, n * d), m * d);
  if (N < 2) return 1;
  const dists = new Float64Array((N * (N - 1)) / 2);
  let q = 0;
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) dists[q++] = sqDist(pool, i, pool, j, d);
  const h = Math.sqrt(select(dists, dists.length >> 1));
  return h > 0 ? h : 1;
}

/** Σ over pairs (i < j within one set, or all i, j across two) of Σ_c exp(c·‖a_i − b_j‖²). */
function kernelSum(a: Points, b: Points, same: boolean, coefs: readonly number[]): number {
  const d = a.dim, A = a.data, B = b.data;
  let s = 0;
  for (let i = 0; i < a.n; i++) {
    for (let j = same ? i + 1 : 0; j < b.n; j++) {
      let d2 = 0;
      for (let k = 0; k < d; k++) {
        const t = A[i * d + k] - B[j * d + k];
        d2 += t * t;
      }
      if (coefs.length === 1) s += Math.exp(coefs[0] * d2);
      else for (const c of coefs) s += Math.exp(c * d2);
    }
  }
  return s;
}

export interface MmdOptions {
  /** Gaussian kernel bandwidth(s) h in k = exp(−‖x−y‖²/(2h²)); several are summed. Default 'median'. */
  bandwidth?: number | readonly number[] | 'median';
}

/**
 * Unbiased MMD² between samples x [m, D] and y [n, D] (m, n >= 2) with a Gaussian kernel:
 * mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean_{i,j} k(x_i, y_j). Its expectation is
 * 0 when x and y come from the same law (so single values can be slightly negative) and grows as
 * the laws move apart; its standard deviation under equal laws is O(1/n).
 */
export function mmd2(x: PointsLike, y: PointsLike, o: MmdOptions = {}): number {
  const fn = 'mmd2';
  o = checkOptions(fn, 'options', o);
  const a = toPoints(fn, 'x', x), b = toPoints(fn, 'y', y);
  if (a.dim !== b.dim) throw new ShapeError(`${fn}: x is ${a.dim}-D and y is ${b.dim}-D`);
  if (a.n < 2 || b.n < 2) throw argError(fn, 'x/y', [a.n, b.n], 'at least 2 samples each (the unbiased estimator leaves out i = j)');
  const bw = o.bandwidth ?? 'median';
  const hs = bw === 'median' ? [medianBandwidth(a, b)] : typeof bw === 'number' ? [bw] : [...bw];
  if (!hs.length) throw argError(fn, 'bandwidth', bw, "a positive number, a list of them, or 'median'");
  hs.forEach((h, i) => checkFinite(fn, `bandwidth[${i}]`, h, { min: 0, minExclusive: true }));
  const g = hs.map((h) => -1 / (2 * h * h));
  const kxx = kernelSum(a, a, true, g), kyy = kernelSum(b, b, true, g), kxy = kernelSum(a, b, false, g);
  return (2 * kxx) / (a.n * (a.n - 1)) + (2 * kyy) / (b.n * (b.n - 1)) - (2 * kxy) / (a.n * b.n);
}

// ---------------------------------------------------------------- sliced Wasserstein

export interface SlicedWassersteinOptions {
  /** Number of random directions (default 128). */
  projections?: number;
  /** Seed of the directions (default 0): the same seed gives the same directions, so runs compare. */
  seed?: number;
  /** Order p >= 1 (default 2). */
  p?: number;
}

/** `count` unit vectors in D dimensions, uniform on the sphere (normalised Gaussians), from a seed. */
export function projectionDirections(dim: number, count: number, seed = 0): Float64Array {
  const z = drawArray(count, dim, new Generator(checkInt('projectionDirections', 'seed', seed, 0, Number.MAX_SAFE_INTEGER)), 'normal');
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += z[i * dim + k] ** 2;
    const r = Math.sqrt(s) || 1;
    for (let k = 0; k < dim; k++) z[i * dim + k] /= r;
  }
  return z;
}

/** W_p^p between two 1-D empirical laws given sorted values (any sizes): ∫ |F⁻¹(u) − G⁻¹(u)|^p du. */
export function wasserstein1dPow(u: Float64Array, v: Float64Array, p: number): number {
  const m = u.length, n = v.length;
  let i = 0, j = 0, t = 0, s = 0;
  // walk the merged breakpoints (i+1)/m and (j+1)/n of the two quantile functions, counted in
  // exact integer units of 1/(m·n)
  while (i < m && j < n) {
    const a = (i + 1) * n, b = (j + 1) * m, next = Math.min(a, b);
    s += (next - t) * Math.abs(u[i] - v[j]) ** p;
    t = next;
    if (a === next) i++;
    if (b === next) j++;
  }
  return s / (m * n);
}

/**
 * Sliced Wasserstein distance SW_p(x, y) = (mean over directions θ of W_p^p(θᵀx, θᵀy))^{1/p}.
 * For y = x + δ (a pure shift) it equals (mean_θ |θᵀδ|^p)^{1/p}, ≈ ‖δ‖/√2 for p = 2 in 2-D.
 */
export function slicedWasserstein(x: PointsLike, y: PointsLike, o: SlicedWassersteinOptions = {}): number {
  const fn = 'slicedWasserstein';
  o = checkOptions(fn, 'options', o);
  const a = toPoints(fn, 'x', x), b = toPoints(fn, 'y', y);
  if (a.dim !== b.dim) throw new ShapeError(`${fn}: x is ${a.dim}-D and y is ${b.dim}-D`);
  const L = checkInt(fn, 'projections', o.projections ?? 128, 1);
  const p = checkFinite(fn, 'p', o.p ?? 2, { min: 1 });
  const dirs = projectionDirections(a.dim, L, o.seed ?? 0);
  const d = a.dim;
  const proj = (q: Points, l: number) => {
    const out = new Float64Array(q.n);
    for (let i = 0; i < q.n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += q.data[i * d + k] * dirs[l * d + k];
      out[i] = s;
    }
    return out.sort();
  };
  let tot = 0;
  for (let l = 0; l < L; l++) tot += wasserstein1dPow(proj(a, l), proj(b, l), p);
  return (tot / L) ** (1 / p);
}

// ---------------------------------------------------------------- all at once

export interface ToyMetricsOptions {
  /** Size of the fresh reference sample (default: as many as the samples, at most 2000). */
  reference?: number;
  /** Generator of the reference sample (default: a fresh Generator(seed)). */
  generator?: Generator;
  /** Seed of the reference sample and of the SW directions (default 12345). */
  seed?: number;
  mmd?: MmdOptions;
  sw?: SlicedWassersteinOptions;
  nll?: NllOptions;
}

export interface ToyMetrics {
  /** Checkerboard only: fraction of samples inside the cells. */
  inside?: number;
  /** When the density is closed form: NLL of the samples (nats) and the fraction floored. */
  nll?: number;
  nllFloored?: number;
  /** The entropy estimate of the reference sample under the same density (the NLL to aim for). */
  referenceNll?: number;
  mmd2: number;
  sw: number;
}

/** Every toy metric of `samples` against fresh draws from `dist` (the samples are not disposed). */
export function toyMetrics(samples: Tensor, dist: ToyDistribution, o: ToyMetricsOptions = {}): ToyMetrics {
  const fn = 'toyMetrics';
  if (!dist || typeof dist !== 'object' || !Number.isInteger((dist as ToyDistribution).dim) || typeof (dist as ToyDistribution).sample !== 'function')
    throw argError(fn, 'dist', dist, 'a toy distribution (toyDistribution(name))');
  o = checkOptions(fn, 'options', o);
  if (!samples || !samples._isTensor || samples.ndim !== 2 || samples.shape[1] !== dist.dim)
    throw argError(fn, 'samples', samples, `a tensor [N, ${dist.dim}]`);
  const seed = checkInt(fn, 'seed', o.seed ?? 12345, 0, Number.MAX_SAFE_INTEGER);
  const nRef = checkInt(fn, 'reference', o.reference ?? Math.min(2000, Math.max(2, samples.shape[0])), 2);
  return tidy(() => {
    const ref = dist.sample(nRef, { generator: o.generator ?? new Generator(seed), dtype: 'float64' });
    const out: ToyMetrics = {
      mmd2: mmd2(samples, ref, o.mmd),
      sw: slicedWasserstein(samples, ref, { seed, ...o.sw }),
    };
    if (dist.name === 'checkerboard') out.inside = insideFraction(samples);
    if (dist.logDensity) {
      const lp = (t: Tensor) => dist.logDensity!(t);
      const r = nll(samples, lp, o.nll);
      out.nll = r.nll;
      out.nllFloored = r.floored;
      out.referenceNll = nll(ref, lp, o.nll).nll;
    }
    return out;
  });
}
