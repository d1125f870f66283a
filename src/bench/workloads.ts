// SPDX-License-Identifier: MIT
// The fixed workloads W1-W5 of docs/PERFORMANCE.md, mirrored by the PyTorch peer that
// bench/peer.ts runs (same shapes, same cases, same flop counts), for our engine. Each case is a step function that
// frees everything it makes (tidy), so the allocator runs on recycled memory as in training.
import * as lc from '../index.js';
import type { Tensor } from '../index.js';
import { Linear } from '../nn/linear.js';
import { SmallUNet } from '../models/small_unet.js';
import { Adam } from '../optim/adam.js';
import { makeLoss, type LossName } from '../losses/index.js';

export interface Case {
  workload: string;
  case: string;
  /** flops of one call, when GFLOP/s is meaningful */
  flop?: number;
  extra?: Record<string, number | string>;
  step: () => void;
  /** frees what setup made */
  dispose: () => void;
}

const keepAll = (...ts: Tensor[]) => ts.forEach((t) => lc.keep(t));

// W1-W3 take the device so the GPU check (bench/gpu_workloads.ts) times the same definitions.
export function w1(dev: lc.Device = lc.CPU): Case[] {
  const [a, b] = lc.tidy(() => [lc.randn([1024, 1024], { device: dev }), lc.randn([1024, 1024], { device: dev })]);
  keepAll(a, b);
  return [{
    workload: 'W1_sgemm_1024', case: 'mm', flop: 2 * 1024 ** 3,
    step: () => lc.tidy(() => { lc.matmul(a, b); }),
    dispose: () => lc.dispose([a, b]),
  }];
}

export function w2(dev: lc.Device = lc.CPU): Case[] {
  const [x, w, g] = lc.tidy(() => [lc.randn([16, 64, 32, 32], { device: dev }), lc.mul(lc.randn([64, 64, 3, 3], { device: dev }), 0.05), lc.randn([16, 64, 32, 32], { device: dev })]);
  keepAll(x, w, g);
  const [xr, wr] = lc.tidy(() => [x.clone().requiresGrad_(), w.clone().requiresGrad_()]);
  keepAll(xr, wr);
  const flop = 2 * 16 * 64 * 32 * 32 * 64 * 9;
  return [
    { workload: 'W2_conv3x3', case: 'fwd', flop, step: () => lc.tidy(() => lc.noGrad(() => { lc.conv2d(x, w, null, { padding: 1 }); })), dispose: () => {} },
    {
      workload: 'W2_conv3x3', case: 'fwd+bwd(dx,dw)', flop: 3 * flop,
      step: () => lc.tidy(() => { lc.grad(lc.conv2d(xr, wr, null, { padding: 1 }), [xr, wr], { gradOutputs: g }); }),
      dispose: () => lc.dispose([x, w, g, xr, wr]),
    },
  ];
}

export function w3(dev: lc.Device = lc.CPU): Case[] {
  const [x, gam, bet, g] = lc.tidy(() => [lc.randn([16, 128, 16, 16], { device: dev }), lc.add(lc.mul(lc.randn([128], { device: dev }), 0.1), 1),
    lc.mul(lc.randn([128], { device: dev }), 0.1), lc.randn([16, 128, 16, 16], { device: dev })]);
  keepAll(x, gam, bet, g);
  const [xr, gr, br] = lc.tidy(() => [x.clone().requiresGrad_(), gam.clone().requiresGrad_(), bet.clone().requiresGrad_()]);
  keepAll(xr, gr, br);
  return [
    { workload: 'W3_groupnorm', case: 'fwd', step: () => lc.tidy(() => lc.noGrad(() => { lc.groupNorm(x, 32, gam, bet); })), dispose: () => {} },
    {
      workload: 'W3_groupnorm', case: 'fwd+bwd(dx,dgamma,dbeta)',
      step: () => lc.tidy(() => { lc.grad(lc.groupNorm(xr, 32, gr, br), [xr, gr, br], { gradOutputs: g }); }),
      dispose: () => lc.dispose([x, gam, bet, g, xr, gr, br]),
    },
  ];
}

/**
 * W4: one training step of the W4 U-Net (src/models SmallUNet, 1,623,169 parameters) on batch 32
 * of 1x28x28 with Adam(lr 2e-4), VE SDE (sigma_min 0.01, sigma_max 50, t ~ U(1e-5, 1)), the
 * peer's loss formulas: DSM (one forward) and LCSS with centre and perturbed rows stacked as one
 * batch-64 forward (the peer's lcss_cat). Data: standard normal images (timing only).
 */
export function w4(): Case[] {
  lc.manualSeed(0);
  const net = lc.tidy(() => new SmallUNet());
  const params: Tensor[] = net.parameters();
  const opt = new Adam(params, { lr: 2e-4 });
  const B = 32;
  const x0 = lc.keep(lc.randn([B, 1, 28, 28]));
  const sigmaOf = (t: Tensor) => lc.mul(lc.exp(lc.mul(t, Math.log(50 / 0.01))), 0.01);
  const step = (loss: () => Tensor) => lc.tidy(() => {
    opt.zeroGrad();
    lc.backward(loss());
    opt.step();
  });
  const dsm = () => {
    const t = lc.add(lc.mul(lc.rand([B]), 1 - 1e-5), 1e-5);
    const sigma = sigmaOf(t), sb = lc.reshape(sigma, [B, 1, 1, 1]);
    const z = lc.randn([B, 1, 28, 28]);
    const s = net.forward(lc.add(x0, lc.mul(sb, z)), sigma);
    return lc.mean(lc.sum(lc.square(lc.add(lc.mul(s, sb), z)), [1, 2, 3]));
  };
  const lcssCat = () => {
    const t = lc.add(lc.mul(lc.rand([B]), 1 - 1e-5), 1e-5);
    const sigma = sigmaOf(t), sb = lc.reshape(sigma, [B, 1, 1, 1]);
    const eps = lc.randn([B, 1, 28, 28]);
    const both = net.forward(lc.cat([x0, lc.add(x0, lc.mul(sb, eps))]), lc.cat([sigma, sigma]));
    const s0 = lc.narrow(both, 0, 0, B), s1 = lc.narrow(both, 0, B, B);
    const per = lc.add(lc.mul(lc.sum(lc.square(s0), [1, 2, 3]), 0.5), lc.div(lc.sum(lc.mul(eps, s1), [1, 2, 3]), sigma));
    return lc.mean(lc.mul(lc.square(sigma), per));
  };
  return [
    { workload: 'W4_unet_b32', case: 'dsm', step: () => step(dsm), dispose: () => {} },
    { workload: 'W4_unet_b32', case: 'lcss_cat', step: () => step(lcssCat), dispose: () => { x0.dispose(); lc.dispose(params); } },
  ];
}

const mlp = (D: number) => {
  const l1 = new Linear(D, 256), l2 = new Linear(256, 256), l3 = new Linear(256, D);
  const forward = (x: Tensor) => l3.forward(lc.silu(l2.forward(lc.silu(l1.forward(x)))));
  const params = [...l1.parameters(), ...l2.parameters(), ...l3.parameters()];
  return { forward, params };
};

// The objectives of src/losses as W5 times them (the peer's options: sigma 0.1, control LCSS, K = 1).
const W5_LOSSES: [LossName, Record<string, unknown>][] = [
  ['dsm', { sigma: 0.1 }],
  ['lcss', { sigma: 0.1, estimator: 'control', draws: 1 }],
  ['ssm', {}],
  ['fdssm', {}],
  ['exact', {}],
];

export function w5(dims = [2, 16, 64, 256, 784], only?: string[]): Case[] {
  const cases: Case[] = [];
  const losses = W5_LOSSES.filter(([n]) => !only || only.includes(n));
  for (const D of dims) {
    lc.manualSeed(0);
    const net = lc.tidy(() => mlp(D));
    const x = lc.keep(lc.randn([128, D]));
    const model = { forward: (xx: Tensor) => net.forward(xx) };
    for (const [name, opts] of losses) {
      const loss = makeLoss(name, opts as never);
      cases.push({
        workload: 'W5_mlp_b128', case: name, extra: { D },
        // one loss + backward, gradients w.r.t. the parameters (no optimiser step), as the peer
        step: () => lc.tidy(() => { lc.grad(loss(model, x), net.params); }),
        dispose: () => {},
      });
    }
    cases.push({ workload: 'W5_mlp_b128', case: '_free', extra: { D }, step: () => {}, dispose: () => { x.dispose(); lc.dispose(net.params); } });
  }
  return cases;
}
