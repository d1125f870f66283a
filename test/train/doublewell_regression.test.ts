// SPDX-License-Identifier: MIT
// Regression test of the README's `lcss train --sde doublewell --data 8gaussians` (issue 15): with
// sigmaBar = sqrt(int beta) LCSS's trained score blew up in the quartic tails of the double well,
// the gradient norm grew 7 -> 89 and the loss climbed, and the samples were a blurred ring. The
// same config (the preset with the two flags, a shorter budget), trained deterministically, must
// keep its loss and gradient norm from climbing, keep the score at t = 1 from growing past the
// exact stationary score -grad U in the tails, and its samples from degrading. No wall-clock assertion.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { resolveConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'lcss-dw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = 2000;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('the doublewell example trains stably (issue 15)', () => {
  it("defaults the loss weighting to 'none' for the double well only, and a given weighting wins", () => {
    expect(resolveConfig('checkerboard', undefined, { 'sde.name': 'doublewell' }).loss.weighting).toBe('none');
    expect(resolveConfig('checkerboard', undefined, { 'sde.name': 'doublewell', 'loss.weighting': 'sigma2' }).loss.weighting).toBe('sigma2');
    expect(resolveConfig('checkerboard', undefined, { 'sde.name': 'doublewell', 'loss.name': 'ssm' }).loss).toEqual({ name: 'ssm', weighting: 'none' });
    expect(resolveConfig('checkerboard').loss.weighting).toBeUndefined();
  });

  // 2000 training steps and two evaluations: ~40 s on 2 threads, several times that on the sanitizer
  // build (CI's ASan + UBSan run measured > 120 s), which gets a longer limit rather than a weaker test
  it('loss and gradient norm do not climb, the tail score stays bounded, samples do not degrade', { timeout: process.env.LCSS_SANITIZED ? 900_000 : 120_000 }, async () => {
    const cfg = resolveConfig('checkerboard', undefined, {
      'sde.name': 'doublewell', 'data.name': '8gaussians', steps: STEPS, logEvery: 50, evalEvery: 1000, ckptEvery: STEPS, out: join(dir, 'run'),
      'sampling.n': 1000, 'sampling.steps': 500,
    });
    const r = await train(cfg, { quiet: true });
    try {
      const recs = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as { step: number; loss?: number; gradNorm?: number }).filter((q) => typeof q.loss === 'number');
      const q = Math.floor(recs.length / 4);
      const loss = recs.map((x) => x.loss!), gn = recs.map((x) => x.gradNorm!);
      // the loss of the last quarter is no higher than that of the second (the old run climbed +4.4)
      expect(mean(loss.slice(3 * q)), 'loss climbs').toBeLessThanOrEqual(mean(loss.slice(q, 2 * q)) + 0.1 * Math.abs(mean(loss.slice(q, 2 * q))));
      // no growing gradient norm: the last quarter's mean within 1.5x the second quarter's (the old
      // scale's grew 2x by step 2000 on its way from 7 to 89; single steps spike, so means, not maxima)
      expect(mean(gn.slice(3 * q)), 'gradient norm grows').toBeLessThan(1.5 * mean(gn.slice(q, 2 * q)));

      const { model, score, ema } = r.components;
      lc.noGrad(() => ema.copyTo());
      model.train(false);
      // at t = 1, p_t is the stationary law exp(-U): its score along a ray is -(r^2 - 1) r. Rarely
      // visited, the tails are learnt short of it (~0.5x); the old scale's score grew past it
      // (1.3x at step 2000, 3-6x by 4000-6000: the LCSS minimiser grad p_sigma / p in the tails).
      lc.tidy(() => {
        const th = [0, 0.7, 1.9, 3.3, 4.8];
        for (const rad of [2.5, 3]) {
          const x = lc.tensor(th.map((a) => [rad * Math.cos(a), rad * Math.sin(a)]));
          const s = lc.noGrad(() => score(x, lc.ones([th.length]))).toArray() as number[][];
          const radial = mean(s.map(([u, v], k) => u * Math.cos(th[k]) + v * Math.sin(th[k])));
          expect(Math.abs(radial) / ((rad * rad - 1) * rad), `score at r = ${rad}`).toBeLessThan(1);
        }
      });

      // sample quality (evaluated at steps 1000 and 2000 with 1000 samples): it must not degrade,
      // and sliced W1 to the data must be well under the blurred ring's (0.27 at step 2000)
      const evals = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as { step: number; eval?: { sw: number; mmd2: number } }).filter((e) => e.eval);
      expect(evals.map((e) => e.step)).toEqual([1000, 2000]);
      const [a, b] = evals.map((e) => e.eval!);
      expect(b.sw, 'sliced W1 degrades').toBeLessThanOrEqual(a.sw + 0.02);
      expect(b.mmd2, 'MMD² degrades').toBeLessThanOrEqual(a.mmd2 + 2e-4);
      expect(b.sw, 'sliced W1 to the data').toBeLessThan(0.2);
    } finally {
      r.dispose();
    }
  });
});
