// SPDX-License-Identifier: MIT
// Optimisers against plain-JS float64 references of their update rules.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { Adam, clipGradNorm, EMA, SGD } from '../../src/optim/index.js';

const target = [0.5, -1.5, 2.0];
/** loss = sum((p - target)^2 * w) with per-coordinate weights so coordinates differ */
const weights = [1, 3, 0.5];
function gradOf(p: number[]): number[] {
  return p.map((v, i) => 2 * weights[i] * (v - target[i]));
}
function lossStep(p: lc.Tensor): void {
  lc.tidy(() => lc.sum(lc.mul(lc.square(lc.sub(p, lc.tensor(target, { dtype: 'float64' }))), lc.tensor(weights, { dtype: 'float64' }))).backward());
}

describe('Adam', () => {
  it('matches the reference update, with warm-up and L2 / decoupled decay', () => {
    for (const decoupled of [false, true]) {
      const p = lc.tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
      const o = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, warmup: 3, decoupled };
      const opt = new Adam([p], o);
      let ref = [0, 0, 0], m = [0, 0, 0], v = [0, 0, 0];
      for (let t = 1; t <= 6; t++) {
        opt.zeroGrad();
        lossStep(p);
        opt.step();
        const lr = o.lr * Math.min(t / o.warmup, 1);
        const g = gradOf(ref).map((gi, i) => (decoupled ? gi : gi + o.weightDecay * ref[i]));
        m = m.map((mi, i) => o.beta1 * mi + (1 - o.beta1) * g[i]);
        v = v.map((vi, i) => o.beta2 * vi + (1 - o.beta2) * g[i] ** 2);
        ref = ref.map((pi, i) => {
          const base = decoupled ? pi * (1 - lr * o.weightDecay) : pi;
          return base - (lr / (1 - o.beta1 ** t)) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - o.beta2 ** t) + o.eps);
        });
        const got = Array.from(p.dataSync());
        got.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 12));
      }
      opt.zeroGrad();
      opt.dispose();
      p.dispose();
    }
  });

  it('state round trip continues bit-exactly', () => {
    const run = (split: boolean) => {
      const p = lc.tensor([0.3, -0.2, 0.1], { dtype: 'float64', requiresGrad: true });
      let opt = new Adam([p], { lr: 0.05 });
      for (let t = 0; t < 8; t++) {
        if (split && t === 4) {
          const s = opt.state();
          const copy = { step: s.step, tensors: new Map([...s.tensors].map(([k, v]) => [k, lc.keep(lc.clone(v))])) };
          opt.dispose();
          opt = new Adam([p], { lr: 0.05 });
          opt.loadState(copy);
          lc.dispose([...copy.tensors.values()]);
        }
        opt.zeroGrad();
        lossStep(p);
        opt.step();
      }
      opt.zeroGrad();
      opt.dispose();
      const out = Array.from(p.dataSync());
      p.dispose();
      return out;
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects bad options with clear errors', () => {
    const p = lc.zeros([2], { requiresGrad: true });
    expect(() => new Adam([p], { lr: NaN })).toThrow(/Adam: argument 'lr'/);
    expect(() => new Adam([p], { beta1: 1 })).toThrow(/betas/);
    expect(() => new Adam([lc.zeros([2])])).toThrow(/does not require grad/);
    p.dispose();
  });
});

describe('clipping, SGD, EMA', () => {
  it('clips the global gradient norm', () => {
    const a = lc.tensor([3, 0], { dtype: 'float64', requiresGrad: true }), b = lc.tensor([4], { dtype: 'float64', requiresGrad: true });
    lc.tidy(() => lc.add(lc.sum(lc.mul(a, a)), lc.sum(lc.mul(b, b))).mul(0.5).backward());
    const n = clipGradNorm([a, b], 1);
    expect(n).toBeCloseTo(5, 12);
    expect(Array.from(a.grad!.dataSync())[0]).toBeCloseTo(3 / (5 + 1e-6), 12);
    expect(b.grad!.item()).toBeCloseTo(4 / (5 + 1e-6), 12);
    lc.dispose([a, b]);
  });

  it('SGD with momentum matches torch semantics', () => {
    const p = lc.tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    let ref = [0, 0, 0], buf = [0, 0, 0];
    for (let t = 1; t <= 5; t++) {
      opt.zeroGrad();
      lossStep(p);
      opt.step();
      const g = gradOf(ref);
      buf = t === 1 ? g : buf.map((bi, i) => 0.9 * bi + g[i]);
      ref = ref.map((pi, i) => pi - 0.1 * buf[i]);
    }
    Array.from(p.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(ref[i], 12));
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });

  it('EMA follows score_sde: decay min(d, (1+n)/(10+n)), shadow -= (1-d)(shadow - p)', () => {
    const p = lc.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const n0 = lc.numTensors();
    const ema = new EMA([p], { decay: 0.99 });
    let s = [1, 2];
    for (let n = 1; n <= 30; n++) {
      lc.noGrad(() => p.add_(1));
      ema.update();
      const d = Math.min(0.99, (1 + n) / (10 + n));
      const pv = [1 + n, 2 + n];
      s = s.map((si, i) => si - (1 - d) * (si - pv[i]));
    }
    Array.from(ema.shadow[0].dataSync()).forEach((x, i) => expect(x).toBeCloseTo(s[i], 12));
    const trained = Array.from(p.dataSync());
    const inside = ema.withAveraged(() => Array.from(p.dataSync()));
    expect(inside[0]).toBeCloseTo(s[0], 12);
    expect(Array.from(p.dataSync())).toEqual(trained);
    ema.dispose();
    expect(lc.numTensors()).toBe(n0);
    p.dispose();
  });
});
