// SPDX-License-Identifier: MIT
// Closed-form expectations of every objective for Gaussian data x ~ N(mu, Sigma) and a linear
// score s(x) = A x + b, in the plain and the time-conditioned forms, checked by Monte Carlo within
// 4 standard errors (fixed seeds). Notation: m = A mu + b, Q = E|s(x)|^2 = tr(A Sigma A^T) + |m|^2,
// F = |A|_F^2 = tr(A A^T), D the dimension.
//   exact, ssm, ssm-vr, fdssm:  1/2 Q + tr A            (the score-matching objective J_SM)
//     - ssm: E_v[v^T A v + 1/2 (v^T s)^2] = tr A + 1/2 |s|^2 since E[v v^T] = I
//     - fdssm: (o+ + o-) = 2 s and v^T (o+ - o-) = 2 eps^2 u^T A u exactly for a linear s;
//       D E[u^T A u] = tr A for u uniform on the sphere (E[u u^T] = I / D)
//   lcss, norm at the centre:     1/2 Q + gamma tr A     (E[e^T A e] = tr A; b_k has mean 0 against e)
//   lcss, norm at x + sigma e:    1/2 (Q + sigma^2 F) + gamma tr A
//   dsm at sigma:                 1/2 (Q + sigma^2 F) + tr A + D / (2 sigma^2)
//     (E 1/2|A x~ + b + e/sigma|^2 with x~ = x + sigma e; the cross term E[(A x~ + b)^T e]/sigma = tr A)
// With data noise sigma (ssm family), Sigma -> Sigma + sigma^2 I.
// Time-conditioned, with the toy VE sigmaBar(t) = t (x_t = x_0 + t z, g(t)^2 = 2t), t ~ U(eps, 1),
// M_k = E[t^k], lambda = t^2:
//   exact, ssm, ssm-vr, fdssm:  1/2 (Q M2 + F M4) + tr A M2
//   lcss (centre):              1/2 (Q M2 + F M4) + gamma tr A M2
//   lcss (perturbed, rho):      1/2 (Q M2 + (1 + rho^2) F M4) + gamma tr A M2
//   dsm:                        1/2 (Q M2 + F M4) + tr A M2 + D/2
// and with likelihood weighting lambda = g^2 = 2t:
//   lcss (centre):              Q M1 + F M3 + 2 gamma tr A M1
//   dsm:                        Q M1 + F M3 + 2 tr A M1 + D E[1/t]
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { ToyVE, linearScore, meanSe, seededMatrix, toArray } from './helpers.js';

const { makeLoss } = lc.losses;

// --- the problem: D = 3, non-symmetric A, correlated data -----------------------------------------
const D = 3;
const A = [[-1.2, 0.4, 0.1], [0.3, -0.8, -0.2], [-0.5, 0.2, -1.5]];
const bvec = [0.3, -0.2, 0.5];
const mu = [0.5, -1.0, 0.25];
const L = [[0.8, 0, 0], [0.3, 0.6, 0], [-0.2, 0.1, 0.5]];  // Sigma = L L^T

const mm = (P: number[][], Q: number[][]) => P.map((r) => Q[0].map((_, j) => r.reduce((a, v, k) => a + v * Q[k][j], 0)));
const T = (P: number[][]) => P[0].map((_, j) => P.map((r) => r[j]));
const tr = (P: number[][]) => P.reduce((a, r, i) => a + r[i], 0);
const Sigma = mm(L, T(L));
const trA = tr(A);
const F = tr(mm(A, T(A)));
const m = A.map((r, i) => r.reduce((a, v, k) => a + v * mu[k], 0) + bvec[i]);
const Qof = (extraVar: number) => tr(mm(mm(A, Sigma), T(A))) + extraVar * F + m.reduce((a, v) => a + v * v, 0);
const Q = Qof(0);
const Mk = (k: number, eps: number) => (k === -1 ? Math.log(1 / eps) / (1 - eps) : (1 - eps ** (k + 1)) / ((k + 1) * (1 - eps)));

function data(n: number, seed: number): Tensor {
  const z = lc.randn([n, D], { generator: new lc.Generator(seed), dtype: 'float64' });
  return lc.add(lc.matmul(z, lc.transpose(lc.tensor(L, { dtype: 'float64' }))), lc.tensor(mu, { dtype: 'float64' }));
}

/** Asserts the Monte-Carlo mean is within 4 standard errors of `want`, and that the check has power (SE small). */
function expectMc(per: Tensor, want: number, label: string, maxRelSe = 0.02): void {
  const { mean, se } = meanSe(toArray(per));
  expect(Math.abs(mean - want), `${label}: MC mean ${mean} vs closed form ${want} (SE ${se})`).toBeLessThan(4 * se);
  expect(se, `${label}: SE ${se} too large for the check to mean anything`).toBeLessThan(maxRelSe * Math.max(1, Math.abs(want)));
}

describe('closed-form expectations, plain form (Gaussian data, linear score)', () => {
  const N = 20000;
  const sigma = 0.5, gamma = 0.7;
  const cases: [string, string, Record<string, unknown>, number][] = [
    ['exact', 'exact', {}, Q / 2 + trA],
    ['exact with data noise', 'exact', { sigma }, Qof(sigma * sigma) / 2 + trA],
    ['ssm rademacher', 'ssm', {}, Q / 2 + trA],
    ['ssm gaussian, 2 particles', 'ssm', { projection: 'gaussian', particles: 2 }, Q / 2 + trA],
    ['ssm-vr with data noise', 'ssm-vr', { sigma }, Qof(sigma * sigma) / 2 + trA],
    ['fdssm', 'fdssm', {}, Q / 2 + trA],
    ['fdssm eps 0.5', 'fdssm', { eps: 0.5 }, Q / 2 + trA],
    ['lcss control', 'lcss', { sigma, gamma }, Q / 2 + gamma * trA],
    ['lcss antithetic K=2', 'lcss', { sigma, gamma, estimator: 'antithetic', draws: 2 }, Q / 2 + gamma * trA],
    ['lcss plain', 'lcss', { sigma, gamma, estimator: 'plain' }, Q / 2 + gamma * trA],
    ['lcss perturbed norm', 'lcss', { sigma, gamma, normAt: 'perturbed' }, (Q + sigma * sigma * F) / 2 + gamma * trA],
    ['lcss composite', 'lcss', { sigma, gamma, fused: false }, Q / 2 + gamma * trA],
    ['dsm', 'dsm', { sigma }, (Q + sigma * sigma * F) / 2 + trA + D / (2 * sigma * sigma)],
  ];
  for (const [label, name, opts, want] of cases)
    it(label, () => {
      const start = lc.numTensors();
      const lin = linearScore(A, bvec);
      lc.tidy(() => {
        const x = data(N, 1);
        const per = makeLoss(name as 'lcss', { ...opts, reduction: 'none', generator: new lc.Generator(2) })(lin.fn, x);
        // the plain estimator's variance ~ |s|^2 / sigma^2 is the largest: a looser power requirement
        expectMc(per, want, label, label === 'lcss plain' ? 0.04 : 0.02);
      });
      lin.dispose();
      expect(lc.numTensors()).toBe(start);
    });
});

describe('closed-form expectations, time-conditioned form (toy VE, sigmaBar(t) = t)', () => {
  const N = 40000, sde = new ToyVE('linear'), gamma = 1.3, rho = 0.5;
  const e0 = 1e-5, e1 = 0.1;
  const base = (eps: number) => (Q * Mk(2, eps) + F * Mk(4, eps)) / 2;
  const cases: [string, string, Record<string, unknown>, number][] = [
    ['exact', 'exact', {}, base(e0) + trA * Mk(2, e0)],
    ['ssm', 'ssm', {}, base(e0) + trA * Mk(2, e0)],
    ['ssm-vr', 'ssm-vr', { projection: 'gaussian' }, base(e0) + trA * Mk(2, e0)],
    ['fdssm', 'fdssm', {}, base(e0) + trA * Mk(2, e0)],
    ['fdssm epsRatio', 'fdssm', { epsRatio: 0.2 }, base(e0) + trA * Mk(2, e0)],
    ['lcss control', 'lcss', { gamma, sigmaRatio: rho }, base(e0) + gamma * trA * Mk(2, e0)],
    ['lcss perturbed norm', 'lcss', { gamma, sigmaRatio: rho, normAt: 'perturbed' },
      (Q * Mk(2, e0) + (1 + rho * rho) * F * Mk(4, e0)) / 2 + gamma * trA * Mk(2, e0)],
    ['dsm', 'dsm', {}, base(e0) + trA * Mk(2, e0) + D / 2],
    ['lcss, likelihood weighting', 'lcss', { gamma, sigmaRatio: rho, weighting: 'likelihood', tEps: e1 },
      Q * Mk(1, e1) + F * Mk(3, e1) + 2 * gamma * trA * Mk(1, e1)],
    ['dsm, likelihood weighting', 'dsm', { weighting: 'likelihood', tEps: e1 },
      Q * Mk(1, e1) + F * Mk(3, e1) + 2 * trA * Mk(1, e1) + D * Mk(-1, e1)],
  ];
  for (const [label, name, opts, want] of cases)
    it(label, () => {
      const start = lc.numTensors();
      const lin = linearScore(A, bvec);
      lc.tidy(() => {
        const x = data(N, 3);
        const per = makeLoss(name as 'lcss', { ...opts, sde, reduction: 'none', generator: new lc.Generator(4) })((y: Tensor) => lin.fn(y), x);
        expectMc(per, want, label);
      });
      lin.dispose();
      expect(lc.numTensors()).toBe(start);
    });
});

describe('the exact objective computes the Jacobian trace', () => {
  it('tr(A) for a linear score, every sample', () => {
    const lin = linearScore(A, bvec);
    lc.tidy(() => {
      const x = data(50, 5);
      const per = makeLoss('exact', { reduction: 'none' })(lin.fn, x);
      const half = lc.mul(lc.sum(lc.square(lin.fn(x)), 1), 0.5);
      for (const v of toArray(lc.sub(per, half))) expect(v).toBeCloseTo(trA, 12);
    });
    lin.dispose();
  });

  it('a small MLP: the trace against a float64 central-difference Jacobian, and partial traces', () => {
    const Dm = 4, H = 8;
    const W1 = seededMatrix(H, Dm, 11, 0.8), W2 = seededMatrix(Dm, H, 12, 0.8), c1 = seededMatrix(1, H, 13, 0.5)[0];
    const ps = [lc.tensor(W1, { dtype: 'float64' }), lc.tensor(W2, { dtype: 'float64' }), lc.tensor(c1, { dtype: 'float64' })].map((p) => lc.keep(p.requiresGrad_()));
    // s(x) = W2 tanh(W1 x + c1) - x / 2: a non-symmetric Jacobian that varies with x
    const score = (x: Tensor) => lc.sub(lc.matmul(lc.tanh(lc.add(lc.matmul(x, lc.transpose(ps[0])), ps[2])), lc.transpose(ps[1])), lc.mul(x, 0.5));
    lc.tidy(() => {
      const B = 6;
      const x = lc.randn([B, Dm], { generator: new lc.Generator(6), dtype: 'float64' });
      const half = lc.mul(lc.sum(lc.square(score(x)), 1), 0.5);
      const trace = toArray(lc.sub(makeLoss('exact', { reduction: 'none' })(score, x), half));
      const partial = toArray(lc.sub(makeLoss('exact', { reduction: 'none', traceDims: [1, 3] })(score, x), half));
      // central differences, h = 1e-5: truncation error ~ h^2 |s'''| ~ 1e-10
      const xs = toArray(x), h = 1e-5;
      const diag = Array.from({ length: B }, () => new Float64Array(Dm));
      lc.noGrad(() => {
        for (let i = 0; i < Dm; i++) {
          const plus = Float64Array.from(xs), minus = Float64Array.from(xs);
          for (let b = 0; b < B; b++) { plus[b * Dm + i] += h; minus[b * Dm + i] -= h; }
          const sp = toArray(score(lc.tensor(plus, { shape: [B, Dm], dtype: 'float64' })));
          const sm = toArray(score(lc.tensor(minus, { shape: [B, Dm], dtype: 'float64' })));
          for (let b = 0; b < B; b++) diag[b][i] = (sp[b * Dm + i] - sm[b * Dm + i]) / (2 * h);
        }
      });
      for (let b = 0; b < B; b++) {
        const fd = diag[b].reduce((a, v) => a + v, 0);
        expect(Math.abs(trace[b] - fd)).toBeLessThan(1e-8);
        expect(Math.abs(partial[b] - diag[b][1] - diag[b][3])).toBeLessThan(1e-8);
      }
      // the parameter gradient of the exact loss (a double backward) against finite differences
      expect(lc.gradcheck((w1, w2, cc) => {
        const s2 = (y: Tensor) => lc.sub(lc.matmul(lc.tanh(lc.add(lc.matmul(y, lc.transpose(w1)), cc)), lc.transpose(w2)), lc.mul(y, 0.5));
        return makeLoss('exact', {})(s2, x);
      }, ps, { atol: 1e-6, rtol: 1e-5 })).toBe(true);
    });
    lc.dispose(ps);
  });
});
