// SPDX-License-Identifier: MIT
// Helpers of the CUDA tests: the device under test, the reason CUDA tests are skipped, and
// comparisons of a CUDA result with the CPU backend's.
import { expect } from 'vitest';
import * as lc from '../../src/index.js';

/** True when a CUDA device (or, in a development build, the CPU emulator) can run the tests. */
export const HAVE_CUDA = lc.cuda.isAvailable();

/** Appended to the titles of CUDA-only suites, so a skip says why. */
export const SKIP_REASON = HAVE_CUDA ? '' : ` [skipped: ${lc.cuda.status()}]`;

export const CUDA = HAVE_CUDA ? lc.device('cuda') : lc.CPU;

export function f64(t: lc.Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

/** max |a - b| / (atol + |b|) over the elements (NaN where both are NaN, equal infinities: 0). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, atol: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (a[i] === b[i]) continue;
    const e = Math.abs(a[i] - b[i]) / (atol + Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

export interface Tol {
  rtol: number;
  atol: number;
  /** added to atol, times max |want|: for sums of many terms (GEMM, conv), whose rounding error
   * scales with the magnitude of the terms, not of the (possibly cancelling) result */
  scaled?: number;
}
export const TOL32: Tol = { rtol: 1e-4, atol: 1e-5 };
export const TOL64: Tol = { rtol: 1e-10, atol: 1e-12 };

/** The CUDA tensor `got` equals the CPU tensor `want` (shape, dtype, values within tol). */
export function expectClose(got: lc.Tensor, want: lc.Tensor, tol: Tol, what: string): void {
  expect(got.device.type, `${what}: device`).toBe('cuda');
  expect(want.device.type, `${what}: reference device`).toBe('cpu');
  expect([...got.shape], `${what}: shape`).toEqual([...want.shape]);
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype);
  const a = f64(got), b = f64(want);
  let big = 0;
  for (const v of b) if (Number.isFinite(v)) big = Math.max(big, Math.abs(v));
  const atol = tol.atol + (tol.scaled ?? 0) * big;
  // |a - b| <= atol + rtol |b|  <=>  |a - b| / (atol / rtol + |b|) <= rtol
  const err = relErr(a, b, atol / tol.rtol);
  expect(err, `${what}: max relative error ${err.toExponential(3)} > rtol ${tol.rtol} (atol ${atol.toExponential(2)})`).toBeLessThanOrEqual(tol.rtol);
}
