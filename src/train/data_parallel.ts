// SPDX-License-Identifier: MIT
// What train() does differently as one rank of a data-parallel job (`lcss train --distributed`
// under mpirun or srun): the job, this rank's shard of every global batch and of its noise, rank 0's
// state on every rank at the start, and the agreement on each step's loss and on stopping.
//
// One process with batch B and N ranks with global batch B take the same steps: every rank draws the
// whole batch's data and noise streams and keeps its own rows (Generator.shard; the loader's
// permutation is shared, so shards are disjoint and reshuffled every epoch), the loss is the mean of
// the ranks' means (equal shards), and gradients are averaged before the optimiser step.
import { ArgumentError, checkFinite, checkKnownKeys, checkOptions, DistributedError } from '../errors.js';
import { DataFormatError } from '../io/errors.js';
import { allReduce, barrier, broadcast, broadcastObject, defaultTimeout, init, type World } from '../distributed/process_group.js';
import { DistributedDataParallel } from '../distributed/ddp.js';
import { narrow, contiguous } from '../ops/index.js';
import { native } from '../native.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { cuda, device as toDevice, type Device, type DeviceLike } from '../tensor/device.js';
import { detectLaunch } from '../distributed/launcher.js';
import type { Components } from './build.js';

/**
 * The device this rank trains on: on a machine with several GPUs, ranks asked for the first one
 * (`cuda`, `cuda:0`) take one each, cuda:(local rank mod GPUs), as NCCL requires and as users of
 * torchrun expect; any other device is used as given.
 */
export function rankDevice(d: DeviceLike, env: NodeJS.ProcessEnv = process.env): Device {
  const dev = toDevice(d);
  const launch = detectLaunch(env);
  if (dev.type !== 'cuda' || dev.index !== 0 || !launch || launch.size < 2 || launch.localRank === null) return dev;
  const n = cuda.deviceCount();
  return n > 1 ? toDevice(`cuda:${launch.localRank % n}`) : dev;
}

export interface DistributedTrainOptions {
  /** seconds a collective may wait for the other ranks (default LCSS_DIST_TIMEOUT, else 300) */
  timeout?: number;
  /** gradient bucket size in MB (default 25) */
  bucketCapMB?: number;
}

/** Longest wait of the other ranks while rank 0 evaluates or checkpoints (at least the timeout). */
const EVAL_TIMEOUT_S = 3600;

export class DataParallelRun {
  readonly world: World;
  readonly ddp: DistributedDataParallel;
  private readonly timeout: number;
  private readonly flags = new Float64Array(2);

  private constructor(world: World, ddp: DistributedDataParallel, timeout: number) {
    this.world = world;
    this.ddp = ddp;
    this.timeout = timeout;
  }

  /** Joins the job and prepares the components of this rank (before anything is restored). */
  static join(fn: string, batchSize: number, c: Components, o: boolean | DistributedTrainOptions): DataParallelRun {
    const opts = (typeof o === 'boolean' ? {} : checkOptions(fn, 'distributed', o)) as DistributedTrainOptions;
    checkKnownKeys(fn, 'distributed', opts, ['timeout', 'bucketCapMB']);
    if (opts.timeout !== undefined) checkFinite(fn, 'distributed.timeout', opts.timeout, { min: 0, minExclusive: true });
    const world = init(opts.timeout === undefined ? {} : { timeout: opts.timeout });
    if (batchSize % world.size)
      throw new ArgumentError(`${fn}: batchSize is the global batch (${batchSize}) and must be a multiple of the ${world.size} ranks; use a batchSize (--batch-size) of ${Math.max(world.size, Math.round(batchSize / world.size) * world.size)}`);
    const shard = { rank: world.rank, world: world.size };
    c.generators.loss.shard = shard;
    c.generators.dropout.shard = shard;
    const ddp = new DistributedDataParallel(c.model, opts.bucketCapMB === undefined ? {} : { bucketCapMB: opts.bucketCapMB });
    const timeout = opts.timeout ?? defaultTimeout();  // what init() used, validated there
    return new DataParallelRun(world, ddp, timeout);
  }

  get isMain(): boolean {
    return this.world.rank === 0;
  }

  /** This rank's rows of a global batch [B, ...]. */
  shard(x: Tensor): Tensor {
    if (this.world.size === 1) return x;
    const b = x.shape[0] / this.world.size;
    return tidy(() => contiguous(narrow(x, 0, this.world.rank * b, b)));
  }

  /**
   * Rank 0 decided where the run starts (`decide`, which may throw: every rank then throws the same
   * error); every rank gets its step and its state: parameters, buffers, EMA, optimiser moments and
   * counters, generator and data positions.
   */
  async start(c: Components, decide: () => number): Promise<number> {
    let verdict: { start: number; error: { kind: string; message: string; path?: string } | null } = { start: 0, error: null };
    let local: unknown = null;
    if (this.isMain) {
      try {
        verdict.start = decide();
      } catch (e) {
        local = e;
        verdict.error = { kind: e instanceof DataFormatError ? 'data' : e instanceof ArgumentError ? 'argument' : 'other', message: (e as Error).message, path: (e as DataFormatError).file };
      }
    }
    verdict = await broadcastObject(verdict, { label: 'the start of the run' });
    if (verdict.error) {
      if (local) throw local;
      const { kind, message, path } = verdict.error;
      throw kind === 'data' ? new DataFormatError(message, path ?? '', -1) : kind === 'argument' ? new ArgumentError(message) : new DistributedError(`rank 0 could not start the run: ${message}`);
    }
    await this.ddp.synchronizeParameters();
    await broadcast([...c.ema.shadow], { label: 'broadcast of the EMA weights' });
    const moments = [...c.opt.state().tensors.values()];
    if (moments.length) await broadcast(moments, { label: 'broadcast of the optimiser moments' });
    const state = await broadcastObject(
      { optimStep: c.opt.stepCount, emaUpdates: c.ema.numUpdates, loss: c.generators.loss.getState(), dropout: c.generators.dropout.getState(), data: c.data.state() },
      { label: 'broadcast of the run state' });
    if (!this.isMain) {
      c.opt.stepCount = state.optimStep;  // the moments themselves were broadcast in place
      c.ema.numUpdates = state.emaUpdates;
      c.generators.loss.setState(state.loss);
      c.generators.dropout.setState(state.dropout);
      c.data.restore(state.data);
    }
    return verdict.start;
  }

  /**
   * After backward: waits for the averaged gradients and returns the step's loss over the whole
   * batch, and whether any rank asked to stop (then every rank stops after this step).
   */
  async finishStep(loss: number, stop: boolean): Promise<{ loss: number; stop: boolean }> {
    if (this.world.size === 1) {
      await this.ddp.synchronize();
      return { loss, stop };
    }
    this.flags[0] = loss;
    this.flags[1] = stop ? 1 : 0;
    const agreed = allReduce(this.flags, { op: 'mean', label: 'the step loss' });
    try {
      await this.ddp.synchronize();
    } finally {
      await agreed.catch(() => {});
    }
    await agreed;
    return { loss: this.flags[0], stop: this.flags[1] > 0 };
  }

  /** The other ranks wait here while rank 0 evaluates (with a longer timeout). */
  async waitForMain(what: string): Promise<void> {
    if (this.world.size === 1) return;
    if (this.world.backend === 'mpi') native.distSetTimeout(Math.max(this.timeout, EVAL_TIMEOUT_S));
    try {
      await barrier({ label: `waiting for rank 0's ${what}` });
    } finally {
      if (this.world.backend === 'mpi') native.distSetTimeout(this.timeout);
    }
  }

  dispose(): void {
    this.ddp.dispose();
  }
}
