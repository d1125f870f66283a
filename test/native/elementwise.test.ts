// SPDX-License-Identifier: MIT
// The vectorised elementwise kernels (fastmath exp / sigmoid / tanh, fused activation gradients)
// against Math references over the whole float range: contiguous runs with vector tails, strided
// and broadcast (stride-0) operands, NaN and +-inf, float32 and float64; and the GEMM binding's
// bounds checks (a view reaching outside its buffer raises instead of touching memory).
import { describe, expect, it } from 'vitest';
import { native, kernels, Unary, Binary } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded } from './helpers.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const UN: [keyof typeof Unary, (x: number) => number][] = [
  ['exp', Math.exp], ['sigmoid', sig], ['silu', (x) => x * sig(x)], ['tanh', Math.tanh],
  ['softplus', (x) => (x > 20 ? x : Math.log1p(Math.exp(x)))], ['logSigmoid', (x) => -Math.log1p(Math.exp(-x))],
];

describe('elementwise kernels', () => {
  for (const dt of DTYPES) {
    it(`${dt}: transcendental unary ops over the range, contiguous and strided`, () => {
      for (const n of [1, 15, 16, 17, 1000, 40_001]) {
        const x = rounded(dt, rand(n, n, -30, 30));
        if (n > 10) { x[1] = NaN; x[2] = Infinity; x[3] = -Infinity; x[4] = 88; x[5] = -100; x[6] = 1e-30; }
        for (const [name, f] of UN) {
          const bx = Buf.from(dt, x, 2), by = new Buf(dt, n, 2);
          kernels.unary({ op: Unary[name], p1: name === 'softplus' ? 1 : 0, p2: name === 'softplus' ? 20 : 0, y: { buffer: by.buf, offset: by.off, shape: [n], strides: [1] }, x: { buffer: bx.buf, offset: bx.off, shape: [n], strides: [1] } });
          const want = Float64Array.from(x, f);
          // float32: a few ulp of fastmath relative, and absolute near 0 (exp of very negative arguments)
          expectClose(by.read(), want, dt, `${name} n=${n}`, { f32: [1e-37, 4e-7], f64: [1e-300, 1e-14] });
          expect(by.guardsIntact()).toBe(true);
          bx.free(); by.free();
        }
      }
      // strided input and output: every other element of x into every third element of y
      const n = 333, x = rounded(dt, rand(2 * n, 5, -5, 5));
      const bx = Buf.from(dt, x), by = Buf.from(dt, new Float64Array(3 * n));
      kernels.unary({ op: Unary.silu, p1: 0, p2: 0, y: { buffer: by.buf, offset: 0, shape: [n], strides: [3] }, x: { buffer: bx.buf, offset: 0, shape: [n], strides: [2] } });
      const y = by.read();
      expectClose(Array.from({ length: n }, (_, i) => y[3 * i]), Array.from({ length: n }, (_, i) => x[2 * i] * sig(x[2 * i])), dt, 'strided silu', { f32: [1e-37, 4e-7] });
      bx.free(); by.free();
    });
    it(`${dt}: sigmoid, silu and tanh across their clamps (a dense sweep over [-120, 120])`, () => {
      // float32 sigmoid clamps e^-x's argument to [-87.3, 88.8] and tanh its exp to 2|x| <= 80:
      // the sweep crosses both clamps, the overflow of e^-x near x = -88.7 and the 0.625 switch of tanh
      const n = 24_001, x = rounded(dt, Float64Array.from({ length: n }, (_, i) => -120 + i * 0.01));
      for (const [name, f] of UN.filter(([k]) => k === 'sigmoid' || k === 'silu' || k === 'tanh')) {
        const bx = Buf.from(dt, x), by = new Buf(dt, n);
        kernels.unary({ op: Unary[name], p1: 0, p2: 0, y: { buffer: by.buf, offset: 0, shape: [n], strides: [1] }, x: { buffer: bx.buf, offset: 0, shape: [n], strides: [1] } });
        // silu(x) = x sigmoid(x) for x in (-89.5, -88.72): e^-x overflows float32, sigmoid gives 0 and
        // silu -0 where the true value is -1e-37 ... -2.3e-37 (the atol 3e-37 below covers it)
        expectClose(by.read(), Float64Array.from(x, f), dt, `${name} sweep`, { f32: [name === 'silu' ? 3e-37 : 1e-37, 4e-7], f64: [1e-300, 1e-14] });
        bx.free(); by.free();
      }
    });
    it(`${dt}: binary activation gradients with broadcast operands`, () => {
      const R = 37, C = 19;
      const x = rounded(dt, rand(R * C, 1, -8, 8)), g = rounded(dt, rand(C, 2));
      const bx = Buf.from(dt, x), bg = Buf.from(dt, g), by = new Buf(dt, R * C);
      // g broadcast over rows (stride 0): silu'(x) * g
      kernels.binary({ op: Binary.siluBwd, p1: 0, p2: 0, y: { buffer: by.buf, offset: 0, shape: [R, C], strides: [C, 1] }, a: { buffer: bx.buf, offset: 0, shape: [R, C], strides: [C, 1] }, b: { buffer: bg.buf, offset: 0, shape: [R, C], strides: [0, 1] } });
      const want = Float64Array.from(x, (v, i) => { const s = sig(v); return g[i % C] * s * (1 + v * (1 - s)); });
      expectClose(by.read(), want, dt, 'silu backward, broadcast gradient', { f32: [1e-6, 1e-5] });
      bx.free(); bg.free(); by.free();
    });
  }
  it('gemm rejects views that reach outside their buffers', () => {
    const a = new Buf('float32', 12), b = new Buf('float32', 12), c = new Buf('float32', 9);
    const gemm = (ao: number, d: number[]) => kernels.gemm({ batch: d[0], M: d[1], N: d[2], K: d[3],
      a: { buffer: a.buf, offset: ao }, aBatchStride: d[4], aRowStride: d[5], aColStride: d[6],
      b: { buffer: b.buf, offset: 0 }, bBatchStride: d[7], bRowStride: d[8], bColStride: d[9],
      c: { buffer: c.buf, offset: 0 }, cBatchStride: d[10], cRowStride: d[11], alpha: 1, beta: 0 });
    expect(() => gemm(0, [1, 3, 3, 4, 0, 4, 1, 0, 3, 1, 0, 3])).not.toThrow();
    expect(() => gemm(1, [1, 3, 3, 4, 0, 4, 1, 0, 3, 1, 0, 3])).toThrow(/outside/);
    expect(() => gemm(0, [2, 3, 3, 4, 12, 4, 1, 0, 3, 1, 0, 3])).toThrow(/outside/);
    expect(() => gemm(0, [1, 3, 3, 4, 0, 4, 1, 0, 3, 1, 0, 4])).toThrow(/outside/);
    for (const q of [a, b, c]) q.free();
  });
});
