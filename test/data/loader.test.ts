// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { imageDataset, vectorDataset } from '../../src/data/dataset.js';
import { DataLoader, type Batch } from '../../src/data/loader.js';

/** 10 images 2x3x4 whose bytes encode (image, channel, row, col), labels 100 + image. */
function tiny(n = 10) {
  const data = new Uint8Array(n * 24);
  for (let i = 0; i < n; i++) for (let j = 0; j < 24; j++) data[i * 24 + j] = (i * 24 + j) % 251;
  return imageDataset(data, [2, 3, 4], { labels: Int32Array.from({ length: n }, (_, i) => 100 + i) });
}

const grab = (b: Batch) => ({ x: Array.from(b.x.dataSync()), labels: b.labels ? Array.from(b.labels.dataSync()) : undefined, idx: Array.from(b.indices) });

describe('DataLoader', () => {
  it('visits every item once per epoch, in a new seeded order each epoch', () => {
    const ds = tiny(10);
    const dl = new DataLoader(ds, { batchSize: 5, seed: 3 });
    const epochs = [0, 1, 2].map(() => lc.tidy(() => [...dl.next().indices, ...dl.next().indices]));
    for (const e of epochs) expect([...e].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epochs[0]).not.toEqual(epochs[1]);
    const again = new DataLoader(ds, { batchSize: 5, seed: 3 });
    expect(lc.tidy(() => [...again.next().indices, ...again.next().indices])).toEqual(epochs[0]);
    const other = new DataLoader(ds, { batchSize: 5, seed: 4 });
    expect(lc.tidy(() => [...other.next().indices, ...other.next().indices])).not.toEqual(epochs[0]);
    const ordered = new DataLoader(ds, { batchSize: 4, shuffle: false, dropLast: false });
    const sizes = lc.tidy(() => [0, 1, 2].map(() => Array.from(ordered.next().indices)));
    expect(sizes).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(ordered.position().epoch).toBe(1);
  });

  it('scales bytes to [-1, 1] or [0, 1] exactly and keeps labels with their images', () => {
    const ds = tiny(10);
    lc.tidy(() => {
      for (const range of ['[-1,1]', '[0,1]'] as const) {
        const b = new DataLoader(ds, { batchSize: 4, seed: 1, range, dtype: 'float64' }).next();
        expect(b.x.shape).toEqual([4, 2, 3, 4]);
        const x = b.x.dataSync(), l = b.labels!.dataSync();
        b.indices.forEach((i, r) => {
          expect(l[r]).toBe(100 + i);
          for (let j = 0; j < 24; j++) {
            const v = ds.data[i * 24 + j] / 255;
            expect(x[r * 24 + j]).toBeCloseTo(range === '[0,1]' ? v : 2 * v - 1, 14);
          }
        });
      }
    });
  });

  it('dequantises as (byte + U(0,1))/256 (score_sde), with mean-1/2 noise (4 s.e.)', () => {
    const n = 400;
    const ds = imageDataset(Uint8Array.from({ length: n * 64 }, (_, i) => (i * 13) % 256), [1, 8, 8]);
    const dl = new DataLoader(ds, { batchSize: n, seed: 2, range: '[0,1]', dequantize: true, shuffle: false });
    const x = lc.tidy(() => dl.next().x.dataSync());
    let s = 0, lo = Infinity, hi = -Infinity;
    for (let j = 0; j < x.length; j++) {
      const u = x[j] * 256 - ds.data[j];
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      s += u;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    const se = Math.sqrt(1 / 12 / x.length);
    expect(Math.abs(s / x.length - 0.5)).toBeLessThan(4 * se);
    // [-1, 1] is 2v - 1 of the same v
    const y = lc.tidy(() => new DataLoader(ds, { batchSize: n, seed: 2, dequantize: true, shuffle: false }).next().x.dataSync());
    for (let j = 0; j < 100; j++) expect(y[j]).toBeCloseTo(2 * x[j] - 1, 6);
  });

  it('flips images left-right with probability 1/2 (binomial, 4 s.d.)', () => {
    const n = 1000;
    const ds = imageDataset(Uint8Array.from({ length: n * 6 }, (_, i) => i % 6), [1, 2, 3]);
    const x = lc.tidy(() => new DataLoader(ds, { batchSize: n, seed: 9, hflip: true, range: '[0,1]' }).next().x.dataSync());
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(x.subarray(i * 6, i * 6 + 6), (v) => Math.round(v * 255));
      if (row.join() === '2,1,0,5,4,3') flipped++;
      else expect(row.join()).toBe('0,1,2,3,4,5');
    }
    expect(Math.abs(flipped - n / 2)).toBeLessThan(4 * Math.sqrt(n / 4));
  });

  it('resumes bit-exactly from a JSON round trip of its position, across epoch ends', () => {
    const ds = tiny(10);
    const opts = { batchSize: 3, seed: 5, hflip: true, dequantize: true } as const;
    const a = new DataLoader(ds, opts);
    const seq = lc.tidy(() => Array.from({ length: 4 }, () => grab(a.next())));
    const saved = JSON.stringify(a.position());
    expect(JSON.parse(saved)).toMatchObject({ epoch: 1, index: 1 });
    const rest = lc.tidy(() => Array.from({ length: 5 }, () => grab(a.next())));
    const b = new DataLoader(ds, opts);
    b.seek(JSON.parse(saved));
    const resumed = lc.tidy(() => Array.from({ length: 5 }, () => grab(b.next())));
    expect(resumed).toEqual(rest);
    // and any batch can be rebuilt alone from its position
    const first = lc.tidy(() => grab(b.batchAt({ epoch: 0, index: 0, rng: { seed: 5, offset: 0 } })));
    expect(first).toEqual(seq[0]);
    expect(() => b.seek({ epoch: 0, index: 99, rng: { seed: 5, offset: 0 } })).toThrow(/DataLoader\.seek: argument 'index' got 99/);
  });

  it('async iteration prefetches the next batch while the consumer awaits, yields the same batches and leaks nothing', async () => {
    const start = lc.numTensors();
    const ds = tiny(10);
    const opts = { batchSize: 2, seed: 8, hflip: true } as const;
    const want = lc.tidy(() => {
      const s = new DataLoader(ds, opts);
      return Array.from({ length: 5 }, () => grab(s.next()));
    });
    const dl = new DataLoader(ds, opts);
    const got: ReturnType<typeof grab>[] = [];
    const seen: Batch[] = [];
    for await (const b of dl.batches()) {
      got.push(grab(b));
      seen.push(b);
      lc.tidy(() => {
        b.x.mul(2).sum();
      });
      await new Promise((r) => setImmediate(r)); // the step's await: the next batch is built here
    }
    expect(got).toEqual(want);
    expect(dl.stats).toEqual({ prefetchHits: 4, prefetchMisses: 0 });
    expect(seen.every((b) => b.x.disposed && b.labels!.disposed)).toBe(true);
    expect(dl.position()).toMatchObject({ epoch: 1, index: 0 });
    // a consumer that never yields gets misses, the same data, and break disposes
    const dl2 = new DataLoader(ds, opts);
    const got2: ReturnType<typeof grab>[] = [];
    for await (const b of dl2.batches({ steps: 8 })) {
      got2.push(grab(b));
      if (got2.length === 3) break;
    }
    expect(got2).toEqual(want.slice(0, 3));
    expect(dl2.stats.prefetchHits).toBe(0);
    expect(lc.numTensors()).toBe(start);
  });

  it('rebuilds a stale prefetch after seek() in the loop body', async () => {
    const ds = tiny(10);
    const dl = new DataLoader(ds, { batchSize: 2, seed: 1 });
    const p0 = dl.position();
    const idx: number[][] = [];
    for await (const b of dl.batches({ steps: 3 })) {
      idx.push(Array.from(b.indices));
      await new Promise((r) => setImmediate(r));
      if (idx.length === 1) dl.seek(p0);
    }
    expect(idx[1]).toEqual(idx[0]);
  });

  it('passes float data through and validates its options', () => {
    const v = vectorDataset(new Float32Array([1, 2, 3, 4, 5, 6]), { shape: [2] });
    const dl = new DataLoader(v, { batchSize: 3, shuffle: false });
    lc.tidy(() => {
      expect(Array.from(dl.next().x.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    });
    expect(() => new DataLoader(v, { batchSize: 3, hflip: true })).toThrow(/argument 'hflip'.*items of shape \[C, H, W\]/);
    expect(() => new DataLoader(v, { batchSize: 3, dequantize: true })).toThrow(/dequantize/);
    expect(() => new DataLoader(v, { batchSize: 4 })).toThrow(/at most the dataset size \(3\)/);
    expect(() => new DataLoader(tiny(), { batchSize: 2, range: '[0,255]' as never })).toThrow(/range/);
  });
});
