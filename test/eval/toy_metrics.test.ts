// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { GaussianMixture } from '../../src/data/gmm.js';
import { toy, toyDistribution } from '../../src/data/toy.js';
import { insideFraction, medianBandwidth, mmd2, nll, projectionDirections, slicedWasserstein, toyMetrics, wasserstein1dPow } from '../../src/eval/toy_metrics.js';

const cb = toyDistribution('checkerboard');
const sample = (seed: number, n = 1000, name: 'checkerboard' | 'rings' = 'checkerboard') => toy(name, { batchSize: n, seed }).next();

describe('checkerboard metrics', () => {
  it('inside fraction: 1 for true samples, 0 one cell over, 3/4 for a quarter-cell shift (4 s.e.)', () => {
    lc.tidy(() => {
      const x = sample(1, 4000);
      expect(insideFraction(x)).toBe(1);
      expect(insideFraction(x.add(lc.tensor([2, 0])))).toBe(0);
      const f = insideFraction(x.add(lc.tensor([0.5, 0])));
      expect(Math.abs(f - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / 4000));
    });
  });

  it('NLL: exactly log 32 for true samples; out-of-support samples cost -log(floor)', () => {
    lc.tidy(() => {
      const x = sample(2);
      const lp = (t: lc.Tensor) => cb.logDensity!(t);
      const t = nll(x, lp), o = nll(x.add(lc.tensor([2, 0])), lp);
      expect(t.floored).toBe(0);
      expect(t.nll).toBeCloseTo(Math.fround(Math.log(32)), 12);
      expect(o.floored).toBe(1);
      expect(o.nll).toBeCloseTo(-Math.log(1e-6), 12);
      const half = nll(x.add(lc.tensor([0.5, 0])), lp, { floor: 1e-3 });
      expect(half.nll).toBeCloseTo((1 - half.floored) * Math.fround(Math.log(32)) + half.floored * -Math.log(1e-3), 5);
      expect(() => nll(x, lp, { floor: 0 })).toThrow(/floor/);
    });
  });
});

describe('NLL under a Gaussian', () => {
  it('estimates the entropy for true samples and grows by |shift|²/(2σ²) (4 s.e.)', () => {
    const s = 0.7, n = 20_000;
    const g = new GaussianMixture({ means: [[0.5, -1]], stds: s });
    lc.tidy(() => {
      const x = g.sample(n, { generator: new lc.Generator(4), dtype: 'float64' });
      const lp = (t: lc.Tensor) => g.logDensity(t);
      const H = 1 + Math.log(2 * Math.PI * s * s);
      // −log p = H − 1 + ‖z‖²/2, whose standard deviation is 1 (‖z‖² ~ chi-square(2), var 4)
      const se = 1 / Math.sqrt(n);
      expect(Math.abs(nll(x, lp).nll - H)).toBeLessThan(4 * se);
      const d = [0.3, 0.4]; // |d|² = 0.25
      const shifted = nll(x.add(lc.tensor(d, { dtype: 'float64' })), lp).nll;
      expect(Math.abs(shifted - H - 0.25 / (2 * s * s))).toBeLessThan(4 * Math.sqrt(1 + 0.25 / (s * s)) * se);
    });
  });
});

describe('MMD²', () => {
  it('matches a direct evaluation of the unbiased estimator (fixed and summed bandwidths)', () => {
    const xs = [[0, 0], [1, 0.5], [-0.3, 2], [0.7, -1], [2, 2], [-1, -1]];
    const ys = [[0.2, 0.1], [1.5, 0.5], [-0.5, 1], [0.3, 0.3], [1, -2]];
    const k = (a: number[], b: number[], h: number) => Math.exp(-((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) / (2 * h * h));
    const direct = (hs: number[]) => {
      const K = (a: number[], b: number[]) => hs.reduce((s, h) => s + k(a, b, h), 0);
      let sxx = 0, syy = 0, sxy = 0;
      xs.forEach((a, i) => xs.forEach((b, j) => { if (i !== j) sxx += K(a, b); }));
      ys.forEach((a, i) => ys.forEach((b, j) => { if (i !== j) syy += K(a, b); }));
      xs.forEach((a) => ys.forEach((b) => (sxy += K(a, b))));
      return sxx / 30 + syy / 20 - (2 * sxy) / 30;
    };
    lc.tidy(() => {
      const X = lc.tensor(xs, { dtype: 'float64' }), Y = lc.tensor(ys, { dtype: 'float64' });
      expect(mmd2(X, Y, { bandwidth: 0.7 })).toBeCloseTo(direct([0.7]), 13);
      expect(mmd2(X, Y, { bandwidth: [0.5, 2] })).toBeCloseTo(direct([0.5, 2]), 13);
      // median heuristic: the median of the 55 pooled pairwise distances
      const pool = [...xs, ...ys], dd: number[] = [];
      pool.forEach((a, i) => pool.forEach((b, j) => { if (i < j) dd.push(Math.hypot(a[0] - b[0], a[1] - b[1])); }));
      dd.sort((a, b) => a - b);
      expect(medianBandwidth(X, Y)).toBeCloseTo(dd[27], 13);
      expect(mmd2(X, Y)).toBeCloseTo(direct([dd[27]]), 13);
      expect(() => mmd2(X, lc.zeros([4, 3]))).toThrow(/x is 2-D and y is 3-D/);
      expect(() => mmd2(X, Y, { bandwidth: -1 })).toThrow(/bandwidth\[0\]/);
    });
  });

  it('is ~0 for true vs true (|MMD²| < 2e-3 at n = 1000) and grows with shift and scale', () => {
    lc.tidy(() => {
      const a = sample(10), b = sample(11);
      const h = { bandwidth: 1 };
      const same = mmd2(a, b, h);
      expect(Math.abs(same)).toBeLessThan(2e-3);
      const shifted = [0.25, 0.5, 1].map((d) => mmd2(a, b.add(d), h));
      expect(shifted[0]).toBeGreaterThan(2e-3);
      expect(shifted[1]).toBeGreaterThan(shifted[0]);
      expect(shifted[2]).toBeGreaterThan(shifted[1]);
      expect(mmd2(a, b.mul(1.2), h)).toBeGreaterThan(2e-3);
    });
  });
});

describe('sliced Wasserstein', () => {
  it('computes 1-D W_p between samples of different sizes exactly', () => {
    const u = Float64Array.from([0, 1]), v = Float64Array.from([0, 0.5, 1]);
    expect(wasserstein1dPow(u, v, 1)).toBeCloseTo(1 / 6, 15);
    expect(wasserstein1dPow(u, v, 2)).toBeCloseTo(1 / 12, 15);
    expect(wasserstein1dPow(Float64Array.from([3]), Float64Array.from([1, 2]), 1)).toBeCloseTo(1.5, 15);
  });

  it('equals (mean_θ |θ·δ|^p)^(1/p) for a pure shift, about |δ|/√2 in 2-D, from seeded directions', () => {
    lc.tidy(() => {
      const x = sample(3, 500), d = [0.6, -0.8];
      const y = x.add(lc.tensor(d));
      const dirs = projectionDirections(2, 256, 7);
      let want = 0;
      for (let l = 0; l < 256; l++) want += (dirs[2 * l] * d[0] + dirs[2 * l + 1] * d[1]) ** 2;
      want = Math.sqrt(want / 256);
      // float32 samples: the shift is exact only to float32 rounding of x + δ
      expect(slicedWasserstein(x, y, { projections: 256, seed: 7 })).toBeCloseTo(want, 5);
      expect(Math.abs(want - 1 / Math.SQRT2)).toBeLessThan(0.05);
      expect(slicedWasserstein(x, y, { projections: 256, seed: 7 })).toBe(slicedWasserstein(x, y, { projections: 256, seed: 7 }));
      let r2 = 0;
      for (let l = 0; l < 256; l++) r2 += dirs[2 * l] ** 2 + dirs[2 * l + 1] ** 2;
      expect(r2 / 256).toBeCloseTo(1, 12); // unit directions
    });
  });

  it('is small for true vs true (< 0.2 at n = 1000) and grows with shift and scale', () => {
    lc.tidy(() => {
      const a = sample(20), b = sample(21);
      const same = slicedWasserstein(a, b);
      expect(same).toBeLessThan(0.2);
      const sh = [0.5, 1, 2].map((d) => slicedWasserstein(a, b.add(d)));
      expect(sh[0]).toBeGreaterThan(same);
      expect(sh[1]).toBeGreaterThan(sh[0]);
      expect(sh[2]).toBeGreaterThan(sh[1]);
      expect(slicedWasserstein(a, b.mul(1.3))).toBeGreaterThan(0.3);
    });
  });
});

describe('toyMetrics', () => {
  it('reports every metric against fresh data and leaks nothing', () => {
    const start = lc.numTensors();
    lc.tidy(() => {
      const good = toyMetrics(sample(30), cb);
      expect(good.inside).toBe(1);
      expect(good.nll).toBeCloseTo(Math.log(32), 5);
      expect(good.referenceNll).toBeCloseTo(Math.log(32), 5);
      expect(good.nllFloored).toBe(0);
      expect(Math.abs(good.mmd2)).toBeLessThan(2e-3);
      expect(good.sw).toBeLessThan(0.2);
      const bad = toyMetrics(sample(30).mul(1.25), cb);
      expect(bad.inside!).toBeLessThan(0.9);
      expect(bad.nll!).toBeGreaterThan(good.nll! + 1);
      expect(bad.mmd2).toBeGreaterThan(2e-3);
      expect(bad.sw).toBeGreaterThan(good.sw);
      // rings has a closed-form density, swissroll none
      const r = toyMetrics(sample(31, 1000, 'rings'), toyDistribution('rings'));
      expect(r.inside).toBeUndefined();
      expect(Math.abs(r.nll! - r.referenceNll!)).toBeLessThan(0.15);
      const s = toyMetrics(toy('swissroll', { batchSize: 300, seed: 1 }).next(), toyDistribution('swissroll'));
      expect(s.nll).toBeUndefined();
      expect(() => toyMetrics(lc.zeros([5, 3]), cb)).toThrow(/argument 'samples'.*\[N, 2\]/);
    });
    expect(lc.numTensors()).toBe(start);
  });
});
