// SPDX-License-Identifier: MIT
// A training-step loop must run on recycled memory: fresh pages cost ~10 us per 4 KiB here, more
// than the arithmetic. After a warm-up, repeating a step that exercises every native family
// (Winograd and im2col convolutions forward and backward, GroupNorm, attention, GEMM with
// transposed operands, softmax, reductions, Adam) asks the OS for no new blocks.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';

describe('caching allocator in a step loop', () => {
  it('no OS allocations after warm-up', () => {
    const w = lc.keep(lc.mul(lc.randn([16, 8, 3, 3]), 0.1).requiresGrad_());
    const w2 = lc.keep(lc.mul(lc.randn([8, 16, 3, 3]), 0.1).requiresGrad_());
    const lw = lc.keep(lc.mul(lc.randn([24, 50]), 0.1).requiresGrad_());
    const x = lc.keep(lc.randn([4, 8, 15, 15]));
    const step = () => lc.tidy(() => {
      let h = lc.conv2d(x, w, null, { padding: 1 });                    // Winograd
      h = lc.groupNorm(h, 4, null, null, { silu: true });
      const q = lc.reshape(h, [4, 16, 225]);
      const a = lc.scaledDotProductAttention(lc.transpose(q), lc.transpose(q), lc.transpose(q));
      h = lc.reshape(lc.contiguous(lc.transpose(a)), [4, 16, 15, 15]);
      h = lc.conv2d(h, w2, null, { stride: 2, padding: 1 });           // im2col
      const f = lc.linear(lc.reshape(h, [4, -1]).narrow(1, 0, 50), lw);
      const loss = lc.sum(lc.square(lc.softmax(f, -1)));
      const [gw, gw2, glw] = lc.grad(loss, [w, w2, lw]);
      return lc.sum(gw).item() + lc.sum(gw2).item() + lc.sum(glw).item();
    });
    for (let i = 0; i < 4; i++) step();
    const before = lc.memory().cpu.osAllocs;
    for (let i = 0; i < 6; i++) step();
    expect(lc.memory().cpu.osAllocs - before).toBe(0);
    lc.dispose([w, w2, lw, x]);
  });
});
