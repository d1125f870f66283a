// SPDX-License-Identifier: MIT
// Data-parallel benchmark, one process per rank (bench/distributed.sh drives it and the MPI peer):
//   node dist/bench/distributed.js --part step --workload toy|unet     one rank
//   mpirun -np 2 node dist/bench/distributed.js --part step ...       two ranks, same global batch
//   mpirun -np 2 node dist/bench/distributed.js --part allreduce      our all-reduce path by size
// Prints one JSON line per measurement (rank 0 only).
//
// Every rank must run the same number of collectives, so tinybench runs a fixed number of
// iterations (time: 0) instead of a time budget, which would differ between ranks and deadlock.
// The step is the trainer's own (train/data_parallel.ts): sharded batch and noise, backward with
// gradient buckets starting during it, the agreed loss, the optimiser step.
import { Bench } from 'tinybench';
import * as lc from '../src/index.js';
import { buildComponents } from '../src/train/build.js';
import { resolveConfig } from '../src/train/config.js';
import { DataParallelRun } from '../src/train/data_parallel.js';
import type { Tensor } from '../src/tensor/tensor.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const part = arg('part', 'step'), reps = Number(arg('reps', '20'));

async function timed(fn: () => Promise<void>, iterations: number): Promise<{ median: number; min: number; max: number }> {
  const bench = new Bench({ iterations, time: 0, warmupIterations: 3, warmupTime: 0, throws: true });
  bench.add('x', fn);
  await bench.run();
  const l = (bench.tasks[0]!.result as unknown as { latency: { p50: number; min: number; max: number } }).latency;
  return { median: l.p50, min: l.min, max: l.max };
}

const world = lc.distributed.init({ timeout: 120 });
const say = (o: Record<string, unknown>) => world.rank === 0 && console.log(JSON.stringify({ ranks: world.size, threads: lc.getNumThreads(), ...o }));

if (part === 'allreduce') {
  for (const mb of [0.25, 1, 4, 25, 100]) {
    const n = Math.round((mb * (1 << 20)) / 4);
    const t = lc.ones([n]);
    const r = await timed(() => lc.distributed.allReduce(t, { op: 'mean' }), mb >= 25 ? 10 : reps);
    // bus bandwidth, as NCCL and the OSU benchmarks report it: what each rank's link carries
    const busGBs = ((2 * (world.size - 1)) / world.size) * (n * 4) / (r.median * 1e-3) / 1e9;
    say({ part, bytes: n * 4, ms: r.median, busGBs });
    t.dispose();
  }
} else {
  const workload = arg('workload', 'toy');
  // toy: the checkerboard preset (toy MLP, LCSS, batch 512); unet: the W4 network (SmallUNet, VE) on MNIST with DSM, batch 32
  const cfg = workload === 'toy'
    ? resolveConfig('checkerboard', undefined, { batchSize: 512, out: '/tmp/lcss-bench-dist' })
    : resolveConfig('mnist', undefined, { model: 'w4-unet', batchSize: 32, 'loss.name': 'dsm', out: '/tmp/lcss-bench-dist' });
  const c = buildComponents(cfg);
  const dp = DataParallelRun.join('bench', cfg.batchSize, c, true);
  await dp.start(c, () => 0);
  const step = async () => {
    const x = c.data.next();
    let v: number;
    try {
      v = lc.tidy(() => {
        c.opt.zeroGrad();
        const l = c.loss((xt: Tensor, t: Tensor | null) => c.score(xt, t!), dp.shard(x));
        lc.backward(l);
        return l.item();
      });
    } finally {
      x.dispose();
    }
    await dp.finishStep(v, false);
    lc.tidy(() => {
      c.opt.step();
      c.ema.update();
    });
  };
  const before = { ...dp.ddp.stats };
  const r = await timed(step, reps);
  const s = dp.ddp.stats, steps = s.steps - before.steps;
  say({
    part, workload, globalBatch: cfg.batchSize, params: c.model.numParameters(), msPerStep: r.median, minMs: r.min,
    waitMsPerStep: (s.waitMs - before.waitMs) / steps, buckets: s.buckets, gradMB: s.bytesPerStep / (1 << 20),
    overlapped: (s.startedInBackward - before.startedInBackward) / Math.max(1, steps * s.buckets),
  });
  dp.dispose();
}
