// SPDX-License-Identifier: MIT
// The fixed workloads W1-W5 of docs/PERFORMANCE.md, mirrored from ../shared/peers/torch_peer.py
// (same shapes, same cases, same flop counts), for our engine. Each case is a step function that
// frees everything it makes (tidy), so the allocator runs on recycled memory as in training.
import * as lc from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { Linear } from '../src/nn/linear.js';

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

export function w1(): Case[] {
  const [a, b] = lc.tidy(() => [lc.randn([1024, 1024]), lc.randn([1024, 1024])]);
  keepAll(a, b);
  return [{
    workload: 'W1_sgemm_1024', case: 'mm', flop: 2 * 1024 ** 3,
    step: () => lc.tidy(() => { lc.matmul(a, b); }),
    dispose: () => lc.dispose([a, b]),
  }];
}

export function w2(): Case[] {
  const [x, w, g] = lc.tidy(() => [lc.randn([16, 64, 32, 32]), lc.mul(lc.randn([64, 64, 3, 3]), 0.05), lc.randn([16, 64, 32, 32])]);
  keepAll(x, w, g);
  const xr = lc.tidy(() => x.clone().requiresGrad_()), wr = lc.tidy(() => w.clone().requiresGrad_());
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

export function w3(): Case[] {
  const [x, gam, bet, g] = lc.tidy(() => [lc.randn([16, 128, 16, 16]), lc.add(lc.randn([128]), 1), lc.randn([128]), lc.randn([16, 128, 16, 16])]);
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
export async function w4(): Promise<Case[] | string> {
  const load = async (p: string) => { try { return await import(p); } catch { return null; } };
  const models = await load('../src/models/index.js');
  const optim = await load('../src/optim/index.js');
  if (!models?.SmallUNet || !optim?.Adam) return 'W4 skipped: src/models SmallUNet or src/optim Adam not available';
  lc.manualSeed(0);
  const net = lc.tidy(() => new models.SmallUNet());
  const params: Tensor[] = net.parameters();
  const opt = new optim.Adam(params, { lr: 2e-4 });
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

type LossFactory = (o: Record<string, unknown>) => (model: { forward(x: Tensor, t: Tensor | null): Tensor }, x: Tensor) => Tensor;

/** The objectives from src/losses that exist in this tree (loaded by name, so the bench builds without them). */
async function lossFactories(): Promise<[string, LossFactory, Record<string, unknown>][]> {
  const out: [string, LossFactory, Record<string, unknown>][] = [];
  const table: [string, string, string, Record<string, unknown>][] = [
    ['dsm', 'dsm', 'dsm', { sigma: 0.1 }],
    ['lcss', 'lcss', 'lcss', { sigma: 0.1, estimator: 'control', draws: 1 }],
    ['ssm', 'ssm', 'ssm', {}],
    ['fdssm', 'fdssm', 'fdssm', {}],
    ['exact', 'exact', 'exact', {}],
  ];
  for (const [name, file, fn, opts] of table) {
    try {
      const m = await import(`../src/losses/${file}.js`);
      if (typeof m[fn] === 'function') out.push([name, m[fn] as LossFactory, opts]);
    } catch { /* not written yet */ }
  }
  return out;
}

export async function w5(dims = [2, 16, 64, 256, 784], only?: string[]): Promise<Case[]> {
  const cases: Case[] = [];
  const losses = (await lossFactories()).filter(([n]) => !only || only.includes(n));
  for (const D of dims) {
    lc.manualSeed(0);
    const net = lc.tidy(() => mlp(D));
    const x = lc.keep(lc.randn([128, D]));
    const model = { forward: (xx: Tensor) => net.forward(xx) };
    for (const [name, make, opts] of losses) {
      const loss = make(opts);
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
