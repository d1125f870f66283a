// SPDX-License-Identifier: MIT
// Autograd mechanics: accumulation, graph lifetime, higher order, depth, pruning, shape checks.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { attachGrad } from '../../src/autograd/node.js';

const g = () => new lc.Generator(5);

describe('autograd engine', () => {
  it('accumulates into leaves across backward calls and zeroes on request', () => {
    const x = lc.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    lc.tidy(() => lc.sum(lc.mul(x, x)).backward());
    lc.tidy(() => lc.sum(lc.mul(x, 3)).backward());
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    x.grad!.dispose();
    x.grad = null;
    x.dispose();
  });

  it('frees the graph after backward unless retainGraph', () => {
    const x = lc.tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    const y = lc.sum(lc.exp(x));
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(() => y.backward()).toThrow(lc.AutogradError);
    expect(x.grad!.toArray()).toEqual([2 * Math.exp(0.5), 2 * Math.exp(-1)]);
    lc.dispose([x, y]);
  });

  it('differentiates gradients (third derivative of x^4 sin x)', () => {
    const x = lc.tensor([0.7, -1.3], { dtype: 'float64', requiresGrad: true });
    const f = (t: lc.Tensor) => lc.mul(lc.pow(t, 4), lc.sin(t));
    const [d1] = lc.grad(lc.sum(f(x)), [x], { createGraph: true });
    const [d2] = lc.grad(lc.sum(d1!), [x], { createGraph: true });
    const [d3] = lc.grad(lc.sum(d2!), [x]);
    const ref = (v: number) => 24 * v * Math.sin(v) + 36 * v * v * Math.cos(v) - 12 * v ** 3 * Math.sin(v) - v ** 4 * Math.cos(v);
    const got = d3!.dataSync();
    [0.7, -1.3].forEach((v, i) => expect(got[i]).toBeCloseTo(ref(v), 10));
    lc.dispose([x, d1, d2, d3]);
  });

  it('third derivatives through fused activation gradients (silu) are exact', () => {
    const x = lc.tensor([0.7, -1.3, 2.1], { dtype: 'float64', requiresGrad: true });
    const [d1] = lc.grad(lc.sum(lc.silu(x)), [x], { createGraph: true });
    const [d2] = lc.grad(lc.sum(d1!), [x], { createGraph: true });
    const [d3] = lc.grad(lc.sum(d2!), [x]);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const ref = (v: number) => {
      const s = sig(v), s1 = s * (1 - s), s2 = s1 * (1 - 2 * s), s3 = s2 * (1 - 2 * s) - 2 * s1 * s1;
      return [s + v * s1, 2 * s1 + v * s2, 3 * s2 + v * s3];
    };
    [d1, d2, d3].forEach((d, k) => Array.from(d!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ref([0.7, -1.3, 2.1][i])[k], 12)));
    lc.dispose([x, d1, d2, d3]);
  });

  it('handles graphs thousands of nodes deep (iterative topological order)', () => {
    const x = lc.tensor([1.0], { dtype: 'float64', requiresGrad: true });
    lc.tidy(() => {
      let y = x;
      for (let i = 0; i < 20000; i++) y = lc.add(lc.mul(y, 1.0001), 0);
      y.backward();
    });
    expect(x.grad!.item()).toBeCloseTo(1.0001 ** 20000, 6);
    x.dispose();
  });

  it('prunes the graph to what leads to the wanted inputs', () => {
    const x = lc.tensor([1, 2], { requiresGrad: true });
    const z = lc.tensor([3, 4], { requiresGrad: true });
    let called = false;
    lc.tidy(() => {
      const branch = lc.mul(z, 2);
      const trap = attachGrad(lc.clone(lc.detach(branch)), 'trap', [branch], [], () => { called = true; return [null]; });
      const out = lc.add(lc.sum(lc.square(x)), lc.sum(trap));
      const [gx] = lc.grad(out, [x]);
      expect(gx!.toArray()).toEqual([2, 4]);
    });
    expect(called).toBe(false);
    lc.dispose([x, z]);
  });

  it('allowUnused returns null for unused inputs, otherwise throws', () => {
    const x = lc.tensor([1, 2], { requiresGrad: true }), u = lc.tensor([1], { requiresGrad: true });
    lc.tidy(() => {
      const y = lc.sum(x);
      expect(() => lc.grad(y, [x, u], { retainGraph: true })).toThrow(/not used/);
      const [gx, gu] = lc.grad(y, [x, u], { allowUnused: true });
      expect(gu).toBeNull();
      expect(gx!.toArray()).toEqual([1, 1]);
    });
    lc.dispose([x, u]);
  });

  it('asserts gradient shapes returned by an op', () => {
    const x = lc.tensor([1, 2, 3], { requiresGrad: true });
    lc.tidy(() => {
      const y = attachGrad(lc.clone(lc.detach(x)), 'broken', [x], [], () => [lc.ones([2])]);
      expect(() => lc.sum(y).backward()).toThrow(/expected \[3\]/);
    });
    x.dispose();
  });

  it('records nothing under noGrad and detach cuts the graph', () => {
    const x = lc.tensor([1, 2], { requiresGrad: true });
    lc.tidy(() => {
      expect(lc.noGrad(() => lc.mul(x, 2)).requiresGrad).toBe(false);
      expect(lc.detach(x).requiresGrad).toBe(false);
      expect(lc.mul(x, 2).gradFn).toBe('mul');
    });
    x.dispose();
  });

  it('gives each leaf its own gradient storage (in-place clipping of one does not touch another)', () => {
    const p = lc.tensor([1, 2], { requiresGrad: true }), q = lc.tensor([3, 4], { requiresGrad: true });
    lc.tidy(() => lc.sum(lc.add(p, q)).backward());
    expect(p.grad!.storage).not.toBe(q.grad!.storage);
    lc.noGrad(() => p.grad!.mul_(0.5));
    expect(q.grad!.toArray()).toEqual([1, 1]);
    lc.dispose([p, q]);
  });

  it('keeps a graph returned from tidy, and frees it after backward', () => {
    const x = lc.tensor([0.1, 0.2, 0.3], { dtype: 'float64', requiresGrad: true });
    const b0 = lc.memory().numBytes, n0 = lc.numTensors();
    const y = lc.tidy(() => lc.sum(lc.tanh(lc.mul(lc.exp(x), 2))));
    y.backward();
    y.dispose();
    x.grad!.dispose();
    x.grad = null;
    expect(lc.numTensors()).toBe(n0);
    expect(lc.memory().numBytes).toBe(b0);
    x.dispose();
  });

  it('releases graphs that nothing kept when the tidy ends', () => {
    const x = lc.randn([64, 64], { generator: g(), requiresGrad: true });
    const b0 = lc.memory().numBytes;
    lc.tidy(() => {
      lc.sum(lc.sigmoid(lc.matmul(x, x)));
    });
    expect(lc.memory().numBytes).toBe(b0);
    x.dispose();
  });

  it('returns the same input listed twice as two tensors', () => {
    const x = lc.tensor([2], { requiresGrad: true });
    lc.tidy(() => {
      const [a, b] = lc.grad(lc.mul(x, x), [x, x]);
      expect(a).not.toBe(b);
      expect(a!.item()).toBe(4);
      expect(b!.item()).toBe(4);
    });
    x.dispose();
  });

  it('gradcheck catches a wrong gradient', () => {
    const x = lc.tensor([0.3, -0.4], { dtype: 'float64', requiresGrad: true });
    const wrong = (t: lc.Tensor) => attachGrad(lc.clone(lc.detach(lc.sin(t))), 'wrongSin', [t], [t], (gy, [s]) => [lc.mul(gy, lc.sin(s))]);
    expect(() => lc.gradcheck(wrong, [x])).toThrow(/analytic/);
    expect(lc.gradcheck(wrong, [x], { raiseException: false })).toBe(false);
    x.dispose();
  });
});
