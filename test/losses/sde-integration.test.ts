// SPDX-License-Identifier: MIT
// The objectives with the project's real SDEs (src/sde): every objective runs with VE, VP, subVP
// and (all but DSM) the non-affine double well; and a short VP training run measured against the
// exact diffused-mixture score of src/sde/analytic.ts: LCSS within 2x (+0.05) of DSM.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { DiffusedMixture, DoubleWellSDE, GaussianMixture, SubVPSDE, VESDE, VPSDE } from '../../src/sde/index.js';
import { Mlp, train } from './helpers.js';

const { makeLoss, LOSS_NAMES } = lc.losses;

describe('every objective with the real SDEs', () => {
  const sdes = [new VESDE(), new VPSDE(), new SubVPSDE(), new DoubleWellSDE()];
  for (const sde of sdes)
    it(sde.name, () => {
      const start = lc.numTensors();
      const model = new Mlp(2, 16, { seed: 1, time: { feature: (t) => t, scale: (t) => sde.sigmaBar(t) } });
      lc.tidy(() => {
        const x = lc.randn([8, 2], { generator: new lc.Generator(1) });
        for (const name of LOSS_NAMES) {
          if (name === 'dsm' && !sde.isAffine) {
            expect(() => makeLoss('dsm', { sde })).toThrow(/has no closed-form Gaussian perturbation kernel/);
            continue;
          }
          const l = makeLoss(name, { sde, generator: new lc.Generator(2) })(model, x);
          expect(Number.isFinite(l.item()), `${sde.name} ${name}`).toBe(true);
          l.backward();
          for (const p of model.parameters()) expect(lc.isfinite(p.grad!).logicalNot().sum().item()).toBe(0);
          model.zeroGrad();
        }
      });
      model.dispose();
      expect(lc.numTensors()).toBe(start);
    });
});

describe('VP SDE training against the exact diffused-mixture score', () => {
  const sde = new VPSDE();
  const data = new GaussianMixture({ means: [[1, 1], [-1, 1], [1, -1], [-1, -1]], cov: 0.1 });
  const oracle = new DiffusedMixture(data, sde);
  const err = (model: Mlp) => lc.tidy(() => lc.noGrad(() => {
    // sigmaBar^2-weighted score error at a few times, on fresh samples of p_t
    let tot = 0;
    for (const tv of [0.05, 0.2, 0.5, 0.9]) {
      const x = oracle.sample(1000, tv, { generator: new lc.Generator(7) });
      const t = lc.full([1000], tv);
      const d = lc.sub(model.forward(x, t), oracle.score(x, t));
      tot += lc.mul(lc.mean(lc.square(d)), lc.mean(lc.square(sde.sigmaBar(t)))).item() / 4;
    }
    return tot;
  }));
  const res: Record<string, number> = {};
  for (const name of ['dsm', 'lcss'] as const)
    it(name, () => {
      const model = new Mlp(2, 64, { seed: 3, time: { feature: (t: Tensor) => t, scale: (t: Tensor) => sde.sigmaBar(t) } });
      const before = err(model);
      const g = new lc.Generator(11);
      train(model, makeLoss(name, { sde, generator: new lc.Generator(12) }), () => data.sample(256, { generator: g }), 400, 3e-3);
      res[name] = err(model);
      expect(res[name], `${name}: ${before} -> ${res[name]}`).toBeLessThan(before / 3);
      model.dispose();
    });
  it('LCSS within 2x of DSM', () => {
    expect(res.lcss).toBeLessThan(2 * res.dsm + 0.05);
  });
});
