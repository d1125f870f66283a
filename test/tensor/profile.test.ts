// SPDX-License-Identifier: MIT
// The kernel profiler: attributes calls to native entries (with the op for unary/binary/reduce),
// restores the addon when it stops (also after a throw), and refuses nested starts.
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { native } from '../../src/native.js';

/** Runs fn with the kernel pool at n threads, restoring the previous count afterwards. */
async function withThreads(n: number, fn: () => Promise<void>): Promise<void> {
  const threads = lc.getNumThreads();
  lc.setNumThreads(n);
  try {
    await fn();
  } finally {
    lc.setNumThreads(threads);
  }
}

describe('profile', () => {
  it('counts every native call by kernel and accounts for the wall time', async () => {
    const a = lc.randn([64, 64]), b = lc.randn([64, 64]);
    const { result, report } = await lc.profile(() => lc.tidy(() => {
      let y = lc.matmul(a, b);
      for (let i = 0; i < 3; i++) y = lc.add(lc.exp(lc.mul(y, 0.01)), 1);
      return lc.sum(y).item();
    }));
    expect(Number.isFinite(result)).toBe(true);
    const by = new Map(report.kernels.map((k) => [k.name, k]));
    expect(by.get('gemm')?.calls).toBe(1);
    expect(by.get('unary:exp')?.calls).toBe(3);
    expect(by.get('reduce:sum')?.calls).toBeGreaterThanOrEqual(1);
    // scalar mul/add go through the unary entry with a scalar operand
    expect((by.get('unary:mulS')?.calls ?? 0) + (by.get('binary:mul')?.calls ?? 0)).toBe(3);
    expect(report.nativeMs).toBeLessThanOrEqual(report.wallMs + 1e-6);
    expect(report.kernels.reduce((s, k) => s + k.totalMs, 0)).toBeCloseTo(report.nativeMs, 6);
    for (let i = 1; i < report.kernels.length; i++) expect(report.kernels[i - 1].totalMs).toBeGreaterThanOrEqual(report.kernels[i].totalMs);
    const t = report.table(3);
    expect(t).toMatch(/^kernel\s+calls\s+total ms/);
    expect(t).toMatch(/more kernels/);
    expect(t).toMatch(/outside native calls/);
    lc.dispose([a, b]);
  });

  it('reports how the stretch used the thread pool: regions on two threads, inline calls, worker time', async () => {
    await withThreads(2, async () => {
      const a = lc.randn([256, 256]), b = lc.randn([256, 256]), s = lc.randn([1, 8, 4, 4]), w = lc.randn([8, 8, 3, 3]);
      const { report } = await lc.profile(() => lc.tidy(() => {
        for (let i = 0; i < 5; i++) lc.matmul(a, b).dataSync();  // 33 MFLOP each: split over both threads
        // a one-tile Winograd convolution: its tile loop reaches the pool with one chunk of work and runs inline
        for (let i = 0; i < 7; i++) lc.conv2d(s, w, null, { padding: 1 }).dataSync();
      }));
      const p = report.pool;
      expect(p.threads).toBe(2);
      expect(p.regions).toBeGreaterThanOrEqual(5);
      expect(p.inlineRuns).toBeGreaterThanOrEqual(7);
      expect(p.regionMs).toBeGreaterThan(0);
      expect(p.regionMs).toBeLessThanOrEqual(report.wallMs + 1e-6);
      expect(p.workerBusyMs).toBeGreaterThan(0);  // the worker ran chunks of the GEMMs
      expect(p.callerWaitMs).toBeGreaterThanOrEqual(0);
      expect(p.callerWaitMs).toBeLessThanOrEqual(p.regionMs + 1e-6);
      expect(p.workerUtilisation).toBeCloseTo(p.workerBusyMs / report.wallMs, 9);
      expect(report.table()).toMatch(/thread pool \(2 threads\): \d+ parallel regions/);
      // the counters are differences over the profiled stretch: an empty one reports none
      const { report: empty } = await lc.profile(() => {});
      expect(empty.pool.regions).toBe(0);
      expect(empty.pool.inlineRuns).toBe(0);
      lc.dispose([a, b, s, w]);
    });
  });

  it("the pool's timers run only inside a profile; its counts always do", async () => {
    await withThreads(2, async () => {
      const a = lc.randn([256, 256]);
      const before = native.poolStats();
      lc.tidy(() => { lc.matmul(a, a).dataSync(); });
      const after = native.poolStats();
      expect(after.regions).toBeGreaterThan(before.regions);
      expect(after.regionMs).toBe(before.regionMs);
      expect(after.workerBusyMs).toBe(before.workerBusyMs);
      const { report } = await lc.profile(() => lc.tidy(() => { lc.matmul(a, a).dataSync(); }));
      expect(report.pool.regionMs).toBeGreaterThan(0);
      const later = native.poolStats();
      lc.tidy(() => { lc.matmul(a, a).dataSync(); });
      expect(native.poolStats().regionMs).toBe(later.regionMs);  // off again after the profile
      a.dispose();
    });
  });

  it('with one thread the pool has nothing to report and the table says nothing of it', async () => {
    await withThreads(1, async () => {
      const a = lc.randn([128, 128]);
      const { report } = await lc.profile(() => lc.tidy(() => { lc.matmul(a, a).dataSync(); }));
      expect(report.pool.regions).toBe(0);
      expect(report.pool.workerUtilisation).toBe(0);
      expect(report.table()).not.toMatch(/thread pool/);
      a.dispose();
    });
  });

  it('restores the addon after stopping, also when the profiled function throws', async () => {
    const gemm = native.gemm;
    await expect(lc.profile(() => { lc.matmul(lc.ones([2, 3]), lc.ones([4, 5])); })).rejects.toThrow(/matmul/);
    expect(lc.isProfiling()).toBe(false);
    expect(native.gemm).toBe(gemm);
    lc.startProfile();
    expect(native.gemm).not.toBe(gemm);
    expect(() => lc.startProfile()).toThrow(/already running/);
    lc.stopProfile();
    expect(native.gemm).toBe(gemm);
    expect(() => lc.stopProfile()).toThrow(/no profile is running/);
  });

  it('waits for every CUDA device after each call when asked (a no-op without one)', async () => {
    const x = lc.randn([8, 8], { device: lc.cuda.isAvailable() ? 'cuda' : 'cpu' });
    const { report } = await lc.profile(() => lc.tidy(() => lc.sum(lc.exp(x)).item()), { synchronize: true });
    expect(report.kernels.find((k) => k.name === 'unary:exp')?.calls).toBe(1);
    x.dispose();
  });
});
