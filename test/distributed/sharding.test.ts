// SPDX-License-Identifier: MIT
// The pieces of data parallelism that need no second process: sharded random streams (a rank's draw
// is exactly its rows of the one-process draw), Stein noise rows, the post-accumulate gradient hook,
// launcher detection, a local world of one, and the error that says what to install.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lc from '../../src/index.js';
import { detectLaunch } from '../../src/distributed/launcher.js';
import { native } from '../../src/native.js';

const rows = (t: lc.Tensor, from: number, n: number) => Array.from(lc.narrow(t, 0, from, n).dataSync());

describe('Generator.shard', () => {
  const draws: [string, (shape: number[], g: lc.Generator) => lc.Tensor][] = [
    ['rand', (s, g) => lc.rand(s, { generator: g })],
    ['randn', (s, g) => lc.randn(s, { generator: g, dtype: 'float64' })],
    ['bernoulli', (s, g) => lc.bernoulli(0.3, s, { generator: g })],
  ];
  // [local rows, row size]: aligned shards (rank * rows * size % 4 == 0) take their own counters,
  // the others are cut from the whole draw; both must give the same numbers
  for (const [b, d] of [[4, 2], [3, 1], [5, 3], [1, 7], [2, 784]] as const)
    for (const world of [2, 3])
      for (const [name, draw] of draws)
        it(`${name} [${b}, ${d}] over ${world} ranks is each rank's rows of the whole draw`, () => {
          const whole = draw([b * world, d], new lc.Generator(11, 5));
          for (let rank = 0; rank < world; rank++) {
            const g = new lc.Generator(11, 5);
            g.shard = { rank, world };
            const mine = draw([b, d], g);
            expect(Array.from(mine.dataSync())).toEqual(rows(whole, rank * b, b));
            // every rank advances past the whole draw: states stay equal across ranks
            const g1 = new lc.Generator(11, 5);
            g1.next(b * world * d);
            expect(g.getState()).toEqual(g1.getState());
            mine.dispose();
          }
          whole.dispose();
        });

  it('refuses a rank outside the world, names the argument', () => {
    const g = new lc.Generator(1);
    expect(() => (g.shard = { rank: 2, world: 2 })).toThrow(/Generator\.shard.*rank.*2/);
    expect(() => (g.shard = { rank: 0, world: 0 })).toThrow(/Generator\.shard.*world/);
    g.shard = { rank: 0, world: 1 };
    expect(g.shard).toBeNull();  // a world of one is no shard
  });
});

describe('Stein noise rows', () => {
  for (const estimator of ['plain', 'control', 'antithetic'] as const)
    for (const fused of [true, false])
      it(`${estimator} (${fused ? 'fused' : 'composite'}): a shard's loss and gradient are the rows of the whole batch's`, () => {
        const B = 6, D = 5, world = 3, b = B / world, K = 2;
        const key = { seed: 9, offset: 3 };
        const blocks = lc.steinBlocks(K, estimator);
        const x = lc.randn([B, D], { generator: new lc.Generator(4), dtype: 'float64' });
        const sigma = lc.rand([B], { generator: new lc.Generator(5), low: 0.2, high: 1, dtype: 'float64' });
        const so = { key, draws: K, estimator };
        const loss = (xx: lc.Tensor, sg: lc.Tensor, o: lc.SteinOptions) => {
          const y = fused ? lc.steinPerturb(xx, sg, o) : null;
          const s = y ? lc.tanh(y) : null;
          return fused ? lc.steinLoss(s!, sg, o) : lc.steinLossComposite(lc.tanh(lc.reshape(lc.cat([xx, ...Array.from({ length: blocks - 1 }, () => xx)], 0), [blocks * xx.shape[0], D])), sg, o);
        };
        const whole = loss(x, sigma, so);
        const noiseWhole = lc.steinNoise(B, [D], so, 'float64');
        for (let rank = 0; rank < world; rank++) {
          const o = { ...so, rows: { offset: rank * b, total: B } };
          const mine = loss(lc.contiguous(lc.narrow(x, 0, rank * b, b)), lc.contiguous(lc.narrow(sigma, 0, rank * b, b)), o);
          const want = rows(whole, rank * b, b);
          Array.from(mine.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
          const noise = lc.steinNoise(b, [D], o, 'float64');
          expect(Array.from(noise.dataSync())).toEqual(Array.from(lc.contiguous(lc.narrow(noiseWhole, 1, rank * b, b)).dataSync()));
        }
      });

  it('rows outside the block are refused, naming the op and the argument', () => {
    const s = lc.zeros([2 * 3, 4]);
    expect(() => lc.steinLoss(s, 1, { key: { seed: 0, offset: 0 }, rows: { offset: 2, total: 4 } })).toThrow(/steinLoss.*rows/);
  });
});

describe('post-accumulate gradient hook', () => {
  it('fires once per backward, after the gradient is summed over every use', () => {
    const w = lc.tensor([1, 2, 3], { requiresGrad: true });
    const seen: number[][] = [];
    const remove = w.registerPostAccumulateGradHook((t) => seen.push(Array.from(t.grad!.dataSync())));
    lc.backward(lc.add(lc.sum(lc.mul(w, w)), lc.sum(w)));  // w used twice: 2w + 1
    expect(seen).toEqual([[3, 5, 7]]);
    remove();
    lc.backward(lc.sum(w));
    expect(seen.length).toBe(1);
    expect(() => w.registerPostAccumulateGradHook(3 as never)).toThrow(/registerPostAccumulateGradHook.*fn/);
  });
});

describe('launch and world', () => {
  it('reads rank and size from mpirun, srun and PMI launchers', () => {
    expect(detectLaunch({})).toBeNull();
    expect(detectLaunch({ OMPI_COMM_WORLD_RANK: '1', OMPI_COMM_WORLD_SIZE: '4', OMPI_COMM_WORLD_LOCAL_RANK: '1' })).toEqual({ launcher: 'mpirun', rank: 1, size: 4, localRank: 1 });
    expect(detectLaunch({ SLURM_PROCID: '3', SLURM_NTASKS: '8', SLURM_LOCALID: '1' })).toEqual({ launcher: 'srun', rank: 3, size: 8, localRank: 1 });
    expect(detectLaunch({ SLURM_PROCID: '3', SLURM_NTASKS: '8', SLURM_STEP_NUM_TASKS: '4' })).toEqual({ launcher: 'srun', rank: 3, size: 4, localRank: null });
    expect(detectLaunch({ PMI_RANK: '0', PMI_SIZE: '2' })).toEqual({ launcher: 'pmi', rank: 0, size: 2, localRank: null });
    expect(detectLaunch({ OMPI_COMM_WORLD_RANK: '5', OMPI_COMM_WORLD_SIZE: '4' })).toBeNull();
  });

  it('without a launcher the world is this process, and collectives are the identity', async () => {
    const w = lc.distributed.init();
    expect(w).toMatchObject({ rank: 0, size: 1, backend: 'local' });
    const t = lc.tensor([1, 2]);
    await lc.distributed.allReduce(t, { op: 'mean' });
    await lc.distributed.broadcast(t);
    await lc.distributed.barrier();
    expect(await lc.distributed.broadcastObject({ a: 1 })).toEqual({ a: 1 });
    expect(Array.from(t.dataSync())).toEqual([1, 2]);
    await expect(lc.distributed.allReduce(t, { op: 'max' as never })).rejects.toThrow(/distributed\.allReduce.*op.*'sum' or 'mean'/);
    await expect(lc.distributed.allReduce(lc.transpose(lc.zeros([2, 3]), 0, 1))).rejects.toThrow(/allReduce.*contiguous/);
    const ddp = new lc.distributed.DistributedDataParallel(new lc.nn.Linear(3, 2));
    await ddp.synchronizeParameters();
    await ddp.synchronize();
    expect(ddp.stats.steps).toBe(1);
    ddp.dispose();
  });

  it('launched as one of several by an addon without MPI: the error says what to install', () => {
    const saved = { ...process.env }, info = native.distInfo;
    try {
      process.env.OMPI_COMM_WORLD_RANK = '0';
      process.env.OMPI_COMM_WORLD_SIZE = '2';
      (native as { distInfo: typeof info }).distInfo = () => ({ mpi: false, initialized: false, compiledBy: 'lcss was built without MPI: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; or load your cluster\'s MPI module) and run `npm rebuild lcss`' });
      lc.distributed.finalize();  // leave the local world of the test above
      expect(() => lc.distributed.init()).toThrow(lc.DistributedError);
      expect(() => lc.distributed.init()).toThrow(/rank 0 of 2 started by mpirun, but lcss was built without MPI: install Open MPI .*apt-get install openmpi-bin libopenmpi-dev.*npm rebuild lcss/);
    } finally {
      (native as { distInfo: typeof info }).distInfo = info;
      process.env = saved;
    }
  });
});

describe('train({ distributed: true }) without a launcher', () => {
  it('trains alone, exactly as without the option, and records the world size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lcss-dist-local-'));
    try {
      const losses: number[][] = [];
      for (const distributed of [false, true]) {
        const cfg = lc.train.resolveConfig('checkerboard', undefined, { steps: 8, logEvery: 2, out: join(dir, String(distributed)) });
        const r = await lc.train.train(cfg, { quiet: true, noEval: true, distributed });
        expect(r.worldSize).toBe(1);
        r.dispose();
        losses.push(readFileSync(join(cfg.out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).loss));
      }
      expect(losses[1]).toEqual(losses[0]);
      await expect(lc.train.train(lc.train.resolveConfig('checkerboard', undefined, { steps: 1, out: join(dir, 'x') }), { distributed: 'yes' as never }))
        .rejects.toThrow(/train: argument 'distributed' got "yes", expected true, false or \{ timeout, bucketCapMB \}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
