// SPDX-License-Identifier: MIT
// softmax / log-softmax kernels (last dim and middle dims) against float64 references: odd row
// lengths (vector tails), rows with -inf and huge logits, float32 and float64.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { Buf, DTYPES, expectClose, rand, rounded } from './helpers.js';

function ref(x: Float64Array, outer: number, D: number, inner: number, log: boolean, gy: Float64Array) {
  const y = new Float64Array(x.length), gx = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) {
    const at = (d: number) => (o * D + d) * inner + j;
    let m = -Infinity;
    for (let d = 0; d < D; d++) m = Math.max(m, x[at(d)]);
    let s = 0;
    for (let d = 0; d < D; d++) s += Math.exp(x[at(d)] - m);
    for (let d = 0; d < D; d++) y[at(d)] = log ? x[at(d)] - m - Math.log(s) : Math.exp(x[at(d)] - m) / s;
    let t = 0;
    for (let d = 0; d < D; d++) t += log ? gy[at(d)] : gy[at(d)] * y[at(d)];
    for (let d = 0; d < D; d++) gx[at(d)] = log ? gy[at(d)] - Math.exp(y[at(d)]) * t : y[at(d)] * (gy[at(d)] - t);
  }
  return { y, gx };
}

describe('softmax kernels', () => {
  for (const dt of DTYPES) for (const log of [false, true]) {
    it(`${dt} ${log ? 'logSoftmax' : 'softmax'}: rows and columns, odd sizes`, () => {
      for (const [outer, D, inner] of [[3, 37, 1], [1, 1, 1], [5, 1000, 1], [2, 7, 3], [3, 5, 300], [1, 49, 1], [4, 2, 17]]) {
        const n = outer * D * inner;
        const x = rounded(dt, rand(n, n + D, -8, 8)), gy = rounded(dt, rand(n, 3 + n));
        if (n > 10) { x[3] = -Infinity; x[5] = 80; }  // a masked logit and one that overflows exp without the max shift
        const r = ref(x, outer, D, inner, log, gy);
        const P = 2;
        const bx = Buf.from(dt, x, P), by = new Buf(dt, n, P), bgy = Buf.from(dt, gy, P), bgx = new Buf(dt, n, P);
        native.softmaxForward(outer, D, inner, log, bx.buf, bx.off, by.buf, by.off);
        // the backward reads the output: give it the exact one so only the backward's error is measured
        const yk = by.read();
        expectClose(yk, r.y, dt, `fwd ${outer}x${D}x${inner}`, { f32: [1e-6, 2e-5], f64: [1e-14, 1e-12] });
        native.softmaxBackward(outer, D, inner, log, by.buf, by.off, bgy.buf, bgy.off, bgx.buf, bgx.off);
        const rb = ref(x, outer, D, inner, log, gy);
        expectClose(bgx.read(), rb.gx, dt, `bwd ${outer}x${D}x${inner}`, { f32: [1e-5, 1e-4], f64: [1e-12, 1e-10] });
        for (const b of [bx, by, bgy, bgx]) { expect(b.guardsIntact()).toBe(true); b.free(); }
      }
    });
  }
  it('a NaN logit makes its row NaN', () => {
    const x = Float64Array.from([1, NaN, 2, 3, 4, 5]);
    const bx = Buf.from('float32', x), by = new Buf('float32', 6);
    native.softmaxForward(2, 3, 1, false, bx.buf, 0, by.buf, 0);
    const y = by.read();
    expect([...y.subarray(0, 3)].every(Number.isNaN)).toBe(true);
    expect(Math.abs(y[3] + y[4] + y[5] - 1)).toBeLessThan(1e-6);
    bx.free(); by.free();
  });
});
