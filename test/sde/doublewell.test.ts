// SPDX-License-Identifier: MIT
// The double-well SDE (non-affine): drift against autograd of its potential, marginal refusing,
// sigmaBar against the variance ODE it solves and the std of simulated x_1 (with scale
// 'diffusion', against a numerical integral of g^2), sampleXt's variance growth at small t and its
// relaxation to the prior at t = 1, the prior's normalisation and samples. Statistical checks use
// fixed seeds and 4 standard errors; the prior's reference moments come from an independent
// Simpson integration of the radial density here.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { DoubleWellSDE, NotAffineError } from '../../src/sde/index.js';

const f64 = (v: number[]) => lc.tensor(v, { dtype: 'float64' });

/** E|x|^2 under p ∝ exp(-a (|x|^2 - 1)^2 / 4) on R^D, by Simpson's rule on the radial density. */
function priorSecondMoment(a: number, D: number): number {
  const n = 20000, hi = 6, h = hi / n;
  let z = 0, m2 = 0;
  for (let i = 0; i <= n; i++) {
    const r = i * h, w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    const q = r ** (D - 1) * Math.exp((-a * (r * r - 1) ** 2) / 4);
    z += w * q;
    m2 += w * q * r * r;
  }
  return m2 / z;
}

describe('DoubleWellSDE', () => {
  it('has drift -(beta/2) grad U with grad U from autograd of U, and g = sqrt(beta)', () => {
    lc.tidy(() => {
      const sde = new DoubleWellSDE({ a: 2 });
      const x = lc.randn([5, 3], { dtype: 'float64', generator: new lc.Generator(1) }).requiresGrad_();
      const t = f64([0, 0.2, 0.5, 0.8, 1]);
      const [gU] = lc.grad(sde.potential(x).sum(), [x]);
      const { drift, diffusion } = lc.noGrad(() => sde.sde(x, t));
      const beta = [0, 0.2, 0.5, 0.8, 1].map((s) => 0.1 + 19.9 * s);
      const want = gU!.mul(lc.tensor(beta, { dtype: 'float64' }).reshape([5, 1])).mul(-0.5);
      expect(drift.sub(want).abs().max().item()).toBeLessThan(1e-12);
      expect(Array.from(diffusion.dataSync()).map((v, i) => v - Math.sqrt(beta[i])).every((d) => Math.abs(d) < 1e-12)).toBe(true);
      // U itself: a (|x|^2 - 1)^2 / 4
      const x0 = f64([0.5, -1, 2]).reshape([1, 3]);
      expect(sde.potential(x0).item()).toBeCloseTo((2 * (5.25 - 1) ** 2) / 4, 12);
    });
  });

  it('has no closed-form marginal: marginal throws a NotAffineError pointing to sampleXt', () => {
    const sde = new DoubleWellSDE();
    expect(sde.isAffine).toBe(false);
    lc.tidy(() => {
      expect(() => sde.marginal(lc.zeros([2, 2]), lc.zeros([2]))).toThrow(NotAffineError);
      expect(() => sde.marginal(lc.zeros([2, 2]), lc.zeros([2]))).toThrow(/DoubleWellSDE.marginal: .*no closed form.*sampleXt/);
    });
  });

  it("sigmaBar(t) saturates at the stationary std: the variance ODE dv/dt = g^2 (1 - v / v_inf), integrated numerically", () => {
    // v_inf = E|x|^2 / D of exp(-U) from the Simpson integral above (independent of the SDE's
    // radial table); RK4 on the ODE of the OU process with the same noise and stationary variance.
    lc.tidy(() => {
      for (const [a, D] of [[1, 2], [2, 5]] as const) {
        const sde = new DoubleWellSDE({ a, dim: D, betaMin: 0.5, betaMax: 12 });
        const vInf = priorSecondMoment(a, D) / D;
        expect(Math.abs(sde.stationaryVariance - vInf)).toBeLessThan(1e-6 * vInf);
        const beta = (u: number) => 0.5 + 11.5 * u, f = (u: number, v: number) => beta(u) * (1 - v / vInf);
        const n = 4000, ends = [0.01, 0.3, 1], want: number[] = [];
        let v = 0;
        for (let i = 0, u = 0, h = 1 / n; i < n; i++, u += h) {
          const k1 = f(u, v), k2 = f(u + h / 2, v + (h / 2) * k1), k3 = f(u + h / 2, v + (h / 2) * k2), k4 = f(u + h, v + h * k3);
          v += (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
          if (ends.some((e) => Math.abs(u + h - e) < h / 2)) want.push(Math.sqrt(v));
        }
        const sb = Array.from(sde.sigmaBar(f64(ends)).dataSync());
        sb.forEach((s, k) => expect(Math.abs(s - want[k])).toBeLessThan(1e-7));
        // saturated by t = 1 (int beta = 6.25 >> v_inf), and never above the stationary std
        expect(Math.abs(sb[2] - Math.sqrt(vInf))).toBeLessThan(1e-3 * Math.sqrt(vInf));
      }
    });
  });

  it("scale 'diffusion' keeps sigmaBar(t) = sqrt(int_0^t g^2) (trapezoid rule on sde().diffusion)", () => {
    lc.tidy(() => {
      const sde = new DoubleWellSDE({ betaMin: 0.5, betaMax: 12, scale: 'diffusion' });
      const n = 20000, ts = Array.from({ length: n + 1 }, (_, i) => i / n);
      const g = sde.sde(lc.zeros([n + 1, 1], { dtype: 'float64' }), f64(ts)).diffusion.dataSync();
      const sb = sde.sigmaBar(f64([0.3, 1])).dataSync();
      for (const [k, tEnd] of [[0, 0.3], [1, 1]] as const) {
        let integral = 0;
        for (let i = 0; i < n * tEnd; i++) integral += (0.5 * (g[i] ** 2 + g[i + 1] ** 2)) / n;
        expect(Math.abs(sb[k] - Math.sqrt(integral))).toBeLessThan(1e-8);
      }
    });
  });

  it('sigmaBar(1) is the std of simulated x_t (the old sqrt(int g^2) was 3.6x too large)', () => {
    // 8 points spread like the 8gaussians set (radius 2.83), 4000 paths: per-coordinate std of x_1
    // within 3 % (its sampling error is ~1 %); sqrt(int beta) = 3.17 would be far outside.
    lc.tidy(() => {
      const sde = new DoubleWellSDE(), B = 4000;
      const pts = Array.from({ length: B }, (_, i) => [2.83 * Math.cos((i % 8) * Math.PI / 4), 2.83 * Math.sin((i % 8) * Math.PI / 4)]);
      const x1 = sde.sampleXt(lc.tensor(pts, { dtype: 'float64' }), lc.ones([B], { dtype: 'float64' }), { generator: new lc.Generator(5), steps: 400 });
      const std = Math.sqrt(x1.sub(x1.mean(0)).square().mean().item());
      const sb = sde.sigmaBar(f64([1])).item();
      expect(Math.abs(std / sb - 1)).toBeLessThan(0.03);
    });
  });

  it('sampleXt: variance grows as sigmaBar(t)^2 at small t, mean moves by -grad U sigmaBar^2 / 2', () => {
    // B = 4000 paths from one x0; per-dim variance within 4 SE (4 v sqrt(2/(B-1))), mean within
    // 4 SE of x0 - grad U(x0) sigmaBar^2 / 2 (first order in t; the neglected terms are < 0.1 SE).
    lc.tidy(() => {
      const sde = new DoubleWellSDE(), B = 4000, x0 = [0.5, -1.2];
      for (const t of [0.002, 0.01, 0.03]) {
        const xs = sde.sampleXt(lc.tensor(Array.from({ length: B }, () => x0), { dtype: 'float64' }), lc.full([B], t, { dtype: 'float64' }),
          { generator: new lc.Generator(7), steps: 20 });
        const v = sde.sigmaBar(f64([t])).item() ** 2;
        const gradU = x0.map((c) => (0.25 + 1.44 - 1) * c);
        const mean = xs.mean(0).dataSync(), vr = xs.var(0).dataSync();
        for (let i = 0; i < 2; i++) {
          expect(Math.abs(vr[i] - v)).toBeLessThan(4 * v * Math.sqrt(2 / (B - 1)));
          expect(Math.abs(mean[i] - (x0[i] - 0.5 * gradU[i] * v))).toBeLessThan(4 * Math.sqrt(v / B));
        }
      }
    });
  });

  it('sampleXt relaxes to the prior exp(-U) by t = 1, and prior samples have its moments', () => {
    // E|x|^2 within 4 SE (SE from the sample's own spread); the mean (0 by symmetry) within 4 SE.
    const start = lc.numTensors();
    lc.tidy(() => {
      const sde = new DoubleWellSDE(), B = 2000;
      const m2 = priorSecondMoment(1, 2);
      const check = (x: lc.Tensor) => {
        const r2 = x.square().sum(1);
        const se = r2.std().item() / Math.sqrt(B);
        expect(Math.abs(r2.mean().item() - m2)).toBeLessThan(4 * se);
        const mean = x.mean(0).dataSync(), sd = x.std(0).dataSync();
        mean.forEach((m, i) => expect(Math.abs(m)).toBeLessThan(4 * sd[i] / Math.sqrt(B)));
      };
      const x0 = lc.tensor(Array.from({ length: B }, () => [1.3, 0.4]), { dtype: 'float64' });
      check(sde.sampleXt(x0, lc.ones([B], { dtype: 'float64' }), { generator: new lc.Generator(2), steps: 200 }));
      check(sde.priorSample([B, 2], { generator: new lc.Generator(3), dtype: 'float64' }));
      // and in 16 dims, where the radius concentrates near its mode
      const x16 = sde.priorSample([B, 16], { generator: new lc.Generator(4), dtype: 'float64' });
      const r2 = x16.square().sum(1);
      expect(Math.abs(r2.mean().item() - priorSecondMoment(1, 16))).toBeLessThan((4 * r2.std().item()) / Math.sqrt(B));
    });
    expect(lc.numTensors()).toBe(start);
  });

  it('priorLogp is a normalised log-density (grid integrals in 1-D and 2-D)', () => {
    lc.tidy(() => {
      for (const a of [1, 4]) {
        const sde = new DoubleWellSDE({ a });
        const h1 = 1e-3, xs1 = Array.from({ length: 8001 }, (_, i) => -4 + i * h1);
        const p1 = sde.priorLogp(f64(xs1).reshape([-1, 1])).exp().sum().item() * h1;
        expect(Math.abs(p1 - 1)).toBeLessThan(1e-6);
        const h = 0.01, n = 601, pts: number[] = [];
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pts.push(-3 + i * h, -3 + j * h);
        const p2 = sde.priorLogp(f64(pts).reshape([-1, 2])).exp().sum().item() * h * h;
        expect(Math.abs(p2 - 1)).toBeLessThan(1e-4);
      }
    });
  });

  it('fails clearly when Euler-Maruyama blows up, and validates options', () => {
    const sde = new DoubleWellSDE();
    const start = lc.numTensors();
    lc.tidy(() => {
      // float32: |x| ~ 30 grows cubically per step (~1e26 after 3 steps) and overflows on the 4th
      const far = lc.tensor([[30, 30]]);
      expect(() => sde.sampleXt(far, lc.tensor([1]), { steps: 4 })).toThrow(/DoubleWellSDE.sampleXt: Euler-Maruyama diverged .* with 4 steps.*'steps'/);
    });
    expect(lc.numTensors()).toBe(start);
    expect(() => new DoubleWellSDE({ a: 0 })).toThrow(/DoubleWellSDE: argument 'a' got 0, expected a number > 0/);
    expect(() => new DoubleWellSDE({ steps: 0 })).toThrow(/DoubleWellSDE: argument 'steps' got 0/);
    expect(() => new DoubleWellSDE({ depth: 1 } as never)).toThrow(/no such option/);
    expect(() => new DoubleWellSDE({ dim: 0 })).toThrow(/DoubleWellSDE: argument 'dim' got 0/);
    expect(() => new DoubleWellSDE({ scale: 'integral' } as never)).toThrow(/DoubleWellSDE: argument 'scale' got "integral", expected 'stationary' or 'diffusion'/);
    // data of another dimension than the one sigmaBar was set for
    lc.tidy(() => expect(() => sde.sampleXt(lc.zeros([2, 3]), lc.ones([2]))).toThrow(/DoubleWellSDE.sampleXt: argument 'x0' has 3 features per sample, expected dim = 2.*\{ dim: 3 \}/));
  });
});
