// SPDX-License-Identifier: MIT
// The Gaussian-mixture oracles: log p_t against a plain-JS reference (explicit 2x2 inverse and
// determinant; float64, 1e-10), the score against autograd of log p_t and against central finite
// differences of the reference, normalisation on a grid, far-tail stability, samples' moments
// (4 standard errors), eigen-form covariances, validation and memory.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { DoubleWellSDE, gaussian, GaussianMixture, SubVPSDE, VESDE, VPSDE, type SDE } from '../../src/sde/index.js';
import { momentZ, moments } from '../sampling/stats.js';

const f64 = (v: number[][]) => lc.tensor(v, { dtype: 'float64' });
const W = [0.2, 0.5, 0.3];
const MU = [[-1.5, 0.5], [1, 1], [0.5, -1.2]];
const SIG = [[[0.3, 0], [0, 0.3]], [[0.2, 0], [0, 0.6]], [[0.5, 0.25], [0.25, 0.4]]];
const mixture = () => new GaussianMixture({ weights: [2, 5, 3], means: MU, covs: [0.3, [0.2, 0.6], SIG[2]] });

/** log p_t(x) of the mixture under x_t = a x_0 + s z, from 2x2 formulas. */
function refLogp(x: number[], a: number, s: number): number {
  const terms = W.map((w, k) => {
    const S = SIG[k].map((r, i) => r.map((v, j) => a * a * v + (i === j ? s * s : 0)));
    const det = S[0][0] * S[1][1] - S[0][1] * S[1][0];
    const d = [x[0] - a * MU[k][0], x[1] - a * MU[k][1]];
    const q = (S[1][1] * d[0] * d[0] - 2 * S[0][1] * d[0] * d[1] + S[0][0] * d[1] * d[1]) / det;
    return Math.log(w) - 0.5 * q - 0.5 * Math.log(det) - Math.log(2 * Math.PI);
  });
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((acc, v) => acc + Math.exp(v - m), 0));
}

/** scale a(t) and std s(t) of an affine SDE's kernel at t. */
function coef(sde: SDE, t: number): [number, number] {
  return lc.tidy(() => {
    const m = sde.marginal(f64([[1]]), lc.tensor([t], { dtype: 'float64' }));
    return [m.mean.item(), m.std.item()];
  });
}

const PTS = [[0, 0], [-1.5, 0.4], [2, -3], [0.7, 1.1], [-4, 5]];

describe('GaussianMixture pushed through affine SDEs', () => {
  it.each([['VP', new VPSDE()], ['VE', new VESDE()], ['subVP', new SubVPSDE()]] as const)('%s: log p_t matches the reference, score = grad log p_t', (_n, sde) => {
    const gm = mixture();
    const p = gm.diffused(sde);
    lc.tidy(() => {
      for (const t of [0, 1e-4, 0.05, 0.4, 1]) {
        const [a, s] = coef(sde, t);
        const x = f64(PTS);
        const lp = p.logProb(x, t).dataSync();
        PTS.forEach((pt, i) => expect(Math.abs(lp[i] - refLogp(pt, a, s))).toBeLessThan(1e-10 * Math.max(1, Math.abs(lp[i]))));
        // score vs autograd of logProb, and vs central differences of the JS reference
        const xg = f64(PTS).requiresGrad_();
        const [g] = lc.grad(p.logProb(xg, lc.full([PTS.length], t, { dtype: 'float64' })).sum(), [xg]);
        const sc = p.score(x, t).dataSync(), gd = g!.dataSync();
        const h = 1e-5;
        PTS.forEach((pt, i) => [0, 1].forEach((j) => {
          expect(Math.abs(sc[2 * i + j] - gd[2 * i + j])).toBeLessThan(1e-9 * Math.max(1, Math.abs(gd[2 * i + j])));
          const up = [...pt], dn = [...pt];
          up[j] += h;
          dn[j] -= h;
          const fd = (refLogp(up, a, s) - refLogp(dn, a, s)) / (2 * h);
          expect(Math.abs(sc[2 * i + j] - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
        }));
      }
    });
    gm.dispose();
  });

  it('per-sample t tensors, at(t) and the pushed-forward moments agree', () => {
    const gm = mixture(), sde = new VPSDE(), p = gm.diffused(sde);
    lc.tidy(() => {
      const ts = [0.01, 0.2, 0.5, 0.7, 0.99];
      const x = f64(PTS);
      const batched = p.logProb(x, lc.tensor(ts, { dtype: 'float64' })).dataSync();
      ts.forEach((t, i) => {
        const pt = p.at(t);
        expect(Math.abs(batched[i] - pt.logProb(f64([PTS[i]])).item())).toBeLessThan(1e-12 * Math.max(1, Math.abs(batched[i])));
        const [a, s] = coef(sde, t);
        pt.mean().forEach((m, j) => expect(m).toBeCloseTo(a * gm.mean()[j], 12));
        pt.covariance().forEach((r, j) => r.forEach((c, k) => expect(c).toBeCloseTo(a * a * gm.covariance()[j][k] + (j === k ? s * s : 0), 12)));
      });
    });
    gm.dispose();
  });

  it('is normalised (grid integral at t = 0.3, VP) and stable far in the tails', () => {
    const gm = mixture(), p = gm.diffused(new VPSDE());
    lc.tidy(() => {
      // [-6, 6]^2: the mass outside is < 1e-8 (component sds < 0.95 at t = 0.3)
      const h = 0.03, pts: number[][] = [];
      for (let i = 0; i < 400; i++) for (let j = 0; j < 400; j++) pts.push([-6 + i * h, -6 + j * h]);
      expect(Math.abs(p.logProb(f64(pts), 0.3).exp().sum().item() * h * h - 1)).toBeLessThan(1e-4);
      // 1e4 standard deviations out: every component's log-density underflows exp(), log-sum-exp does not
      const narrow = new GaussianMixture({ means: [[0, 0], [1, 0]], cov: 1e-4 });
      const far = f64([[100, -50]]);
      const lp = narrow.logProb(far).item(), s = narrow.score(far).dataSync();
      expect(Number.isFinite(lp)).toBe(true);
      expect(lp).toBeCloseTo(Math.log(0.5) - ((99 ** 2 + 50 ** 2) / 1e-4) / 2 - Math.log(2 * Math.PI * 1e-4), 3);
      expect(s[0]).toBeCloseTo(-99 / 1e-4, 3);
      expect(s[1]).toBeCloseTo(50 / 1e-4, 3);
      narrow.dispose();
    });
    gm.dispose();
  });

  it('samples have the mixture weights and moments (4 SE), reproducibly', () => {
    const g = gaussian({ mean: [1, -2, 0.5], cov: [[1, 0.3, -0.2], [0.3, 0.5, 0.1], [-0.2, 0.1, 0.8]] });
    lc.tidy(() => {
      const x = g.sample(4000, { generator: new lc.Generator(1), dtype: 'float64' });
      const z = momentZ(moments(x), g.mean(), g.covariance());
      expect(z.mean).toBeLessThan(4);
      expect(z.cov).toBeLessThan(4);
      expect(Array.from(g.sample(4000, { generator: new lc.Generator(1), dtype: 'float64' }).dataSync())).toEqual(Array.from(x.dataSync()));
      expect(g.sample(4000, { generator: new lc.Generator(2), dtype: 'float64' }).sub(x).abs().max().item()).toBeGreaterThan(1);
      // well-separated components: the share of samples near each mean is its weight (4 SE)
      const sep = new GaussianMixture({ weights: [1, 3, 6], means: [[-10, 0], [0, 0], [10, 0]], cov: 0.5 });
      const xs = sep.sample(3000, { generator: new lc.Generator(2) }).dataSync();
      const counts = [0, 0, 0];
      for (let i = 0; i < 3000; i++) counts[xs[2 * i] < -5 ? 0 : xs[2 * i] < 5 ? 1 : 2]++;
      [0.1, 0.3, 0.6].forEach((w, k) => expect(Math.abs(counts[k] / 3000 - w)).toBeLessThan(4 * Math.sqrt((w * (1 - w)) / 3000)));
    });
  });

  it('keeps full covariances in eigen form: covariance() gives them back', () => {
    // a random 6 x 6 SPD matrix A A^T + 0.1 I
    const rnd = (() => { let s = 7; return () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5; })();
    const A = Array.from({ length: 6 }, () => Array.from({ length: 6 }, rnd));
    const S = A.map((r, i) => A.map((q, j) => r.reduce((acc, v, k) => acc + v * q[k], 0) + (i === j ? 0.1 : 0)));
    const g = gaussian({ mean: [0, 0, 0, 0, 0, 0], cov: S });
    g.covariance().forEach((r, i) => r.forEach((v, j) => expect(Math.abs(v - S[i][j])).toBeLessThan(1e-12)));
  });

  it('works with image-shaped samples and float32', () => {
    const g = new GaussianMixture({ means: [[0, 1, 2, 3], [1, 0, 1, 0]], covs: [0.5, [0.1, 0.2, 0.3, 0.4]], eventShape: [1, 2, 2] });
    lc.tidy(() => {
      const x = g.sample(8, { generator: new lc.Generator(1) });
      expect(x.shape).toEqual([8, 1, 2, 2]);
      const p = g.diffused(new VESDE());
      const s32 = p.score(x, 0.3), s64 = p.score(x.double(), 0.3);
      expect(s32.shape).toEqual([8, 1, 2, 2]);
      expect(s32.dtype).toBe('float32');
      expect(s32.double().sub(s64).abs().max().item()).toBeLessThan(1e-5 * s64.abs().max().item());
    });
    g.dispose();
  });

  it('validates with clear errors and frees its cached tensors on dispose()', () => {
    expect(() => new GaussianMixture({ means: [] })).toThrow(/GaussianMixture: argument 'means'/);
    expect(() => new GaussianMixture({ means: [[0, 0], [1]] })).toThrow(/argument 'means\[1\]' got \[1\], expected 2 finite numbers/);
    expect(() => new GaussianMixture({ means: [[0], [1]], weights: [1, -1] })).toThrow(/argument 'weights'/);
    expect(() => new GaussianMixture({ means: [[0, 0]], cov: [[1, 2], [0, 1]] })).toThrow(/covs\[0\]' is not symmetric/);
    expect(() => new GaussianMixture({ means: [[0, 0]], cov: [[1, 2], [2, 1]] })).toThrow(/is not positive semi-definite \(eigenvalue -/);
    expect(() => new GaussianMixture({ means: [[0, 0]], cov: 1, covs: [1] })).toThrow(/argument 'cov'/);
    expect(() => new GaussianMixture({ means: [[0, 0]], eventShape: [3] })).toThrow(/eventShape.*product is D = 2/);
    const g = mixture();
    lc.tidy(() => {
      expect(() => g.logProb(lc.zeros([2, 3]))).toThrow(/GaussianMixture.logProb: argument 'x' has shape \[2, 3\], expected \[B, ...\] with 2 elements per sample/);
      expect(() => g.diffused(new VPSDE()).score(lc.zeros([2, 2]), lc.zeros([3]))).toThrow(/argument 't' got .*expected a number or a tensor of shape \[2\]/);
    });
    expect(() => g.diffused(new DoubleWellSDE())).toThrow(/GaussianMixture.diffused: argument 'sde' got "doublewell", expected an affine SDE/);
    const start = lc.numTensors();
    lc.tidy(() => {
      g.score(lc.zeros([2, 2]));
      g.score(lc.zeros([2, 2], { dtype: 'float64' }));
    });
    expect(lc.numTensors()).toBe(start + 8);   // mu, lam, logw, V for each dtype, kept for reuse
    g.dispose();
    expect(lc.numTensors()).toBe(start);
  });
});
