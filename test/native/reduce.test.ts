// SPDX-License-Identifier: MIT
// Reduction kernels on permuted views (kept dims first): contiguous rows, contiguous kept columns,
// reduced dims that end in a contiguous run (bias gradients over [0, 2, 3]), and general strides;
// sums of float32 accumulate in double (checked on a sum whose float32 running total would drift).
import { describe, expect, it } from 'vitest';
import { native, kernels, Reduce } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded } from './helpers.js';

/** Reference: y[kept index] = op over reduced index of x at (perm) strides. */
function ref(op: string, x: Float64Array, shape: number[], strides: number[], nkeep: number): Float64Array {
  const kept = shape.slice(0, nkeep), red = shape.slice(nkeep);
  const nk = kept.reduce((a, b) => a * b, 1), nr = red.reduce((a, b) => a * b, 1);
  const out = new Float64Array(nk);
  const offset = (idx: number, dims: number[], from: number) => {
    let off = 0;
    for (let d = dims.length - 1; d >= 0; d--) { off += (idx % dims[d]) * strides[from + d]; idx = Math.floor(idx / dims[d]); }
    return off;
  };
  for (let k = 0; k < nk; k++) {
    const base = offset(k, kept, 0);
    let acc = op === 'sum' ? 0 : -Infinity, arg = 0;
    for (let r = 0; r < nr; r++) {
      const v = x[base + offset(r, red, nkeep)];
      if (op === 'sum') acc += v;
      else if (v > acc) { acc = v; arg = r; }
    }
    out[k] = op === 'argmax' ? arg : acc;
  }
  return out;
}

const contiguous = (shape: number[]) => { const s = new Array(shape.length).fill(1); for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1]; return s; };

describe('reduce kernels', () => {
  for (const dt of DTYPES) {
    it(`${dt}: rows, columns, runs and general strides`, () => {
      // x is a contiguous N,C,H,W tensor; each case is a permutation (kept dims first)
      const N = 3, C = 5, H = 7, W = 9, base = [N, C, H, W], bst = contiguous(base);
      const n = N * C * H * W;
      const x = rounded(dt, rand(n, 42, -1, 1));
      const cases: [number[], number][] = [
        [[0, 1, 2, 3], 2],  // rows: reduce H, W (contiguous run)
        [[0, 1, 2, 3], 1],  // rows: reduce C, H, W
        [[2, 3, 0, 1], 2],  // columns: kept H, W contiguous
        [[1, 0, 2, 3], 1],  // runs: keep C, reduce N, H, W (bias gradient)
        [[3, 1, 0, 2], 2],  // general strides
        [[1, 0, 2, 3], 0],  // everything
      ];
      for (const [perm, nkeep] of cases) {
        const shape = perm.map((d) => base[d]), strides = perm.map((d) => bst[d]);
        const ny = shape.slice(0, nkeep).reduce((a, b) => a * b, 1);
        const bx = Buf.from(dt, x, 1);
        for (const op of ['sum', 'max'] as const) {
          const want = ref(op, x, shape, strides, nkeep);
          const by = new Buf(dt, ny, 1);
          const ks = shape.slice(0, nkeep);
          kernels.reduce({ op: Reduce[op], nkeep, y: { buffer: by.buf, offset: by.off, shape: ks, strides: contiguous(ks) }, x: { buffer: bx.buf, offset: bx.off, shape: shape, strides: strides } });
          expectClose(by.read(), want, dt, `${op} perm ${perm} nkeep ${nkeep}`, { f32: [1e-6, 1e-6], f64: [1e-13, 1e-13] });
          expect(by.guardsIntact()).toBe(true);
          by.free();
        }
        bx.free();
      }
    });
  }
  it('float32 sums accumulate in double', () => {
    // 2^24 + many ones: a float32 running sum would stop growing at 2^24
    const n = 100_003, x = new Float64Array(n).fill(1);
    x[0] = 2 ** 24;
    const bx = Buf.from('float32', x), by = new Buf('float64', 1);
    // float32 input summed into a float64 output: exact
    kernels.reduce({ op: Reduce.sum, nkeep: 0, y: { buffer: by.buf, offset: 0, shape: [], strides: [] }, x: { buffer: bx.buf, offset: 0, shape: [n], strides: [1] } });
    expect(by.read()[0]).toBe(2 ** 24 + n - 1);
    bx.free(); by.free();
  });
});
