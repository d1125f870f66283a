// SPDX-License-Identifier: MIT
// The fused Adam(W) kernel against the textbook update in float64, over sizes with vector tails.
import { describe, it } from 'vitest';
import { native, kernels } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded } from './helpers.js';

describe('adam kernel', () => {
  for (const dt of DTYPES) for (const adamw of [false, true]) {
    it(`${dt} ${adamw ? 'AdamW' : 'Adam + L2'}`, () => {
      for (const n of [1, 17, 1000, 70_001]) {
        const p = rounded(dt, rand(n, 1)), g = rounded(dt, rand(n, 2)), m = rounded(dt, rand(n, 3, -0.1, 0.1)), v = rounded(dt, rand(n, 4, 0, 0.01));
        const lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01, t = 7, bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
        const P = Float64Array.from(p), M = Float64Array.from(m), V = Float64Array.from(v);
        for (let i = 0; i < n; i++) {
          const gi = adamw ? g[i] : g[i] + wd * p[i];
          M[i] = b1 * m[i] + (1 - b1) * gi;
          V[i] = b2 * v[i] + (1 - b2) * gi * gi;
          P[i] = (adamw ? p[i] * (1 - lr * wd) : p[i]) - (lr / bc1) * M[i] / (Math.sqrt(V[i] / bc2) + eps);
        }
        const bp = Buf.from(dt, p, 1), bg = Buf.from(dt, g, 1), bm = Buf.from(dt, m, 1), bv = Buf.from(dt, v, 1);
        kernels.adamStep({ n, p: { buffer: bp.buf, offset: 1 }, g: { buffer: bg.buf, offset: 1 }, m: { buffer: bm.buf, offset: 1 }, v: { buffer: bv.buf, offset: 1 }, lr, beta1: b1, beta2: b2, eps, weightDecay: wd, bc1, bc2, adamw });
        expectClose(bm.read(), M, dt, `m n=${n}`, { f32: [1e-7, 1e-6] });
        expectClose(bv.read(), V, dt, `v n=${n}`, { f32: [1e-9, 1e-6] });
        expectClose(bp.read(), P, dt, `p n=${n}`, { f32: [1e-7, 1e-6] });
        for (const b of [bp, bg, bm, bv]) b.free();
      }
    });
  }
});
