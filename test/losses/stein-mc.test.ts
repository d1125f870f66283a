// SPDX-License-Identifier: MIT
// Monte-Carlo properties of the Stein term T = (1/sigma) (1/K) sum_k e_k . (s(x + sigma e_k) - b_k)
// at a fixed point x (the batch is N copies of x, so the per-sample LCSS values minus 1/2|s(x)|^2
// are N independent draws of T):
//  - its mean is the Gaussian-smoothed trace E_e tr grad s(x + sigma e) (Stein's identity), for
//    every estimator, within 4 standard errors; for s(x) = A sin(B x) + c that is
//      sum_j (B A)_jj cos((B x)_j) exp(-sigma^2 |B_j|^2 / 2)      (B_j the j-th row of B)
//    since tr grad s = sum_j (B A)_jj cos((B x)_j) and E cos(a + sigma w) = cos(a) e^{-sigma^2 var(w)/2};
//  - for a linear s(x) = A x + b its mean is tr(A);
//  - variances: plain ~ |s|^2 / sigma^2 explodes at small sigma while control and antithetic stay
//    at Var(e^T J e); antithetic also cancels the odd (curvature) terms, so it is lowest; K draws
//    divide the variance by K.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { linearScore, meanSe, seededMatrix, toArray } from './helpers.js';

const { lcss } = lc.losses;
const D = 4;
const Am = seededMatrix(D, D, 21, 1);
const Bm = seededMatrix(D, D, 22, 1.2);
const cvec = [0.5, -0.3, 0.2, 1.0];
const x0 = [0.3, -0.7, 1.1, 0.2];

function sinModel() {
  const A = lc.keep(lc.tensor(Am, { dtype: 'float64' })), B = lc.keep(lc.tensor(Bm, { dtype: 'float64' })), c = lc.keep(lc.tensor(cvec, { dtype: 'float64' }));
  const fn = (x: Tensor) => lc.add(lc.matmul(lc.sin(lc.matmul(x, lc.transpose(B))), lc.transpose(A)), c);
  return { fn, dispose: () => lc.dispose([A, B, c]) };
}

/** sum_j (B A)_jj cos((B x)_j) exp(-sigma^2 |B_j|^2 / 2) */
function smoothedTrace(sigma: number): number {
  let t = 0;
  for (let j = 0; j < D; j++) {
    let ba = 0, bx = 0, bn = 0;
    for (let k = 0; k < D; k++) {
      ba += Bm[j][k] * Am[k][j];
      bx += Bm[j][k] * x0[k];
      bn += Bm[j][k] ** 2;
    }
    t += ba * Math.cos(bx) * Math.exp(-sigma * sigma * bn / 2);
  }
  return t;
}

/** N draws of the Stein term at x0 for this model. */
function steinDraws(fn: (x: Tensor) => Tensor, N: number, o: Record<string, unknown>, seed: number): Float64Array {
  return lc.tidy(() => {
    const x = lc.expand(lc.tensor([x0], { dtype: 'float64' }), [N, D]);
    const per = lcss({ ...o, reduction: 'none', generator: new lc.Generator(seed) })((y: Tensor) => fn(y), lc.contiguous(x));
    const half = lc.mul(lc.sum(lc.square(fn(lc.tensor([x0], { dtype: 'float64' })))), 0.5).item();
    return toArray(per).map((v) => v - half);
  });
}

describe('Stein term: mean = Gaussian-smoothed trace (4 standard errors)', () => {
  for (const estimator of ['plain', 'control', 'antithetic'] as const)
    it(`${estimator}, sigma = 1`, () => {
      const start = lc.numTensors();
      const m = sinModel();
      const sigma = 1;
      const { mean, se } = meanSe(steinDraws(m.fn, 40000, { sigma, estimator }, 1));
      const want = smoothedTrace(sigma), raw = smoothedTrace(0);
      expect(Math.abs(mean - want), `mean ${mean} vs smoothed trace ${want} (SE ${se})`).toBeLessThan(4 * se);
      // power: the smoothing is resolved (the unsmoothed trace is many SEs away)
      expect(Math.abs(raw - want)).toBeGreaterThan(10 * se);
      m.dispose();
      expect(lc.numTensors()).toBe(start);
    });
});

describe('Stein term: mean = tr(A) for a linear score', () => {
  for (const [estimator, sigma] of [['plain', 1], ['control', 0.05], ['antithetic', 0.05]] as const)
    it(`${estimator}, sigma = ${sigma}`, () => {
      const lin = linearScore(Am, cvec);
      const { mean, se } = meanSe(steinDraws(lin.fn, 40000, { sigma, estimator, draws: 2 }, 2));
      const trA = Am.reduce((a, r, i) => a + r[i], 0);
      expect(Math.abs(mean - trA), `mean ${mean} vs tr(A) ${trA} (SE ${se})`).toBeLessThan(4 * se);
      expect(se).toBeLessThan(0.05);
      lin.dispose();
    });
});

describe('Stein term: variance of each estimator', () => {
  it('at small sigma: control and antithetic are orders of magnitude below plain', () => {
    const m = sinModel();
    const N = 20000, sigma = 0.01;
    const v = (estimator: string) => meanSe(steinDraws(m.fn, N, { sigma, estimator }, 3)).variance;
    const plain = v('plain'), control = v('control'), anti = v('antithetic');
    // plain ~ |s(x)|^2 / sigma^2 = O(1e4); the others ~ Var(e^T J e) = O(1)
    expect(plain).toBeGreaterThan(1000 * control);
    expect(plain).toBeGreaterThan(1000 * anti);
    m.dispose();
  });
  it('at sigma = 0.5 the antithetic estimator is below control (odd terms cancel), and K draws divide the variance by K', () => {
    const m = sinModel();
    const N = 20000, sigma = 0.5;
    const control = meanSe(steinDraws(m.fn, N, { sigma, estimator: 'control' }, 4)).variance;
    const anti = meanSe(steinDraws(m.fn, N, { sigma, estimator: 'antithetic' }, 5)).variance;
    const control4 = meanSe(steinDraws(m.fn, N, { sigma, estimator: 'control', draws: 4 }, 6)).variance;
    expect(anti).toBeLessThan(0.9 * control);
    // var(K = 4) / var(K = 1) = 1/4; the sample variances of N = 2e4 draws are within ~3% each (4 SE ~ 12%)
    expect(control4 / control).toBeGreaterThan(0.25 * 0.85);
    expect(control4 / control).toBeLessThan(0.25 * 1.15);
    m.dispose();
  });
});
