// SPDX-License-Identifier: MIT
// FIR resampling against a direct loop implementation of the upfirdn2d definition (zero insertion,
// pad/crop, true convolution, decimation), which shares no code with the engine's conv-based one.
import { describe, expect, it } from 'vitest';
import {
  convDownsample2d, downsample2d, FirConv2d, naiveDownsample2d, naiveUpsample2d, setupKernel, upfirdn2d, upsample2d, upsampleConv2d,
  type FirKernel,
} from '../../src/nn/index.js';
import { gradcheck, gradgradcheck, numTensors, randn, tensor, tidy, Generator, type Tensor } from '../../src/index.js';

type Img = Float64Array; // [N, C, H, W] row-major

function direct(x: Img, [N, C, H, W]: number[], k: FirKernel, up: number, down: number, p0: number, p1: number): { y: Img; shape: number[] } {
  const K = k.size;
  const UH = H * up, UW = W * up;
  const PH = UH + p0 + p1, PW = UW + p0 + p1;
  const OH = Math.floor((PH - K) / down) + 1, OW = Math.floor((PW - K) / down) + 1;
  const y = new Float64Array(N * C * OH * OW);
  // zp(i, j): the zero-stuffed image shifted by p0 (crop when p0 < 0)
  const zp = (n: number, c: number, i: number, j: number) => {
    const a = i - p0, b = j - p0;
    if (a < 0 || b < 0 || a >= UH || b >= UW || a % up || b % up) return 0;
    return x[((n * C + c) * H + a / up) * W + b / up];
  };
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let o = 0; o < OH; o++)
        for (let q = 0; q < OW; q++) {
          let s = 0;
          for (let a = 0; a < K; a++)
            for (let b = 0; b < K; b++) s += zp(n, c, o * down + a, q * down + b) * k.data[(K - 1 - a) * K + (K - 1 - b)];
          y[((n * C + c) * OH + o) * OW + q] = s;
        }
  return { y, shape: [N, C, OH, OW] };
}

/** Direct stride-s transposed convolution, padding 0: y[o, s j + a, s l + b] += x[i, j, l] wt[i, o, a, b]. */
function directConvT(x: Img, [N, Ci, H, W]: number[], wt: Img, Co: number, K: number, s: number): { y: Img; shape: number[] } {
  const OH = (H - 1) * s + K, OW = (W - 1) * s + K;
  const y = new Float64Array(N * Co * OH * OW);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ci; i++)
      for (let j = 0; j < H; j++)
        for (let l = 0; l < W; l++) {
          const v = x[((n * Ci + i) * H + j) * W + l];
          for (let o = 0; o < Co; o++)
            for (let a = 0; a < K; a++)
              for (let b = 0; b < K; b++) y[((n * Co + o) * OH + s * j + a) * OW + s * l + b] += v * wt[((i * Co + o) * K + a) * K + b];
        }
  return { y, shape: [N, Co, OH, OW] };
}

/** Direct cross-correlation, stride s, no padding: y[o, p, q] = sum x[i, s p + a, s q + b] w[o, i, a, b]. */
function directConv(x: Img, [N, Ci, H, W]: number[], w: Img, Co: number, K: number, s: number): { y: Img; shape: number[] } {
  const OH = Math.floor((H - K) / s) + 1, OW = Math.floor((W - K) / s) + 1;
  const y = new Float64Array(N * Co * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < Co; o++)
      for (let p = 0; p < OH; p++)
        for (let q = 0; q < OW; q++) {
          let acc = 0;
          for (let i = 0; i < Ci; i++)
            for (let a = 0; a < K; a++)
              for (let b = 0; b < K; b++) acc += x[((n * Ci + i) * H + s * p + a) * W + s * q + b] * w[((o * Ci + i) * K + a) * K + b];
          y[((n * Co + o) * OH + p) * OW + q] = acc;
        }
  return { y, shape: [N, Co, OH, OW] };
}

const f64 = (t: Tensor) => Float64Array.from(t.dataSync() as ArrayLike<number>);

function expectClose(got: Tensor, want: { y: Img; shape: number[] }, tol = 1e-12) {
  expect([...got.shape]).toEqual(want.shape);
  const g = f64(got);
  let err = 0;
  for (let i = 0; i < g.length; i++) err = Math.max(err, Math.abs(g[i] - want.y[i]));
  expect(err).toBeLessThan(tol);
}

describe('setupKernel', () => {
  it('[1,3,3,1] is outer([1,3,3,1]) / 64', () => {
    const k = setupKernel([1, 3, 3, 1]);
    expect(k.size).toBe(4);
    expect(k.data[0]).toBeCloseTo(1 / 64, 15);
    expect(k.data[5]).toBeCloseTo(9 / 64, 15);
    expect(k.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
  });
  it('rejects empty and zero-sum kernels', () => {
    expect(() => setupKernel([])).toThrow(/setupKernel: argument 'k'/);
    expect(() => setupKernel([1, -1])).toThrow(/non-zero sum/);
  });
});

describe('upfirdn2d against the direct definition (float64)', () => {
  const gen = new Generator(7);
  // an asymmetric kernel catches a flipped / unflipped mix-up that [1,3,3,1] would hide
  const asym = setupKernel([[1, 2, 0], [0, 3, 1], [2, 0, 5]]);
  const fir = setupKernel([1, 3, 3, 1]);
  const cases: [string, FirKernel, number, number, number, number][] = [
    ['plain', asym, 1, 1, 0, 0],
    ['symmetric pad, down 2', fir, 1, 2, 1, 1],
    ['asymmetric pad', asym, 1, 1, 2, 0],
    ['negative pad (crop)', asym, 1, 1, -1, 2],
    ['up 2 fast path', fir, 2, 1, 2, 1],
    ['up 2 asymmetric kernel', asym, 2, 1, 1, 1],
    ['up 2 general path (crop)', asym, 2, 1, -1, 0],
    ['up 3 down 2', asym, 3, 2, 2, 1],
  ];
  for (const [name, k, up, down, p0, p1] of cases) {
    it(name, () => {
      tidy(() => {
        const shape = [2, 3, 5, 6];
        const x = randn(shape, { dtype: 'float64', generator: gen });
        expectClose(upfirdn2d(x, k, { up, down, pad: [p0, p1] }), direct(f64(x), shape, k, up, down, p0, p1));
      });
    });
  }

  it('upsample2d / downsample2d use the reference paddings', () => {
    tidy(() => {
      const shape = [1, 2, 4, 4];
      const x = randn(shape, { dtype: 'float64', generator: gen });
      const k = setupKernel([1, 3, 3, 1]);
      const k4 = { size: 4, data: k.data.map((v) => v * 4) };
      // p = 4 - 2 = 2: up pads ((p+1)//2 + 1, p//2) = (2, 1); down pads (1, 1)
      expectClose(upsample2d(x), direct(f64(x), shape, k4, 2, 1, 2, 1));
      expectClose(downsample2d(x), direct(f64(x), shape, k, 1, 2, 1, 1));
      expect([...upsample2d(x).shape]).toEqual([1, 2, 8, 8]);
      expect([...downsample2d(x).shape]).toEqual([1, 2, 2, 2]);
    });
  });

  it('a constant image stays constant away from the border (gain 1)', () => {
    tidy(() => {
      const x = tensor(new Float64Array(64).fill(2.5), { shape: [1, 1, 8, 8] });
      const u = f64(upsample2d(x)), d = f64(downsample2d(x));
      for (let i = 2; i < 14; i++) for (let j = 2; j < 14; j++) expect(u[i * 16 + j]).toBeCloseTo(2.5, 12);
      for (let i = 1; i < 3; i++) for (let j = 1; j < 3; j++) expect(d[i * 4 + j]).toBeCloseTo(2.5, 12);
    });
  });

  it('upsampleConv2d = flipped-weight transposed conv then FIR (pad (1, 1))', () => {
    tidy(() => {
      const xs = [2, 3, 4, 5], Co = 2, K = 3;
      const x = randn(xs, { dtype: 'float64', generator: gen });
      const w = randn([Co, 3, K, K], { dtype: 'float64', generator: gen });
      const wd = f64(w);
      const wt = new Float64Array(3 * Co * K * K); // wt[i, o, a, b] = w[o, i, K-1-a, K-1-b]
      for (let o = 0; o < Co; o++) for (let i = 0; i < 3; i++) for (let a = 0; a < K; a++) for (let b = 0; b < K; b++)
        wt[((i * Co + o) * K + a) * K + b] = wd[((o * 3 + i) * K + K - 1 - a) * K + K - 1 - b];
      const t = directConvT(f64(x), xs, wt, Co, K, 2);
      const k = setupKernel([1, 3, 3, 1]);
      const want = direct(t.y, t.shape, { size: 4, data: k.data.map((v) => v * 4) }, 1, 1, 1, 1);
      const got = upsampleConv2d(x, w);
      expect([...got.shape]).toEqual([2, Co, 8, 10]);
      expectClose(got, want);
    });
  });

  it('convDownsample2d = FIR with pad (2, 2) then stride-2 conv', () => {
    tidy(() => {
      const xs = [1, 2, 6, 6], Co = 3, K = 3;
      const x = randn(xs, { dtype: 'float64', generator: gen });
      const w = randn([Co, 2, K, K], { dtype: 'float64', generator: gen });
      const f = direct(f64(x), xs, setupKernel([1, 3, 3, 1]), 1, 1, 2, 2);
      const want = directConv(f.y, f.shape, f64(w), Co, K, 2);
      const got = convDownsample2d(x, w);
      expect([...got.shape]).toEqual([1, Co, 3, 3]);
      expectClose(got, want);
    });
  });

  it('naive resampling is nearest repetition and block means', () => {
    tidy(() => {
      const x = tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' });
      expect(naiveUpsample2d(x).toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
      expect(naiveDownsample2d(naiveUpsample2d(x)).toArray()).toEqual(x.toArray());
      expect(naiveDownsample2d(x).toArray()).toEqual([[[[2.5]]]]);
      expect(() => naiveDownsample2d(tensor([[[[1, 2, 3]]]]))).toThrow(/multiples of 2/);
    });
  });
});

describe('FIR gradients (float64 finite differences)', () => {
  it('first and second order through upsample2d, downsample2d, upsampleConv2d, convDownsample2d', () => {
    const gen = new Generator(3);
    tidy(() => {
      const x = randn([1, 2, 3, 3], { dtype: 'float64', generator: gen, requiresGrad: true });
      const w = randn([2, 2, 3, 3], { dtype: 'float64', generator: gen, requiresGrad: true });
      expect(gradcheck((a) => upsample2d(a), [x])).toBe(true);
      expect(gradcheck((a) => downsample2d(upsample2d(a)), [x])).toBe(true);
      expect(gradcheck((a, b) => upsampleConv2d(a, b), [x, w])).toBe(true);
      expect(gradcheck((a, b) => convDownsample2d(upsample2d(a), b), [x, w])).toBe(true);
      expect(gradgradcheck((a, b) => upsampleConv2d(a, b), [x, w])).toBe(true);
    });
  });
});

describe('FirConv2d', () => {
  it('up / down / plain shapes; bias starts at zero; no leaked tensors', () => {
    const gen = new Generator(11);
    const up = new FirConv2d(4, 6, 3, { up: true, generator: gen });
    const down = new FirConv2d(4, 6, 3, { down: true, generator: gen });
    const plain = new FirConv2d(4, 6, 3, { generator: gen });
    const n0 = numTensors();
    tidy(() => {
      const x = randn([2, 4, 8, 8], { generator: gen });
      expect([...up.forward(x).shape]).toEqual([2, 6, 16, 16]);
      expect([...down.forward(x).shape]).toEqual([2, 6, 4, 4]);
      expect([...plain.forward(x).shape]).toEqual([2, 6, 8, 8]);
    });
    expect(numTensors()).toBe(n0);
    expect(Array.from(up.bias!.dataSync())).toEqual(new Array(6).fill(0));
    expect(() => new FirConv2d(4, 6, 4)).toThrow(/odd/);
    expect(() => new FirConv2d(4, 6, 3, { up: true, down: true })).toThrow(/not both/);
    for (const m of [up, down, plain]) m.dispose();
  });
});
