// SPDX-License-Identifier: MIT
// One step of every predictor and corrector, and a short ALD run, replayed in plain JS from
// score_sde's / NCSN's formulas with the same noise draws (a twin Generator): float64, 1e-12.
// These pin the update rules exactly (step sizes, alpha = 1 - beta_i for VP, batch-averaged norms,
// corrector-before-predictor order, the time grid), which statistical tests could miss.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { SubVPSDE, VESDE, VPSDE, type SDE } from '../../src/sde/index.js';
import {
  ald, ancestral, annealedLangevin, eulerMaruyama, langevin, pc, reverseDiffusion, type CorrectorContext, type Predictor,
} from '../../src/sampling/index.js';

const B = 3, D = 2, N = 100, T0 = 0.437;
const X = [[0.3, -1.2], [2.1, 0.4], [-0.7, 0.9]];
// the score of N(c, v I): s(x) = -(x - c) / v
const C = [0.5, -0.25], V = 0.8;
const s = (x: number[]) => x.map((xi, j) => -(xi - C[j]) / V);
const score = (x: lc.Tensor) => x.sub(lc.tensor(C, { dtype: 'float64' })).div(-V);

const idx = Math.floor(T0 * (N - 1));
const beta = (t: number) => 0.1 + t * 19.9;
const dBeta = (i: number) => 0.1 / N + (i * (20 / N - 0.1 / N)) / (N - 1);
const dSigma = (i: number) => Math.exp(Math.log(0.01) + (i / (N - 1)) * Math.log(5000));

function setup(sde: SDE, seed: number, extra: Partial<CorrectorContext> = {}) {
  const x = lc.tensor(X, { dtype: 'float64' }), t = lc.full([B], T0, { dtype: 'float64' });
  const ctx: CorrectorContext = { sde, rsde: sde.reverse(score), score, generator: new lc.Generator(seed), snr: 0.16, nSteps: 1, ...extra };
  const twin = new lc.Generator(seed);
  const draw = () => {
    const z = lc.randn([B, D], { generator: twin, dtype: 'float64' }).dataSync();
    return X.map((_, b) => [z[b * D], z[b * D + 1]]);
  };
  return { x, t, ctx, draw };
}

function expectRows(got: lc.Tensor, want: number[][]) {
  const g = got.dataSync();
  want.forEach((r, b) => r.forEach((v, j) => expect(Math.abs(g[b * D + j] - v)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)))));
}

describe('predictor steps (score_sde sampling.py)', () => {
  it('Euler-Maruyama on the reverse VP SDE: dt = -1/N, x_mean = x + (f - g^2 s) dt, + g sqrt(1/N) z', () => {
    lc.tidy(() => {
      const { x, t, ctx, draw } = setup(new VPSDE({ N }), 1);
      const r = eulerMaruyama(x, t, ctx);
      const z = draw(), b = beta(T0), dt = -1 / N;
      const mean = X.map((xb) => xb.map((xi, j) => xi + (-0.5 * b * xi - b * s(xb)[j]) * dt));
      expectRows(r.xMean, mean);
      expectRows(r.x, mean.map((m, k) => m.map((v, j) => v + Math.sqrt(b) * Math.sqrt(-dt) * z[k][j])));
    });
  });

  it('reverse diffusion on DDPM (VP) and SMLD (VE) chains', () => {
    lc.tidy(() => {
      const vp = setup(new VPSDE({ N }), 2);
      const r = reverseDiffusion(vp.x, vp.t, vp.ctx);
      const z = vp.draw(), bi = dBeta(idx);
      const mean = X.map((xb) => xb.map((xi, j) => xi - ((Math.sqrt(1 - bi) - 1) * xi - bi * s(xb)[j])));
      expectRows(r.xMean, mean);
      expectRows(r.x, mean.map((m, k) => m.map((v, j) => v + Math.sqrt(bi) * z[k][j])));
      const ve = setup(new VESDE({ N }), 3);
      const q = reverseDiffusion(ve.x, ve.t, ve.ctx);
      const z2 = ve.draw(), G2 = dSigma(idx) ** 2 - dSigma(idx - 1) ** 2;
      const mean2 = X.map((xb) => xb.map((xi, j) => xi + G2 * s(xb)[j]));
      expectRows(q.xMean, mean2);
      expectRows(q.x, mean2.map((m, k) => m.map((v, j) => v + Math.sqrt(G2) * z2[k][j])));
    });
  });

  it('ancestral sampling for VE and VP', () => {
    lc.tidy(() => {
      const ve = setup(new VESDE({ N }), 4);
      const r = ancestral(ve.x, ve.t, ve.ctx);
      const z = ve.draw(), s2 = dSigma(idx) ** 2, a2 = dSigma(idx - 1) ** 2;
      const mean = X.map((xb) => xb.map((xi, j) => xi + s(xb)[j] * (s2 - a2)));
      expectRows(r.xMean, mean);
      expectRows(r.x, mean.map((m, k) => m.map((v, j) => v + Math.sqrt((a2 * (s2 - a2)) / s2) * z[k][j])));
      const vp = setup(new VPSDE({ N }), 5);
      const q = ancestral(vp.x, vp.t, vp.ctx);
      const z2 = vp.draw(), bi = dBeta(idx);
      const mean2 = X.map((xb) => xb.map((xi, j) => (xi + bi * s(xb)[j]) / Math.sqrt(1 - bi)));
      expectRows(q.xMean, mean2);
      expectRows(q.x, mean2.map((m, k) => m.map((v, j) => v + Math.sqrt(bi) * z2[k][j])));
      const sub = setup(new SubVPSDE({ N }), 6);
      expect(() => ancestral(sub.x, sub.t, sub.ctx)).toThrow(/ancestral: argument 'sde' got "subvp", expected a VESDE or a VPSDE/);
    });
  });
});

describe('corrector steps', () => {
  /** score_sde's Langevin loop with the step rule `eps(grad, noise)`. */
  function langevinRef(draw: () => number[][], steps: number, eps: (g: number[][], z: number[][]) => number) {
    let x = X.map((r) => [...r]), mean = x;
    for (let i = 0; i < steps; i++) {
      const g = x.map(s), z = draw(), e = eps(g, z);
      mean = x.map((r, b) => r.map((v, j) => v + e * g[b][j]));
      x = mean.map((r, b) => r.map((v, j) => v + Math.sqrt(2 * e) * z[b][j]));
    }
    return { x, mean };
  }
  const avgNorm = (v: number[][]) => v.reduce((a, r) => a + Math.hypot(...r), 0) / v.length;

  it('Langevin: eps = 2 alpha (snr |z| / |s|)^2 with batch-averaged norms; alpha = 1 - beta_i for VP, 1 for VE', () => {
    lc.tidy(() => {
      for (const [sde, alpha] of [[new VPSDE({ N }), 1 - dBeta(idx)], [new VESDE({ N }), 1]] as const) {
        const { x, t, ctx, draw } = setup(sde, 7, { nSteps: 2, snr: 0.2 });
        const r = langevin(x, t, ctx);
        const ref = langevinRef(draw, 2, (g, z) => 2 * alpha * ((0.2 * avgNorm(z)) / avgNorm(g)) ** 2);
        expectRows(r.xMean, ref.mean);
        expectRows(r.x, ref.x);
      }
    });
  });

  it('annealed Langevin: eps = 2 alpha (snr sigmaBar(t))^2', () => {
    lc.tidy(() => {
      const sde = new SubVPSDE({ N });
      const { x, t, ctx, draw } = setup(sde, 8, { nSteps: 3, snr: 0.1 });
      const r = annealedLangevin(x, t, ctx);
      const m = -0.25 * T0 * T0 * 19.9 - 0.5 * T0 * 0.1, std = 1 - Math.exp(2 * m);
      const ref = langevinRef(draw, 3, () => 2 * (0.1 * std) ** 2);
      expectRows(r.xMean, ref.mean);
      expectRows(r.x, ref.x);
    });
  });
});

describe('sampler loops', () => {
  it('pc runs the corrector before the predictor at each t of linspace(T, eps, N)', async () => {
    const calls: string[] = [];
    const times: number[] = [];
    const pred: Predictor = (x, t) => { calls.push('P'); times.push(t.dataSync()[0]); return { x, xMean: x }; };
    const corr = (x: lc.Tensor) => { calls.push('C'); return { x, xMean: x }; };
    const out = await pc({ sde: new VESDE({ N: 5 }), score, shape: [2, 2], predictor: pred, corrector: corr, eps: 0.2 });
    expect(calls.join('')).toBe('CPCPCPCPCP');
    expect(times.map((v) => +v.toFixed(6))).toEqual([1, 0.8, 0.6, 0.4, 0.2]);
    out.dispose();
  });

  it('ald follows NCSN: a_i = lr (sigma_i / sigma_L)^2, x += a_i s + sqrt(2 a_i) z, then x += sigma_L^2 s', async () => {
    const sigmas = [2, 0.5, 0.1], lr = 1e-3, k = 2, seed = 12;
    const seen: number[] = [];
    const x = await ald({
      score: (x, sigma, level) => { seen.push(level, sigma.dataSync()[0]); return score(x); },
      sigmas, stepLr: lr, nStepsEach: k, shape: [B, D], dtype: 'float64', generator: new lc.Generator(seed),
    });
    const twin = new lc.Generator(seed);
    const draw = () => Array.from(lc.tidy(() => lc.randn([B, D], { generator: twin, dtype: 'float64' }).dataSync()));
    let ref = draw().map((v) => v * 2);
    for (const sg of sigmas) {
      const a = lr * (sg / 0.1) ** 2;
      for (let i = 0; i < k; i++) {
        const z = draw();
        ref = ref.map((v, e) => v + a * (-(v - C[e % 2]) / V) + Math.sqrt(2 * a) * z[e]);
      }
    }
    ref = ref.map((v, e) => v + 0.01 * (-(v - C[e % 2]) / V));
    expectRows(x, [ref.slice(0, 2), ref.slice(2, 4), ref.slice(4, 6)]);
    expect(seen).toEqual([0, 2, 0, 2, 1, 0.5, 1, 0.5, 2, 0.1, 2, 0.1, 2, 0.1]);
    x.dispose();
  });
});
