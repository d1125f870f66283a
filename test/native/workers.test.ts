// SPDX-License-Identifier: MIT
// The addon in several JS environments at once: the main thread and worker_threads Workers each
// load it (one buffer table and error classes per environment), share the process-wide kernel
// pool and allocator, and train at the same time; one Worker is terminated in the middle of a
// kernel. Nothing may crash, and every environment's result must equal the same job run alone.
// Before the addon was context-aware, the second environment overwrote the first one's buffer
// constructor (SIGSEGV on the next allocation on the main thread, or V8's "Entering the V8 API
// without proper locking" abort while the Worker ran), and terminating a Worker mid-kernel ended
// in std::terminate from an unthrowable Napi::Error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const job = new URL('../helpers/train_job.mjs', import.meta.url);

function runWorker(data: Record<string, unknown>): { worker: Worker; result: Promise<{ params: Float64Array; live: number }> } {
  const worker = new Worker(job, { workerData: { job: 'train-job', ...data } });
  const result = new Promise<{ params: Float64Array; live: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before answering`)));
  });
  return { worker, result };
}

// Child processes run the scenario so that a crash (a signal) fails the test instead of taking
// the test runner down with it. (A file, not -e: Workers refuse the --input-type flag.)
function inChild(script: string): { status: number | null; signal: string | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lcss-workers-'));
  try {
    const file = join(dir, 'scenario.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 240_000 });
    return { status: r.status, signal: r.signal, out: (r.stdout ?? '') + (r.stderr ?? '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('worker threads', () => {
  it('main + 4 workers train at once, one terminated mid-kernel: no crash, results equal the job run alone', () => {
    const r = inChild(`
      import { Worker } from 'node:worker_threads';
      const { trainJob } = await import(${JSON.stringify(job.href)});
      const steps = 40;
      const alone = trainJob(steps, 7);
      const start = (data) => new Worker(new URL(${JSON.stringify(job.href)}), { workerData: { job: 'train-job', ...data } });
      const answer = (w) => new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
      // listen from the start: a Worker's messages are dropped while nobody listens
      const answers = [0, 1, 2, 3].map(() => answer(start({ steps, seed: 7 })));
      const victim = start({ kernelLoop: true });
      await answer(victim);                       // it is now looping over big kernels
      const together = trainJob(steps, 7);        // the main thread trains while the workers do
      await new Promise((r) => setTimeout(r, 30));
      await victim.terminate();                   // mid-kernel: the Worker's JS thread is inside matmul or conv2d
      const results = await Promise.all(answers);
      const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
      console.log(JSON.stringify({
        main: same(together, alone),
        workers: results.map((m) => same(m.params, alone)),
        workerLive: results.map((m) => m.live),
        afterTerminate: trainJob(3, 1).length,
      }));
    `);
    expect(r.signal, r.out).toBeNull();
    expect(r.status, r.out).toBe(0);
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res.main).toBe(true);
    expect(res.workers).toEqual([true, true, true, true]);
    expect(new Set(res.workerLive).size).toBe(1);  // each environment counts only its own tensors
    expect(res.afterTerminate).toBeGreaterThan(0);
  });

  it('the reported reproducer: main allocates, a worker loads lcss and allocates, main allocates again', async () => {
    const lc = await import('../../src/index.js');
    const a = lc.randn([64, 64]);
    const { worker, result } = runWorker({ steps: 5, seed: 1 });
    const b = lc.randn([64, 64]);     // while the worker runs
    const r = await result;
    const c = lc.randn([64, 64]);     // after it answered
    expect(r.params.length).toBeGreaterThan(0);
    expect(lc.sum(lc.add(lc.add(a, b), c)).item()).toBeTypeOf('number');
    await worker.terminate();
    const d = lc.randn([64, 64]);     // after its environment was torn down
    expect(d.dataSync().length).toBe(64 * 64);
    lc.dispose([a, b, c, d]);
  });
});
