// SPDX-License-Identifier: MIT
// Bits/dim through the probability-flow ODE under the exact score of Gaussian and mixture data.
//  - exact divergence: the ODE's change of variables holds per sample, delta_logp + log p_T(z) =
//    log p_eps(x) within 1e-5 nats (rtol = atol = 1e-7); bpd equals the exact negative
//    log-likelihood in bits/dim within 0.02 (what remains is the prior N(0, I) or N(0, 50^2 I)
//    standing in for the true p_T: ~5e-3 nats for VP, ~1.5e-2 for VE, measured);
//  - Hutchinson (Rademacher and Gaussian probes): per-sample estimates scatter, their batch mean
//    equals the exact one within 4 standard errors (B = 200);
//  - dequantisation, offsets, memory, cancellation and validation.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { DoubleWellSDE, gaussian, GaussianMixture, SubVPSDE, VESDE, VPSDE, type SDE } from '../../src/sde/index.js';
import { bpd, dequantize, type BPDResult } from '../../src/likelihood/index.js';

const G = gaussian({ mean: [0.3, -0.2], cov: [[0.2, 0.08], [0.08, 0.1]] });
const M = new GaussianMixture({ means: [[-0.5, 0.2], [0.5, -0.1]], weights: [0.3, 0.7], cov: 0.05 });
const D = 2, LN2 = Math.LN2;
const arr = (t: lc.Tensor) => Array.from(t.dataSync());
const free = (r: BPDResult) => lc.dispose([r.bpd, r.logp, r.z, r.deltaLogp, r.priorLogp]);

describe('bpd with the exact divergence', () => {
  it.each([['VP', () => new VPSDE(), G], ['VE', () => new VESDE(), G], ['subVP', () => new SubVPSDE(), G], ['VP', () => new VPSDE(), M]] as const)(
    '%s: change of variables per sample and bpd = exact NLL (data %#)', async (_n, make, data) => {
      const sde: SDE = make(), p = data.diffused(sde), B = 24, eps = 1e-5;
      const x = data.sample(B, { generator: new lc.Generator(1), dtype: 'float64' });
      const start = lc.numTensors();
      const r = await bpd({ sde, score: p.scoreFn, data: x, divergence: 'exact', rtol: 1e-7, atol: 1e-7, eps });
      expect(r.nfe).toBe(2 + 6 * (r.steps + r.rejected));
      const exact = lc.tidy(() => arr(p.logProb(x, eps))), atT = lc.tidy(() => arr(p.logProb(r.z, 1)));
      const dl = arr(r.deltaLogp), lp = arr(r.logp), bits = arr(r.bpd), prior = arr(r.priorLogp);
      for (let i = 0; i < B; i++) {
        expect(Math.abs(dl[i] + atT[i] - exact[i])).toBeLessThan(1e-5);
        expect(lp[i]).toBeCloseTo(prior[i] + dl[i], 10);
        expect(bits[i]).toBeCloseTo(-lp[i] / (D * LN2) + 7, 10);
        expect(Math.abs(bits[i] - (-exact[i] / (D * LN2) + 7))).toBeLessThan(0.02);
      }
      free(r);
      p.data.dispose();
      expect(lc.numTensors()).toBe(start);
      x.dispose();
    });
});

describe('bpd with the Hutchinson estimator', () => {
  it.each([['rademacher'], ['gaussian']] as const)('%s probes: unbiased, batch mean within 4 SE of the exact value', async (noise) => {
    const sde = new VPSDE(), p = G.diffused(sde), B = 200;
    const x = G.sample(B, { generator: new lc.Generator(3), dtype: 'float64' });
    const h = await bpd({ sde, score: p.scoreFn, data: x, noise, generator: new lc.Generator(4) });
    const e = await bpd({ sde, score: p.scoreFn, data: x, divergence: 'exact' });
    const d = arr(h.bpd).map((v, i) => v - arr(e.bpd)[i]);
    const mean = d.reduce((a, b) => a + b, 0) / B, sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (B - 1));
    expect(sd).toBeGreaterThan(0.01);   // the estimator is random per sample...
    expect(Math.abs(mean)).toBeLessThan(4 * sd / Math.sqrt(B));   // ...and unbiased
    // and against the analytic NLL (the prior stand-in adds < 0.01 bits/dim)
    const exactBits = lc.tidy(() => arr(p.logProb(x, 1e-5))).map((v) => -v / (D * LN2) + 7);
    const hm = arr(h.bpd).reduce((a, b) => a + b, 0) / B, em = exactBits.reduce((a, b) => a + b, 0) / B;
    expect(Math.abs(hm - em)).toBeLessThan(4 * sd / Math.sqrt(B) + 0.01);
    // one probe per sample, drawn from the generator: the same generator replays the same estimate
    const again = await bpd({ sde, score: p.scoreFn, data: x, noise, generator: new lc.Generator(4) });
    expect(arr(again.bpd)).toEqual(arr(h.bpd));
    free(again);
    free(h);
    free(e);
    x.dispose();
    p.data.dispose();
  });
});

describe('dequantisation and offsets', () => {
  it('dequantize maps k/255 data to (k + u)/256 with u ~ U(0, 1), in either range', () => {
    lc.tidy(() => {
      const k = Array.from({ length: 4096 }, (_, i) => i % 256);
      for (const range of ['[-1,1]', '[0,1]'] as const) {
        const unit = k.map((v) => v / 255);
        const x = lc.tensor(range === '[-1,1]' ? unit.map((v) => 2 * v - 1) : unit, { dtype: 'float64' }).reshape([-1, 1]);
        const y = arr(dequantize(x, { range, generator: new lc.Generator(1) })).map((v) => (range === '[-1,1]' ? (v + 1) / 2 : v) * 256);
        const u = y.map((v, i) => v - k[i]);
        expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
        const mean = u.reduce((a, b) => a + b, 0) / u.length;
        expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / u.length));
      }
    });
  });

  it('bpd with dequantize = bpd of the dequantised data; range [0, 1] uses offset 8', async () => {
    // Gaussian data in [0, 1] pixel units, quantised to 8 bits
    const data01 = gaussian({ mean: [0.5, 0.4], cov: [[0.02, 0.005], [0.005, 0.03]] });
    const sde = new SubVPSDE(), p = data01.diffused(sde);
    const raw = lc.tidy(() => data01.sample(16, { generator: new lc.Generator(2), dtype: 'float64' }).clamp(0, 1).mul(255).round().div(255));
    const a = await bpd({ sde, score: p.scoreFn, data: raw, range: '[0,1]', dequantize: true, divergence: 'exact', generator: new lc.Generator(9) });
    const deq = dequantize(raw, { range: '[0,1]', generator: new lc.Generator(9) });
    const b = await bpd({ sde, score: p.scoreFn, data: deq, range: '[0,1]', divergence: 'exact' });
    expect(arr(a.bpd)).toEqual(arr(b.bpd));
    arr(a.bpd).forEach((v, i) => expect(v).toBeCloseTo(-arr(a.logp)[i] / (D * LN2) + 8, 10));
    const c = await bpd({ sde, score: p.scoreFn, data: deq, offset: 0, divergence: 'exact' });
    arr(c.bpd).forEach((v, i) => expect(v).toBeCloseTo(arr(b.bpd)[i] - 8, 10));
    [a, b, c].forEach(free);
    lc.dispose([raw, deq]);
    data01.dispose();
  });
});

describe('mechanics', () => {
  it('a non-affine SDE: the double-well at its stationary law has zero flow, so logp = log prior', async () => {
    const sde = new DoubleWellSDE();
    const x = sde.priorSample([8, 2], { generator: new lc.Generator(1), dtype: 'float64' });
    const r = await bpd({ sde, score: (y) => sde.gradPotential(y).neg(), data: x, divergence: 'exact' });
    expect(Math.max(...arr(r.deltaLogp).map(Math.abs))).toBeLessThan(1e-12);
    const prior = lc.tidy(() => arr(sde.priorLogp(x)));
    arr(r.logp).forEach((v, i) => expect(v).toBeCloseTo(prior[i], 12));
    free(r);
    x.dispose();
  });

  it('reports progress, can be cancelled without leaking, and validates its options', async () => {
    const sde = new VPSDE(), score = (y: lc.Tensor) => y.mul(-4);   // N(0, I/4) at t = 0: a real flow
    const x = lc.randn([4, 2], { generator: new lc.Generator(1) });
    const start = lc.numTensors();
    const ac = new AbortController();
    let calls = 0;
    await expect(bpd({ sde, score, data: x, signal: ac.signal, onProgress: () => { if (++calls === 1) ac.abort(); } })).rejects.toThrow(/abort/i);
    expect(lc.numTensors()).toBe(start);
    await expect(bpd({ sde, score, data: x, divergence: 'trace' as never })).rejects.toThrow(/bpd: argument 'divergence' got "trace", expected 'hutchinson' or 'exact'/);
    await expect(bpd({ sde, score, data: x, noise: 'uniform' as never })).rejects.toThrow(/argument 'noise' got "uniform"/);
    await expect(bpd({ sde, score, data: x, range: '[0,255]' as never })).rejects.toThrow(/argument 'range' got "\[0,255\]"/);
    await expect(bpd({ sde, score, data: x, dataRange: 1 } as never)).rejects.toThrow(/no such option/);
    await expect(bpd({ sde, score: (y) => y.sum(1), data: x })).rejects.toThrow(/bpd: the score function returned shape \[4\]/);
    expect(lc.numTensors()).toBe(start);
    x.dispose();
  });
});
