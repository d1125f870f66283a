// SPDX-License-Identifier: MIT
// The Dormand-Prince RK45 integrator: the same steps, evaluations and end values as scipy's
// solve_ivp(method='RK45') (golden fixture from fixtures/rk45_scipy.py; float64 states, end values
// within 1e-9 relative), known closed-form solutions, 5th-order error decay in fixed-step mode,
// NFE growing as the tolerance tightens, cancellation, validation, and no leaked tensors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { rk45, rk45Sync, type OdeFn } from '../../src/sampling/index.js';

const f64 = (v: number[]) => lc.tensor(v, { dtype: 'float64' });
const val = (t: lc.Tensor) => t.dataSync()[0];

// the fixture's problems, written with tensor ops on a state of two [1] tensors
const problems: Record<string, OdeFn> = {
  lotka: (_t, [a, b]) => [a.mul(1.5).sub(a.mul(b)), b.mul(-3).add(a.mul(b))],
  decay: (t, [a, b]) => [a.mul(-2 * t).add(Math.cos(t)), b.mul(-0.5)],
  oscillator: (_t, [a, b]) => [b.mul(1), a.neg()],
};

interface Case { name: string; t0: number; t1: number; y0: number[]; rtol: number; atol: number; nfev: number; steps: number; y: number[] }
const golden = JSON.parse(readFileSync(new URL('./fixtures/rk45_scipy.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('rk45', () => {
  it.each(golden.cases.map((c) => [`${c.name} rtol=${c.rtol}`, c] as const))('matches scipy solve_ivp RK45: %s', async (_n, c) => {
    const y0 = c.y0.map((v) => f64([v]));
    const r = await rk45(problems[c.name], c.t0, c.t1, y0, { rtol: c.rtol, atol: c.atol });
    expect(r.nfe).toBe(c.nfev);
    expect(r.steps).toBe(c.steps);
    r.y.forEach((y, i) => expect(Math.abs(val(y) - c.y[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(c.y[i]))));
    lc.dispose([...y0, ...r.y]);
  });

  it('hits closed-form solutions within its tolerance (batched state, both directions)', () => {
    // y' = -k y for four rates at once, forward; and the oscillator backward from t = 10 to 0
    const k = f64([0.5, 1, 2, 4]);
    const r = rk45Sync((_t, [y]) => [y.mul(k).neg()], 0, 3, [f64([1, 1, 1, 1])], { rtol: 1e-8, atol: 1e-10 });
    const got = r.y[0].dataSync();
    [0.5, 1, 2, 4].forEach((kk, i) => expect(Math.abs(got[i] - Math.exp(-3 * kk))).toBeLessThan(1e-7 * Math.exp(-3 * kk) + 1e-9));
    const back = rk45Sync(problems.oscillator, 10, 0, [f64([Math.cos(10)]), f64([-Math.sin(10)])], { rtol: 1e-8, atol: 1e-10 });
    expect(Math.abs(val(back.y[0]) - 1)).toBeLessThan(1e-6);
    expect(Math.abs(val(back.y[1]))).toBeLessThan(1e-6);
    lc.dispose([k, ...r.y, ...back.y]);
  });

  it('shows 5th-order global error decay with fixed steps', () => {
    // y' = y cos t, y(0) = 1: y = exp(sin t). Halving h divides the error by ~2^5 = 32 once h is
    // small enough (n = 8 -> 16 is still pre-asymptotic: order 4.05, the same in a NumPy replica).
    const f: OdeFn = (t, [y]) => [y.mul(Math.cos(t))];
    const err = (n: number) => {
      const y0 = f64([1]);
      const r = rk45Sync(f, 0, 4, [y0], { steps: n });
      expect(r.nfe).toBe(1 + 6 * n);
      const e = Math.abs(val(r.y[0]) - Math.exp(Math.sin(4)));
      lc.dispose([y0, ...r.y]);
      return e;
    };
    const errs = [32, 64, 128, 256].map(err);
    for (let i = 1; i < errs.length; i++) {
      const order = Math.log2(errs[i - 1] / errs[i]);
      expect(order).toBeGreaterThan(4.7);
      expect(order).toBeLessThan(5.3);
    }
  });

  it('spends more evaluations and errs less as the tolerance tightens', () => {
    const res = [1e-3, 1e-5, 1e-7, 1e-9].map((tol) => {
      const y0 = [f64([1]), f64([0])];
      const r = rk45Sync(problems.oscillator, 0, 20, y0, { rtol: tol, atol: tol });
      const e = Math.hypot(val(r.y[0]) - Math.cos(20), val(r.y[1]) + Math.sin(20));
      lc.dispose([...y0, ...r.y]);
      return { nfe: r.nfe, e };
    });
    for (let i = 1; i < res.length; i++) {
      expect(res[i].nfe).toBeGreaterThan(res[i - 1].nfe);
      expect(res[i].e).toBeLessThan(res[i - 1].e);
    }
  });

  it('leaves no tensors behind, does not modify y0, reports progress and can be cancelled', async () => {
    const start = lc.numTensors();
    const y0 = f64([1, 2]);
    const seen: number[] = [];
    const r = await rk45((_t, [y]) => [y.neg()], 0, 1, y0, { onProgress: (d, tot) => { expect(tot).toBe(1); seen.push(d); } });
    expect(Array.from(y0.dataSync())).toEqual([1, 2]);
    expect(seen.length).toBe(r.steps);
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBe(1);
    lc.dispose(r.y);
    expect(lc.numTensors()).toBe(start + 1);
    const ac = new AbortController();
    const p = rk45((_t, [y]) => [y.neg()], 0, 1, y0, { rtol: 1e-10, atol: 1e-10, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(p).rejects.toThrow(/abort/i);
    y0.dispose();
    expect(lc.numTensors()).toBe(start);
  });

  it('validates its arguments with clear errors', () => {
    const y0 = f64([1]);
    expect(() => rk45Sync((_t, [y]) => [y], 0, 1, y0, { rtol: 0 })).toThrow(/rk45Sync: argument 'rtol' got 0/);
    expect(() => rk45Sync((_t, [y]) => [y], 0, 1, y0, { tol: 1 } as never)).toThrow(/no such option/);
    expect(() => rk45Sync((_t, [y]) => [y, y], 0, 1, y0)).toThrow(/returning 1 tensor/);
    expect(() => rk45Sync((_t, [y]) => [y.cast('float32')], 0, 1, y0)).toThrow(/dtype float32 for state 0, expected float64/);
    expect(() => rk45Sync((_t, [y]) => [y.div(0)], 0, 1, y0)).toThrow(/rk45Sync|rk45: .*non-finite/);
    expect(() => rk45Sync((_t, [y]) => [y], 0, 1, [] as never)).toThrow(/y0/);
    y0.dispose();
  });
});
