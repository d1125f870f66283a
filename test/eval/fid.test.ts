// SPDX-License-Identifier: MIT
// FID / KID / Inception score against closed forms, and the committed MNIST feature classifier.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { featureMatrix, fid, fitGaussian, frechetDistance, inceptionScore, kid } from '../../src/eval/fid.js';
import { classify, evaluateAccuracy, heldOutDigits, loadMnistClassifier, mnistSplit } from '../../src/eval/mnist_classifier.js';

function gaussianSamples(n: number, mean: number[], std: number[], seed: number) {
  const d = mean.length;
  const z = lc.randn([n, d], { dtype: 'float64', generator: new lc.Generator(seed) }).dataSync();
  return featureMatrix(Float64Array.from(z, (v, i) => mean[i % d] + std[i % d] * v), n, d);
}

describe('sample-quality statistics', () => {
  it('Fréchet distance of diagonal Gaussians is |dm|^2 + sum (s1 - s2)^2', () => {
    const d = 6;
    const g1 = { d, mean: Float64Array.from({ length: d }, (_, i) => i * 0.1), cov: new Float64Array(d * d) };
    const g2 = { d, mean: Float64Array.from({ length: d }, (_, i) => -i * 0.2), cov: new Float64Array(d * d) };
    let ref = 0;
    for (let i = 0; i < d; i++) {
      const s1 = 0.5 + i, s2 = 1 + 0.3 * i;
      g1.cov[i * d + i] = s1 * s1;
      g2.cov[i * d + i] = s2 * s2;
      ref += (g1.mean[i] - g2.mean[i]) ** 2 + (s1 - s2) ** 2;
    }
    expect(frechetDistance(g1, g2)).toBeCloseTo(ref, 9);
  });

  it('FID of a full-covariance Gaussian with itself is 0; grows with a mean shift', () => {
    const a = gaussianSamples(4000, [0, 1, -1], [1, 2, 0.5], 1);
    const g = fitGaussian(a);
    expect(frechetDistance(g, g)).toBeLessThan(1e-8);
    const b = gaussianSamples(4000, [0, 1, -1], [1, 2, 0.5], 2);
    const c = gaussianSamples(4000, [0.5, 1, -1], [1, 2, 0.5], 3);
    const same = fid(a, b), shifted = fid(a, c);
    expect(same).toBeLessThan(0.02);  // finite-sample bias ~ d^2 / n
    expect(Math.abs(shifted - 0.25)).toBeLessThan(0.06);
  });

  it('KID is ~0 for the same distribution and positive for different ones', () => {
    const a = gaussianSamples(600, [0, 0], [1, 1], 4), b = gaussianSamples(600, [0, 0], [1, 1], 5), c = gaussianSamples(600, [1, 0], [1, 1], 6);
    const same = kid(a, b, { subsets: 5, subsetSize: 300 }), diff = kid(a, c, { subsets: 5, subsetSize: 300 });
    expect(Math.abs(same.mean)).toBeLessThan(4 * same.std + 0.01);
    expect(diff.mean).toBeGreaterThan(10 * Math.abs(same.mean) + 0.05);
  });

  it('Inception score is the number of classes for confident, balanced predictions, 1 for constant ones', () => {
    const n = 100, C = 10;
    const oneHot = featureMatrix(Float64Array.from({ length: n * C }, (_, i) => (Math.floor(i / C) % C === i % C ? 1 : 0)), n, C);
    expect(inceptionScore(oneHot)).toBeCloseTo(10, 9);
    const same = featureMatrix(Float64Array.from({ length: n * C }, (_, i) => (i % C === 3 ? 1 : 0)), n, C);
    expect(inceptionScore(same)).toBeCloseTo(1, 9);
  });
});

describe('MNIST feature classifier', () => {
  it('splits each class 80/20 and classifies held-out digits at >= 96%', () => {
    const { train, heldOut } = mnistSplit();
    expect(train.n + heldOut.n).toBe(10000);
    expect(new Set(heldOut.labels).size).toBe(10);
    const model = loadMnistClassifier();
    expect(evaluateAccuracy(model, heldOut)).toBeGreaterThanOrEqual(0.96);
    model.dispose();
  });

  it('held-out digits are closer to themselves than to noise in FID', () => {
    const model = loadMnistClassifier();
    const n0 = lc.numTensors();
    const ds = heldOutDigits();
    // even- and odd-numbered held-out digits: two samples of the same class mix
    const img = (parity: number) => {
      const bytes = new Uint8Array(1000 * 784);
      for (let k = 0; k < 1000; k++) bytes.set(ds.data.subarray((2 * k + parity) * 784, (2 * k + parity + 1) * 784), k * 784);
      return lc.tidy(() => lc.mul(lc.tensor(bytes, { shape: [1000, 1, 28, 28], dtype: 'float32' }), 1 / 255));
    };
    const a = img(0), b = img(1);
    const noise = lc.rand([1000, 1, 28, 28], { generator: new lc.Generator(1) });
    const fa = classify(model, a, '[0,1]'), fb = classify(model, b, '[0,1]'), fn = classify(model, noise, '[0,1]');
    expect(fid(fa.features, fn.features)).toBeGreaterThan(5 * fid(fa.features, fb.features));
    expect(inceptionScore(fa.probs)).toBeGreaterThan(inceptionScore(fn.probs));
    lc.dispose([a, b, noise]);
    expect(lc.numTensors()).toBe(n0);
    model.dispose();
  });
});
