// SPDX-License-Identifier: MIT
// Statistics for the sampler, SDE and likelihood tests: sample moments with their standard errors,
// and a kernel two-sample test (MMD with a Gaussian kernel, permutation p-value). Plain float64 JS.
import type { Tensor } from '../../src/index.js';

export interface Moments {
  n: number;
  mean: number[];
  cov: number[][];
}

/** Rows of a [n, D] tensor as float64 arrays. */
export function rows(x: Tensor): Float64Array[] {
  const d = x.dataSync(), n = x.shape[0], D = x.size / n;
  return Array.from({ length: n }, (_, i) => Float64Array.from(d.subarray(i * D, (i + 1) * D)));
}

export function moments(x: Tensor): Moments {
  const r = rows(x), n = r.length, D = r[0].length;
  const mean = new Array<number>(D).fill(0);
  for (const v of r) for (let j = 0; j < D; j++) mean[j] += v[j] / n;
  const cov = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  for (const v of r) for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) cov[i][j] += ((v[i] - mean[i]) * (v[j] - mean[j])) / (n - 1);
  return { n, mean, cov };
}

/**
 * Largest |z|-score of the sample mean and covariance against the true ones. Standard errors:
 * SE(mean_i) = sqrt(S_ii / n); SE(S_ij) = sd((X_i - mu_i)(X_j - mu_j)) / sqrt(n), the sd taken
 * from `ref`, a large sample of the target (exact for any law, mixtures included), or from
 * Gaussian theory, sqrt((S_ii S_jj + S_ij^2) / n), when no reference sample is given.
 */
export function momentZ(m: Moments, mean: number[], cov: number[][], ref?: Tensor): { mean: number; cov: number } {
  const D = mean.length;
  const sd4 = Array.from({ length: D }, (_, i) => cov[i].map((c, j) => Math.sqrt(cov[i][i] * cov[j][j] + c * c)));
  if (ref) {
    const r = rows(ref), N = r.length;
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0, s2 = 0;
        for (const v of r) {
          const p = (v[i] - mean[i]) * (v[j] - mean[j]);
          s += p;
          s2 += p * p;
        }
        sd4[i][j] = Math.sqrt(s2 / N - (s / N) ** 2);
      }
  }
  let zm = 0, zc = 0;
  for (let i = 0; i < D; i++) {
    zm = Math.max(zm, Math.abs(m.mean[i] - mean[i]) / Math.sqrt(cov[i][i] / m.n));
    for (let j = 0; j < D; j++) zc = Math.max(zc, Math.abs(m.cov[i][j] - cov[i][j]) / (sd4[i][j] / Math.sqrt(m.n)));
  }
  return { mean: zm, cov: zc };
}

/** A small seeded PRNG (mulberry32) for permutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Kernel two-sample test: unbiased MMD^2 with a Gaussian kernel (bandwidth: median pairwise
 * distance of the pooled sample) and its permutation p-value over `perms` relabellings.
 */
export function mmdTest(x: Tensor, y: Tensor, perms = 200, seed = 1): { mmd2: number; p: number } {
  const pooled = [...rows(x), ...rows(y)];
  const N = pooled.length, n = x.shape[0], D = pooled[0].length;
  const d2 = new Float64Array(N * N);
  for (let i = 0; i < N; i++)
    for (let j = i + 1; j < N; j++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += (pooled[i][k] - pooled[j][k]) ** 2;
      d2[i * N + j] = d2[j * N + i] = s;
    }
  const sub: number[] = [];
  for (let i = 0; i < Math.min(N, 400); i++) for (let j = i + 1; j < Math.min(N, 400); j++) sub.push(d2[i * N + j]);
  sub.sort((a, b) => a - b);
  const h2 = sub[sub.length >> 1];
  const K = d2.map((v) => Math.exp(-v / (2 * h2)));
  // With a the indicator of the x rows, r = K 1 and S = 1^T K 1 (diagonal K_ii = 1 excluded):
  // sum_xx = a^T K a - n, sum_yy = S - 2 a^T r + a^T K a - m, sum_xy = a^T r - a^T K a.
  const r = new Float64Array(N);
  let S = 0;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) r[i] += K[i * N + j];
    S += r[i];
  }
  const m = N - n;
  const stat = (idx: Int32Array) => {
    let aKa = 0, ar = 0;
    for (let u = 0; u < n; u++) {
      const i = idx[u], row = i * N;
      ar += r[i];
      let acc = 0;
      for (let v = 0; v < n; v++) acc += K[row + idx[v]];
      aKa += acc;
    }
    const xx = aKa - n, yy = S - 2 * ar + aKa - m, xy = ar - aKa;
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - (2 * xy) / (n * m);
  };
  const order = Int32Array.from({ length: N }, (_, i) => i);
  const obs = stat(order);
  const rnd = prng(seed);
  let exceed = 0;
  for (let p = 0; p < perms; p++) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    if (stat(order) >= obs) exceed++;
  }
  return { mmd2: obs, p: (exceed + 1) / (perms + 1) };
}
