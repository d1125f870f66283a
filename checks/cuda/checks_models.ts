// SPDX-License-Identifier: MIT
// Whole models on CUDA against the CPU: a small DDPM++-style U-Net (convs, GroupNorm+SiLU,
// attention, resampling, skips) through forward, backward and an Adam step, and every score-matching
// objective on an MLP. Models are built under withDefaultDevice, so parameters and every noise draw
// land on the device with the same values as on the CPU (the Philox streams agree). Run by
// models.test.ts and by bench/gpu_check.ts.
import * as lc from '../../src/index.js';
import { Adam } from '../../src/optim/adam.js';
import { SmallUNet } from '../../src/models/small_unet.js';
import { Linear } from '../../src/nn/linear.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { check, CUDA, expectClose, TOL64, type Check, type Suite, type Tol } from './helpers.js';

function unetStep(device: lc.Device, dtype: 'float32' | 'float64'): lc.Tensor[] {
  return lc.withDefaultDevice(device, () => {
    const m = new SmallUNet({ ch: 8, chMult: [1, 2], numRes: 1, attnRes: [4], img: 8, dtype, generator: new lc.Generator(3) });
    const opt = new Adam(m.parameters(), { lr: 1e-3 });
    const out = lc.tidy(() => {
      const g = new lc.Generator(4);
      const x = lc.randn([3, 1, 8, 8], { dtype, generator: g });
      const sigma = lc.rand([3], { dtype, generator: g, low: 0.1, high: 2 });
      const y = m.forward(x, sigma);
      const loss = lc.mean(lc.square(lc.add(lc.mul(y, lc.reshape(sigma, [3, 1, 1, 1])), x)));
      opt.zeroGrad();
      loss.backward();
      const grads = m.parameters().slice(0, 6).map((p) => lc.clone(p.grad!));
      opt.step();
      return [y, loss, ...grads, ...m.parameters().slice(0, 6).map((p) => lc.clone(p))];
    });
    out.forEach((t) => lc.keep(t));
    m.dispose();
    return out;
  });
}

const mlp = (D: number, dtype: 'float32' | 'float64') => {
  const g = new lc.Generator(5);
  const l1 = new Linear(D, 32, { dtype, generator: g }), l2 = new Linear(32, D, { dtype, generator: g });
  return {
    forward: (x: lc.Tensor) => l2.forward(lc.silu(l1.forward(x))),
    params: [...l1.parameters(), ...l2.parameters()],
    dispose: () => { l1.dispose(); l2.dispose(); },
  };
};

function lossAndGrads(name: lc.losses.LossName, opts: Record<string, unknown>, device: lc.Device): lc.Tensor[] {
  return lc.withDefaultDevice(device, () => {
    const net = mlp(6, 'float64');
    const loss = lc.losses.makeLoss(name, { ...opts, generator: new lc.Generator(6) } as never);
    const out = lc.tidy(() => {
      const x = lc.randn([16, 6], { dtype: 'float64', generator: new lc.Generator(7) });
      const l = loss(net, x);
      return [l, ...lc.grad(l, net.params).map((g) => g!)];
    });
    out.forEach((t) => lc.keep(t));
    net.dispose();
    return out;
  });
}

function modelsSuite(): Suite {
  const checks: Check[] = [];
  for (const dtype of ['float64', 'float32'] as const) {
    checks.push({ name: `SmallUNet forward, backward and Adam step (${dtype})`, run: () => {
      const want = unetStep(lc.CPU, dtype), got = unetStep(CUDA, dtype);
      const tol: Tol = dtype === 'float64' ? { ...TOL64, scaled: 1e-11 } : { rtol: 2e-3, atol: 1e-5, scaled: 1e-4 };
      got.forEach((g, i) => expectClose(g, want[i], tol, `U-Net output ${i}`));
      lc.dispose([want, got]);
    } });
  }

  const objectives: [lc.losses.LossName, Record<string, unknown>][] = [
    ['dsm', { sigma: 0.1 }],
    ['lcss', { sigma: 0.1, estimator: 'control', draws: 2 }],
    ['lcss', { sigma: 0.1, estimator: 'antithetic', draws: 1, fused: false }],
    ['ssm', {}],
    ['fdssm', {}],
    ['exact', {}],
  ];
  for (const [name, opts] of objectives) {
    checks.push({ name: `${name} ${JSON.stringify(opts)}: loss and parameter gradients`, run: () => {
      const want = lossAndGrads(name, opts, lc.CPU), got = lossAndGrads(name, opts, CUDA);
      check(got.length === want.length, `${name}: ${got.length} outputs, expected ${want.length}`);
      got.forEach((g, i) => expectClose(g, want[i], { ...TOL64, scaled: 1e-11 }, `${name} output ${i}`));
      lc.dispose([want, got]);
    } });
  }
  checks.push({ name: 'train(): checkerboard LCSS steps with checkpoints on the device match the CPU', run: async () => {
    const runOn = async (dev: lc.Device) => {
      const out = mkdtempSync(join(tmpdir(), `lcss-train-${dev.type}-`));
      try {
        const cfg = resolveConfig('checkerboard', undefined, { steps: 6, batchSize: 64, logEvery: 3, ckptEvery: 3, out });
        const r = await train(cfg, { device: dev, quiet: true, noEval: true });
        check(lc.defaultDevice() === lc.CPU, `train left the default device at ${lc.defaultDevice()}`);
        const p = r.components.model.parameters();
        check(p.every((t) => t.device === dev), `parameters on ${p.map((t) => t.device)} (expected ${dev})`);
        const firstW = lc.keep(lc.clone(p[0]));
        r.dispose();
        const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
        return { firstW, losses: metrics.map((m) => m.loss) };
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    };
    const want = await runOn(lc.CPU), got = await runOn(CUDA);
    // same data, same Philox noise on both devices: the runs differ only by float32 rounding
    got.losses.forEach((l, i) => check(Math.abs(l - want.losses[i]) <= 1e-3 * Math.max(1, Math.abs(want.losses[i])), `loss ${i}: ${l} vs ${want.losses[i]} on the CPU`));
    expectClose(got.firstW, want.firstW, { rtol: 2e-3, atol: 1e-5, scaled: 1e-4 }, 'first weight after 6 steps');
    lc.dispose([got.firstW, want.firstW]);
  } });
  return { name: 'models on CUDA vs CPU', checks };
}

export const modelSuites = (): Suite[] => [modelsSuite()];
