// SPDX-License-Identifier: MIT
// The fused Stein ops against their composite definitions: values and gradients (first and, via
// the createGraph fallback, second order), float32 and float64, every estimator, K, normAt.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import type { SteinEstimator } from '../../src/index.js';
import { maxAbs, maxAbsDiff, toArray, type F } from './helpers.js';

const ESTIMATORS: SteinEstimator[] = ['plain', 'control', 'antithetic'];

describe('steinPerturb / steinLoss (fused) == composite', () => {
  for (const dtype of ['float32', 'float64'] as F[])
    for (const estimator of ESTIMATORS)
      for (const [K, normAt] of [[1, 'center'], [3, 'center'], [2, 'perturbed']] as const)
        it(`${dtype} ${estimator} K=${K} normAt=${normAt}`, () => {
          const start = lc.numTensors();
          lc.tidy(() => {
            const B = 5, shape = [3, 7];  // D = 21, not a multiple of 4: noise rows straddle Philox blocks
            const gen = new lc.Generator(11);
            const x = lc.randn([B, ...shape], { generator: gen, dtype });
            const sigma = lc.rand([B], { low: 0.05, high: 0.5, generator: gen, dtype });
            const key = { seed: 7, offset: 123 };
            const o = { key, draws: K, estimator, gamma: 0.7, normAt };
            const blocks = lc.steinBlocks(K, estimator);
            // the stacked batch: centre rows are x, perturbed rows x +- sigma e_k with e from randn(key)
            const y = lc.steinPerturb(x, sigma, o);
            expect(y.shape).toEqual([blocks * B, ...shape]);
            const e = lc.steinNoise(B, shape, o, dtype);
            const sg = lc.reshape(sigma, [1, B, 1, 1]);
            const ref = [lc.unsqueeze(x, 0), lc.add(lc.unsqueeze(x, 0), lc.mul(e, sg))];
            if (estimator === 'antithetic') ref.push(lc.sub(lc.unsqueeze(x, 0), lc.mul(e, sg)));
            const yRef = lc.reshape(lc.cat(ref, 0), y.shape as number[]);
            const tolV = dtype === 'float32' ? 2e-6 : 1e-14;
            expect(maxAbsDiff(y, yRef)).toBeLessThanOrEqual(tolV * 10);

            // a nonlinear "score" of the stacked batch so every row's gradient differs
            const w = lc.randn([blocks * B, ...shape], { generator: gen, dtype, requiresGrad: true });
            const s = lc.add(lc.tanh(y), lc.mul(w, 0.3));
            const fusedL = lc.steinLoss(s, sigma, o);
            const compL = lc.steinLossComposite(s, sigma, o);
            expect(fusedL.shape).toEqual([B]);
            const scale = maxAbs(compL);
            expect(maxAbsDiff(fusedL, compL)).toBeLessThanOrEqual((dtype === 'float32' ? 2e-5 : 1e-12) * Math.max(1, scale));

            // gradients for a non-uniform upstream gradient
            const go = lc.rand([B], { generator: gen, dtype, low: 0.5, high: 1.5 });
            const [gF] = lc.grad(fusedL, [w], { gradOutputs: go, retainGraph: true });
            const [gC] = lc.grad(compL, [w], { gradOutputs: go });
            expect(maxAbsDiff(gF!, gC!)).toBeLessThanOrEqual((dtype === 'float32' ? 2e-5 : 1e-12) * Math.max(1, maxAbs(gC!)));
          });
          expect(lc.numTensors()).toBe(start);
        });
});

describe('fused == composite on a batch large enough to run on the thread pool', () => {
  // 64 x 1000 noise values per block: rows are split over both threads (chunks of 4 rows, at least
  // 16K noise values per thread), so chunk boundaries and per-thread buffers are exercised
  for (const [estimator, K] of [['control', 1], ['antithetic', 2], ['plain', 3]] as const)
    it(`${estimator} K=${K}`, () => {
      lc.tidy(() => {
        const B = 64, D = 1000, gen = new lc.Generator(5);
        const x = lc.randn([B, D], { generator: gen });
        const sigma = lc.rand([B], { low: 0.05, high: 0.5, generator: gen });
        const o = { key: { seed: 3, offset: 9 }, draws: K, estimator, gamma: 1.1 };
        const y = lc.steinPerturb(x, sigma, o);
        const e = lc.steinNoise(B, [D], o);
        const sg = lc.reshape(sigma, [1, B, 1]);
        const ref = [lc.unsqueeze(x, 0), lc.add(lc.unsqueeze(x, 0), lc.mul(e, sg))];
        if (estimator === 'antithetic') ref.push(lc.sub(lc.unsqueeze(x, 0), lc.mul(e, sg)));
        expect(maxAbsDiff(y, lc.reshape(lc.cat(ref, 0), y.shape as number[]))).toBeLessThan(1e-5);
        const w = lc.randn(y.shape as number[], { generator: gen, requiresGrad: true });
        const s = lc.add(lc.tanh(y), lc.mul(w, 0.3));
        const f = lc.steinLoss(s, sigma, o), c = lc.steinLossComposite(s, sigma, o);
        expect(maxAbsDiff(f, c)).toBeLessThan(1e-4 * Math.max(1, maxAbs(c)));
        const [gf] = lc.grad(lc.sum(f), [w], { retainGraph: true });
        const [gc] = lc.grad(lc.sum(c), [w]);
        expect(maxAbsDiff(gf!, gc!)).toBeLessThan(1e-5 * Math.max(1, maxAbs(gc!)));
      });
    });
});

describe('steinLoss second order (createGraph falls back to the composite)', () => {
  it('gradgradcheck in float64 for each estimator', () => {
    for (const estimator of ESTIMATORS) {
      const B = 2, D = 3, K = 2;
      const o = { key: { seed: 3, offset: 5 }, draws: K, estimator, gamma: 1.3 };
      const rows = lc.steinBlocks(K, estimator) * B;
      const s = lc.randn([rows, D], { generator: new lc.Generator(2), dtype: 'float64', requiresGrad: true });
      const sigma = lc.tensor([0.3, 0.2], { dtype: 'float64' });
      // square the loss so its second derivative in s is not identically zero
      expect(lc.gradgradcheck((v) => lc.square(lc.steinLoss(v, sigma, o)), [s])).toBe(true);
      expect(lc.gradcheck((v) => lc.steinLoss(v, sigma, o), [s])).toBe(true);
      s.dispose();
      sigma.dispose();
    }
  });
});

describe('steinLoss argument checks', () => {
  it('names the argument and what was expected', () => {
    const s = lc.zeros([6, 2]);
    const key = { seed: 0, offset: 0 };
    expect(() => lc.steinLoss(s, 0.1, { key, draws: 0 })).toThrow(/draws.*positive integer/);
    expect(() => lc.steinLoss(s, 0.1, { key, estimator: 'foo' as SteinEstimator })).toThrow(/estimator/);
    expect(() => lc.steinLoss(s, -1, { key })).toThrow(/sigma.*> 0/);
    expect(() => lc.steinLoss(s, 0.1, { key, draws: 4 })).toThrow(/multiple of 5/);
    expect(() => lc.steinLossComposite(s, 0.1, { key, draws: 4 })).toThrow(/multiple of 5/);
    expect(() => lc.steinLoss(s, lc.zeros([4]), { key })).toThrow(/one per sample \(3\)/);
    expect(() => lc.steinLoss(s, 0.1, { key: { seed: -1, offset: 0 } })).toThrow(/key/);
    lc.dispose(s);
  });
  it('the noise is the normal draw keyed by (seed, offset): e_k[b] = elements (k B + b) D .. + D', () => {
    lc.tidy(() => {
      const key = { seed: 9, offset: 4 };
      const e = toArray(lc.steinNoise(3, [5], { key, draws: 2 }, 'float64'));
      const r = toArray(lc.randn([30], { key, dtype: 'float64' }));
      expect(Array.from(e)).toEqual(Array.from(r));
    });
  });
});
