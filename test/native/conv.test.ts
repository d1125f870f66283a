// SPDX-License-Identifier: MIT
// conv2d forward / input gradient / weight gradient kernels against a float64 direct reference:
// strides, padding, dilation, groups, 1x1, odd sizes (Winograd tiles overhanging the edge),
// float32 and float64, with the Winograd F(4x4, 3x3) path and the im2col path both checked on
// the same shapes.
import { afterAll, describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { kernels, native } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded, type FDType } from './helpers.js';

interface Cfg { N: number; C: number; H: number; W: number; O: number; KH: number; KW: number; s?: number; p?: number; d?: number; g?: number }

function shapeOf(c: Cfg): number[] {
  const s = c.s ?? 1, p = c.p ?? 0, d = c.d ?? 1, g = c.g ?? 1;
  const OH = Math.floor((c.H + 2 * p - d * (c.KH - 1) - 1) / s) + 1, OW = Math.floor((c.W + 2 * p - d * (c.KW - 1) - 1) / s) + 1;
  return [c.N, c.C, c.H, c.W, c.O, c.KH, c.KW, OH, OW, s, s, p, p, d, d, g];
}

/** Direct float64 reference: y, and the input / weight gradients for upstream gy. */
function ref(sh: number[], x: Float64Array, w: Float64Array, b: Float64Array | null, gy: Float64Array) {
  const [N, C, H, W, O, KH, KW, OH, OW, sh_, sw, ph, pw, dh, dw, G] = sh;
  const cg = C / G, og = O / G;
  const y = new Float64Array(N * O * OH * OW), gx = new Float64Array(x.length), gw = new Float64Array(w.length);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const g = Math.floor(o / og);
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const yi = ((n * O + o) * OH + oh) * OW + ow;
      let acc = b ? b[o] : 0;
      for (let c = 0; c < cg; c++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
        const h = oh * sh_ - ph + i * dh, ww = ow * sw - pw + j * dw;
        if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
        const xi = ((n * C + g * cg + c) * H + h) * W + ww, wi = ((o * cg + c) * KH + i) * KW + j;
        acc += x[xi] * w[wi];
        gx[xi] += gy[yi] * w[wi];
        gw[wi] += gy[yi] * x[xi];
      }
      y[yi] = acc;
    }
  }
  return { y, gx, gw };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function check(dt: FDType, c: Cfg, bias: boolean, what: string) {
  const sh = shapeOf(c);
  const [N, C, H, W, O, KH, KW, OH, OW, , , , , , , G] = sh;
  const nx = N * C * H * W, nw = O * (C / G) * KH * KW, ny = N * O * OH * OW;
  const x = rounded(dt, rand(nx, 11 + nx)), w = rounded(dt, rand(nw, 5 + nw, -0.5, 0.5));
  const b = bias ? rounded(dt, rand(O, 3)) : null, gy = rounded(dt, rand(ny, 17 + ny));
  const r = ref(sh, x, w, b, gy);
  const P = 5;
  const bx = Buf.from(dt, x, P), bw = Buf.from(dt, w, P), bb = b ? Buf.from(dt, b, P) : null, bgy = Buf.from(dt, gy, P);
  const by = new Buf(dt, ny, P), bgx = new Buf(dt, nx, P), bgw = new Buf(dt, nw, P);
  const arg = (b: Buf) => ({ buffer: b.buf, offset: b.off });
  const [, , , , , , , , , strideH, strideW, padH, padW, dilationH, dilationW] = sh;
  const s = { N, C, H, W, O, KH, KW, OH, OW, strideH, strideW, padH, padW, dilationH, dilationW, groups: G };
  kernels.conv2dForward({ ...s, x: arg(bx), w: arg(bw), bias: bb ? arg(bb) : null, y: arg(by) });
  kernels.conv2dBackwardInput({ ...s, gy: arg(bgy), w: arg(bw), gx: arg(bgx) });
  kernels.conv2dBackwardWeight({ ...s, x: arg(bx), gy: arg(bgy), gw: arg(bgw) });
  // f32 error grows with the reduction length (C*KH*KW or N*OH*OW terms) and, for Winograd, with
  // the transforms' constants: tolerances relative to the output scale.
  const tol = (a: Float64Array): { f32: [number, number]; f64: [number, number] } => ({ f32: [3e-5 * maxAbs(a), 1e-4], f64: [1e-12 * maxAbs(a), 1e-10] });
  const tag = `${what} ${JSON.stringify(c)}`;
  expectClose(by.read(), r.y, dt, `${tag} y`, tol(r.y));
  expectClose(bgx.read(), r.gx, dt, `${tag} gx`, tol(r.gx));
  expectClose(bgw.read(), r.gw, dt, `${tag} gw`, tol(r.gw));
  for (const q of [bx, bw, bb, bgy, by, bgx, bgw]) if (q) { expect(q.guardsIntact(), `${tag}: wrote outside an operand`).toBe(true); q.free(); }
}

const CASES: Cfg[] = [
  // Winograd-eligible (float32, 3x3, stride 1, >= 8 channels): tile edges, paddings 0..2, groups
  { N: 2, C: 8, H: 9, W: 7, O: 8, KH: 3, KW: 3, p: 1 },
  { N: 1, C: 16, H: 5, W: 13, O: 24, KH: 3, KW: 3, p: 0 },
  { N: 3, C: 8, H: 6, W: 6, O: 9, KH: 3, KW: 3, p: 2 },
  { N: 2, C: 16, H: 11, W: 10, O: 16, KH: 3, KW: 3, p: 1, g: 2 },
  { N: 1, C: 8, H: 3, W: 3, O: 8, KH: 3, KW: 3, p: 0 },  // a single 1x1 output: one mostly-empty tile
  { N: 5, C: 12, H: 8, W: 8, O: 20, KH: 3, KW: 3, p: 1 },  // more tiles than one 32-tile block
  { N: 1, C: 8, H: 5, W: 70, O: 8, KH: 3, KW: 3, p: 1 },   // rows of several deinterleave vectors
  { N: 2, C: 8, H: 6, W: 28, O: 8, KH: 3, KW: 3, p: 1 },   // padded rows of 32: two vectors (the U-Net's 28x28)
  { N: 1, C: 8, H: 5, W: 60, O: 8, KH: 3, KW: 3, p: 1 },   // padded rows of exactly 64: the permute path's limit
  { N: 1, C: 8, H: 5, W: 61, O: 8, KH: 3, KW: 3, p: 2 },   // one past it (68): the generic path
  { N: 2, C: 8, H: 7, W: 14, O: 8, KH: 3, KW: 3, p: 2 },   // padding 2 inside a two-vector row
  { N: 1, C: 8, H: 3, W: 1100, O: 8, KH: 3, KW: 3, p: 2 }, // rows past the vector path's limit
  // im2col paths: stride, dilation, other kernels, few channels, 1x1
  { N: 2, C: 3, H: 9, W: 8, O: 5, KH: 3, KW: 3, p: 1 },
  { N: 2, C: 8, H: 9, W: 9, O: 8, KH: 3, KW: 3, s: 2, p: 1 },
  { N: 1, C: 4, H: 10, W: 7, O: 6, KH: 3, KW: 2, d: 2, p: 2 },
  { N: 3, C: 6, H: 5, W: 4, O: 4, KH: 1, KW: 1 },
  { N: 2, C: 6, H: 5, W: 5, O: 9, KH: 1, KW: 1, s: 2 },
  { N: 2, C: 4, H: 7, W: 6, O: 6, KH: 5, KW: 5, p: 2, g: 2 },
  { N: 1, C: 1, H: 28, W: 28, O: 32, KH: 3, KW: 3, p: 1 },  // the U-Net stem
  { N: 2, C: 32, H: 6, W: 6, O: 1, KH: 3, KW: 3, p: 1 },  // the U-Net head (one output channel)
];

describe('conv2d kernels', () => {
  const saved = native.convWinograd();
  afterAll(() => native.convWinograd(saved));
  for (const dt of DTYPES) {
    for (const wino of [true, false]) {
      it(`${dt}, ${wino ? 'Winograd enabled' : 'im2col only'}`, () => {
        native.convWinograd(wino);
        for (const c of CASES) for (const bias of [false, true]) check(dt, c, bias, wino ? 'winograd' : 'im2col');
      });
    }
  }
});

describe('Winograd weight gradient: the same bits at any thread count', () => {
  // The threads share each super-block of tiles and each xi's GEMM runs on one thread over the
  // whole super-block, so the sum order is fixed by the super-blocks alone. (The earlier per-thread
  // partials summed in double mostly rounded to the same floats too; now it holds by construction,
  // and this guards it.) 3136 tiles of 8 -> 8 channels make two super-blocks, the second
  // accumulating onto the first.
  it('1, 2 and 3 threads give bitwise equal gradients of x and w', () => {
    const saved = native.convWinograd();
    const threads = lc.getNumThreads();
    native.convWinograd(true);
    try {
      lc.manualSeed(3);
      const x = lc.randn([4, 8, 112, 112]).requiresGrad_(), w = lc.randn([8, 8, 3, 3]).requiresGrad_(), gy = lc.randn([4, 8, 112, 112]);
      const grads = (n: number) => {
        lc.setNumThreads(n);
        return lc.tidy(() => lc.grad(lc.conv2d(x, w, null, { padding: 1 }), [x, w], { gradOutputs: gy }).map((t) => t.dataSync().slice()));
      };
      const [gx1, gw1] = grads(1);
      for (const n of [2, 3]) {
        const [gxn, gwn] = grads(n);
        expect(Buffer.compare(Buffer.from(gw1.buffer), Buffer.from(gwn.buffer)), `gw at ${n} threads`).toBe(0);
        expect(Buffer.compare(Buffer.from(gx1.buffer), Buffer.from(gxn.buffer)), `gx at ${n} threads`).toBe(0);
      }
      expect(gw1.some((v) => v !== 0)).toBe(true);
      lc.dispose([x, w, gy]);
    } finally {
      lc.setNumThreads(threads);
      native.convWinograd(saved);
    }
  });
});
