// SPDX-License-Identifier: MIT
// Exact identities of the objectives (no statistics): LCSS with the norm at the perturbed point is
// DSM minus a constant draw by draw; fused LCSS equals its composite form; every objective runs
// the model once per loss (LCSS on the stacked batch), leaks no tensor, and works under noGrad.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { DoubleWell, Mlp, ToyVE, maxAbs, maxAbsDiff, toArray, type F } from './helpers.js';

const { lcss, dsm, makeLoss, LOSS_NAMES } = lc.losses;

function paramGrads(model: Mlp, loss: Tensor): Tensor[] {
  return lc.grad(loss, model.parameters(), { retainGraph: true }) as Tensor[];
}

describe("LCSS with normAt 'perturbed', K = 1, plain, gamma = 1 is DSM in disguise", () => {
  for (const dtype of ['float64', 'float32'] as F[])
    it(`${dtype}: per draw, lcss = dsm - |e|^2 / (2 sigma^2), and the parameter gradients are equal`, () => {
      const start = lc.numTensors();
      const model = new Mlp(3, 16, { dtype, seed: 5 });
      lc.tidy(() => {
        const sigma = 0.3, B = 64;
        const x = lc.randn([B, 3], { generator: new lc.Generator(1), dtype });
        // the same seed gives both objectives the same noise key: e is the same draw
        const l1 = lcss({ sigma, draws: 1, estimator: 'plain', gamma: 1, normAt: 'perturbed', reduction: 'none', generator: new lc.Generator(42) })(model, x);
        const l2 = dsm({ sigma, reduction: 'none', generator: new lc.Generator(42) })(model, x);
        const e = lc.randn([B, 3], { key: { seed: 42, offset: 0 }, dtype });
        const c = lc.div(lc.sum(lc.square(e), 1), 2 * sigma * sigma);
        const tol = dtype === 'float64' ? 1e-10 : 2e-3;
        expect(maxAbsDiff(l1, lc.sub(l2, c))).toBeLessThan(tol * Math.max(1, maxAbs(l2)));
        // draw by draw: the gradient of each sample's loss, not only of the mean
        for (const b of [0, 17, 63]) {
          const g1 = paramGrads(model, lc.select(l1, 0, b)), g2 = paramGrads(model, lc.select(l2, 0, b));
          g1.forEach((g, i) => expect(maxAbsDiff(g, g2[i])).toBeLessThan((dtype === 'float64' ? 1e-10 : 1e-3) * Math.max(1, maxAbs(g2[i]))));
        }
      });
      model.dispose();
      expect(lc.numTensors()).toBe(start);
    });
});

describe('fused LCSS == composite LCSS (values and parameter gradients)', () => {
  const cases: [F, lc.SteinEstimator, number, 'center' | 'perturbed', boolean][] = [
    ['float64', 'control', 1, 'center', false], ['float64', 'antithetic', 2, 'center', true], ['float64', 'plain', 3, 'perturbed', true],
    ['float32', 'control', 1, 'center', true], ['float32', 'antithetic', 1, 'perturbed', false], ['float32', 'plain', 2, 'center', false],
  ];
  for (const [dtype, estimator, draws, normAt, withSde] of cases)
    it(`${dtype} ${estimator} K=${draws} ${normAt}${withSde ? ' with an SDE' : ''}`, () => {
      const start = lc.numTensors();
      const sde = new ToyVE('geometric');
      const model = new Mlp(5, 16, { dtype, seed: 3, time: withSde ? { feature: (t) => t, scale: (t) => sde.sigmaBar(t) } : undefined });
      lc.tidy(() => {
        const x = lc.randn([12, 5], { generator: new lc.Generator(2), dtype });
        const o = { draws, estimator, normAt, gamma: 0.8, ...(withSde ? { sde, sigmaRatio: 0.2 } : { sigma: 0.2 }) };
        const a = lcss({ ...o, fused: true, generator: new lc.Generator(9) })(model, x);
        const b = lcss({ ...o, fused: false, generator: new lc.Generator(9) })(model, x);
        const tol = dtype === 'float64' ? 1e-11 : 1e-4;
        expect(Math.abs(a.item() - b.item())).toBeLessThan(tol * Math.max(1, Math.abs(b.item())));
        const ga = paramGrads(model, a), gb = paramGrads(model, b);
        ga.forEach((g, i) => expect(maxAbsDiff(g, gb[i])).toBeLessThan(tol * Math.max(1, maxAbs(gb[i]))));
      });
      model.dispose();
      expect(lc.numTensors()).toBe(start);
    });
});

describe('one forward per loss; leaks; noGrad', () => {
  const stackRows: Record<string, number> = { lcss: 2, dsm: 1, fdssm: 2, ssm: 1, 'ssm-vr': 1, exact: 1 };
  for (const name of LOSS_NAMES)
    it(`${name}: plain and time-conditioned forms`, () => {
      const start = lc.numTensors();
      for (const withSde of [false, true]) {
        const calls: number[][] = [];
        const sde = new ToyVE('geometric');
        const net = new Mlp(4, 8, { seed: 1, time: withSde ? { feature: (t) => t, scale: (t) => sde.sigmaBar(t) } : undefined });
        const model = { forward: (x: Tensor, t: Tensor | null) => { calls.push([...x.shape, t ? t.shape[0] : -1]); return net.forward(x, t); } };
        const loss = makeLoss(name, withSde ? { sde } : {});
        lc.tidy(() => {
          const x = lc.randn([6, 4], { generator: new lc.Generator(3) });
          const l = loss(model, x);
          expect(l.shape).toEqual([]);
          expect(Number.isFinite(l.item())).toBe(true);
          l.backward();
          for (const p of net.parameters()) expect(p.grad, `${name} gradient`).not.toBeNull();
          // one model call on the stacked batch, with the times stacked the same way
          expect(calls).toEqual([[6 * stackRows[name], 4, withSde ? 6 * stackRows[name] : -1]]);
          net.zeroGrad();
          // under noGrad the value is the same draw's, and no graph is left
          const v = lc.noGrad(() => makeLoss(name, withSde ? { sde, generator: new lc.Generator(5) } : { generator: new lc.Generator(5) })(net, x));
          const w = makeLoss(name, withSde ? { sde, generator: new lc.Generator(5) } : { generator: new lc.Generator(5) })(net, x);
          expect(v.requiresGrad).toBe(false);
          expect(Math.abs(v.item() - w.item())).toBeLessThan(1e-5 * Math.max(1, Math.abs(w.item())));
        });
        net.dispose();
      }
      expect(lc.numTensors()).toBe(start);
    });

  it("reduction 'none' gives the weighted per-sample values whose mean is the loss", () => {
    lc.tidy(() => {
      const sde = new ToyVE('geometric');
      const net = new Mlp(2, 8, { seed: 1, time: { feature: (t) => t, scale: (t) => sde.sigmaBar(t) } });
      const x = lc.randn([7, 2], { generator: new lc.Generator(3) });
      for (const name of LOSS_NAMES) {
        const per = makeLoss(name, { sde, reduction: 'none', generator: new lc.Generator(8) })(net, x);
        const m = makeLoss(name, { sde, generator: new lc.Generator(8) })(net, x);
        expect(per.shape).toEqual([7]);
        expect(Math.abs(lc.mean(per).item() - m.item())).toBeLessThan(1e-5 * Math.max(1, Math.abs(m.item())));
      }
      net.dispose();
    });
  });

  it('a plain function works as the model', () => {
    lc.tidy(() => {
      const x = lc.randn([5, 3], { generator: new lc.Generator(3), dtype: 'float64' });
      for (const name of LOSS_NAMES) {
        const l = makeLoss(name, {})((y: Tensor) => lc.neg(y), x);
        expect(Number.isFinite(l.item())).toBe(true);
      }
    });
  });
});

describe('options and arguments are validated', () => {
  it('names the function, the argument, what was given and what was expected', () => {
    const dw = new DoubleWell();
    expect(() => makeLoss('lcsss' as 'lcss')).toThrow(/makeLoss: argument 'name' got "lcsss", expected one of "lcss", "dsm"/);
    expect(() => lcss({ sigmaRation: 0.1 } as never)).toThrow(/lcss: unknown option "sigmaRation"/);
    expect(() => lcss({ sigma: -1 })).toThrow(/lcss: argument 'sigma' got -1, expected a number > 0/);
    expect(() => lcss({ sigmaRatio: 0.1 })).toThrow(/sigmaRatio.*without an 'sde'/);
    expect(() => lcss({ sde: new ToyVE(), sigma: 0.1, sigmaRatio: 0.1 })).toThrow(/give one of them/);
    expect(() => lcss({ draws: 1.5 })).toThrow(/draws.*positive integer/);
    expect(() => lcss({ estimator: 'hutchinson' as never })).toThrow(/estimator.*"plain" \| "control" \| "antithetic"/);
    expect(() => lcss({ normAt: 'x' as never })).toThrow(/normAt/);
    expect(() => lcss({ gamma: NaN })).toThrow(/gamma.*finite/);
    expect(() => lcss({ fused: 1 as never })).toThrow(/fused.*boolean/);
    expect(() => lcss({ tEps: 1e-3 })).toThrow(/'tEps' only applies to the time-conditioned form/);
    expect(() => lcss({ sde: new ToyVE(), tEps: 2 })).toThrow(/tEps.*below the SDE's end time/);
    expect(() => lcss({ sde: {} as never })).toThrow(/lcss: argument 'sde'/);
    expect(() => lcss({ sde: new ToyVE(), weighting: 'uniform' as never })).toThrow(/weighting/);
    expect(() => lcss({ generator: 3 as never })).toThrow(/generator.*a Generator/);
    expect(() => lcss({ reduction: 'sum' as never })).toThrow(/reduction/);
    expect(() => dsm({ sde: dw })).toThrow(/dsm: the SDE 'double-well' has no closed-form Gaussian perturbation kernel.*use lcss/);
    expect(() => dsm({ sde: new ToyVE(), sigma: 0.1 })).toThrow(/dsm: option 'sigma'/);
    expect(() => makeLoss('ssm', { particles: 0 })).toThrow(/particles.*positive integer/);
    expect(() => makeLoss('ssm', { projection: 'sphere' as never })).toThrow(/projection/);
    expect(() => makeLoss('ssm-vr', { sde: new ToyVE(), sigma: 0.1 })).toThrow(/sigma.*does not apply with an 'sde'/);
    expect(() => makeLoss('fdssm', { eps: 0 })).toThrow(/eps.*> 0/);
    expect(() => makeLoss('fdssm', { epsRatio: 0.1 })).toThrow(/epsRatio.*needs an 'sde'/);
    expect(() => makeLoss('fdssm', { sde: new ToyVE(), eps: 0.1, epsRatio: 0.1 })).toThrow(/give one of them/);
    expect(() => makeLoss('fdssm', { sde: new ToyVE(), epsRatio: -1 })).toThrow(/epsRatio.*> 0/);
    expect(() => makeLoss('exact', { traceDims: [-1] })).toThrow(/traceDims/);
  });
  it('checks the batch and what the model returns', () => {
    lc.tidy(() => {
      const l = lcss({});
      const x = lc.randn([4, 3]);
      expect(() => l((y: Tensor) => y, lc.randn([4]))).toThrow(/lcss: argument 'x' has shape \[4\], expected \[B, \.\.\.features\]/);
      expect(() => l((y: Tensor) => y, lc.zeros([4, 3], { dtype: 'int32' }))).toThrow(/lcss: argument 'x' has dtype int32/);
      expect(() => l((y: Tensor) => lc.sum(y, 1), x)).toThrow(/lcss: the model returned a score of shape \[8\] for input \[8, 3\]/);
      expect(() => l({} as never, x)).toThrow(/lcss: argument 'model'|forward/);
      expect(() => makeLoss('exact', { traceDims: [3] })((y: Tensor) => y, x)).toThrow(/traceDims.*below D = 3/);
    });
  });
});

describe('time-conditioned plumbing', () => {
  it('fdssm with an SDE steps eps(t) = 0.1 sigmaBar(t) by default; a fixed eps is still honoured', () => {
    lc.tidy(() => {
      const sde = new ToyVE('geometric');
      const net = new Mlp(3, 8, { seed: 2, time: { feature: (t) => t, scale: (t) => sde.sigmaBar(t) } });
      const x = lc.randn([16, 3], { generator: new lc.Generator(1) });
      const run = (o: Record<string, unknown>) => makeLoss('fdssm', { sde, ...o, generator: new lc.Generator(4) })(net, x).item();
      const def = run({}), rel = run({ epsRatio: 0.1 }), fixed = run({ eps: 0.1 }), rel2 = run({ epsRatio: 0.3 });
      expect(def).toBe(rel);
      expect(Math.abs(def - fixed)).toBeGreaterThan(1e-4 * Math.abs(def));
      expect(Math.abs(def - rel2)).toBeGreaterThan(1e-4 * Math.abs(def));
      net.dispose();
    });
  });

  it('the loss uses t ~ U(tEps, T), x_t from sde.sampleXt and lambda = sigmaBar^2 (recomputed from the same generator)', () => {
    lc.tidy(() => {
      const sde = new ToyVE('geometric');
      const B = 9, D = 2;
      const x = lc.randn([B, D], { generator: new lc.Generator(3), dtype: 'float64' });
      const score = (y: Tensor, t: Tensor | null) => lc.div(lc.neg(y), lc.unsqueeze(lc.square(sde.sigmaBar(t!)), 1));
      for (const weighting of ['sigma2', 'likelihood', 'none'] as const) {
        const got = toArray(lcss({ sde, weighting, sigmaRatio: 0.3, reduction: 'none', generator: new lc.Generator(77), tEps: 0.01 })(score, x));
        // replay: the same generator state draws t, then x_t, then the Stein key
        const g = new lc.Generator(77);
        const t = lc.rand([B], { low: 0.01, high: 1, dtype: 'float64', generator: g });
        const xt = sde.sampleXt(x, t, { generator: g });
        const sb = sde.sigmaBar(t);
        const key = g.next(B * D);
        const sg = lc.mul(sb, 0.3);
        const S = score(lc.steinPerturb(xt, sg, { key }), lc.cat([t, t]));
        const per = lc.steinLoss(S, sg, { key });
        const lam = weighting === 'sigma2' ? lc.square(sb) : weighting === 'likelihood' ? lc.square(sde.sde(xt, t).diffusion) : lc.onesLike(sb);
        const want = toArray(lc.mul(per, lam));
        want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 10));
      }
    });
  });
});

describe('autograd pruning the Jacobian objectives rely on', () => {
  it('grad(outputs, [x]) asks each op only for the gradients that lead to x (no weight gradients per VJP)', async () => {
    const { attachGrad } = await import('../../src/autograd/node.js');
    const seen: boolean[][] = [];
    lc.tidy(() => {
      const x = lc.randn([3], { requiresGrad: true }), w = lc.randn([3], { requiresGrad: true });
      const y = attachGrad(lc.mul(lc.detach(x), lc.detach(w)), 'probe', [x, w], [x, w], (g, [xs, ws], ctx) => {
        seen.push([...ctx.needsGrad]);
        return [ctx.needsGrad[0] ? lc.mul(g, ws) : null, ctx.needsGrad[1] ? lc.mul(g, xs) : null];
      });
      lc.grad(lc.sum(y), [x], { retainGraph: true });
      lc.backward(lc.sum(y));
    });
    expect(seen).toEqual([[true, false], [true, true]]);
  });
});
