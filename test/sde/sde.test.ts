// SPDX-License-Identifier: MIT
// VE, VP and subVP: closed forms against score_sde's formulas written out in JS (float64, 1e-12),
// marginals against Euler-Maruyama simulation of sde() (mean and variance within 4 standard
// errors, with a negative control showing the check rejects a wrong marginal), discretisations,
// reverse SDE / probability-flow ODE, priors, option validation and memory.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { ReverseSDE, SubVPSDE, VESDE, VPSDE, type SDE } from '../../src/sde/index.js';

const f64 = (v: number[]) => lc.tensor(v, { dtype: 'float64' });
const arr = (t: lc.Tensor) => Array.from(t.dataSync());
const close = (a: number[], b: number[], tol = 1e-12) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]))));

const T = [0.001, 0.1, 0.5, 1];
// score_sde sde_lib.py, by hand
const vpLogMean = (t: number, b0 = 0.1, b1 = 20) => -0.25 * t * t * (b1 - b0) - 0.5 * t * b0;
const veSigma = (t: number, lo = 0.01, hi = 50) => lo * (hi / lo) ** t;

describe('closed forms', () => {
  it('VE: sigma(t), drift 0, g = sigma sqrt(2 ln(max/min)), kernel N(x0, sigma^2), prior N(0, 50^2)', () => {
    lc.tidy(() => {
      const ve = new VESDE();
      const t = f64(T), x = f64([1, -2, 3, 0.5]).reshape([4, 1]);
      const { drift, diffusion } = ve.sde(x, t);
      close(arr(drift), [0, 0, 0, 0]);
      close(arr(diffusion), T.map((s) => veSigma(s) * Math.sqrt(2 * Math.log(5000))));
      const m = ve.marginal(x, t);
      close(arr(m.mean), [1, -2, 3, 0.5]);
      close(arr(m.std), T.map((s) => veSigma(s)));
      close(arr(ve.sigmaBar(t)), T.map((s) => veSigma(s)));
      const z = f64([3, -4, 12, 0]).reshape([2, 2]);
      close(arr(ve.priorLogp(z)), [25, 144].map((s) => -Math.log(2 * Math.PI * 2500) - s / 5000));
    });
  });

  it('VP and subVP: drift -beta x / 2, g, mean e^m x0 and their two stds', () => {
    lc.tidy(() => {
      const vp = new VPSDE(), sub = new SubVPSDE();
      const t = f64(T), x = f64([1, -2, 3, 0.5]).reshape([4, 1]);
      const beta = T.map((s) => 0.1 + s * 19.9);
      for (const s of [vp, sub]) close(arr(s.sde(x, t).drift), beta.map((b, i) => -0.5 * b * [1, -2, 3, 0.5][i]));
      close(arr(vp.sde(x, t).diffusion), beta.map(Math.sqrt));
      close(arr(sub.sde(x, t).diffusion), T.map((s, i) => Math.sqrt(beta[i] * (1 - Math.exp(-2 * 0.1 * s - 19.9 * s * s)))));
      const mean = T.map((s, i) => Math.exp(vpLogMean(s)) * [1, -2, 3, 0.5][i]);
      close(arr(vp.marginal(x, t).mean), mean);
      close(arr(sub.marginal(x, t).mean), mean);
      close(arr(vp.marginal(x, t).std), T.map((s) => Math.sqrt(1 - Math.exp(2 * vpLogMean(s)))));
      close(arr(sub.marginal(x, t).std), T.map((s) => 1 - Math.exp(2 * vpLogMean(s))));
      close(arr(sub.sigmaBar(t)), T.map((s) => 1 - Math.exp(2 * vpLogMean(s))));
      const z = f64([3, -4, 1, 0]).reshape([2, 2]);
      for (const s of [vp, sub]) close(arr(s.priorLogp(z)), [25, 1].map((q) => -Math.log(2 * Math.PI) - q / 2));
    });
  });

  it('the stds keep full relative precision at tiny t (expm1, no cancellation)', () => {
    lc.tidy(() => {
      const t = f64([1e-9]), x = f64([0]).reshape([1, 1]);
      close(arr(new VPSDE().marginal(x, t).std), [Math.sqrt(-Math.expm1(2 * vpLogMean(1e-9)))], 1e-12);
      close(arr(new SubVPSDE().marginal(x, t).std), [-Math.expm1(2 * vpLogMean(1e-9))], 1e-12);
    });
  });

  it('VE and VP discretize as score_sde (SMLD and DDPM chains indexed by floor(t (N-1)))', () => {
    lc.tidy(() => {
      const N = 50, t = f64([0, 0.01, 0.5, 0.97, 1]), x = f64([2, 2, 2, 2, 2]).reshape([5, 1]);
      const idx = [0, 0, 24, 47, 49];
      const ve = new VESDE({ N });
      const sig = (i: number) => Math.exp(Math.log(0.01) + (i / (N - 1)) * (Math.log(50) - Math.log(0.01)));
      const d = ve.discretize(x, t);
      close(arr(d.f), [0, 0, 0, 0, 0]);
      close(arr(d.G), idx.map((i) => Math.sqrt(sig(i) ** 2 - (i === 0 ? 0 : sig(i - 1) ** 2))));
      const vp = new VPSDE({ N });
      const betas = Array.from({ length: N }, (_, i) => 0.1 / N + (i * (20 / N - 0.1 / N)) / (N - 1));
      const e = vp.discretize(x, t);
      close(arr(e.f), idx.map((i) => Math.sqrt(1 - betas[i]) * 2 - 2));
      close(arr(e.G), idx.map((i) => Math.sqrt(betas[i])));
      // subVP keeps the default Euler-Maruyama discretisation: f dt, g sqrt(dt)
      const sub = new SubVPSDE({ N }), dd = sub.discretize(x, t), ref = sub.sde(x, t);
      close(arr(dd.f), arr(ref.drift).map((v) => v / N));
      close(arr(dd.G), arr(ref.diffusion).map((v) => v * Math.sqrt(1 / N)));
      expect(() => new VPSDE({ N: 10 }).discretize(x, t)).toThrow(/betaMax \/ N = 2 >= 1 \(N = 10\).*use N > betaMax/);
    });
  });

  it('reverse(): drift f - g^2 s (halved for the probability-flow ODE, with zero diffusion)', () => {
    lc.tidy(() => {
      const vp = new VPSDE();
      const score = (x: lc.Tensor) => x.mul(-3);
      const x = f64([1, -1, 0.5, 2]).reshape([2, 2]), t = f64([0.3, 0.7]);
      const { drift: f, diffusion: g } = vp.sde(x, t);
      const g2 = arr(g).map((v) => v * v), fx = arr(f), xs = arr(x);
      const exp = (c: number) => fx.map((v, i) => v - c * g2[i >> 1] * -3 * xs[i]);
      const r = vp.reverse(score);
      expect(r).toBeInstanceOf(ReverseSDE);
      close(arr(r.sde(x, t).drift), exp(1));
      close(arr(r.sde(x, t).diffusion), arr(g));
      const p = vp.reverse(score, true);
      close(arr(p.sde(x, t).drift), exp(0.5));
      close(arr(p.sde(x, t).diffusion), [0, 0]);
      const { f: df, G } = vp.discretize(x, t), G2 = arr(G).map((v) => v * v);
      close(arr(r.discretize(x, t).f), arr(df).map((v, i) => v - G2[i >> 1] * -3 * xs[i]));
      close(arr(p.discretize(x, t).G), [0, 0]);
      expect(() => vp.reverse(() => f64([1])).sde(x, t)).toThrow(/score function returned shape \[1\], expected the shape of x \[2, 2\]/);
    });
  });
});

/**
 * Euler-Maruyama simulation of sde() from x0 (B copies, plus N(0, s0^2) noise), recording mean and
 * variance at `checks`.
 */
function simulate(sde: SDE, x0: number[], B: number, steps: number, checks: number[], seed: number, s0 = 0) {
  const gen = new lc.Generator(seed), D = x0.length, dt = 1 / steps;
  const out = new Map<number, { mean: number[]; var: number[] }>();
  let x = lc.keep(lc.tidy(() => lc.tensor(Array.from({ length: B }, () => x0), { dtype: 'float64' }).add(lc.randn([B, D], { generator: gen, dtype: 'float64', std: s0 }))));
  for (let k = 0; k < steps; k++) {
    const next = lc.tidy(() => {
      const { drift, diffusion } = sde.sde(x, lc.full([B], k * dt, { dtype: 'float64' }));
      const z = lc.randn([B, D], { generator: gen, dtype: 'float64' });
      return x.add(drift.mul(dt)).add(diffusion.reshape([B, 1]).mul(Math.sqrt(dt)).mul(z));
    });
    x.dispose();
    x = lc.keep(next);
    const tk = Math.round((k + 1) * dt * 1e9) / 1e9;
    if (checks.includes(tk)) {
      const m = lc.tidy(() => ({ mean: arr(x.mean(0)), var: arr(x.var(0)) }));
      out.set(tk, m);
    }
  }
  x.dispose();
  return out;
}

describe('marginals match Euler-Maruyama simulation of the SDE', () => {
  // B = 3000 paths, 1000 steps. Mean within 4 SE = 4 sd/sqrt(B); variance within 4 SE =
  // 4 var sqrt(2/(B-1)) (~10%). EM's own bias is below 1% here (O(dt max beta) for VP; for VE the
  // left-point variance is off by < 1%). VE's kernel std is sigma(t), not sqrt(sigma(t)^2 -
  // sigma_min^2): x_0 is taken to carry sigma_min of noise, so VE paths start from x_0 + sigma_min z.
  const x0 = [1.5, -0.5], B = 3000, checks = [0.1, 0.4, 1];
  const zScores = (sde: SDE, sim: ReturnType<typeof simulate>, kernel: SDE = sde) => {
    let zm = 0, zv = 0;
    for (const t of checks) {
      const got = sim.get(t)!;
      const { mean, std } = lc.tidy(() => {
        const m = kernel.marginal(f64(x0).reshape([1, 2]), f64([t]));
        return { mean: arr(m.mean), std: m.std.item() };
      });
      const v = std * std;
      mean.forEach((mu, i) => (zm = Math.max(zm, Math.abs(got.mean[i] - mu) / Math.sqrt(v / B))));
      got.var.forEach((s) => (zv = Math.max(zv, Math.abs(s - v) / (v * Math.sqrt(2 / (B - 1))))));
    }
    return { zm, zv };
  };
  it.each([['VE', () => new VESDE()], ['VP', () => new VPSDE()], ['subVP', () => new SubVPSDE()]] as const)('%s', (_name, make) => {
    const start = lc.numTensors();
    const sde = make();
    const sim = simulate(sde, x0, B, 1000, checks, 11, sde instanceof VESDE ? sde.sigmaMin : 0);
    const { zm, zv } = zScores(sde, sim);
    expect(zm).toBeLessThan(4);
    expect(zv).toBeLessThan(4);
    if (sde instanceof SubVPSDE) {
      // negative control: VP's marginal (same mean, larger std) is rejected by the same check
      expect(zScores(sde, sim, new VPSDE()).zv).toBeGreaterThan(10);
    }
    expect(lc.numTensors()).toBe(start);
  });

  it('sampleXt draws from the kernel, per-sample t, reproducibly with a generator', () => {
    lc.tidy(() => {
      const vp = new VPSDE(), B = 4000;
      const t = lc.cat([lc.full([B / 2], 0.05, { dtype: 'float64' }), lc.full([B / 2], 0.6, { dtype: 'float64' })]);
      const x0 = lc.full([B, 1], 2, { dtype: 'float64' });
      const xt = vp.sampleXt(x0, t, { generator: new lc.Generator(5) });
      const again = vp.sampleXt(x0, t, { generator: new lc.Generator(5) });
      expect(arr(again)).toEqual(arr(xt));
      for (const [half, tt] of [[0, 0.05], [1, 0.6]] as const) {
        const part = xt.narrow(0, half * (B / 2), B / 2);
        const mu = 2 * Math.exp(vpLogMean(tt)), v = 1 - Math.exp(2 * vpLogMean(tt));
        expect(Math.abs(part.mean().item() - mu)).toBeLessThan(4 * Math.sqrt(v / (B / 2)));
        expect(Math.abs(part.var().item() - v)).toBeLessThan(4 * v * Math.sqrt(2 / (B / 2 - 1)));
      }
    });
  });
});

describe('priors', () => {
  it.each([['VE', () => new VESDE(), 50], ['VP', () => new VPSDE(), 1], ['subVP', () => new SubVPSDE(), 1]] as const)(
    '%s prior sample has the prior std (4 SE) and shape [B, ...]', (_n, make, s) => {
      lc.tidy(() => {
        const z = make().priorSample([2000, 1, 2, 2], { generator: new lc.Generator(3), dtype: 'float64' });
        expect(z.shape).toEqual([2000, 1, 2, 2]);
        expect(z.dtype).toBe('float64');
        const v = z.var().item(), n = z.size;
        expect(Math.abs(v - s * s)).toBeLessThan(4 * s * s * Math.sqrt(2 / n));
      });
    });
});

describe('validation and memory', () => {
  it('rejects bad options and arguments with messages naming them', () => {
    expect(() => new VESDE({ sigmaMin: -1 })).toThrow(/VESDE: argument 'sigmaMin' got -1, expected a number > 0/);
    expect(() => new VESDE({ sigmaMin: 1, sigmaMax: 0.5 })).toThrow(/VESDE: argument 'sigmaMax' got 0.5, expected a number > sigmaMin \(1\)/);
    expect(() => new VPSDE({ N: 0 })).toThrow(/VPSDE: argument 'N' got 0, expected an integer in \[1/);
    expect(() => new VPSDE({ betaMin: 5, betaMax: 1 })).toThrow(/VPSDE: argument 'betaMax' got 1, expected a number >= betaMin \(5\)/);
    expect(() => new SubVPSDE({ betaMax: NaN })).toThrow(/SubVPSDE: argument 'betaMax' got NaN/);
    expect(() => new VPSDE({ beta_min: 0.1 } as never)).toThrow(/VPSDE: argument 'beta_min' got 0.1, expected no such option/);
    lc.tidy(() => {
      const vp = new VPSDE(), x = lc.zeros([4, 2]);
      expect(() => vp.sde(x, lc.zeros([3]))).toThrow(/VPSDE.sde: argument 't' has shape \[3\], expected \[4\]/);
      expect(() => vp.sde(x, lc.zeros([4, 1]))).toThrow(/expected \[4\]/);
      expect(() => vp.marginal(x, 0.5 as never)).toThrow(/VPSDE.marginal: argument 't' got 0.5, expected a Tensor of shape \[B\]/);
      expect(() => vp.sde(lc.zeros([4, 2], { dtype: 'int32' }), lc.zeros([4]))).toThrow(/dtype int32, expected float32 or float64/);
      expect(() => vp.priorSample([])).toThrow(/VPSDE.priorSample: argument 'shape'/);
      expect(() => vp.sampleXt(x, lc.zeros([4]), { seed: 1 } as never)).toThrow(/no such option/);
      expect(() => new VESDE().reverse((y) => y).sde(x, lc.zeros([4]))).not.toThrow();
    });
  });

  it('float32 times with float64 states keep float64 results, and nothing leaks', () => {
    const start = lc.numTensors();
    for (const sde of [new VESDE(), new VPSDE(), new SubVPSDE()]) {
      const x = lc.randn([3, 2], { dtype: 'float64', generator: new lc.Generator(1) }), t = lc.tensor([0.2, 0.5, 0.9]);
      const outs = [sde.sde(x, t), sde.marginal(x, t), { s: sde.sigmaBar(t) }, { x: sde.sampleXt(x, t) }, sde.discretize(x, t),
        { p: sde.priorLogp(x) }, { z: sde.priorSample([2, 2]) }, sde.reverse((y) => y.neg()).sde(x, t), sde.reverse((y) => y.neg(), true).discretize(x, t)];
      expect(outs[1].mean.dtype).toBe('float64');
      lc.dispose([x, t, outs]);
      expect(lc.numTensors()).toBe(start);
    }
  });
});
