// SPDX-License-Identifier: MIT
// The packed GEMM against a float64 reference: every transpose combination (strided packs),
// sizes around the micro-tile and cache-block edges (MR = 6, NR = 8/16/32, KC = 256/384),
// arbitrary row strides and offsets, batches with broadcast (stride-0) operands, alpha/beta
// (beta = 0 must not read C), K = 0, float32 and float64.
import { describe, expect, it } from 'vitest';
import { kernels } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded, type FDType } from './helpers.js';

interface G { batch: number; M: number; N: number; K: number; ta: boolean; tb: boolean; bcastA?: boolean; alpha?: number; beta?: number; pad?: number }

function check(dt: FDType, g: G) {
  const { batch, M, N, K, ta, tb } = g, pad = g.pad ?? 0, alpha = g.alpha ?? 1, beta = g.beta ?? 0;
  // A is stored [batch][M][K+pad] (or [K][M+pad] when transposed): row strides wider than the matrix
  const lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  const aRows = ta ? K : M, bRows = tb ? N : K;
  const nA = (g.bcastA ? 1 : batch) * aRows * lda, nB = batch * bRows * ldb, nC = batch * M * ldc;
  const A = rounded(dt, rand(nA, 1 + M, -1, 1)), B = rounded(dt, rand(nB, 2 + N, -1, 1));
  const C0 = rounded(dt, rand(nC, 3 + K, -1, 1));
  if (beta === 0) C0.fill(NaN);  // beta == 0 must overwrite, never read
  const a_bs = g.bcastA ? 0 : aRows * lda, a_rs = ta ? 1 : lda, a_cs = ta ? lda : 1;
  const b_bs = bRows * ldb, b_rs = tb ? 1 : ldb, b_cs = tb ? ldb : 1;
  const want = Float64Array.from(C0);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[b * a_bs + i * a_rs + k * a_cs] * B[b * b_bs + k * b_rs + j * b_cs];
        const c = b * M * ldc + i * ldc + j;
        want[c] = alpha * s + (beta === 0 ? 0 : beta * C0[c]);
      }
  const P = 7;
  const ba = Buf.from(dt, A, P), bb = Buf.from(dt, B, P), bc = Buf.from(dt, C0, P);
  kernels.gemm({ batch, M, N, K, a: { buffer: ba.buf, offset: ba.off }, aBatchStride: a_bs, aRowStride: a_rs, aColStride: a_cs,
    b: { buffer: bb.buf, offset: bb.off }, bBatchStride: b_bs, bRowStride: b_rs, bColStride: b_cs,
    c: { buffer: bc.buf, offset: bc.off }, cBatchStride: M * ldc, cRowStride: ldc, alpha, beta });
  const got = bc.read();
  const tag = `${dt} ${JSON.stringify(g)}`;
  expectClose(got, want, dt, tag, { f32: [1e-6 * Math.sqrt(K + 1) * 4, 1e-5], f64: [1e-14 * (K + 1), 1e-12] });
  for (const q of [ba, bb, bc]) { expect(q.guardsIntact(), `${tag}: wrote outside C`).toBe(true); q.free(); }
}

describe('gemm kernels', () => {
  for (const dt of DTYPES) {
    it(`${dt}: transposes, tails and block edges`, () => {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        for (const [M, N, K] of [[1, 1, 1], [7, 9, 5], [6, 32, 8], [13, 33, 17], [128, 2, 256], [2, 256, 128], [31, 70, 385], [97, 65, 9]]) {
          check(dt, { batch: 1, M, N, K, ta, tb });
        }
        check(dt, { batch: 1, M: 19, N: 23, K: 29, ta, tb, pad: 3, alpha: 0.5, beta: 0.25 });
      }
    });
    it(`${dt}: batches, broadcast operand, K = 0, large K split in cache blocks`, () => {
      check(dt, { batch: 5, M: 9, N: 11, K: 7, ta: false, tb: true });
      check(dt, { batch: 36, M: 8, N: 33, K: 16, ta: true, tb: false, bcastA: true });
      check(dt, { batch: 2, M: 4, N: 5, K: 0, ta: false, tb: false, beta: 0.5 });
      check(dt, { batch: 1, M: 16, N: 40, K: 1000, ta: false, tb: true });
      check(dt, { batch: 1, M: 200, N: 100, K: 50, ta: true, tb: true, beta: 1 });
    });
  }
});
