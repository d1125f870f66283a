// SPDX-License-Identifier: MIT
// scoreFn follows score_sde's get_score_fn for continuous models, checked with the project's SDEs.
import { describe, expect, it } from 'vitest';
import { defaultParameterization, scoreFn, SmallUNet, type ScoreNetwork } from '../../src/models/index.js';
import { DoubleWellSDE, SubVPSDE, VESDE, VPSDE } from '../../src/sde/index.js';
import { Generator, numTensors, randn, tensor, tidy, type Tensor } from '../../src/index.js';

/** A stand-in network that records the labels it was called with and returns a fixed output. */
function probe(out: (x: Tensor) => Tensor) {
  const seen: number[][] = [];
  const model: ScoreNetwork = {
    forward(x: Tensor, labels: Tensor) {
      seen.push(Array.from(labels.dataSync()));
      return out(x);
    },
  };
  return { model, seen };
}

const close = (a: number[], b: number[], tol: number) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol * Math.max(1, Math.abs(b[i]))));

describe('scoreFn', () => {
  const t = [0.001, 0.3, 1];

  it('VE: labels are sigma(t) = 0.01 * 5000^t and the output is the score', () => {
    const sde = new VESDE({ sigmaMin: 0.01, sigmaMax: 50 });
    expect(defaultParameterization(sde)).toBe('sigma');
    const { model, seen } = probe((x) => x.mul(2));
    tidy(() => {
      const x = randn([3, 4], { generator: new Generator(1) });
      const s = scoreFn(sde, model)(x, tensor(t));
      expect(s.sub(x.mul(2)).abs().max().item()).toBe(0);
    });
    close(seen[0], t.map((v) => 0.01 * 5000 ** v), 1e-5);
  });

  it('VP and subVP: labels are 999 t and the score is -output / std(t) (std from the SDE marginal)', () => {
    for (const sde of [new VPSDE(), new SubVPSDE()]) {
      expect(defaultParameterization(sde)).toBe('noise');
      const { model, seen } = probe((x) => x.mul(0).add(1));
      tidy(() => {
        const x = randn([3, 2, 2], { generator: new Generator(2) });
        const tt = tensor(t);
        const s = Array.from(scoreFn(sde, model)(x, tt).dataSync());
        const std = Array.from(sde.marginal(x, tt).std.dataSync());
        // beta 0.1..20: m = -t^2 (19.9)/4 - 0.05 t; VP std = sqrt(1 - e^{2m}), subVP std = 1 - e^{2m}
        const m = t.map((v) => -0.25 * v * v * 19.9 - 0.5 * v * 0.1);
        close(std, m.map((v) => (sde.name === 'vp' ? Math.sqrt(1 - Math.exp(2 * v)) : 1 - Math.exp(2 * v))), 1e-4);
        close(s, std.flatMap((sd) => [-1 / sd, -1 / sd, -1 / sd, -1 / sd]), 1e-5);
      });
      close(seen[0], t.map((v) => 999 * v), 1e-5);
    }
  });

  it('VP data N(0, I) stays N(0, I): a net predicting the noise x std(t) gives the exact score -x', () => {
    const sde = new VPSDE();
    const gen = new Generator(3);
    tidy(() => {
      const tt = tensor([0.05, 0.5, 0.95]);
      const std = sde.marginal(randn([3, 2]), tt).std;
      const model: ScoreNetwork = { forward: (x) => x.mul(std.reshape([3, 1])) };
      const x = randn([3, 2], { generator: gen });
      expect(scoreFn(sde, model)(x, tt).add(x).abs().max().item()).toBeLessThan(1e-6);
    });
  });

  it('an SDE without a closed-form kernel uses 999 t labels and sigmaBar(t)', () => {
    const sde = new DoubleWellSDE();
    const { model, seen } = probe((x) => x.mul(0).add(1));
    tidy(() => {
      const x = randn([3, 2], { generator: new Generator(4) });
      const tt = tensor(t);
      const s = Array.from(scoreFn(sde, model)(x, tt).dataSync());
      const sb = Array.from(sde.sigmaBar(tt).dataSync());
      close(s, sb.flatMap((v) => [-1 / v, -1 / v]), 1e-5);
    });
    close(seen[0], t.map((v) => 999 * v), 1e-5);
  });

  it('an explicit parameterisation overrides the default; train option sets the mode; bad t rejected', () => {
    const sde = new VESDE();
    const net = new SmallUNet({ ch: 4, chMult: [1, 2], numRes: 1, attnRes: [], img: 8, generator: new Generator(5) });
    const n0 = numTensors();
    tidy(() => {
      const x = randn([2, 1, 8, 8], { generator: new Generator(6) });
      const f = scoreFn(sde, net, { train: false });
      expect([...f(x, tensor([0.2, 0.9])).shape]).toEqual([2, 1, 8, 8]);
      expect(net.training).toBe(false);
      expect(() => f(x, tensor([0.2]))).toThrow(/score: t must be \[B\] = \[2\], got \[1\]/);
      const { model, seen } = probe((y) => y);
      scoreFn(sde, model, { parameterization: 'noise' })(x, tensor([0.5, 1]));
      expect(seen[0]).toEqual([499.5, 999]);
    });
    expect(numTensors()).toBe(n0);
    expect(() => scoreFn(sde, net, { parameterization: 'eps' as never })).toThrow(/scoreFn: argument 'parameterization' got "eps"/);
    net.dispose();
  });
});
