// SPDX-License-Identifier: MIT
// Helpers of the CUDA checks: the device under test, the reason CUDA checks are skipped, and
// comparisons of a CUDA result with the CPU backend's. No vitest here: the same checks run under
// vitest (test/cuda/*.test.ts) and in the GPU check script (bench/gpu_check.ts), so failures are
// thrown as plain Errors.
import * as lc from '../../src/index.js';

/** True when a CUDA device (or, in a development build, the CPU emulator) can run the checks. */
export const HAVE_CUDA = lc.cuda.isAvailable();

/** Appended to the titles of CUDA-only suites, so a skip says why. */
export const SKIP_REASON = HAVE_CUDA ? '' : ` [skipped: ${lc.cuda.status()}]`;

export const CUDA = HAVE_CUDA ? lc.device('cuda') : lc.CPU;

/** A named check: throws (or rejects) on failure. */
export interface Check {
  name: string;
  run: () => void | Promise<void>;
}
export interface Suite {
  name: string;
  checks: Check[];
}

export function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** fn must throw an error whose message matches re (or is an instance of cls). */
export function checkThrows(fn: () => unknown, re: RegExp | (new (...a: never[]) => Error), what: string): void {
  try {
    fn();
  } catch (e) {
    const ok = re instanceof RegExp ? re.test(String((e as Error)?.message ?? e)) : e instanceof re;
    check(ok, `${what}: threw ${String((e as Error)?.message ?? e)}, expected ${re instanceof RegExp ? re : re.name}`);
    return;
  }
  throw new Error(`${what}: did not throw`);
}

export function f64(t: lc.Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

export function sameArray(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  check(a.length === b.length, `${what}: ${a.length} vs ${b.length} elements`);
  for (let i = 0; i < a.length; i++)
    check(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])), `${what}: element ${i} is ${a[i]}, expected ${b[i]}`);
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
/** Equal values only (relErr with atol 0 is 0 exactly when every element is equal). */
export const EXACT: Tol = { rtol: 1e-300, atol: 0 };

/** The CUDA tensor `got` equals the CPU tensor `want` (shape, dtype, values within tol). */
export function expectClose(got: lc.Tensor, want: lc.Tensor, tol: Tol, what: string): void {
  check(got.device.type === 'cuda', `${what}: result is on ${got.device}, expected cuda`);
  check(want.device.type === 'cpu', `${what}: reference is on ${want.device}, expected cpu`);
  check(got.shape.length === want.shape.length && got.shape.every((s, i) => s === want.shape[i]),
    `${what}: shape [${got.shape}] vs [${want.shape}]`);
  check(got.dtype === want.dtype, `${what}: dtype ${got.dtype} vs ${want.dtype}`);
  const a = f64(got), b = f64(want);
  let big = 0;
  for (const v of b) if (Number.isFinite(v)) big = Math.max(big, Math.abs(v));
  const atol = tol.atol + (tol.scaled ?? 0) * big;
  // |a - b| <= atol + rtol |b|  <=>  |a - b| / (atol / rtol + |b|) <= rtol
  const err = relErr(a, b, atol / tol.rtol);
  check(err <= tol.rtol, `${what}: max relative error ${err.toExponential(3)} > rtol ${tol.rtol} (atol ${atol.toExponential(2)})`);
}
