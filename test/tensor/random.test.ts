// SPDX-License-Identifier: MIT
// The Philox generator: known-answer vector, keys, regeneration, and distributions (means,
// variances within 4 standard errors).
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';

function moments(v: ArrayLike<number>) {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i];
  m /= n;
  let s2 = 0, s3 = 0, s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = v[i] - m;
    s2 += d * d;
    s3 += d * d * d;
    s4 += d * d * d * d;
  }
  s2 /= n;
  return { n, mean: m, var: s2, skew: s3 / n / s2 ** 1.5, kurt: s4 / n / (s2 * s2) };
}

describe('Philox-4x32-10 stream', () => {
  it('matches the Random123 known-answer vector (key 0, counter 0)', () => {
    // Salmon et al. 2011, kat_vectors: philox4x32 10 rounds, ctr {0,0,0,0}, key {0,0}
    const u = lc.rand([4], { dtype: 'float64', key: { seed: 0, offset: 0 } }).dataSync();
    const bits = Array.from(u, (v) => v * 2 ** 32);
    expect(bits).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  });

  it('regenerates a draw from its key, and any prefix of it', () => {
    const key = { seed: 123, offset: 77 };
    const a = lc.randn([1000], { key }).dataSync();
    const b = lc.randn([1000], { key }).dataSync();
    const c = lc.randn([37], { key }).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a.slice(0, 37)));
    const other = lc.randn([10], { key: { seed: 123, offset: 78 } }).dataSync();
    expect(Array.from(other)).toEqual(Array.from(a.slice(4, 14)));  // offset counts blocks of 4
  });

  it('advances a generator by ceil(n/4) counters per draw', () => {
    const gen = new lc.Generator(9);
    lc.rand([10], { generator: gen });
    expect(gen.getState()).toEqual({ seed: 9, offset: 3 });
    const s = gen.getState();
    const x = lc.rand([5], { generator: gen }).dataSync();
    gen.setState(s);
    expect(Array.from(lc.rand([5], { generator: gen }).dataSync())).toEqual(Array.from(x));
  });

  // float32 normals take 24 random bits per uniform (float64: 32), so they agree to ~1e-5, not 1 ulp
  it('float32 and float64 normals are the same draw to float32 precision', () => {
    const key = { seed: 5, offset: 0 };
    const a = lc.randn([4096], { key, dtype: 'float32' }).dataSync();
    const b = lc.randn([4096], { key, dtype: 'float64' }).dataSync();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('distributions', () => {
  const n = 200_000;
  it('rand is uniform on [low, high)', () => {
    const v = lc.rand([n], { low: -1, high: 3, generator: new lc.Generator(1) }).dataSync();
    const m = moments(v);
    let lo = Infinity, hi = -Infinity;
    for (const x of v) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThan(3);
    const varU = 16 / 12;
    expect(Math.abs(m.mean - 1)).toBeLessThan(4 * Math.sqrt(varU / n));
    expect(Math.abs(m.var - varU)).toBeLessThan(4 * Math.sqrt((16 ** 2 / 80 - varU ** 2) / n));
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`randn (${dtype}) has mean 0, variance 1, skew 0, kurtosis 3`, () => {
      const v = lc.randn([n], { dtype, generator: new lc.Generator(2) }).dataSync();
      const m = moments(v);
      expect(Math.abs(m.mean)).toBeLessThan(4 / Math.sqrt(n));
      expect(Math.abs(m.var - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
      expect(Math.abs(m.skew)).toBeLessThan(4 * Math.sqrt(6 / n));
      expect(Math.abs(m.kurt - 3)).toBeLessThan(4 * Math.sqrt(24 / n));
      // tails: P(|z| > 3) = 0.0026998
      const tail = Array.from(v).filter((z) => Math.abs(z) > 3).length / n;
      expect(Math.abs(tail - 0.0026998)).toBeLessThan(4 * Math.sqrt(0.0027 / n));
    });
  }

  it('randint covers [low, high) uniformly (chi-square)', () => {
    const v = lc.randint(-3, 7, [n], { generator: new lc.Generator(3) }).dataSync();
    const counts = new Array(10).fill(0);
    for (const x of v) counts[x + 3]++;
    const e = n / 10;
    const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(27.9);  // 99.9% quantile, 9 degrees of freedom
  });

  it('bernoulli hits p, and randperm is a permutation', () => {
    const v = lc.bernoulli(0.3, [n], { generator: new lc.Generator(4) }).dataSync();
    const p = Array.from(v).reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(p - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / n));
    const perm = Array.from(lc.randperm(1000, { generator: new lc.Generator(5) }).dataSync());
    expect([...perm].sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
    expect(perm).not.toEqual([...Array(1000).keys()]);
  });

  it('dropout keeps the mean and zeroes a fraction p', () => {
    const x = lc.ones([n]);
    const y = lc.dropout(x, 0.25, true, new lc.Generator(6)).dataSync();
    const zeros = Array.from(y).filter((v) => v === 0).length / n;
    const mean = Array.from(y).reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(zeros - 0.25)).toBeLessThan(4 * Math.sqrt(0.1875 / n));
    expect(Math.abs(mean - 1)).toBeLessThan(4 * Math.sqrt((1 / 0.75 - 1) / n));
    expect(lc.dropout(x, 0.25, false).dataSync()[0]).toBe(1);
  });
});
