// SPDX-License-Identifier: MIT
// W1-W5 of docs/PERFORMANCE.md on any device, for the GPU check (bench/gpu_check.ts). W4 and W5's cases,
// shapes and loss formulas mirror the PyTorch peer's torch_peer.py function for function (its case
// names too, so the table joins the two sides); W4's LCSS step uses the engine's fused Stein ops
// (plain estimator, gamma 1: the peer's per-sample formula). Every step frees what it makes.
import * as lc from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { SmallUNet } from '../src/models/small_unet.js';
import { Linear } from '../src/nn/linear.js';
import { Adam } from '../src/optim/adam.js';
import * as cpuBench from '../src/bench/workloads.js';

export interface Workload {
  workload: string;
  case: string;
  D?: number;
  /** flops of one call, when GFLOP/s is meaningful */
  flop?: number;
  step: () => void;
  dispose: () => void;
}


// W1-W3 are bench/workloads.ts's definitions on the given device (one definition for both benches).
export const w1 = (dev: lc.Device): Workload[] => cpuBench.w1(dev);
export const w2 = (dev: lc.Device): Workload[] => cpuBench.w2(dev);
export const w3 = (dev: lc.Device): Workload[] => cpuBench.w3(dev);

const SIGMA_MIN = 0.01, SIGMA_MAX = 50, T_EPS = 1e-5;
const veSigma = (t: Tensor) => lc.mul(lc.exp(lc.mul(t, Math.log(SIGMA_MAX / SIGMA_MIN))), SIGMA_MIN);

export function w4(dev: lc.Device): Workload[] {
  return lc.withDefaultDevice(dev, () => {
    lc.manualSeed(0);
    const model = new SmallUNet();
    const opt = new Adam(model.parameters(), { lr: 2e-4 });
    const x0 = lc.keep(lc.tidy(() => lc.sub(lc.mul(lc.rand([32, 1, 28, 28]), 2), 1)));
    const sig = lc.keep(lc.tidy(() => veSigma(lc.rand([32]))));
    const B = 32;
    const trainStep = (loss: () => Tensor) => () => lc.withDefaultDevice(dev, () => lc.tidy(() => {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }));
    // score_sde DSM with lambda = sigma^2: mean_b sum_pix (sigma s(x0 + sigma z) + z)^2
    const dsm = () => {
      const t = lc.add(lc.mul(lc.rand([B]), 1 - T_EPS), T_EPS), sigma = veSigma(t), sb = lc.reshape(sigma, [B, 1, 1, 1]);
      const z = lc.randnLike(x0);
      const s = model.forward(lc.add(x0, lc.mul(sb, z)), sigma);
      return lc.mean(lc.sum(lc.square(lc.add(lc.mul(s, sb), z)), [1, 2, 3]));
    };
    // the peer's lcss_cat: mean_b sigma^2 (1/2 |s(x0)|^2 + e . s(x0 + sigma e) / sigma), both rows
    // in one batch-64 forward; here through the fused steinPerturb / steinLoss kernels
    const lcss = () => {
      const t = lc.add(lc.mul(lc.rand([B]), 1 - T_EPS), T_EPS), sigma = veSigma(t);
      const key = lc.defaultGenerator.next(lc.steinNoiseCount(B, 28 * 28, 1));
      const opts = { key, draws: 1, estimator: 'plain' as const };
      const xs = lc.steinPerturb(x0, sigma, opts);
      const s = model.forward(xs, lc.cat([sigma, sigma]));
      return lc.mean(lc.mul(lc.square(sigma), lc.steinLoss(s, sigma, opts)));
    };
    return [
      { workload: 'W4_unet_b32', case: 'forward_only(no_grad)', step: () => lc.withDefaultDevice(dev, () => lc.tidy(() => lc.noGrad(() => { model.forward(x0, sig); }))), dispose: () => {} },
      { workload: 'W4_unet_b32', case: 'train_step_dsm', step: trainStep(dsm), dispose: () => {} },
      { workload: 'W4_unet_b32', case: 'train_step_lcss_fused_b64', step: trainStep(lcss), dispose: () => { model.dispose(); opt.dispose(); lc.dispose([x0, sig]); } },
    ];
  });
}

const W5_SIGMA = 0.1, FD_H = 0.01;

export function w5(dev: lc.Device, dims = [2, 16, 64, 256, 784], exactMaxD = 64): Workload[] {
  const out: Workload[] = [];
  for (const D of dims) {
    const net = lc.withDefaultDevice(dev, () => {
      lc.manualSeed(0);
      const l1 = new Linear(D, 256), l2 = new Linear(256, 256), l3 = new Linear(256, D);
      return { f: (x: Tensor) => l3.forward(lc.silu(l2.forward(lc.silu(l1.forward(x))))), params: [l1, l2, l3].flatMap((l) => l.parameters()), dispose: () => [l1, l2, l3].forEach((l) => l.dispose()) };
    });
    const x = lc.keep(lc.randn([128, D], { device: dev }));
    const sq = (t: Tensor) => lc.sum(lc.square(t), 1);
    const losses: [string, () => Tensor][] = [
      ['dsm', () => { const e = lc.randnLike(x); return lc.mean(lc.mul(sq(lc.add(net.f(lc.add(x, lc.mul(e, W5_SIGMA))), lc.div(e, W5_SIGMA))), 0.5)); }],
      ['stein_cat', () => {
        const e = lc.randnLike(x);
        const [s0, s1] = lc.chunk(net.f(lc.cat([x, lc.add(x, lc.mul(e, W5_SIGMA))])), 2);
        return lc.mean(lc.add(lc.mul(sq(s0), 0.5), lc.div(lc.sum(lc.mul(e, s1), 1), W5_SIGMA)));
      }],
      ['ssm', () => {
        const xg = lc.detach(x).requiresGrad_();
        const v = lc.sub(lc.mul(lc.bernoulli(0.5, [128, D], { device: dev }), 2), 1);
        const s = net.f(xg);
        const gv = lc.grad(lc.sum(lc.mul(s, v)), [xg], { createGraph: true })[0]!;
        return lc.mean(lc.add(lc.sum(lc.mul(gv, v), 1), lc.mul(sq(s), 0.5)));
      }],
      ['fdssm', () => {
        const v = lc.randnLike(x);
        const [sp, sm] = lc.chunk(net.f(lc.cat([lc.add(x, lc.mul(v, FD_H)), lc.sub(x, lc.mul(v, FD_H))])), 2);
        return lc.mean(lc.add(lc.mul(sq(lc.add(sp, sm)), 0.125), lc.div(lc.sum(lc.mul(v, lc.sub(sp, sm)), 1), 2 * FD_H)));
      }],
      ['exact', () => {
        const xg = lc.detach(x).requiresGrad_();
        const s = net.f(xg);
        let tr = lc.zeros([128], { device: dev });
        for (let i = 0; i < D; i++) {
          const gi = lc.grad(lc.sum(lc.select(s, 1, i)), [xg], { createGraph: true, retainGraph: true })[0]!;
          tr = lc.add(tr, lc.select(gi, 1, i));
        }
        return lc.mean(lc.add(lc.mul(sq(s), 0.5), tr));
      }],
    ];
    for (const [name, loss] of losses) {
      if (name === 'exact' && D > exactMaxD) continue;
      out.push({ workload: 'W5_mlp_b128', case: name, D, step: () => lc.withDefaultDevice(dev, () => lc.tidy(() => { lc.grad(loss(), net.params); })), dispose: () => {} });
    }
    out.push({ workload: 'W5_mlp_b128', case: '_free', D, step: () => {}, dispose: () => { x.dispose(); net.dispose(); } });
  }
  return out;
}
