// SPDX-License-Identifier: MIT
// The kernel thread pool end to end under contention: more pool threads than cores, and another
// process keeping the cores busy. In-place adds on tensors whose sizes give different chunk
// counts from one op to the next (the pattern that let a late worker claim a chunk of the next
// job) must leave every element exactly equal to the number of adds. native/test/pool_test.cc
// checks the same at the level of the pool, with injected stalls, under TSan.
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';

const lib = new URL('../../dist/src/index.js', import.meta.url).href;
const nativeLib = new URL('../../dist/src/native.js', import.meta.url).href;

describe('kernel thread pool under contention', () => {
  it('in-place adds stay exact with 3x more pool threads than cores and a busy machine', () => {
    const threads = 3 * Math.max(1, cpus().length);
    const busy = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 60000) {}'], { stdio: 'ignore' });
    try {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
        const lc = await import(${JSON.stringify(lib)});
        const { native } = await import(${JSON.stringify(nativeLib)});
        // sizes whose chunk counts differ from one add to the next
        const sizes = [70000, 131072, 200000, 98304 * 2, 40000, 262144];
        const ts = sizes.map((n) => lc.zeros([n]));
        const ones = sizes.map((n) => lc.ones([n]));
        const before = native.poolWorkerChunks();
        const N = 30000;
        for (let i = 0; i < N; i++) ts[i % sizes.length].add_(ones[i % sizes.length]);
        const wrong = ts.map((t, k) => {
          const want = Math.floor(N / sizes.length) + (k < N % sizes.length ? 1 : 0);
          let w = 0;
          for (const v of t.dataSync()) if (v !== want) w++;
          return w;
        });
        console.log(JSON.stringify({ wrong, workerChunks: native.poolWorkerChunks() - before }));
      `], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, LCSS_NUM_THREADS: String(threads) } });
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(res.wrong).toEqual([0, 0, 0, 0, 0, 0]);
      expect(res.workerChunks).toBeGreaterThan(0);  // the pool's workers really took part
    } finally {
      busy.kill();
    }
  });
});
