// SPDX-License-Identifier: MIT
// Conv2d and its init, GroupNorm (SiLU fusion), InstanceNorm++ and its conditional variant,
// embeddings, NIN and attention, against direct definitions.
import { describe, expect, it } from 'vitest';
import {
  AttnBlock, AttnBlockpp, ConditionalInstanceNorm2dPlus, Conv2d, ddpmConv1x1, ddpmConv3x3, Dropout, GaussianFourierProjection, getActivation,
  GroupNorm, groupNormFor, groupsFor, InstanceNorm2dPlus, interpolateBilinear, leakyRelu, ncsnConv3x3, NIN, spatialAttention, timestepEmbedding,
} from '../../src/nn/index.js';
import { Generator, groupNormComposite, noGrad, numTensors, randn, silu, tensor, tidy, type Tensor } from '../../src/index.js';

/** Overwrites a parameter's values (outside autograd). */
const setParam = (p: Tensor, v: Tensor) => noGrad(() => p.copy_(v));
const f64 = (t: Tensor) => Float64Array.from(t.dataSync() as ArrayLike<number>);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function moments(t: Tensor) {
  const d = f64(t);
  const n = d.length;
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const v = d.reduce((a, b) => a + b * b, 0) / n;
  return { n, mean, v, maxAbs: d.reduce((a, b) => Math.max(a, Math.abs(b)), 0) };
}

describe('Conv2d init statistics', () => {
  // Uniform U(-a, a) with variance v: Var(w^2) = 4v^2/5, so the sample mean of w^2 has standard
  // error sqrt(0.8/n) v; we require |mean(w^2) - v| < 4 standard errors and |mean(w)| < 4 sqrt(v/n).
  const gen = new Generator(123);
  const check = (w: Tensor, v: number) => {
    const m = moments(w);
    expect(Math.abs(m.v - v)).toBeLessThan(4 * Math.sqrt(0.8 / m.n) * v);
    expect(Math.abs(m.mean)).toBeLessThan(4 * Math.sqrt(v / m.n));
    expect(m.maxAbs).toBeLessThanOrEqual(Math.sqrt(3 * v) * (1 + 1e-6));
  };

  it('ddpm init: variance scale / fan_avg, zero bias', () => {
    const c = ddpmConv3x3(64, 128, { generator: gen });
    check(c.weight, 1 / ((64 * 9 + 128 * 9) / 2));
    expect(moments(c.bias!).maxAbs).toBe(0);
    const c2 = ddpmConv1x1(96, 32, { generator: gen, initScale: 0.1 });
    check(c2.weight, 0.1 / ((96 + 32) / 2));
    c.dispose();
    c2.dispose();
  });

  it('init_scale 0 gives the reference 1e-10 scale (tiny but not zero)', () => {
    const c = ddpmConv3x3(32, 32, { generator: gen, initScale: 0 });
    const m = moments(c.weight);
    expect(m.maxAbs).toBeGreaterThan(0);
    expect(m.maxAbs).toBeLessThanOrEqual(Math.sqrt(3 * 1e-10 / 288) * (1 + 1e-6));
    c.dispose();
  });

  it('torch init: U(+-1/sqrt(fan_in)) for weight and bias; ncsn init_scale multiplies it', () => {
    const c = new Conv2d(64, 64, 3, { generator: gen, padding: 1 });
    check(c.weight, 1 / (3 * 576));
    expect(moments(c.bias!).maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(576));
    const n = ncsnConv3x3(64, 64, { generator: gen, initScale: 0.5 });
    check(n.weight, 0.25 / (3 * 576));
    const z = new Conv2d(4, 4, 1, { init: 'zeros' });
    expect(moments(z.weight).maxAbs).toBe(0);
    for (const m of [c, n, z]) m.dispose();
  });

  it('forward shapes (stride, padding, groups), bias-free variant, validation', () => {
    const n0 = numTensors();
    const c = new Conv2d(4, 8, 3, { stride: 2, padding: 1, generator: gen });
    const g = new Conv2d(4, 8, 3, { padding: 1, groups: 2, bias: false, generator: gen });
    expect(g.bias).toBeNull();
    expect(c.numParameters()).toBe(8 * 4 * 9 + 8);
    expect(g.numParameters()).toBe(8 * 2 * 9);
    tidy(() => {
      const x = randn([2, 4, 9, 9], { generator: gen });
      expect([...c.forward(x).shape]).toEqual([2, 8, 5, 5]);
      expect([...g.forward(x).shape]).toEqual([2, 8, 9, 9]);
    });
    expect(() => new Conv2d(3, 8, 3, { groups: 2 })).toThrow(/Conv2d: argument 'groups' got 2/);
    expect(() => new Conv2d(0, 8, 3)).toThrow(/inChannels/);
    c.dispose();
    g.dispose();
    expect(numTensors()).toBe(n0);
  });
});

describe('GroupNorm', () => {
  it('groupsFor(C) = min(C/4, 32)', () => {
    expect([4, 32, 64, 96, 128, 256, 512].map(groupsFor)).toEqual([1, 8, 16, 24, 32, 32, 32]);
    expect(groupsFor(2)).toBe(1);
  });

  it('matches the composite definition; SiLU is fused; other activations applied after', () => {
    const gen = new Generator(5);
    const gn = groupNormFor(32, { eps: 1e-6 });
    tidy(() => {
      // non-trivial affine parameters
      setParam(gn.weight!, randn([32], { generator: gen }));
      setParam(gn.bias!, randn([32], { generator: gen }));
      const x = randn([3, 32, 5, 5], { generator: gen });
      const ref = groupNormComposite(x, 8, gn.weight, gn.bias, 1e-6);
      expect(maxDiff(f64(gn.forward(x)), f64(ref))).toBeLessThan(1e-5);
      expect(maxDiff(f64(gn.forward(x, getActivation('swish'))), f64(silu(ref)))).toBeLessThan(1e-5);
      const elu = getActivation('elu');
      expect(maxDiff(f64(gn.forward(x, elu)), f64(elu(ref)))).toBeLessThan(1e-5);
    });
    expect(() => new GroupNorm(3, 32)).toThrow(/divisor of numChannels/);
    gn.dispose();
  });
});

describe('activations', () => {
  it('names, lrelu slope 0.2, unknown names rejected', () => {
    tidy(() => {
      expect(getActivation('swish').kind).toBe('silu');
      expect(Array.from(getActivation('lrelu')(tensor([-1, 2])).dataSync())).toEqual([Math.fround(-0.2), 2]);
      expect(Array.from(leakyRelu(tensor([-10, 3]), 0.1).dataSync())).toEqual([-1, 3]);
    });
    expect(() => getActivation('mish')).toThrow(/getActivation: argument 'name' got "mish", expected one of/);
  });
});

/** Direct InstanceNorm++ of x [B, C, H, W] with per-sample (gamma, alpha, beta) rows. */
function directInstanceNormPlus(x: Float64Array, [B, C, H, W]: number[], g: (b: number, c: number) => [number, number, number]) {
  const HW = H * W, eps = 1e-5, out = new Float64Array(x.length);
  for (let b = 0; b < B; b++) {
    const mu = new Float64Array(C), sd = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = 0, s2 = 0;
      for (let i = 0; i < HW; i++) s += x[(b * C + c) * HW + i];
      mu[c] = s / HW;
      for (let i = 0; i < HW; i++) s2 += (x[(b * C + c) * HW + i] - mu[c]) ** 2;
      sd[c] = Math.sqrt(s2 / HW + eps);
    }
    const m = mu.reduce((a, v) => a + v, 0) / C;
    const v = mu.reduce((a, u) => a + (u - m) ** 2, 0) / (C - 1); // torch.var: unbiased
    for (let c = 0; c < C; c++) {
      const [gamma, alpha, beta] = g(b, c);
      const mp = (mu[c] - m) / Math.sqrt(v + eps);
      for (let i = 0; i < HW; i++) {
        const k = (b * C + c) * HW + i;
        out[k] = gamma * ((x[k] - mu[c]) / sd[c] + mp * alpha) + beta;
      }
    }
  }
  return out;
}

describe('InstanceNorm++', () => {
  const gen = new Generator(9);
  it('matches the NCSN definition; alpha, gamma ~ N(1, 0.02)', () => {
    const m = new InstanceNorm2dPlus(16, { generator: gen, dtype: 'float64' });
    tidy(() => {
      setParam(m.beta!, randn([16], { generator: gen, dtype: 'float64' }));
      const shape = [2, 16, 4, 4];
      const x = randn(shape, { generator: gen, dtype: 'float64', mean: 0.5 });
      const a = f64(m.alpha), g = f64(m.gamma), b = f64(m.beta!);
      const want = directInstanceNormPlus(f64(x), shape, (_, c) => [g[c], a[c], b[c]]);
      expect(maxDiff(f64(m.forward(x)), want)).toBeLessThan(1e-10);
    });
    const st = moments(m.gamma);
    expect(Math.abs(st.mean - 1)).toBeLessThan(4 * 0.02 / Math.sqrt(16));
    expect(m.numParameters()).toBe(48);
    m.dispose();
  });

  it('the conditional variant indexes [gamma | alpha | beta] rows by noise level', () => {
    const m = new ConditionalInstanceNorm2dPlus(8, 5, { generator: gen, dtype: 'float64' });
    expect(m.numParameters()).toBe(5 * 24);
    expect([...m.stateDict().keys()]).toEqual(['embed.weight']);
    tidy(() => {
      setParam(m.embed, randn([5, 24], { generator: gen, dtype: 'float64' }));
      const shape = [3, 8, 3, 3];
      const x = randn(shape, { generator: gen, dtype: 'float64' });
      const y = [4, 0, 2];
      const e = f64(m.embed);
      const want = directInstanceNormPlus(f64(x), shape, (b, c) => [e[y[b] * 24 + c], e[y[b] * 24 + 8 + c], e[y[b] * 24 + 16 + c]]);
      expect(maxDiff(f64(m.forward(x, tensor(y, { dtype: 'int32' }))), want)).toBeLessThan(1e-10);
    });
    m.dispose();
  });
});

describe('embeddings', () => {
  it('timestepEmbedding is [sin(t f_k), cos(t f_k)], f_k = 10000^(-k/(half-1)); odd dims zero-padded', () => {
    tidy(() => {
      const t = tensor([0, 1.5, 999], { dtype: 'float64' });
      const e = f64(timestepEmbedding(t, 8));
      const tv = [0, 1.5, 999];
      for (let b = 0; b < 3; b++)
        for (let k = 0; k < 4; k++) {
          const f = Math.exp((-Math.log(10000) * k) / 3);
          expect(e[b * 8 + k]).toBeCloseTo(Math.sin(tv[b] * f), 4);
          expect(e[b * 8 + 4 + k]).toBeCloseTo(Math.cos(tv[b] * f), 4);
        }
      const odd = timestepEmbedding(t, 7);
      expect([...odd.shape]).toEqual([3, 7]);
      expect(f64(odd)[6]).toBe(0);
      expect(() => timestepEmbedding(tensor([[1]]), 8)).toThrow(/1-D/);
    });
  });

  it('GaussianFourierProjection: W ~ N(0, scale^2) is a buffer, output [sin, cos](2 pi x W)', () => {
    const g = new GaussianFourierProjection({ embeddingSize: 512, scale: 16, generator: new Generator(1) });
    expect(g.numParameters()).toBe(0);
    expect([...g.stateDict().keys()]).toEqual(['W']);
    const m = moments(g.W);
    // sample variance of 512 normals: relative standard error sqrt(2/512) = 6.25%; 4 SE
    expect(Math.abs(m.v / 256 - 1)).toBeLessThan(4 * Math.sqrt(2 / 512));
    tidy(() => {
      const x = tensor([0.3, -1.2]);
      const e = f64(g.forward(x)), W = f64(g.W);
      expect(e.length).toBe(2 * 1024);
      for (const [b, xv] of [[0, 0.3], [1, -1.2]])
        for (const k of [0, 17, 511]) {
          expect(e[b * 1024 + k]).toBeCloseTo(Math.sin(2 * Math.PI * Math.fround(xv) * W[k]), 2);
          expect(e[b * 1024 + 512 + k]).toBeCloseTo(Math.cos(2 * Math.PI * Math.fround(xv) * W[k]), 2);
        }
    });
    g.dispose();
  });
});

describe('NIN and attention', () => {
  const gen = new Generator(21);

  it('NIN is sum_c x[c] W[c, o] + b[o] at every pixel (init scale 0.1)', () => {
    const m = new NIN(5, 3, { generator: gen, dtype: 'float64' });
    expect(moments(m.W).maxAbs).toBeLessThanOrEqual(Math.sqrt((3 * 0.1) / 4) + 1e-12);
    tidy(() => {
      setParam(m.b, tensor([0.5, -1, 2], { dtype: 'float64' }));
      const x = randn([2, 5, 2, 3], { generator: gen, dtype: 'float64' });
      const xd = f64(x), W = f64(m.W), y = f64(m.forward(x));
      for (let b = 0; b < 2; b++) for (let o = 0; o < 3; o++) for (let p = 0; p < 6; p++) {
        let s = [0.5, -1, 2][o];
        for (let c = 0; c < 5; c++) s += xd[(b * 5 + c) * 6 + p] * W[c * 3 + o];
        expect(y[(b * 3 + o) * 6 + p]).toBeCloseTo(s, 12);
      }
    });
    m.dispose();
  });

  it('spatialAttention matches the einsum definition of the reference', () => {
    tidy(() => {
      const [B, C, H, W] = [2, 3, 2, 3], P = H * W;
      const q = randn([B, C, H, W], { generator: gen, dtype: 'float64' });
      const k = randn([B, C, H, W], { generator: gen, dtype: 'float64' });
      const v = randn([B, C, H, W], { generator: gen, dtype: 'float64' });
      const [qd, kd, vd] = [q, k, v].map(f64);
      const got = f64(spatialAttention(q, k, v));
      for (let b = 0; b < B; b++)
        for (let i = 0; i < P; i++) {
          const w = new Float64Array(P);
          for (let j = 0; j < P; j++) for (let c = 0; c < C; c++) w[j] += qd[(b * C + c) * P + i] * kd[(b * C + c) * P + j] / Math.sqrt(C);
          const mx = Math.max(...w);
          const e = w.map((z) => Math.exp(z - mx));
          const s = e.reduce((a, z) => a + z, 0);
          for (let c = 0; c < C; c++) {
            let h = 0;
            for (let j = 0; j < P; j++) h += (e[j] / s) * vd[(b * C + c) * P + j];
            expect(got[(b * C + c) * P + i]).toBeCloseTo(h, 12);
          }
        }
    });
  });

  it('AttnBlockpp starts near the identity (NIN_3 init scale 0); skip_rescale divides by sqrt 2', () => {
    const a = new AttnBlockpp(16, { generator: gen, skipRescale: true });
    const d = new AttnBlock(64, { generator: gen });
    expect(a.numParameters()).toBe(2 * 16 + 4 * (16 * 16 + 16));
    expect([...a.stateDict().keys()].slice(0, 4)).toEqual(['GroupNorm_0.weight', 'GroupNorm_0.bias', 'NIN_0.W', 'NIN_0.b']);
    expect(d.GroupNorm_0.numGroups).toBe(32);
    const n0 = numTensors();
    tidy(() => {
      const x = randn([2, 16, 4, 4], { generator: gen });
      const y = a.forward(x);
      expect(maxDiff(f64(y), f64(x).map((v) => v * Math.SQRT1_2))).toBeLessThan(1e-4);
      const x2 = randn([1, 64, 2, 2], { generator: gen });
      expect(maxDiff(f64(d.forward(x2)), f64(x2))).toBeLessThan(1e-4);
    });
    expect(numTensors()).toBe(n0);
    a.dispose();
    d.dispose();
  });
});

describe('bilinear interpolation (align_corners=True)', () => {
  it('2x2 -> 3x3 and identity for equal sizes', () => {
    tidy(() => {
      const x = tensor([[[[1, 2], [3, 4]]]]);
      expect(interpolateBilinear(x, [3, 3]).toArray()).toEqual([[[[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]]]);
      expect(interpolateBilinear(x, [2, 2])).toBe(x);
      expect([...interpolateBilinear(randn([2, 3, 4, 4]), [8, 6]).shape]).toEqual([2, 3, 8, 6]);
    });
  });
});

describe('Dropout', () => {
  it('drops about p of the elements in training, none in eval', () => {
    const d = new Dropout(0.25, new Generator(4));
    tidy(() => {
      const x = tensor(new Float32Array(20000).fill(1));
      const y = f64(d.forward(x));
      const zeros = y.filter((v) => v === 0).length;
      // binomial(20000, 0.25): sd = sqrt(20000 * 0.25 * 0.75) = 61; 4 sd
      expect(Math.abs(zeros - 5000)).toBeLessThan(4 * 61.3);
      expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
      d.eval();
      expect(d.forward(x)).toBe(x);
    });
  });
});
