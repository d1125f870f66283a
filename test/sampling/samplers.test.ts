// SPDX-License-Identifier: MIT
// Every sampler, driven by the exact score of Gaussian and 2-D Gaussian-mixture data (the
// analytic oracles), must reproduce the data: n = 500 samples, mean and covariance within 4
// standard errors (from the target's 2nd and 4th moments; the discretisation bias at N = 300 steps measured with
// n = 20000 is <= 2%, below 1 SE here), and a kernel two-sample test (MMD, 200 permutations)
// against 500 fresh data samples must not reject at the 1% level. A negative control shows the
// same checks reject a slightly wrong distribution. Fixed seeds throughout.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { DoubleWellSDE, gaussian, GaussianMixture, SubVPSDE, VESDE, VPSDE, type SDE } from '../../src/sde/index.js';
import { ald, geometricSigmas, ode, pc, type PCOptions } from '../../src/sampling/index.js';
import { mmdTest, momentZ, moments } from './stats.js';

const n = 500;
const G = gaussian({ mean: [1, -0.5], cov: [[0.5, 0.2], [0.2, 0.3]] });
const M = new GaussianMixture({ means: [[-1.5, 0], [1.5, 0.5]], weights: [0.4, 0.6], cov: 0.15 });
const TARGETS = { gaussian: G, mixture: M };

/** Moments within 4 SE and an MMD test that does not reject at 1%; returns the statistics. */
function expectMatches(x: lc.Tensor, target: GaussianMixture, seed: number) {
  expect(x.shape).toEqual([n, 2]);
  // the covariance SEs come from the target's own 4th moments (a 100k reference sample)
  const ref = target.sample(100_000, { generator: new lc.Generator(7), dtype: 'float64' });
  const z = momentZ(moments(x), target.mean(), target.covariance(), ref);
  ref.dispose();
  const y = target.sample(n, { generator: new lc.Generator(1000 + seed) });
  const { p } = mmdTest(x, y, 200, seed);
  y.dispose();
  expect(z.mean).toBeLessThan(4);
  expect(z.cov).toBeLessThan(4);
  expect(p).toBeGreaterThan(0.01);
  return { ...z, p };
}

type Case = [string, keyof typeof TARGETS, () => SDE, Partial<PCOptions>];
const pcCases: Case[] = [
  ['VP, Euler-Maruyama', 'gaussian', () => new VPSDE({ N: 300 }), { predictor: 'eulerMaruyama', corrector: 'none' }],
  ['VP, Euler-Maruyama', 'mixture', () => new VPSDE({ N: 300 }), { predictor: 'eulerMaruyama', corrector: 'none' }],
  ['VE, reverse diffusion + Langevin', 'gaussian', () => new VESDE({ N: 300 }), { predictor: 'reverseDiffusion', corrector: 'langevin', snr: 0.16 }],
  ['VE, reverse diffusion + Langevin', 'mixture', () => new VESDE({ N: 300 }), {}],
  ['VP, ancestral', 'gaussian', () => new VPSDE({ N: 300 }), { predictor: 'ancestral', corrector: 'none' }],
  ['VE, ancestral', 'mixture', () => new VESDE({ N: 300 }), { predictor: 'ancestral_sampling', corrector: 'none' }],
  ['subVP, reverse diffusion + annealed Langevin', 'gaussian', () => new SubVPSDE({ N: 300 }), { corrector: 'ald' }],
  ['VE, corrector only (Langevin x2)', 'gaussian', () => new VESDE({ N: 300 }), { predictor: 'none', corrector: 'langevin', nStepsEach: 2 }],
  // the deterministic first-order PF step is less accurate than the SDE steps: N = 1000
  ['VP, probability-flow reverse diffusion', 'gaussian', () => new VPSDE({ N: 1000 }), { predictor: 'reverseDiffusion', corrector: 'none', probabilityFlow: true }],
];

describe('samplers reproduce the data under the exact score', () => {
  it.each(pcCases.map((c, i) => [c[0], c[1], i] as const))('pc: %s (%s data)', async (_name, target, i) => {
    const [, , make, opts] = pcCases[i];
    const sde = make(), data = TARGETS[target];
    const start = lc.numTensors();
    const x = await pc({ sde, score: data.diffused(sde).scoreFn, shape: [n, 2], generator: new lc.Generator(i + 1), ...opts });
    data.dispose();
    expect(lc.numTensors()).toBe(start + 1);
    expectMatches(x, data, i);
    x.dispose();
  });

  it.each([['VP', 'gaussian', 0], ['VE', 'gaussian', 1], ['VP', 'mixture', 2], ['subVP', 'mixture', 3]] as const)(
    'ode: %s (%s data), adaptive RK45 at rtol = atol = 1e-5', async (name, target, i) => {
      const sde = name === 'VP' ? new VPSDE() : name === 'VE' ? new VESDE() : new SubVPSDE(), data = TARGETS[target];
      const start = lc.numTensors();
      const { x, nfe, steps, rejected } = await ode({ sde, score: data.diffused(sde).scoreFn, shape: [n, 2], generator: new lc.Generator(50 + i) });
      data.dispose();
      expect(lc.numTensors()).toBe(start + 1);
      expect(nfe).toBe(2 + 6 * (steps + rejected));   // initial step selection + 6 per attempt (FSAL)
      expectMatches(x, data, 20 + i);
      x.dispose();
    });

  it.each([['gaussian', 0], ['mixture', 1]] as const)('annealed Langevin dynamics (NCSN): %s data', async (target, i) => {
    // ALD is biased two ways: unadjusted Langevin inflates variances by ~ lr / (2 sigma_L^2), and
    // variance left over from larger levels freezes once a = lr (sigma/sigma_L)^2 gets too small
    // to relax it (NCSN's 30 levels x 20 steps leave the y-variance ~5% high). 40 levels x 40 steps
    // at lr = 1e-5 keep both below this test's resolution (|z| < 2 at n = 4000, measured).
    const data = TARGETS[target];
    const sigmas = geometricSigmas(5, 0.01, 40);
    const x = await ald({ score: (x, sigma) => data.scoreAt(x, 1, sigma), sigmas, shape: [n, 2], stepLr: 1e-5, nStepsEach: 40, generator: new lc.Generator(70 + i) });
    data.dispose();
    expectMatches(x, data, 40 + i);
    x.dispose();
  });

  it('negative control: the same checks reject a slightly wrong distribution', () => {
    // the Gaussian target with its covariance scaled by 1.25: the check must fail
    const wrong = gaussian({ mean: [1, -0.5], cov: [[0.625, 0.25], [0.25, 0.375]] });
    const x = wrong.sample(n, { generator: new lc.Generator(5) });
    const y = G.sample(n, { generator: new lc.Generator(6) });
    const z = momentZ(moments(x), G.mean(), G.covariance());
    expect(Math.max(z.mean, z.cov)).toBeGreaterThan(4);
    expect(mmdTest(x, y, 200, 3).p).toBeLessThan(0.01);
    // and shifted means with the right covariance
    const shifted = gaussian({ mean: [1.15, -0.35], cov: [[0.5, 0.2], [0.2, 0.3]] });
    const xs = shifted.sample(n, { generator: new lc.Generator(7) });
    expect(mmdTest(xs, y, 200, 4).p).toBeLessThan(0.01);
    lc.dispose([x, y, xs]);
  });

  it('a non-affine SDE: the double-well stays at its stationary law under its own score', async () => {
    // data = the prior exp(-U): p_t is stationary, so s(x, t) = -grad U(x) for all t, and the
    // reverse SDE from prior samples must return prior samples (E|x|^2 within 4 SE).
    const sde = new DoubleWellSDE({ N: 300 });
    const score = (x: lc.Tensor) => sde.gradPotential(x).neg();
    const ref = sde.priorSample([4000, 2], { generator: new lc.Generator(1), dtype: 'float64' });
    const m2 = ref.square().sum(1).mean().item();
    ref.dispose();
    for (const predictor of ['eulerMaruyama', 'reverseDiffusion'] as const) {
      const x = await pc({ sde, score, shape: [1000, 2], predictor, corrector: 'langevin', dtype: 'float64', generator: new lc.Generator(2) });
      const r2 = x.square().sum(1);
      expect(Math.abs(r2.mean().item() - m2)).toBeLessThan((4 * r2.std().item()) / Math.sqrt(1000) + (4 * r2.std().item()) / Math.sqrt(4000));
      lc.dispose([x, r2]);
    }
    // the probability-flow drift f - g^2 s / 2 is zero here: the ODE leaves its latent in place
    const z = sde.priorSample([10, 2], { generator: new lc.Generator(3), dtype: 'float64' });
    const { x } = await ode({ sde, score, z });
    expect(x.sub(z).abs().max().item()).toBeLessThan(1e-12);
    lc.dispose([x, z]);
  });
});

describe('sampler mechanics', () => {
  const vp = new VPSDE({ N: 25 });   // DDPM's discrete betas need N > betaMax
  const score = (x: lc.Tensor) => x.neg();   // N(0, I) data: the score is -x at every t

  it('is reproducible with a generator, reports progress, and yields to the event loop', async () => {
    const seen: [number, number][] = [];
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const a = await pc({ sde: vp, score, shape: [4, 3], generator: new lc.Generator(9), onProgress: (d, t) => seen.push([d, t]) });
    clearInterval(ticker);
    const b = await pc({ sde: vp, score, shape: [4, 3], generator: new lc.Generator(9) });
    const c = await pc({ sde: vp, score, shape: [4, 3], generator: new lc.Generator(10) });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => [i + 1, 25]));
    expect(ticks).toBeGreaterThan(0);
    lc.dispose([a, b, c]);
    const prog: number[] = [];
    const o = await ode({ sde: vp, score, shape: [4, 3], onProgress: (d, t) => prog.push(d / t) });
    expect(prog[prog.length - 1]).toBeCloseTo(1, 12);
    expect(prog.every((v, i) => i === 0 || v > prog[i - 1])).toBe(true);
    o.x.dispose();
    const steps: number[] = [];
    const l = await ald({ score: (x) => x.neg(), sigmas: [1, 0.5], nStepsEach: 3, shape: [2, 2], onProgress: (d, t) => steps.push(d * 10 + t) });
    expect(steps).toEqual([16, 26, 36, 46, 56, 66]);
    l.dispose();
  });

  it('can be cancelled between steps without leaking tensors', async () => {
    const start = lc.numTensors();
    for (const run of [
      (signal: AbortSignal, cb: () => void) => pc({ sde: vp, score, shape: [4, 2], signal, onProgress: cb }),
      (signal: AbortSignal, cb: () => void) => ode({ sde: vp, score, shape: [4, 2], signal, onProgress: cb }),
      (signal: AbortSignal, cb: () => void) => ald({ score, sigmas: [1, 0.5], shape: [4, 2], signal, onProgress: cb }),
    ]) {
      const ac = new AbortController();
      let calls = 0;
      await expect(run(ac.signal, () => { if (++calls === 3) ac.abort(new Error('stop now')); })).rejects.toThrow('stop now');
      expect(calls).toBe(3);
      expect(lc.numTensors()).toBe(start);
    }
    const ac = new AbortController();
    ac.abort();
    await expect(pc({ sde: vp, score, shape: [4, 2], signal: ac.signal })).rejects.toThrow(/abort/i);
    expect(lc.numTensors()).toBe(start);
  });

  it('takes initial states, modules with forward(), custom predictors, and leaves inputs alone', async () => {
    const x0 = lc.randn([3, 2], { generator: new lc.Generator(1) });
    const copy = Array.from(x0.dataSync());
    const none = await pc({ sde: vp, score, x: x0, predictor: 'none', corrector: 'none' });
    expect(Array.from(none.dataSync())).toEqual(copy);
    expect(Array.from(x0.dataSync())).toEqual(copy);
    let calls = 0;
    const model = { forward: (x: lc.Tensor) => { calls++; return x.neg(); } };
    const m = await pc({ sde: vp, score: model, x: x0, corrector: 'none' });
    expect(calls).toBe(25);
    let custom = 0;
    const cp = await pc({ sde: vp, score, x: x0, corrector: 'none', predictor: (x) => { custom++; return { x: x.mul(0.5), xMean: x.mul(0.25) }; } });
    expect(custom).toBe(25);
    expect(Array.from(cp.dataSync())).toEqual(copy.map((v) => Math.fround(v * 0.5 ** 24 * 0.25)));
    lc.dispose([x0, none, m, cp]);
  });

  it('rejects bad configurations with clear errors', async () => {
    const sub = new SubVPSDE({ N: 10 });
    await expect(pc({ sde: sub, score, shape: [2, 2], predictor: 'ancestral' })).rejects.toThrow(/pc: argument 'predictor' got "ancestral", expected a predictor other than 'ancestral' for a SubVPSDE/);
    await expect(pc({ sde: vp, score, shape: [2, 2], predictor: 'ancestral', probabilityFlow: true })).rejects.toThrow(/probabilityFlow.*ancestral/);
    await expect(pc({ sde: vp, score, shape: [2, 2], predictor: 'heun' as never })).rejects.toThrow(/pc: argument 'predictor' got "heun"/);
    await expect(pc({ sde: vp, score, shape: [2, 2], corrector: 'hmc' as never })).rejects.toThrow(/argument 'corrector' got "hmc"/);
    await expect(pc({ sde: vp, score, shape: [2, 2], snr: -1 })).rejects.toThrow(/argument 'snr' got -1/);
    await expect(pc({ sde: vp, score, shape: [2, 2], steps: 5 } as never)).rejects.toThrow(/argument 'steps' got 5, expected no such option/);
    await expect(pc({ sde: vp, score })).rejects.toThrow(/argument 'shape'.*or an initial state 'x'/);
    await expect(pc({ sde: vp, score: (x) => x.sum(1), shape: [2, 2] })).rejects.toThrow(/pc: the score function returned shape \[2\], expected the shape of x \[2, 2\]/);
    await expect(ode({ sde: vp, score: 3 as never, shape: [2, 2] })).rejects.toThrow(/ode: argument 'score' got 3/);
    await expect(ald({ score, sigmas: [0.1, 1], shape: [2, 2] })).rejects.toThrow(/ald: argument 'sigmas'.*decreasing/);
    expect(() => geometricSigmas(1, 0, 3)).toThrow(/geometricSigmas: argument 'sigmaEnd' got 0/);
    expect(geometricSigmas(50, 0.01, 3).map((s) => +s.toPrecision(12))).toEqual([50, Math.sqrt(0.5), 0.01].map((s) => +s.toPrecision(12)));
  });
});
