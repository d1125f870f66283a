// SPDX-License-Identifier: MIT
// Memory scopes and the caching allocator.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';

describe('tidy / keep / dispose', () => {
  it('frees everything but the returned tensors (nested in arrays, objects, Maps)', () => {
    const n0 = lc.numTensors();
    const out = lc.tidy(() => {
      const a = lc.ones([3]);
      const b = lc.add(a, 1);
      lc.mul(b, b);
      return { list: [b], map: new Map([['a', a]]) };
    });
    expect(lc.numTensors()).toBe(n0 + 2);
    expect(out.list[0].toArray()).toEqual([2, 2, 2]);
    lc.dispose(out);
    expect(lc.numTensors()).toBe(n0);
  });

  it('nested tidies hand returned tensors to the parent scope', () => {
    const n0 = lc.numTensors();
    lc.tidy(() => {
      const inner = lc.tidy(() => lc.ones([2]));
      expect(inner.disposed).toBe(false);
      expect(lc.numTensors()).toBe(n0 + 1);
    });
    expect(lc.numTensors()).toBe(n0);
  });

  it('keep() exempts a tensor from every enclosing tidy', () => {
    let k: lc.Tensor | null = null;
    lc.tidy(() => lc.tidy(() => { k = lc.keep(lc.zeros([2])); }));
    expect(k!.disposed).toBe(false);
    k!.dispose();
  });

  it('frees the scope when fn throws, and rejects async functions', () => {
    const n0 = lc.numTensors();
    expect(() => lc.tidy(() => { lc.ones([4]); throw new Error('boom'); })).toThrow('boom');
    expect(lc.numTensors()).toBe(n0);
    expect(() => lc.tidy((async () => lc.ones([1])) as never)).toThrow(/Promise/);
    expect(lc.numTensors()).toBe(n0);
  });

  it('views share storage: the storage lives while any view does', () => {
    const x = lc.arange(12).reshape([3, 4]);
    const v = lc.transpose(x);
    x.dispose();
    expect(v.toArray()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    v.dispose();
  });

  it('numTensors and numBytes return to their start after a training-like step', () => {
    const w = lc.randn([16, 8], { requiresGrad: true, generator: new lc.Generator(1) });
    const n0 = lc.numTensors(), b0 = lc.memory().numBytes;
    for (let i = 0; i < 3; i++) {
      lc.tidy(() => {
        const x = lc.randn([4, 16], { generator: new lc.Generator(i) });
        const loss = lc.mean(lc.square(lc.silu(lc.matmul(x, w))));
        loss.backward();
      });
      w.grad!.dispose();
      w.grad = null;
    }
    expect(lc.numTensors()).toBe(n0);
    expect(lc.memory().numBytes).toBe(b0);
    w.dispose();
  });
});

describe('caching allocator', () => {
  it('reuses blocks: a repeated step asks the OS for no new memory', () => {
    const step = () => lc.tidy(() => lc.sum(lc.exp(lc.matmul(lc.ones([64, 64]), lc.ones([64, 64])))).item());
    // warm up until both threads have held their pack buffers at the same time
    for (let i = 0; i < 10; i++) step();
    const before = lc.memory().cpu.osAllocs;
    for (let i = 0; i < 10; i++) step();
    expect(lc.memory().cpu.osAllocs).toBe(before);
    expect(lc.memory().cpu.cacheHits).toBeGreaterThan(0);
  });

  it('reports reserved bytes and gives them back with emptyCache', () => {
    lc.tidy(() => lc.zeros([1 << 20]));
    const r = lc.memory().cpu.reservedBytes;
    expect(r).toBeGreaterThanOrEqual(4 << 20);
    lc.emptyCache();
    expect(lc.memory().cpu.reservedBytes).toBeLessThan(r);
    expect(lc.memory().cpu.reservedBytes).toBe(lc.memory().cpu.allocatedBytes);
  });
});

describe('read back', () => {
  it('dataSync / data / toArray / item / toString', async () => {
    const x = lc.tensor([[1.5, -2], [3, 4]]);
    expect(Array.from(x.dataSync())).toEqual([1.5, -2, 3, 4]);
    expect(Array.from(await x.data())).toEqual([1.5, -2, 3, 4]);
    expect(lc.transpose(x).toArray()).toEqual([[1.5, 3], [-2, 4]]);
    expect(lc.sum(x).item()).toBe(6.5);
    expect(x.toString()).toBe('tensor([[ 1.5000, -2.0000],\n        [ 3.0000,  4.0000]])');
    expect(lc.tensor([true, false]).toString()).toBe('tensor([ true, false], dtype=bool)');
    expect(lc.arange(3).toString()).toBe('tensor([0, 1, 2], dtype=int32)');
    expect(lc.scalar(2).toArray()).toBe(2);
    expect(lc.zeros([2000]).toString()).toContain('...');
  });
});
