// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { besselI0e, besselI1e } from '../../src/data/bessel.js';
import { GaussianMixture } from '../../src/data/gmm.js';
import { checkerboardInside, toy, toyDistribution, TOY_NAMES } from '../../src/data/toy.js';

const pmod = (a: number, m: number) => ((a % m) + m) % m;

/** Riemann sum of exp(logDensity) over [lo, hi]² with step h. */
function integrate(logp: (x: lc.Tensor) => lc.Tensor, lo: number, hi: number, h: number): number {
  const pts: number[] = [];
  for (let a = lo + h / 2; a < hi; a += h) for (let b = lo + h / 2; b < hi; b += h) pts.push(a, b);
  return lc.tidy(() => {
    const lp = logp(lc.tensor(Float64Array.from(pts), { shape: [pts.length / 2, 2] })).dataSync();
    let s = 0;
    for (const v of lp) s += Math.exp(v);
    return s * h * h;
  });
}

describe('checkerboard', () => {
  it('is exactly the checkerboard formula (docs/OBJECTIVES.md, section 9) applied to the generator draws', () => {
    const n = 1000;
    const x = toyDistribution('checkerboard').sample(n, { generator: new lc.Generator(7), dtype: 'float64' });
    // the same three uniforms per sample, drawn from a generator in the same state
    const u = lc.rand([n * 3], { generator: new lc.Generator(7), dtype: 'float64' });
    const ud = u.dataSync(), xd = x.dataSync();
    for (let i = 0; i < n; i++) {
      const x1 = ud[3 * i] * 4 - 2;
      const x2 = ud[3 * i + 1] - 2 * (ud[3 * i + 2] < 0.5 ? 1 : 0) + pmod(Math.floor(x1), 2);
      expect(xd[2 * i]).toBe(2 * x1);
      expect(xd[2 * i + 1]).toBe(2 * x2);
    }
    lc.dispose([x, u]);
  });

  it('puts every sample in one of the 8 cells with 1/8 of the mass each (chi-square, 7 dof)', () => {
    const n = 40_000;
    const x = toy('checkerboard', { batchSize: n, seed: 3 }).next();
    const d = x.dataSync();
    x.dispose();
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      expect(checkerboardInside(d[2 * i], d[2 * i + 1])).toBe(true);
      const key = `${Math.floor(d[2 * i] / 2)},${Math.floor(d[2 * i + 1] / 2)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(8);
    const e = n / 8;
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(24.3); // chi-square(7) 99.9% quantile
  });

  it('has density 1/32 inside the cells and 0 outside; it integrates to 1', () => {
    const cb = toyDistribution('checkerboard');
    const lp = cb.logDensity!(lc.tensor([[1, 1], [-3, -3], [3, 1], [-1, 1], [4.5, 0], [3.9, 3.9], [3.9, -3.9]])).dataSync();
    expect(Array.from(lp)).toEqual([-Math.log(32), -Math.log(32), -Infinity, -Infinity, -Infinity, -Math.log(32), -Infinity].map(Math.fround));
    expect(integrate((x) => cb.logDensity!(x), -5, 5, 0.05)).toBeCloseTo(1, 10);
  });
});

describe('toy distributions', () => {
  it.each(TOY_NAMES)('%s: float32 [B, 2], finite, seeded, inside its plot range', (name) => {
    const start = lc.numTensors();
    const a = toy(name, { batchSize: 2000, seed: 11 }).next();
    const b = toy(name, { batchSize: 2000, seed: 11 }).next();
    const c = toy(name, { batchSize: 2000, seed: 12 }).next();
    expect(a.shape).toEqual([2000, 2]);
    expect(a.dtype).toBe('float32');
    const ad = a.dataSync();
    expect(ad.every(Number.isFinite)).toBe(true);
    expect(Array.from(b.dataSync())).toEqual(Array.from(ad));
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(ad));
    const [lo, hi] = toyDistribution(name).range;
    const outside = ad.filter((v) => v < lo || v > hi).length;
    expect(outside / ad.length).toBeLessThan(0.002);
    lc.dispose([a, b, c]);
    expect(lc.numTensors()).toBe(start);
  });

  it('matches the known second moments (8gaussians, rings) within 4 standard errors', () => {
    const n = 50_000;
    const r2 = (name: 'rings' | '8gaussians') => {
      const d = lc.tidy(() => toy(name, { batchSize: n, seed: 5, dtype: 'float64' }).next().dataSync());
      const v = Array.from({ length: n }, (_, i) => d[2 * i] ** 2 + d[2 * i + 1] ** 2);
      const m = v.reduce((s, x) => s + x, 0) / n;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1));
      return { m, se: sd / Math.sqrt(n) };
    };
    const g = r2('8gaussians');
    expect(Math.abs(g.m - ((4 / 1.414) ** 2 + 2 * (0.5 / 1.414) ** 2))).toBeLessThan(4 * g.se);
    const r = r2('rings');
    expect(Math.abs(r.m - ((9 + 5.0625 + 2.25 + 0.5625) / 4 + 2 * 0.08 ** 2))).toBeLessThan(4 * r.se);
  });

  it('rings: the closed-form density integrates to 1 and its score is its gradient', () => {
    const rings = toyDistribution('rings');
    expect(integrate((x) => rings.logDensity!(x), -3.6, 3.6, 0.012)).toBeCloseTo(1, 4);
    const pts = [[0.3, -2.9], [1.1, 1.2], [0, 0], [-0.5, 0.6], [2.2, 0.1]];
    const h = 1e-5;
    const lp = (p: number[]) => lc.tidy(() => rings.logDensity!(lc.tensor([p], { dtype: 'float64' })).item());
    const s = lc.tidy(() => rings.score!(lc.tensor(pts, { dtype: 'float64' })).dataSync());
    pts.forEach((p, i) => {
      for (let d = 0; d < 2; d++) {
        const up = [...p], dn = [...p];
        up[d] += h;
        dn[d] -= h;
        const fd = (lp(up) - lp(dn)) / (2 * h);
        expect(Math.abs(s[2 * i + d] - fd)).toBeLessThan(1e-4 * (1 + Math.abs(fd)));
      }
    });
  });

  it('bessel i0e/i1e agree with their power series to 1e-6 relative', () => {
    for (const x of [0, 0.01, 0.5, 1, 2, 3.7, 3.8, 5, 10, 30, 80]) {
      let i0 = 0, i1 = 0, term = 1;
      for (let k = 0; k < 400; k++) {
        if (k > 0) term *= (x / 2) ** 2 / (k * k);
        i0 += term;
        i1 += (term * (x / 2)) / (k + 1);
      }
      expect(Math.abs(besselI0e(x) / (i0 * Math.exp(-x)) - 1)).toBeLessThan(1e-6);
      if (x > 0) expect(Math.abs(besselI1e(x) / (i1 * Math.exp(-x)) - 1)).toBeLessThan(1e-6);
      if (x > 0) expect(besselI1e(-x)).toBe(-besselI1e(x));
    }
  });
});

describe('GaussianMixture', () => {
  const gm = new GaussianMixture({ means: [[-1, 0.5], [2, -1], [0, 2]], stds: [0.4, [0.7, 0.3], 0.5], weights: [1, 2, 1] });

  it('log-density integrates to 1 and matches a hand-computed value', () => {
    expect(integrate((x) => gm.logDensity(x), -5, 6, 0.02)).toBeCloseTo(1, 6);
    const x = [0.3, -0.2];
    const comp = (m: number[], s: number[], w: number) =>
      w * Math.exp(-0.5 * (((x[0] - m[0]) / s[0]) ** 2 + ((x[1] - m[1]) / s[1]) ** 2)) / (2 * Math.PI * s[0] * s[1]);
    const p = comp([-1, 0.5], [0.4, 0.4], 0.25) + comp([2, -1], [0.7, 0.3], 0.5) + comp([0, 2], [0.5, 0.5], 0.25);
    const lp = lc.tidy(() => gm.logDensity(lc.tensor([x], { dtype: 'float64' })).item());
    expect(lp).toBeCloseTo(Math.log(p), 12);
  });

  it('score is the autograd gradient of the log-density (float64, 1e-10)', () => {
    const start = lc.numTensors();
    lc.tidy(() => {
      const x = lc.randn([64, 2], { generator: new lc.Generator(1), dtype: 'float64' }).mul(2);
      x.requiresGrad = true;
      const [g] = lc.grad(gm.logDensity(x).sum(), [x]);
      const s = gm.score(x);
      const diff = g.sub(s).abs().max().item();
      expect(diff).toBeLessThan(1e-10);
    });
    expect(lc.numTensors()).toBe(start);
  });

  it('samples have the mixture mean and the perturbed mixture is the law of aX + sZ (4 s.e.)', () => {
    const n = 40_000;
    const mean = [0, 1].map((d) => gm.weights.reduce((s, w, k) => s + w * gm.means[k][d], 0));
    const check = (mix: GaussianMixture, want: number[]) => {
      const d = lc.tidy(() => mix.sample(n, { generator: new lc.Generator(9), dtype: 'float64' }).dataSync());
      for (let j = 0; j < 2; j++) {
        const v = Array.from({ length: n }, (_, i) => d[2 * i + j]);
        const m = v.reduce((s, x) => s + x, 0) / n;
        const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1));
        expect(Math.abs(m - want[j])).toBeLessThan((4 * sd) / Math.sqrt(n));
      }
      return d;
    };
    check(gm, mean);
    const p = gm.perturbed(0.5, 2);
    expect(p.stds[1][1]).toBeCloseTo(Math.sqrt(0.25 * 0.09 + 4), 12);
    check(p, mean.map((m) => 0.5 * m));
  });

  it('works in other dimensions and rejects malformed parameters with named arguments', () => {
    const g3 = new GaussianMixture({ means: [[0, 0, 0]], stds: 1 });
    const lp = lc.tidy(() => g3.logDensity(lc.zeros([1, 3], { dtype: 'float64' })).item());
    expect(lp).toBeCloseTo(-1.5 * Math.log(2 * Math.PI), 12);
    expect(() => new GaussianMixture({ means: [[0, 0], [1]], stds: 1 })).toThrow(/means\[1\] has 1 entries, expected 2/);
    expect(() => new GaussianMixture({ means: [[0, 0]], stds: -1 })).toThrow(/stds\[0\]/);
    expect(() => new GaussianMixture({ means: [[0, 0]], stds: 1, weights: [0] })).toThrow(/weights/);
    expect(() => lc.tidy(() => g3.score(lc.zeros([4, 2])))).toThrow(/expected \[N, 3\]/);
  });
});

describe('ToyStream', () => {
  it('take() disposes each batch when the next is requested and at the end; no leak', () => {
    const start = lc.numTensors();
    const stream = toy('moons', { batchSize: 16, seed: 1 });
    const seen: lc.Tensor[] = [];
    for (const x of stream.take(5)) {
      expect(x.disposed).toBe(false);
      seen.push(x);
      lc.tidy(() => {
        x.mul(2).sum();
      }); // used inside a step's tidy: must survive it
      expect(x.disposed).toBe(false);
    }
    expect(seen.every((t) => t.disposed)).toBe(true);
    for (const x of stream) {
      expect(x.shape).toEqual([16, 2]);
      break; // return() must dispose the batch too
    }
    expect(lc.numTensors()).toBe(start);
  });

  it('replays exactly from a saved state', () => {
    const s = toy('pinwheel', { batchSize: 8, seed: 4 });
    lc.dispose(s.next());
    const st = s.getState();
    const a = lc.tidy(() => [s.next().dataSync(), s.next().dataSync()]);
    s.setState(st);
    const b = lc.tidy(() => [s.next().dataSync(), s.next().dataSync()]);
    expect(b).toEqual(a);
    expect(() => toy('nope' as never, { batchSize: 2 })).toThrow(/argument 'name'.*checkerboard/);
    expect(() => toy('moons', { batchSize: 0 })).toThrow(/batchSize/);
  });

  it('streams any Gaussian mixture, with its density', () => {
    const gm = new GaussianMixture({ means: [[1, 1]], stds: 0.1 });
    const s = toy(gm, { batchSize: 4, seed: 2 });
    expect(s.dist.logDensity).toBeDefined();
    lc.tidy(() => {
      expect(s.next().shape).toEqual([4, 2]);
    });
  });
});
