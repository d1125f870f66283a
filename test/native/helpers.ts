// SPDX-License-Identifier: MIT
// Helpers of the native kernel tests: buffers filled from float64 data, read back as float64,
// deterministic random data, and error norms with tolerances stated per dtype.
import { expect } from 'vitest';
import { native, type NativeBuffer } from '../../src/native.js';

export type FDType = 'float32' | 'float64';
export const DTYPES: FDType[] = ['float32', 'float64'];
const CODE = { float32: 0, float64: 1 } as const;

/** A native buffer holding `data` (plus `pad` guard elements on each side, left as NaN). */
export class Buf {
  readonly buf: NativeBuffer;
  constructor(readonly dtype: FDType, readonly n: number, readonly pad = 0) {
    this.buf = native.alloc(CODE[dtype], n + 2 * pad, 0, 0);
    const fill = dtype === 'float32' ? new Float32Array(n + 2 * pad).fill(NaN) : new Float64Array(n + 2 * pad).fill(NaN);
    native.write(this.buf, 0, fill);
  }
  static from(dtype: FDType, data: ArrayLike<number>, pad = 0): Buf {
    const b = new Buf(dtype, data.length, pad);
    b.write(data);
    return b;
  }
  get off(): number {
    return this.pad;
  }
  write(data: ArrayLike<number>): void {
    const a = this.dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
    native.write(this.buf, this.pad, a);
  }
  read(): Float64Array {
    const ab = native.read(this.buf, this.pad, this.n);
    return Float64Array.from(this.dtype === 'float32' ? new Float32Array(ab) : new Float64Array(ab));
  }
  /** The guard elements around the data must be untouched (NaN). */
  guardsIntact(): boolean {
    if (!this.pad) return true;
    const all = native.read(this.buf, 0, this.n + 2 * this.pad);
    const v = this.dtype === 'float32' ? new Float32Array(all) : new Float64Array(all);
    for (let i = 0; i < this.pad; i++) if (!Number.isNaN(v[i]) || !Number.isNaN(v[this.pad + this.n + i])) return false;
    return true;
  }
  free(): void {
    native.free(this.buf);
  }
}

/** Deterministic pseudo-random numbers (xorshift), uniform in [lo, hi). */
export function rand(n: number, seed = 1, lo = -1, hi = 1): Float64Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** Values rounded to the dtype (what the kernel actually sees). */
export function rounded(dtype: FDType, a: ArrayLike<number>): Float64Array {
  return Float64Array.from(dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a));
}

/** max |got - want| / (atol + rtol * |want|) <= 1, with a message naming the worst index. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, dtype: FDType, what: string,
  tol: { f32?: [number, number]; f64?: [number, number] } = {}): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const [atol, rtol] = dtype === 'float32' ? tol.f32 ?? [1e-5, 1e-4] : tol.f64 ?? [1e-12, 1e-10];
  let worst = 0, wi = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if ((Number.isNaN(w) && Number.isNaN(g)) || g === w) continue;
    const e = Math.abs(g - w) / (atol + rtol * Math.abs(w));
    if (!(e <= worst)) { worst = Number.isNaN(e) ? Infinity : e; wi = i; }
  }
  expect(worst, `${what} (${dtype}): worst at ${wi}: got ${got[wi]}, want ${want[wi]} (atol ${atol}, rtol ${rtol})`).toBeLessThanOrEqual(1);
}
