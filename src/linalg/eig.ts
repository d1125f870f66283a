// SPDX-License-Identifier: MIT
// Symmetric eigendecomposition in float64 JS (cyclic Jacobi) for small covariance matrices: the
// analytic oracles of sde/ and the Gaussian fits of FID in eval/, which is why it sits below both.
// Jacobi is slow for large n (O(n^3) per sweep) but accurate to roundoff in the eigenvalues, which
// the oracles' densities need.

export interface SymEig {
  /** Eigenvalues (unsorted). */
  values: Float64Array;
  /** Row-major n x n matrix whose columns are the orthonormal eigenvectors. */
  vectors: Float64Array;
}

/** A = V diag(values) V^T for a symmetric row-major n x n matrix A. */
export function symEig(A: ArrayLike<number>, n: number): SymEig {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off === 0 || off < 1e-32 * diag) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // rotation that zeroes a_pq (Numerical Recipes 11.1: A' = P^T A P)
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}
