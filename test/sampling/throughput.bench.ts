// SPDX-License-Identifier: MIT
// Sampler and likelihood throughput (not part of the test suite). Run:
//   npx vitest bench --run --config test/vitest.config.ts test/sampling/throughput.bench.ts
// Per-step cost of the PC sampler on toy data with the exact mixture score and on image-shaped
// batches with a trivial score (the sampler's own overhead), one probability-flow ODE solve and
// one bits/dim evaluation. NFE counts are printed once.
import { bench, describe } from 'vitest';
import * as lc from '../../src/index.js';
import { GaussianMixture, VESDE, VPSDE } from '../../src/sde/index.js';
import { ode, pc } from '../../src/sampling/index.js';
import { bpd } from '../../src/likelihood/index.js';

const M = new GaussianMixture({ means: [[-1.5, 0], [1.5, 0.5]], weights: [0.4, 0.6], cov: 0.15 });
const vp = new VPSDE({ N: 100 }), ve = new VESDE({ N: 100 });
const opts = { time: 2000, iterations: 3, warmupIterations: 1 };

describe('pc, 100 steps', () => {
  bench('toy [1000, 2], VP Euler-Maruyama, exact mixture score', async () => {
    (await pc({ sde: vp, score: M.diffused(vp).scoreFn, shape: [1000, 2], predictor: 'eulerMaruyama', corrector: 'none' })).dispose();
  }, opts);
  bench('toy [1000, 2], VE reverse diffusion + Langevin, exact mixture score', async () => {
    (await pc({ sde: ve, score: M.diffused(ve).scoreFn, shape: [1000, 2] })).dispose();
  }, opts);
  bench('images [64, 3, 32, 32], VE reverse diffusion + Langevin, score -x (sampler overhead)', async () => {
    (await pc({ sde: ve, score: (x) => x.neg(), shape: [64, 3, 32, 32] })).dispose();
  }, opts);
});

describe('ode and bpd', () => {
  let once = true;
  bench('ode, toy [1000, 2], VP, rtol = atol = 1e-5', async () => {
    const r = await ode({ sde: vp, score: M.diffused(vp).scoreFn, shape: [1000, 2] });
    if (once) console.log(`ode nfe ${r.nfe}, steps ${r.steps}`);
    once = false;
    r.x.dispose();
  }, opts);
  let once2 = true;
  bench('bpd, toy [200, 2], VP, Hutchinson', async () => {
    const x = M.sample(200);
    const r = await bpd({ sde: vp, score: M.diffused(vp).scoreFn, data: x });
    if (once2) console.log(`bpd nfe ${r.nfe}, mean ${(r.bpd.mean().item()).toFixed(4)} bits/dim`);
    once2 = false;
    lc.dispose([x, r.bpd, r.logp, r.z, r.deltaLogp, r.priorLogp]);
  }, opts);
});
