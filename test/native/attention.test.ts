// SPDX-License-Identifier: MIT
// The fused attention op (CPU) against a float64 reference: forward and all three gradients, odd
// sizes (vector tails, several query blocks when Lk is large), batch dims, transposed (strided)
// inputs read without copies, batches fewer than threads (the split-query backward), float32 and
// float64; and its createGraph path against the composite definition's second derivatives.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, rand, rounded, type FDType } from './helpers.js';

/** Reference O and gradients for B batches of q [Lq, D], k [Lk, D], v [Lk, Dv], upstream go [Lq, Dv]. */
function ref(q: Float64Array, k: Float64Array, v: Float64Array, go: Float64Array, B: number, Lq: number, Lk: number, D: number, Dv: number, sc: number) {
  const o = new Float64Array(B * Lq * Dv), gq = new Float64Array(q.length), gk = new Float64Array(k.length), gv = new Float64Array(v.length);
  for (let b = 0; b < B; b++) {
    const Q = (i: number, d: number) => q[(b * Lq + i) * D + d], K = (j: number, d: number) => k[(b * Lk + j) * D + d];
    const V = (j: number, e: number) => v[(b * Lk + j) * Dv + e], G = (i: number, e: number) => go[(b * Lq + i) * Dv + e];
    for (let i = 0; i < Lq; i++) {
      const s = new Float64Array(Lk);
      for (let j = 0; j < Lk; j++) { let a = 0; for (let d = 0; d < D; d++) a += Q(i, d) * K(j, d); s[j] = a * sc; }
      const m = Math.max(...s);
      let z = 0;
      for (let j = 0; j < Lk; j++) { s[j] = Math.exp(s[j] - m); z += s[j]; }
      for (let j = 0; j < Lk; j++) s[j] /= z;
      for (let e = 0; e < Dv; e++) { let a = 0; for (let j = 0; j < Lk; j++) a += s[j] * V(j, e); o[(b * Lq + i) * Dv + e] = a; }
      const dp = new Float64Array(Lk);
      for (let j = 0; j < Lk; j++) { let a = 0; for (let e = 0; e < Dv; e++) a += G(i, e) * V(j, e); dp[j] = a; }
      let di = 0;
      for (let j = 0; j < Lk; j++) di += s[j] * dp[j];
      for (let j = 0; j < Lk; j++) {
        const ds = s[j] * (dp[j] - di) * sc;
        for (let d = 0; d < D; d++) { gq[(b * Lq + i) * D + d] += ds * K(j, d); gk[(b * Lk + j) * D + d] += ds * Q(i, d); }
        for (let e = 0; e < Dv; e++) gv[(b * Lk + j) * Dv + e] += s[j] * G(i, e);
      }
    }
  }
  return { o, gq, gk, gv };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const data = (t: Tensor) => Float64Array.from(t.dataSync() as ArrayLike<number>);

function run(dt: FDType, batch: number[], Lq: number, Lk: number, D: number, Dv: number, transposed: boolean) {
  const B = batch.reduce((a, b) => a * b, 1), sc = 1 / Math.sqrt(D);
  const qd = rounded(dt, rand(B * Lq * D, 1 + Lq, -2, 2)), kd = rounded(dt, rand(B * Lk * D, 2 + Lk, -2, 2));
  const vd = rounded(dt, rand(B * Lk * Dv, 3)), gd = rounded(dt, rand(B * Lq * Dv, 4));
  const r = ref(qd, kd, vd, gd, B, Lq, Lk, D, Dv, sc);
  lc.tidy(() => {
    // transposed: the operands are views of channel-first [.., d, L] tensors (the U-Net layout)
    const mk = (d: Float64Array, L: number, C: number) => transposed
      ? lc.transpose(lc.contiguous(lc.transpose(lc.tensor(d, { dtype: dt, shape: [...batch, L, C] }), -1, -2)), -1, -2)
      : lc.tensor(d, { dtype: dt, shape: [...batch, L, C] });
    const q = mk(qd, Lq, D).requiresGrad_(), k = mk(kd, Lk, D).requiresGrad_(), v = mk(vd, Lk, Dv).requiresGrad_();
    const o = lc.scaledDotProductAttention(q, k, v);
    expect(o.gradFn).toBe('attention');
    const [gq, gk, gv] = lc.grad(o, [q, k, v], { gradOutputs: lc.tensor(gd, { dtype: dt, shape: [...batch, Lq, Dv] }) });
    const tag = `${dt} batch [${batch}] Lq ${Lq} Lk ${Lk} D ${D} Dv ${Dv}${transposed ? ' transposed' : ''}`;
    const tol = (a: Float64Array) => ({ f32: [3e-6 * (1 + maxAbs(a)), 1e-4] as [number, number], f64: [1e-13 * (1 + maxAbs(a)), 1e-10] as [number, number] });
    expectClose(data(o), r.o, dt, `${tag} out`, tol(r.o));
    expectClose(data(gq!), r.gq, dt, `${tag} dq`, tol(r.gq));
    expectClose(data(gk!), r.gk, dt, `${tag} dk`, tol(r.gk));
    expectClose(data(gv!), r.gv, dt, `${tag} dv`, tol(r.gv));
  });
}

describe('fused attention', () => {
  for (const dt of ['float32', 'float64'] as FDType[]) {
    it(`${dt}: shapes, batch dims, strided operands`, () => {
      run(dt, [3], 7, 5, 4, 6, false);
      run(dt, [2, 3], 49, 49, 64, 64, true);  // the U-Net attention at 7x7 (HW = 49)
      run(dt, [1], 33, 17, 19, 3, false);     // one batch: the split-query backward
      run(dt, [], 9, 11, 5, 5, true);         // no batch dims
      run(dt, [2], 40, 2000, 8, 5, false);    // Lk large: several query blocks per batch
      run(dt, [1], 70, 1100, 3, 2, true);     // one batch, several blocks, split backward
    });
  }
  it('createGraph: second derivatives match the composite definition', () => {
    lc.tidy(() => {
      const mk = (s: number[], seed: number) => lc.tensor(rand(s.reduce((a, b) => a * b, 1), seed), { dtype: 'float64', shape: s }).requiresGrad_();
      const q = mk([2, 5, 3], 1), k = mk([2, 4, 3], 2), v = mk([2, 4, 2], 3);
      const f = (a: Tensor, b: Tensor, c: Tensor) => lc.sum(lc.square(lc.scaledDotProductAttention(a, b, c)));
      const fc = (a: Tensor, b: Tensor, c: Tensor) => lc.sum(lc.square(lc.attentionComposite(a, b, c, 1 / Math.sqrt(3))));
      const g1 = lc.grad(f(q, k, v), [q, k, v], { createGraph: true });
      const g2 = lc.grad(fc(q, k, v), [q, k, v], { createGraph: true });
      for (let i = 0; i < 3; i++) expectClose(data(g1[i]!), data(g2[i]!), 'float64', `first derivative ${i}`);
      const h1 = lc.grad(lc.sum(lc.mul(g1[0]!, g1[0]!)), [q, k, v]);
      const h2 = lc.grad(lc.sum(lc.mul(g2[0]!, g2[0]!)), [q, k, v]);
      for (let i = 0; i < 3; i++) expectClose(data(h1[i]!), data(h2[i]!), 'float64', `second derivative ${i}`);
    });
  });
  it('leaves no tensors behind', () => {
    const before = lc.numTensors();
    lc.tidy(() => {
      const q = lc.randn([2, 6, 4]).requiresGrad_();
      lc.grad(lc.sum(lc.scaledDotProductAttention(q, q, q)), [q]);
    });
    expect(lc.numTensors()).toBe(before);
  });
});
