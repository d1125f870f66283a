// SPDX-License-Identifier: MIT
// GroupNorm / LayerNorm kernels against float64 references: odd sizes (vector tails), groups
// larger than one statistics block (2048), offsets into buffers with NaN guards, optional affine,
// fused SiLU, float32 and float64, and a large-mean input that breaks E[x^2] - E[x]^2.
import { describe, it, expect } from 'vitest';
import { kernels } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded, type FDType } from './helpers.js';

const sig = (z: number) => 1 / (1 + Math.exp(-z));

function gnRef(x: Float64Array, N: number, C: number, HW: number, G: number, eps: number, silu: boolean,
  ga: Float64Array | null, be: Float64Array | null, gy: Float64Array) {
  const cg = C / G, M = cg * HW;
  const y = new Float64Array(x.length), gx = new Float64Array(x.length);
  const gga = new Float64Array(C), gbe = new Float64Array(C), mean = new Float64Array(N * G), rstd = new Float64Array(N * G);
  for (let ng = 0; ng < N * G; ng++) {
    const o = ng * M, c0 = (ng % G) * cg;
    let s = 0;
    for (let i = 0; i < M; i++) s += x[o + i];
    const mu = s / M;
    let v = 0;
    for (let i = 0; i < M; i++) v += (x[o + i] - mu) ** 2;
    const rs = 1 / Math.sqrt(v / M + eps);
    mean[ng] = mu; rstd[ng] = rs;
    const gz = new Float64Array(M), xh = new Float64Array(M);
    for (let c = 0; c < cg; c++) {
      const g = ga ? ga[c0 + c] : 1, b = be ? be[c0 + c] : 0;
      for (let i = 0; i < HW; i++) {
        const k = c * HW + i;
        xh[k] = (x[o + k] - mu) * rs;
        const z = xh[k] * g + b;
        y[o + k] = silu ? z * sig(z) : z;
        gz[k] = silu ? gy[o + k] * sig(z) * (1 + z * (1 - sig(z))) : gy[o + k];
        gga[c0 + c] += gz[k] * xh[k];
        gbe[c0 + c] += gz[k];
      }
    }
    let m1 = 0, m2 = 0;
    for (let c = 0; c < cg; c++) for (let i = 0; i < HW; i++) {
      const k = c * HW + i, gh = gz[k] * (ga ? ga[c0 + c] : 1);
      m1 += gh; m2 += gh * xh[k];
    }
    m1 /= M; m2 /= M;
    for (let c = 0; c < cg; c++) for (let i = 0; i < HW; i++) {
      const k = c * HW + i;
      gx[o + k] = rs * (gz[k] * (ga ? ga[c0 + c] : 1) - m1 - xh[k] * m2);
    }
  }
  return { y, gx, gga, gbe, mean, rstd };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function runGn(dt: FDType, N: number, C: number, HW: number, G: number, o: { silu?: boolean; affine?: boolean; shift?: number; scale?: number } = {}) {
  const eps = 1e-5, silu = !!o.silu, affine = o.affine ?? true;
  const n = N * C * HW;
  const x = rounded(dt, rand(n, 1 + N + C + HW, -1, 1).map((v) => (o.shift ?? 0) + v * (o.scale ?? 1)));
  const gy = rounded(dt, rand(n, 7 + HW));
  const ga = affine ? rounded(dt, rand(C, 3, 0.5, 1.5)) : null, be = affine ? rounded(dt, rand(C, 4)) : null;
  const ref = gnRef(x, N, C, HW, G, eps, silu, ga, be, gy);
  const P = 3;  // guard elements around every operand
  const bx = Buf.from(dt, x, P), bgy = Buf.from(dt, gy, P), by = new Buf(dt, n, P), bgx = new Buf(dt, n, P);
  const bga = ga ? Buf.from(dt, ga, P) : null, bbe = be ? Buf.from(dt, be, P) : null;
  const bst = new Buf(dt, 2 * N * G, P), bgga = affine ? new Buf(dt, C, P) : null, bgbe = affine ? new Buf(dt, C, P) : null;
  const arg = (b: Buf) => ({ buffer: b.buf, offset: b.off });
  const opt = (b: Buf | null) => (b ? arg(b) : null);
  const mean = arg(bst), rstd = { buffer: bst.buf, offset: bst.off + N * G };
  kernels.groupNormForward({ N, C, HW, G, eps, silu, x: arg(bx), gamma: opt(bga), beta: opt(bbe), y: arg(by), mean, rstd });
  kernels.groupNormBackward({ N, C, HW, G, silu, gy: arg(bgy), x: arg(bx), mean, rstd, gamma: opt(bga), beta: opt(bbe),
    gx: arg(bgx), ggamma: opt(bgga), gbeta: opt(bgbe) });
  const what = `groupnorm N${N} C${C} HW${HW} G${G}${silu ? ' silu' : ''}${affine ? '' : ' no-affine'}`;
  const st = bst.read();
  // Inputs far from zero carry their own rounding: y can be no better than ulp(|mean|) * rstd.
  const cond = (1 + Math.abs(o.shift ?? 0)) / (o.scale ?? 1);
  expectClose(st.subarray(0, N * G), ref.mean, dt, `${what} mean`, { f32: [1e-6 * (1 + Math.abs(o.shift ?? 0)), 1e-6] });
  expectClose(st.subarray(N * G), ref.rstd, dt, `${what} rstd`, { f32: [0, 1e-5], f64: [0, 1e-11] });
  expectClose(by.read(), ref.y, dt, `${what} y`, { f32: [Math.max(2e-5, 2 ** -22 * cond * 2), 1e-4], f64: [1e-12 * cond, 1e-10] });
  const gs = maxAbs(ref.gx), f = Math.max(2e-5, 2 ** -21 * cond), d = Math.max(1e-11, 1e-13 * cond);
  expectClose(bgx.read(), ref.gx, dt, `${what} gx`, { f32: [f * gs, 1e-4], f64: [d * gs, 1e-9] });
  if (bgga && bgbe) {
    expectClose(bgga.read(), ref.gga, dt, `${what} dgamma`, { f32: [f * maxAbs(ref.gga), 1e-4], f64: [d * maxAbs(ref.gga), 1e-9] });
    expectClose(bgbe.read(), ref.gbe, dt, `${what} dbeta`, { f32: [f * maxAbs(ref.gbe), 1e-4], f64: [d * maxAbs(ref.gbe), 1e-9] });
  }
  for (const b of [bx, bgy, by, bgx, bga, bbe, bst, bgga, bgbe]) if (b) { expect(b.guardsIntact(), `${what}: write outside the operand`).toBe(true); b.free(); }
}

describe('groupnorm kernels', () => {
  for (const dt of DTYPES) {
    it(`${dt}: odd sizes, with and without affine and SiLU`, () => {
      runGn(dt, 3, 6, 7, 3);
      runGn(dt, 3, 6, 7, 3, { silu: true });
      runGn(dt, 2, 5, 13, 5, { affine: false });
      runGn(dt, 1, 3, 1, 1, { silu: true });
      runGn(dt, 2, 128, 17, 32, { silu: true });
    });
    it(`${dt}: W3 shape and groups spanning several statistics blocks`, () => {
      runGn(dt, 2, 128, 256, 32);
      runGn(dt, 2, 4, 1531, 1, { silu: true });  // 6124 elements per group: 3 blocks, ragged tail
    });
    it(`${dt}: large mean (|mean| / std = 1e4) keeps the variance accurate`, () => {
      runGn(dt, 2, 8, 300, 2, { shift: 1000, scale: 0.1 });
    });
  }
});

function lnRef(x: Float64Array, R: number, D: number, eps: number, w: Float64Array | null, b: Float64Array | null, gy: Float64Array) {
  const y = new Float64Array(x.length), gx = new Float64Array(x.length), gw = new Float64Array(D), gb = new Float64Array(D);
  for (let r = 0; r < R; r++) {
    const o = r * D;
    let s = 0;
    for (let i = 0; i < D; i++) s += x[o + i];
    const mu = s / D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[o + i] - mu) ** 2;
    const rs = 1 / Math.sqrt(v / D + eps);
    let m1 = 0, m2 = 0;
    for (let i = 0; i < D; i++) {
      const xh = (x[o + i] - mu) * rs;
      y[o + i] = xh * (w ? w[i] : 1) + (b ? b[i] : 0);
      const g = gy[o + i] * (w ? w[i] : 1);
      m1 += g; m2 += g * xh;
      gw[i] += gy[o + i] * xh; gb[i] += gy[o + i];
    }
    m1 /= D; m2 /= D;
    for (let i = 0; i < D; i++) {
      const xh = (x[o + i] - mu) * rs;
      gx[o + i] = rs * (gy[o + i] * (w ? w[i] : 1) - m1 - xh * m2);
    }
  }
  return { y, gx, gw, gb };
}

describe('layernorm kernels', () => {
  for (const dt of DTYPES) {
    for (const [R, D, affine] of [[5, 33, true], [1, 1, true], [130, 257, false], [3, 4100, true], [64, 16, true]] as const) {
      it(`${dt}: R=${R} D=${D}${affine ? '' : ' no-affine'}`, () => {
        const n = R * D, eps = 1e-5;
        const x = rounded(dt, rand(n, R + D, -2, 3)), gy = rounded(dt, rand(n, 5));
        const w = affine ? rounded(dt, rand(D, 2, 0.5, 1.5)) : null, b = affine ? rounded(dt, rand(D, 9)) : null;
        const ref = lnRef(x, R, D, eps, w, b, gy);
        const P = 2;
        const bx = Buf.from(dt, x, P), bgy = Buf.from(dt, gy, P), by = new Buf(dt, n, P), bgx = new Buf(dt, n, P);
        const bw = w ? Buf.from(dt, w, P) : null, bb = b ? Buf.from(dt, b, P) : null;
        const bst = new Buf(dt, 2 * R, P), bgw = affine ? new Buf(dt, D, P) : null, bgb = affine ? new Buf(dt, D, P) : null;
        const arg = (q: Buf) => ({ buffer: q.buf, offset: q.off });
        const opt = (q: Buf | null) => (q ? arg(q) : null);
        const mean = arg(bst), rstd = { buffer: bst.buf, offset: bst.off + R };
        kernels.layerNormForward({ R, D, eps, x: arg(bx), w: opt(bw), b: opt(bb), y: arg(by), mean, rstd });
        kernels.layerNormBackward({ R, D, gy: arg(bgy), x: arg(bx), mean, rstd, w: opt(bw), gx: arg(bgx), gw: opt(bgw), gb: opt(bgb) });
        expectClose(by.read(), ref.y, dt, 'layernorm y', { f32: [2e-5, 1e-4] });
        expectClose(bgx.read(), ref.gx, dt, 'layernorm gx', { f32: [2e-5 * maxAbs(ref.gx), 1e-4], f64: [1e-11 * maxAbs(ref.gx), 1e-9] });
        if (bgw && bgb) {
          expectClose(bgw.read(), ref.gw, dt, 'layernorm dw', { f32: [2e-5 * maxAbs(ref.gw), 1e-4], f64: [1e-11 * maxAbs(ref.gw), 1e-9] });
          expectClose(bgb.read(), ref.gb, dt, 'layernorm db', { f32: [2e-5 * maxAbs(ref.gb), 1e-4], f64: [1e-11 * maxAbs(ref.gb), 1e-9] });
        }
        for (const q of [bx, bgy, by, bgx, bw, bb, bst, bgw, bgb]) if (q) { expect(q.guardsIntact()).toBe(true); q.free(); }
      });
    }
  }
});
