// SPDX-License-Identifier: MIT
// Inputs at the edges of each op's domain, where a formula that is right in the middle goes wrong:
// zero variance, saturated activations, far tails, 0-d tensors, empty tensors, overlapping
// writes, integer conversions, unvalidated state. Each gives the right number (float64 math or
// PyTorch's documented behaviour) or a typed error naming the function called.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';

type ErrClass = new (...a: never[]) => Error;

function expectError(f: () => unknown, cls: ErrClass, re: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${cls.name} matching ${re}`).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(re);
}

/** d/dx and d2/dx2 of sum(f(x)) at the points xs. */
function derivs(f: (x: lc.Tensor) => lc.Tensor, xs: number[], dtype: 'float32' | 'float64'): { d1: number[]; d2: number[] } {
  return lc.tidy(() => {
    const x = lc.tensor(xs, { dtype });
    x.requiresGrad = true;
    const [g] = lc.grad(lc.sum(f(x)), [x], { createGraph: true });
    const [h] = lc.grad(lc.sum(g!), [x], { allowUnused: true });
    return { d1: Array.from(g!.dataSync() as Float32Array), d2: h ? Array.from(h.dataSync() as Float32Array) : xs.map(() => 0) };
  });
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('activations far from zero', () => {
  it('float32 tanh reaches ±1 and its derivatives vanish in the tails', () => {
    const y = lc.tidy(() => Array.from(lc.tanh(lc.tensor([10, -10, 20, 9, 40, -1e4], { dtype: 'float32' })).dataSync()));
    expect(y).toEqual([1, -1, 1, Math.fround(Math.tanh(9)), 1, -1]);
    const { d1, d2 } = derivs(lc.tanh, [-30, 30, 12], 'float32');
    for (const v of [...d1, ...d2]) expect(Math.abs(v)).toBeLessThan(1e-9);
  });

  it("gelu(x, 'tanh') has zero gradient and curvature far in the negative tail, in both fused and composite backward", () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const { d1, d2 } = derivs((x) => lc.gelu(x, 'tanh'), [-100, -50, -30], dtype);
      for (const v of [...d1, ...d2]) expect(Math.abs(v), dtype).toBeLessThan(1e-12);
    }
    // and where it is not zero it matches the float64 formula
    const k = Math.sqrt(2 / Math.PI);
    const ref = (v: number) => {
      const u = k * (v + 0.044715 * v ** 3), t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v);
    };
    const { d1 } = derivs((x) => lc.gelu(x, 'tanh'), [-3, -1, 0.5, 2], 'float32');
    d1.forEach((g, i) => expect(relErr(g, ref([-3, -1, 0.5, 2][i]))).toBeLessThan(1e-5));
  });

  it('logSigmoid second derivative keeps float32 precision for very negative x (no 1 - sigmoid cancellation)', () => {
    const xs = [-15, -30, -80, 15, 40];
    // d/dx log sigmoid(x) = sigmoid(-x); d2 = -sigmoid(x) sigmoid(-x)
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const { d1, d2 } = derivs(lc.logSigmoid, xs, 'float32');
    xs.forEach((v, i) => {
      expect(relErr(d1[i], sig(-v)), `d1 at ${v}`).toBeLessThan(1e-6);
      expect(relErr(d2[i], -sig(v) * sig(-v)), `d2 at ${v}`).toBeLessThan(1e-5);
    });
  });

  it('sigmoid and silu derivatives are finite and accurate at ±100', () => {
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    const s = derivs(lc.sigmoid, [-100, 100, -20], 'float32');
    [-100, 100, -20].forEach((v, i) => {
      const ref = sig(v) * (1 - sig(v));
      expect(Math.abs(s.d1[i] - ref)).toBeLessThanOrEqual(Math.max(1e-6 * ref, 1e-38));
    });
    const u = derivs(lc.silu, [-100, 100], 'float32');
    expect(u.d1.every(Number.isFinite) && u.d2.every(Number.isFinite)).toBe(true);
    expect(u.d1[1]).toBeCloseTo(1, 6);
  });
});

describe('std and variance at zero variance', () => {
  it('the gradient of std is 0, not NaN, at zero variance: first and second order, both autograd paths', () => {
    for (const unbiased of [false, true]) {
      lc.tidy(() => {
        const x = lc.ones([5, 3]);
        x.requiresGrad = true;
        const s = lc.std(x, 1, { unbiased });
        // first order through backward()
        lc.sum(s).backward();
        expect(Array.from(x.grad!.dataSync())).toEqual(new Array(15).fill(0));
        x.grad = null;
        // grad() with a graph, then the second order
        const [g] = lc.grad(lc.sum(lc.std(x, 1, { unbiased })), [x], { createGraph: true });
        expect(Array.from(g!.dataSync())).toEqual(new Array(15).fill(0));
        const [h] = lc.grad(lc.sum(lc.mul(g!, g!)), [x], { allowUnused: true });
        if (h) expect(Array.from(h.dataSync()).every((v) => v === 0)).toBe(true);
      });
    }
    // the reported failing case: a [5, 1] input, one element per row
    lc.tidy(() => {
      const x = lc.randn([5, 1]);
      x.requiresGrad = true;
      lc.sum(lc.std(x, 1, { unbiased: false })).backward();
      expect(Array.from(x.grad!.dataSync())).toEqual([0, 0, 0, 0, 0]);
    });
  });

  it('rows with some variance still get the exact gradient next to rows without', () => {
    lc.tidy(() => {
      const x = lc.tensor([[2, 2, 2], [1, 2, 4]], { dtype: 'float64' });
      x.requiresGrad = true;
      lc.sum(lc.std(x, 1)).backward();
      const g = Array.from(x.grad!.dataSync());
      expect(g.slice(0, 3)).toEqual([0, 0, 0]);
      // d std / dx_i = (x_i - mean) / ((n - 1) std)
      const m = 7 / 3, sd = Math.sqrt(((1 - m) ** 2 + (2 - m) ** 2 + (4 - m) ** 2) / 2);
      [1, 2, 4].forEach((v, i) => expect(g[3 + i]).toBeCloseTo((v - m) / (2 * sd), 12));
    });
  });
});

describe('0-d, empty and repeated-dim inputs', () => {
  it('ops that need a dimension refuse a 0-d tensor instead of building NaN shapes', () => {
    lc.tidy(() => {
      const s = lc.scalar(1);
      expectError(() => lc.narrow(s, 0, 3, 0), lc.ShapeError, /^narrow: cannot be applied to a 0-d tensor/);
      expectError(() => lc.slice(s, 0, 0, 1), lc.ShapeError, /^slice: cannot be applied to a 0-d tensor/);
      expectError(() => lc.select(s, 0, 0), lc.ShapeError, /^select: cannot be applied to a 0-d tensor/);
      expectError(() => lc.indexSelect(s, 0, lc.tensor([0], { dtype: 'int32' })), lc.ShapeError, /^indexSelect: cannot index a 0-d tensor/);
      // reductions over dim 0 / -1 of a 0-d tensor are the identity, as in PyTorch
      expect(lc.sum(s, 0).item()).toBe(1);
      expect(lc.flip(s, [0]).item()).toBe(1);
    });
  });

  it('flip refuses repeated dims (the view would leave its storage)', () => {
    lc.tidy(() => expectError(() => lc.flip(lc.zeros([3, 2]), [0, 0]), lc.ArgumentError, /^flip: argument 'dim' got repeated dims \[0, 0\]/));
  });

  it('indexSelect checks indices even when the output is empty', () => {
    lc.tidy(() => {
      expectError(() => lc.indexSelect(lc.zeros([0, 4]), 1, lc.tensor([9], { dtype: 'int32' })), lc.IndexError, /^indexSelect: index 9 is out of range for a dimension of size 4/);
      expect(lc.indexSelect(lc.zeros([0, 4]), 1, lc.tensor([3], { dtype: 'int32' })).shape).toEqual([0, 1]);
    });
  });

  it('out-of-range indices are IndexErrors naming the function called', () => {
    lc.tidy(() => {
      const i32 = (v: number[] | number[][]) => lc.tensor(v, { dtype: 'int32' });
      expectError(() => lc.indexSelect(lc.zeros([3, 2]), 0, i32([5])), lc.IndexError, /^indexSelect: index 5 is out of range for a dimension of size 3$/);
      expectError(() => lc.embedding(i32([7]), lc.zeros([3, 2])), lc.IndexError, /^embedding: index 7 is out of range/);
      expectError(() => lc.gather(lc.zeros([3, 2]), 1, i32([[5], [0], [0]])), lc.IndexError, /^gather: index 5 is out of range for a dimension of size 2$/);
      expectError(() => lc.scatterAdd(lc.zeros([3, 2]), 0, i32([[5, 0]]), lc.ones([1, 2])), lc.IndexError, /^scatterAdd: index 5 is out of range/);
      expectError(() => lc.indexSelect(lc.zeros([3, 2]), 0, i32([-1])), lc.IndexError, /index -1 is out of range/);
    });
  });
});

describe('in-place writes', () => {
  it('refuses a destination whose elements share memory (expand, stride 0)', () => {
    lc.tidy(() => {
      const b = lc.zeros([1]);
      expectError(() => lc.add_(lc.expand(b, [4]), 1), lc.ArgumentError, /^add_: the tensor written in place has elements that share memory/);
      expect(b.item()).toBe(0);  // nothing was written
      const m = lc.zeros([2, 1]);
      expectError(() => lc.copy_(lc.expand(m, [2, 3]), lc.ones([2, 3])), lc.ArgumentError, /^copy_: .*share memory/);
      // a broadcast source is fine
      const d = lc.zeros([2, 3]);
      lc.copy_(d, lc.expand(lc.ones([1, 3]), [2, 3]));
      expect(Array.from(d.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    });
  });

  it('arithmetic in place on bool tensors is a DTypeError; comparisons of bools work', () => {
    lc.tidy(() => {
      expectError(() => lc.add_(lc.tensor([true, false]), 1), lc.DTypeError, /^add_: the tensor written in place has dtype bool/);
      expect(Array.from(lc.gt(lc.tensor([true, false]), lc.tensor([false, false])).dataSync())).toEqual([1, 0]);
      expect(Array.from(lc.eq(lc.tensor([true, false]), lc.tensor([true, true])).dataSync())).toEqual([1, 0]);
    });
  });
});

describe('integer conversions', () => {
  it('non-integral or out-of-range values for int32 are errors, never INT_MIN or a wrapped value', () => {
    lc.tidy(() => {
      const re = /expected an integer in \[-2147483648, 2147483647\] for an int32 tensor/;
      expectError(() => lc.fill_(lc.zeros([2], { dtype: 'int32' }), NaN), lc.ArgumentError, new RegExp(`^fill_: argument 'value' got NaN, ${re.source}`));
      expectError(() => lc.full([2], Infinity, { dtype: 'int32' }), lc.ArgumentError, new RegExp(`^full: argument 'value' got Infinity, ${re.source}`));
      expectError(() => lc.tensor([2 ** 40, 1.5], { dtype: 'int32' }), lc.ArgumentError, /^tensor: argument 'data\[0\]' got 1099511627776/);
      expectError(() => lc.tensor([1, 1.5], { dtype: 'int32' }), lc.ArgumentError, /^tensor: argument 'data\[1\]' got 1\.5/);
      expect(Array.from(lc.tensor([-(2 ** 31), 2 ** 31 - 1], { dtype: 'int32' }).dataSync())).toEqual([-(2 ** 31), 2 ** 31 - 1]);
      expectError(() => lc.arange(0, 1e12, 1, { dtype: 'int32' }), lc.ArgumentError, /^arange: argument 'end' got 999999999999/);
      // float -> int32 casts saturate (NaN -> 0), as a defined conversion rather than C++ UB
      expect(Array.from(lc.cast(lc.tensor([3e9, -3e9, NaN, -2.7]), 'int32').dataSync())).toEqual([2 ** 31 - 1, -(2 ** 31), 0, -2]);
    });
  });

  it('setNumThreads takes an integer in [1, 1024]', () => {
    const n = lc.getNumThreads();
    expectError(() => lc.setNumThreads(1.5), lc.ArgumentError, /^setNumThreads: argument 'n' got 1\.5, expected an integer in \[1, 1024\]/);
    expectError(() => lc.setNumThreads(0), lc.ArgumentError, /got 0/);
    expectError(() => lc.setNumThreads(NaN), lc.ArgumentError, /got NaN/);
    expect(lc.getNumThreads()).toBe(n);
  });
});

describe('validated state', () => {
  it('a Generator refuses NaN, negative or fractional seeds and offsets', () => {
    expectError(() => new lc.Generator(-5), lc.ArgumentError, /^Generator: argument 'seed' got -5/);
    expectError(() => new lc.Generator(NaN), lc.ArgumentError, /got NaN/);
    const g = new lc.Generator(3);
    expectError(() => (g.seed = NaN), lc.ArgumentError, /^Generator\.seed: argument 'seed' got NaN/);
    expectError(() => (g.offset = -1), lc.ArgumentError, /offset/);
    expectError(() => g.setState({ seed: 1, offset: 0.5 }), lc.ArgumentError, /offset/);
    expect(g.getState()).toEqual({ seed: 3, offset: 0 });
  });

  it('adamStep_ refuses lr NaN and step 0', () => {
    lc.tidy(() => {
      const z = () => lc.zeros([2]);
      const base = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
      const p = z();
      expectError(() => lc.adamStep_(p, z(), z(), z(), { ...base, lr: NaN }), lc.ArgumentError, /^adamStep_: argument 'lr' got NaN/);
      expectError(() => lc.adamStep_(p, z(), z(), z(), { ...base, step: 0 }), lc.ArgumentError, /^adamStep_: argument 'step' got 0/);
      expectError(() => lc.adamStep_(p, z(), z(), z(), { ...base, beta1: 1 }), lc.ArgumentError, /beta1/);
      expect(Array.from(p.dataSync())).toEqual([0, 0]);
    });
  });
});

describe('creation limits', () => {
  it('sizes past memory are OutOfMemoryErrors naming the function called, before any allocation', () => {
    const before = lc.memory().numBytes;
    expectError(() => lc.zeros([1e6, 1e6]), lc.OutOfMemoryError, /^zeros: out of memory on cpu: asked for 4398046511104 bytes \(4096\.000 GiB\), [\d.]+ GiB available/);
    expectError(() => lc.eye(1e6), lc.OutOfMemoryError, /^eye: out of memory/);
    expectError(() => lc.zeros([2 ** 40, 2 ** 40]), lc.LcssError, /^zeros: /);
    expect(lc.memory().numBytes).toBe(before);
  });

  it('shapes and views are checked as ShapeErrors', () => {
    lc.tidy(() => {
      expectError(() => lc.zeros([-1]), lc.ShapeError, /^zeros: argument 'shape' got \[-1\]/);
      expectError(() => lc.Tensor.view(lc.zeros([2]), [3], [1], 0), lc.ShapeError, /^Tensor\.view: shape \[3\] with strides \[1\] at offset 0 reaches elements 0\.\.2, outside a storage of 2 elements/);
      expectError(() => lc.reshape(lc.zeros([6]), [4, -1]), lc.ShapeError, /^reshape: /);
    });
  });
});
